"""Read HTML mail as the text a mail client shows: lxml's parser, then one pass over the tree.

Linear in the input: libxml2 parses in one pass (it stops nesting at 256 elements, where the
rest of a document is not read), and the tree is walked once without recursion. Text that a
mail client would not display is dropped (docs/security.md): `display:none`,
`visibility:hidden`, the `hidden` attribute, a font size of 1px or less, opacity 0, a height
of 0 with overflow hidden, and text in its background's colour. Only inline styles are read;
rules in a <style> sheet are not applied.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Elements whose content a mail client never shows as text.
_SKIP = frozenset({"head", "title", "style", "script", "template", "svg", "math", "iframe",
                   "object", "embed", "noembed", "select"})
# Elements that start and end a line, and those that also stand apart by a blank line.
_LINE = frozenset({"div", "li", "tr", "dt", "dd", "table", "form", "header", "footer", "section",
                   "article", "nav", "aside", "main", "address", "center", "hr", "fieldset",
                   "figure", "figcaption", "caption", "details", "summary", "legend", "tbody",
                   "thead", "tfoot"})
_PARAGRAPH = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "dl", "blockquote",
                        "pre"})
_SPACES = re.compile(r"[ \t\n\r\f]+")  # HTML's white space; a no-break space is not collapsed
_LINK_SCHEMES = ("http://", "https://", "mailto:", "ftp://")
_NAMED = {"white": "#ffffff", "black": "#000000", "red": "#ff0000", "green": "#008000",
          "blue": "#0000ff", "yellow": "#ffff00", "gray": "#808080", "grey": "#808080",
          "silver": "#c0c0c0", "transparent": ""}
_RGB = re.compile(r"rgba?\(([\d.]+)%?,([\d.]+)%?,([\d.]+)%?(?:,([\d.]+)(%?))?\)")
_SIZE = re.compile(r"(-?[\d.]+)(px|pt|em|rem|%|)")


@dataclass(frozen=True)
class _Look:
    """What an element passes on to its content: text colour, background, visibility."""

    color: str = "#000000"
    background: str = "#ffffff"
    visible: bool = True  # CSS visibility, which a child may set back to visible

    @property
    def shown(self) -> bool:
        """Whether text with this look can be seen."""
        return self.visible and self.color != self.background


def html_to_text(html: str) -> str:
    """Return the text a mail client shows for `html`: links as `[text](url)`, hidden text
    dropped, paragraphs and lines kept, quoted (<blockquote>) lines marked `> `."""
    import lxml.etree
    import lxml.html

    parser = lxml.html.HTMLParser(encoding="utf-8", remove_comments=True, remove_pis=True)
    try:
        root = lxml.html.document_fromstring(html.encode("utf-8", "replace"), parser=parser)
    except (lxml.etree.ParserError, ValueError):  # no element at all (e.g. only comments)
        return ""
    out = _Writer()
    looks: list[_Look] = [_Look()]
    hidden: set[object] = set()
    walker = lxml.etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag if isinstance(el.tag, str) else ""
        if event == "start":
            look = _look(el, looks[-1]) if tag else looks[-1]
            if not tag or tag in _SKIP or look is None:
                hidden.add(el)
                walker.skip_subtree()
                continue
            looks.append(look)
            out.start(tag, el)
            if el.text:
                out.text(el.text, look.shown)
        else:
            if el in hidden:
                hidden.discard(el)
            else:
                looks.pop()
                out.end(tag, el)
            if el.tail and el is not root:
                out.text(el.tail, looks[-1].shown)
    return out.result()


def _look(el: object, parent: _Look) -> _Look | None:
    """The element's look given its parent's; None when the element and its content are hidden."""
    attrib = el.attrib  # type: ignore[attr-defined]
    if not attrib:
        return parent
    if "hidden" in attrib:
        return None
    style = _style(attrib.get("style", ""))
    if style.get("display") == "none" or _number(style.get("opacity")) == 0:
        return None
    size = _number(style.get("font-size"), px=True)
    if size is not None and size <= 1:
        return None
    if style.get("overflow") == "hidden" and (_number(style.get("max-height")) == 0
                                              or _number(style.get("height")) == 0):
        return None
    visible = parent.visible
    if style.get("visibility") in ("hidden", "collapse"):
        visible = False
    elif style.get("visibility") == "visible":
        visible = True
    color = _color(style.get("color") or attrib.get("color", "")) or parent.color
    background = _color(style.get("background-color") or _first_color(style.get("background"))
                        or attrib.get("bgcolor", "")) or parent.background
    if color == "transparent":
        return None
    return _Look(color, background, visible)


def _style(value: str) -> dict[str, str]:
    out = {}
    for declaration in value.lower().split(";"):
        name, colon, setting = declaration.partition(":")
        if colon:
            out[name.strip()] = setting.replace("!important", "").strip()
    return out


def _number(value: str | None, px: bool = False) -> float | None:
    """A CSS length or number as a float (in px when `px`: 1pt is 4/3 px); None if unknown."""
    if not value:
        return None
    found = _SIZE.fullmatch(value.strip())
    if not found:
        return None
    try:
        number = float(found.group(1))
    except ValueError:
        return None
    unit = found.group(2)
    if px and unit not in ("px", "pt", ""):
        return number if number == 0 else None  # relative sizes: only 0 is known
    return number * 4 / 3 if unit == "pt" else number


def _color(value: str) -> str | None:
    """A colour as `#rrggbb`, "transparent" when fully transparent, None when unknown."""
    value = value.strip().lower().replace(" ", "")
    if not value:
        return None
    if value in _NAMED:
        return _NAMED[value] or "transparent"
    if value.startswith("#"):
        digits = value[1:]
        if len(digits) in (3, 4):
            digits = "".join(c * 2 for c in digits)
        return "#" + digits[:6] if len(digits) in (6, 8) else None
    found = _RGB.fullmatch(value)
    if found:
        if found.group(4) is not None and float(found.group(4)) == 0:
            return "transparent"
        try:
            channels = [min(255, round(float(found.group(i)))) for i in (1, 2, 3)]
        except ValueError:
            return None
        return "#" + "".join(f"{c:02x}" for c in channels)
    return value


def _first_color(value: str | None) -> str:
    """The colour in a `background` shorthand, if it has one."""
    for token in (value or "").split():
        if token.startswith(("#", "rgb")) or token in _NAMED:
            return token
    return ""


class _Writer:
    """Builds the text: white space collapsed as HTML does, lines and blank lines as blocks ask."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.newlines = 0  # line breaks at the end of what is written
        self.want = 0  # line breaks the next text needs before it (1: new line, 2: blank line)
        self.space = True  # what is written ends in a space (or nothing is written yet)
        self.pre = 0
        self.quote = 0
        self.lists: list[list[int]] = []  # open lists: [number of the next item] or [] (bullets)
        self.bullet = ""
        self.links: list[tuple[int, str]] = []

    def start(self, tag: str, el: object) -> None:
        """An element opens."""
        self.block(tag)
        if tag == "br":
            self.flush()
            self.parts.append("\n")
            self.newlines += 1
            self.space = True
        elif tag == "li":
            numbered = self.lists[-1] if self.lists else []
            indent = "  " * min(len(self.lists) - 1, 8)
            self.bullet = f"{indent}{numbered[0]}. " if numbered else f"{indent}* "
            if numbered:
                numbered[0] += 1
        elif tag in ("ul", "ol"):
            self.lists.append([1] if tag == "ol" else [])
        elif tag == "blockquote":
            self.quote += 1
        elif tag == "pre":
            self.pre += 1
        elif tag in ("td", "th") and not self.space:
            self.parts.append(" ")
            self.space = True
        elif tag == "a":
            href = (el.get("href") or "").strip()  # type: ignore[attr-defined]
            self.links.append((len(self.parts), href))

    def end(self, tag: str, el: object) -> None:
        """An element closes."""
        if tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag == "blockquote":
            self.quote -= 1
        elif tag == "pre":
            self.pre -= 1
        elif tag == "a" and self.links:
            self.link(*self.links.pop())
        self.block(tag)

    def block(self, tag: str) -> None:
        """Ask for the line (or the blank line) that `tag` stands on."""
        if tag in _LINE:
            self.want = max(self.want, 1)
        elif tag in _PARAGRAPH:
            self.want = 2

    def link(self, at: int, href: str) -> None:
        """Write the link that began at parts[at] as `[text](href)` unless the text says it."""
        text = "".join(self.parts[at:]).strip()
        if text and href.lower().startswith(_LINK_SCHEMES) and text not in (href, href[7:]):
            self.parts[at:] = [f"[{text}]({href})"]
            self.space = False

    def flush(self) -> None:
        """Write the line breaks that are asked for, before text or a <br>."""
        if self.want > self.newlines and self.parts:
            self.parts.append("\n" * (self.want - self.newlines))
            self.newlines = self.want
            self.space = True
        self.want = 0

    def text(self, text: str, visible: bool) -> None:
        """Write text (dropped when hidden) as HTML lays it out."""
        if not visible:
            return
        if not self.pre:
            text = _SPACES.sub(" ", text)
            if self.space or self.want:
                text = text.lstrip(" ")
            if not text:
                return
        self.flush()
        if self.newlines or not self.parts:
            text = "> " * self.quote + self.bullet + text
            self.bullet = ""
        self.parts.append(text)
        stripped = text.rstrip("\n")
        self.newlines = (self.newlines if not stripped else 0) + len(text) - len(stripped)
        self.space = text.endswith((" ", "\n"))

    def result(self) -> str:
        """The text written, each line without trailing spaces."""
        text = "".join(self.parts).replace("\xa0", " ")
        return "\n".join(line.rstrip() for line in text.split("\n")).strip("\n")
