"""Inline suppression comments, and hiding what is not reply text (comments, HTML tags).

    <!-- draft-disable EMP001,HYG -- reason -->   ...   <!-- draft-enable [CODES] -->
    <!-- draft-disable-next-line EMP001 -->
    {# draft-disable EMP001 #}   ...   {# draft-enable #}

A directive without codes applies to every rule. Codes match by prefix (`HYG` covers
`HYG001`); a rule's name (`canned-apology`) works too. A range runs to the matching
`draft-enable` or to the end of the response.
"""

from __future__ import annotations

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
_TAG = re.compile(r"</?[A-Za-z][^<>]*>")
_BLOCK_TAG = re.compile(r"</?(?:p|div|br|li|ul|ol|h[1-6]|tr|table|blockquote)\b", re.I)


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


def prepare(unit: Unit) -> Prepared:
    """Find the directives in `unit` and take out what is not reply text, keeping positions."""
    text = unit.text
    if ("<!--" not in text or not (unit.hide_html_comments or "draft-" in text)) and (
            "{#" not in text or not (unit.hide_jinja_comments or "draft-" in text)) and (
            not unit.strip_tags or "<" not in text):
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
    taken = [(s, e) for s, e, _ in spans]
    extra: list[tuple[int, int, str]] = []
    if unit.hide_html_comments:
        extra += [(m.start(), m.end(), "") for m in _HTML_COMMENT.finditer(text)]
    if unit.hide_jinja_comments:
        extra += [(m.start(), m.end(), "") for m in _JINJA_COMMENT.finditer(text)]
    for s, e, r in sorted(extra):
        if not any(s < te and ts < e for ts, te in taken):
            spans.append((s, e, r))
            taken.append((s, e))
    if unit.strip_tags:
        for m in _TAG.finditer(text):
            if not any(m.start() < te and ts < m.end() for ts, te in taken):
                spans.append((m.start(), m.end(), "\n" if _BLOCK_TAG.match(m.group()) else " "))
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
