"""Inline suppression comments, and hiding what is not reply text (comments, HTML tags).

    <!-- draft-disable EMP001,HYG -- reason -->   ...   <!-- draft-enable [CODES] -->
    <!-- draft-disable-next-line EMP001 -->
    {# draft-disable EMP001 #}   ...   {# draft-enable #}

A directive without codes applies to every rule. Codes match by prefix (`HYG` covers
`HYG001`); a rule's name (`canned-apology`) works too. A range runs to the matching
`draft-enable` or to the end of the response.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

from drafter.lint.sources import Unit

_DIRECTIVE = re.compile(
    r"<!--\s*draft-(disable-next-line|disable|enable)\b(.*?)-->"
    r"|\{#-?\s*draft-(disable-next-line|disable|enable)\b(.*?)-?#\}",
    re.S,
)
_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_JINJA_COMMENT = re.compile(r"\{#.*?#\}", re.S)


def _codes(args: str) -> tuple[str, ...]:
    """Parse the codes (or rule names) of a directive's arguments, before `-- reason`."""
    head = re.split(r"\s--(?:\s|$)|^--(?:\s|$)", args.strip(), maxsplit=1)[0]
    return tuple(t for t in re.split(r"[,\s]+", head.strip()) if t)


def _matches(code: str, name: str, selectors: set[str] | tuple[str, ...]) -> bool:
    return any(code.startswith(s.upper()) or s.lower() == name for s in selectors)


@dataclass
class Suppressions:
    """The directives of one unit, in unit-text coordinates."""

    events: Sequence[tuple[int, str, tuple[str, ...]]] = ()
    next_lines: Sequence[tuple[int, int, tuple[str, ...]]] = ()

    def suppressed(self, code: str, name: str, pos: int) -> bool:
        """Return whether rule `code` (named `name`) is switched off at unit-text offset `pos`."""
        for start, end, codes in self.next_lines:
            if start <= pos <= end and (not codes or _matches(code, name, codes)):
                return True
        all_off = False
        off: set[str] = set()
        on: set[str] = set()  # enabled again inside a wider disable
        for at, kind, codes in self.events:
            if at > pos:
                break
            if kind == "disable":
                if not codes:
                    all_off, on = True, set()
                else:
                    off.update(codes)
                    on = {c for c in on if c not in codes and not any(
                        c.upper().startswith(d.upper()) for d in codes)}
            elif not codes:
                all_off, off, on = False, set(), set()
            else:
                off.difference_update(codes)
                on.update(codes)
        return (all_off or _matches(code, name, off)) and not _matches(code, name, on)


_NO_DIRECTIVES = Suppressions()


@dataclass
class Prepared:
    """A unit's text as given to the reviewer, with the directives found in it."""

    text: str
    offsets: Sequence[int]  # reviewed-text index -> source offset
    origin: Sequence[int]  # reviewed-text index -> unit-text index
    suppressions: Suppressions


# Markdown emphasis: **strong**, __strong__, *em*, _em_ (not inside a word, as in snake_case).
_EMPHASIS = re.compile(r"(?<![\w*])(\*\*|__|\*|_)(?=[^\s*_])[^\n]*?(?<=[^\s*_])\1(?![\w*])")


def emphasis_markers(text: str) -> list[tuple[int, int, str]]:
    """The spans of Markdown's emphasis markers in `text`, each read as nothing: the words
    inside them are reply text, the asterisks are not."""
    out: list[tuple[int, int, str]] = []
    for m in _EMPHASIS.finditer(text):
        n = len(m.group(1))
        out += [(m.start(), m.start() + n, ""), (m.end() - n, m.end(), "")]
    return out


class _Taken:
    """Spans that do not overlap, kept sorted: a new one is taken only where it fits."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for s, e in sorted(spans):
            self.add(s, e)

    def add(self, start: int, end: int) -> bool:
        """Take [start, end) unless it overlaps a span taken before; return whether it was."""
        i = bisect.bisect_left(self.starts, end)
        # Sorted and apart, the spans that start before `end` end in order: the last decides.
        if i and self.ends[i - 1] > start:
            return False
        self.starts.insert(i, start)
        self.ends.insert(i, end)
        return True


def prepare(unit: Unit) -> Prepared:
    """Find the directives in `unit` and take out what is not reply text, keeping positions."""
    text = unit.text
    if ("<!--" not in text or not (unit.hide_html_comments or "draft-" in text)) and (
            "{#" not in text or not (unit.hide_jinja_comments or "draft-" in text)) and (
            not unit.strip_tags or ("<" not in text and "&" not in text)) and (
            not unit.markdown or ("*" not in text and "_" not in text)):
        # Nothing to take out: the unit's text as it is (most files).
        return Prepared(text, unit.offsets, range(len(text) + 1), _NO_DIRECTIVES)
    events: list[tuple[int, str, tuple[str, ...]]] = []
    next_lines: list[tuple[int, int, tuple[str, ...]]] = []
    spans: list[tuple[int, int, str]] = []  # (start, end, replacement)
    for m in _DIRECTIVE.finditer(text):
        kind = m.group(1) or m.group(3)
        codes = _codes(m.group(2) if m.group(1) else m.group(4))
        if kind == "disable-next-line":
            line_end = text.find("\n", m.end())
            if line_end >= 0:
                nxt_end = text.find("\n", line_end + 1)
                next_lines.append(
                    (line_end + 1, len(text) if nxt_end < 0 else nxt_end, codes))
        else:
            events.append((m.start(), kind, codes))
        spans.append((m.start(), m.end(), ""))
    taken = _Taken([(s, e) for s, e, _ in spans])
    extra: list[tuple[int, int, str]] = []
    if unit.hide_html_comments:
        extra += [(m.start(), m.end(), "") for m in _HTML_COMMENT.finditer(text)]
    if unit.hide_jinja_comments:
        extra += [(m.start(), m.end(), "") for m in _JINJA_COMMENT.finditer(text)]
    # Directives first, then comments, then markup: what overlaps an earlier span is skipped.
    markup: list[tuple[int, int, str]] = []
    if unit.strip_tags:
        from drafter.lint.markup import markup_spans  # html.parser, only for HTML files

        markup = markup_spans(text)
    if unit.markdown:
        markup += emphasis_markers(text)
    for group in (sorted(extra), sorted(markup)):
        for s, e, r in group:
            if taken.add(s, e):
                spans.append((s, e, r))
    spans.sort()

    pieces: list[str] = []
    origin: list[int] = []
    pos = 0
    for s, e, repl in spans:
        if s < pos:
            continue
        line_start = text.rfind("\n", 0, s) + 1
        line_end = text.find("\n", e)
        line_end = len(text) if line_end < 0 else line_end
        if not repl and not text[line_start:s].strip() and not text[e:line_end].strip() \
                and line_start >= pos:
            # A comment on a line of its own: the whole line goes.
            s, e = line_start, min(line_end + 1, len(text))
        elif not repl and (s == 0 or text[s - 1] in " \t\n"):
            while e < len(text) and text[e] in " \t":
                e += 1
        pieces.append(text[pos:s])
        origin.extend(range(pos, s))
        pieces.append(repl)
        origin.extend([s] * len(repl))
        pos = e
    pieces.append(text[pos:])
    origin.extend(range(pos, len(text) + 1))
    cleaned = "".join(pieces)
    offsets = [unit.offsets[k] for k in origin]
    return Prepared(cleaned, offsets, origin, Suppressions(events, next_lines))
