"""What of an HTML canned response is not reply text, found with the standard library's HTML
parser: tags (a block tag reads as a line break), character references (read as the character
they stand for), and what a reader never sees (script, style, head). Comments are left to the
suppression reader, which keeps its directives."""

from __future__ import annotations

import html
from html.parser import HTMLParser

# Tags that start a new line when rendered.
_BLOCK = frozenset(["p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr",
                    "table", "blockquote", "hr", "pre", "section", "article", "header", "footer"])
# Elements whose content is never shown as text.
_HIDDEN = frozenset(["script", "style", "head", "title", "template"])


class _Markup(HTMLParser):
    """Collects (start, end, replacement) spans of the markup in one text."""

    def __init__(self, text: str) -> None:
        super().__init__(convert_charrefs=False)
        self.text = text
        self.line_starts = [0]
        i = text.find("\n")
        while i != -1:
            self.line_starts.append(i + 1)
            i = text.find("\n", i + 1)
        self.spans: list[tuple[int, int, str]] = []
        self.hidden: tuple[str, int] | None = None  # an open hidden element: (tag, start)

    def _at(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def _tag(self, tag: str, start: int, end: int) -> None:
        if self.hidden is None:
            self.spans.append((start, end, "\n" if tag in _BLOCK else " "))

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._at()
        end = start + len(self.get_starttag_text() or "")
        if self.hidden is None and tag in _HIDDEN:
            self.hidden = (tag, start)
        else:
            self._tag(tag, start, end)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        start = self._at()
        self._tag(tag, start, start + len(self.get_starttag_text() or ""))

    def handle_endtag(self, tag: str) -> None:
        start = self._at()
        end = self.text.find(">", start) + 1 or len(self.text)
        if self.hidden is not None:
            if tag == self.hidden[0]:
                self.spans.append((self.hidden[1], end, ""))
                self.hidden = None
            return
        self._tag(tag, start, end)

    def _reference(self, name: str) -> None:
        if self.hidden is not None:
            return
        start = self._at()
        end = start + 1 + len(name)
        if self.text.startswith(";", end):
            end += 1
        self.spans.append((start, end, html.unescape(self.text[start:end])))

    def handle_entityref(self, name: str) -> None:
        self._reference(name)

    def handle_charref(self, name: str) -> None:
        self._reference("#" + name)

    def _declaration(self) -> None:
        start = self._at()
        end = self.text.find(">", start) + 1 or len(self.text)
        if self.hidden is None:
            self.spans.append((start, end, ""))

    def handle_decl(self, decl: str) -> None:
        self._declaration()

    def handle_pi(self, data: str) -> None:
        self._declaration()

    def unknown_decl(self, data: str) -> None:
        self._declaration()


def markup_spans(text: str) -> list[tuple[int, int, str]]:
    """The spans of `text` that are HTML markup, each with the text it reads as, in order."""
    parser = _Markup(text)
    parser.feed(text)
    parser.close()
    if parser.hidden is not None:  # never closed: hidden to the end
        parser.spans.append((parser.hidden[1], len(text), ""))
    return sorted(parser.spans)
