"""A reply's structure: its parts, each with a kind and a span in the source text.

One pass over a reply finds, in order: the channel's furniture at the start (@handles, a
split-message counter such as `1/2`), the greeting, the body blocks (paragraphs, numbered and
bulleted lists, quoted text, code or command lines, link-only lines), a closing line, the
sign-off, the signature (names, titles, an agent's initials such as `^KJ`, `-JN`, `*ACJ`, a
"Sent from my iPhone" line) and a counter at the end. Rules state which parts they read: a
next-step rule reads the last body block, the tone and acronym rules skip the signature.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cached_property
from operator import itemgetter
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drafter.review.context import ReviewContext
    from drafter.review.registry import Check, Hit
    from drafter.review.text import Doc

HANDLE, COUNTER, GREETING = "handle", "counter", "greeting"
PARAGRAPH, NUMBERED, BULLETED = "paragraph", "numbered_list", "bulleted_list"
QUOTE, CODE, LINK = "quote", "code", "link"
CLOSING, SIGN_OFF, SIGNATURE = "closing", "sign_off", "signature"
ATTACHMENT = "attachment"  # a link after the signature: a picture or file the post carries
BLOCKS = frozenset({PARAGRAPH, NUMBERED, BULLETED, QUOTE, CODE, LINK})
LISTS = frozenset({NUMBERED, BULLETED})
# Parts that are not the writer's prose: tone and acronym rules never read them.
NOT_PROSE = frozenset({HANDLE, COUNTER, SIGN_OFF, SIGNATURE})

_LEAD_RE = re.compile(
    r"[ \t\r\n]*(?:(?P<handle>\.?@\w{1,30})|(?P<counter>[(\[]?(?P<a>\d{1,2})/(?P<b>\d{1,2})[)\]]?))"
    r"(?=[\s:,]|$)")
# A closing counter may carry the sentence's full stop: "... for an update 2/2. ^Oliver".
_COUNTER_RE = re.compile(r"[ \t]*[(\[]?(\d{1,2})/(\d{1,2})[)\]]?\.?[ \t]*$")
_SENT_FROM_RE = re.compile(
    r"(?i)(?:sent from my |sent from (?:mail|outlook|yahoo mail|gmail) for |get outlook for )"
    r"[\w .-]{1,40}")
_SIG_DELIMITER_RE = re.compile(r"--[ \t]*")
_SIGN_OFF_WORDS = (
    r"(?i:kind(?:est)? regards|best regards|warm(?:est)? regards|regards|rgds|best wishes|"
    r"all the best|many thanks|thanks so much|thanks again|thank you|thanks|thx|ty|cheers|"
    r"sincerely|yours (?:sincerely|truly|faithfully)|take care|talk soon|best)"
)
_SIGN_OFF_LINE_RE = re.compile(_SIGN_OFF_WORDS + r"[ \t]*[,.!]*[ \t]*")
# An agent's name or initials: up to three capitalised words ("Becky", "KJ", "Idea Care").
_NAME = r"[A-Z][^\W\d_]{0,19}(?:[ \t][A-Z][^\W\d_]{0,19}){0,2}"
# A signature at the very end of the last line, in its common forms: "-Becky", "^KJ", "*ACJ",
# "~Ann", "/BH", "- Ed", "TY - James", "Rgds, Idea Care", or a bare name after a sentence.
_INLINE_SIG_RE = re.compile(
    r"(?:(?P<so>" + _SIGN_OFF_WORDS + r")[!.]?[ \t]*(?P<comma>,[ \t]*)?)?"
    r"(?P<sig>(?P<mark>--?|[–—~^*/])?[ \t]?(?P<name>" + _NAME + r"|[a-z]{2,3}))"
    r"(?:\.{3}|…|\.)?[ \t]*$")
_BARE_NOT_NAMES = frozenset([
    "Enjoy", "Congrats", "Congratulations", "Welcome", "Sure", "Yes", "No", "Ok", "Okay",
    "Please", "Sorry", "Done", "Absolutely", "Definitely", "Soon", "Again", "Today", "Tomorrow",
    "Now", "Here", "There", "Bye", "Goodbye", "Hello", "Hi", "Hey"])
_GREETING_WORDS = (r"(?i:hi|hello|hey|hiya|howdy|dear|greetings|good (?:morning|afternoon|evening)|"
                   r"morning|afternoon|evening)(?![\w'’-])")
_GREETING_WORD_RE = re.compile(_GREETING_WORDS)
# A greeting clause: the word, up to three names or "there", then a comma, "!" or a full stop.
_GREETING_RE = re.compile(
    _GREETING_WORDS
    + r"(?:[ \t,]+(?:(?i:there|again|all|everyone|team|folks|friend)|[A-Z][\w'’-]{0,20})){0,3}"
    r"[ \t]*(?:[,!:]+|\.(?=\s))")
_CLOSING_RE = re.compile(
    r"(?i)(?:i |we )?(?:hope (?:this|that) helps|have a (?:great|good|nice|lovely|wonderful) "
    r"(?:day|weekend|evening|week|one)|let (?:us|me) know if (?:you have|there (?:is|are)|"
    r"there's) any (?:other |more |further )?questions|(?:please )?(?:feel free|(?:don't|do "
    r"not) hesitate) to [^\n]{0,80}|thanks?(?: you)? (?:again|for [^\n]{0,60})|"
    r"(?:we're|we are|i'm|i am) (?:always )?(?:here|happy|glad) to help[^\n]{0,40})[.!]*[ \t]*")
_BULLET_RE = re.compile(r"[ \t]*[-*•·–+][ \t]+\S")
# What a body line is, by how it starts (a paragraph's line matches none).
_LINE_KIND_RE = re.compile(
    r"(?P<numbered_list>[ \t]*(?:\d{1,2}[.)]|\(\d{1,2}\)|(?i:step)[ \t]*\d{1,2}[:.)])[ \t]+\S)"
    r"|(?P<bulleted_list>" + _BULLET_RE.pattern + r")"
    r"|(?P<quote>[ \t]*>)"
    r"|(?P<link>[ \t]*<?(?:https?://|www\.)\S+?>?[ \t]*$)"
    r"|(?P<code>(?: {4}|\t)[ \t]*\S|[ \t]*\$ \S)")
# A line that may be anything but a paragraph's: what _LINE_KIND_RE or a fence starts with.
_SPECIAL_START_RE = re.compile(r"(?m)^(?: {4}|\t|[ \t]*(?:[\d(>$`<*•·–+-]|[sS]tep|https?:|www\.))")
# A paragraph between blank lines, from its first non-space character, line by line up to a
# line break that a blank line follows (its trailing spaces are left to strip).
_PARAGRAPH_RE = re.compile(r"\S[^\n]*(?:\n(?![ \t\r]*\n)[^\n]*)*")
_LINK_AT_END_RE = re.compile(r"(?<=\s)(?:https?://|www\.)\S+$")


# One part of a reply: (kind, start, end), its kind and its span [start, end) in the text. A
# plain tuple, not a NamedTuple: the garbage collector stops following a plain tuple of strings
# and numbers but never an instance of a subclass, and a text may have 300,000 paragraphs
# (every full collection walked them all: a sixth of reviewing one-word paragraphs).
Part = tuple[str, int, int]

_start = itemgetter(1)


@dataclass(frozen=True)
class Structure:
    """The parts of a reply, in order, none overlapping."""

    parts: tuple[Part, ...]

    def of(self, *kinds: str) -> list[Part]:
        """The parts of the given kinds, in order."""
        return [p for p in self.parts if p[0] in kinds]

    @property
    def blocks(self) -> list[Part]:
        """The body blocks (paragraphs, lists, quotes, code, links), in order."""
        return [p for p in self.parts if p[0] in BLOCKS]

    def spans(self, kinds: Iterable[str]) -> list[tuple[int, int]]:
        """The spans of the parts of the given kinds."""
        wanted = frozenset(kinds)
        return [(start, end) for kind, start, end in self.parts if kind in wanted]

    def inside(self, start: int, end: int, kinds: Iterable[str] = NOT_PROSE) -> bool:
        """Whether [start, end) lies within one part of the given kinds."""
        wanted = frozenset(kinds)
        parts = self.parts
        # The parts ascend and do not overlap: only those starting at `start` or before, from
        # the last of them back to one that ends before `end`, can hold the span (a text of
        # 100,000 paragraphs is asked this for each finding of a prose rule).
        at = bisect_right(parts, start, key=_start)
        while at:
            at -= 1
            kind, _, part_end = parts[at]
            if part_end < end:
                return False
            if kind in wanted:
                return True
        return False

    @cached_property
    def counters(self) -> list[Part]:
        """The counters ("2/3") of a split message: asked for by several rules, found once."""
        return self.of(COUNTER)

    def split_part(self, text: str) -> tuple[int, int] | None:
        """Which part of a split message `text` is, as (part, of), from its counter ("2/3")."""
        for _, start, end in self.counters:
            nums = re.findall(r"\d+", text[start:end])
            if len(nums) == 2:
                return int(nums[0]), int(nums[1])
        return None

    def continues(self, text: str) -> bool:
        """Whether `text` is a later part of a split message ("2/2"): its opening is not the
        reply's opening, which was in an earlier part."""
        found = self.split_part(text)
        return found is not None and found[0] > 1

    def to_list(self) -> list[dict[str, int | str]]:
        """The parts as plain data (for JSON output)."""
        return [{"kind": kind, "start": start, "end": end} for kind, start, end in self.parts]


def prose_only(check: Check) -> Check:
    """`check` without the findings that lie in a signature, a sign-off or the channel's
    furniture (a rule that reads the writer's prose only)."""

    def only_prose(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        structure = None  # parsed at the first hit: most texts have none
        for h in check(doc, ctx):
            if structure is None:
                structure = doc.structure
            if not structure.inside(h.start, h.end):
                yield h

    return only_prose


def parse(text: str, greeting_re: re.Pattern[str] | None = None,
          sign_off_re: re.Pattern[str] | None = None) -> Structure:
    """Split `text` into its parts. `greeting_re` and `sign_off_re` (the guide's) add to the
    greetings and sign-offs known here."""
    head, pos = _leading(text)
    tail, end = _trailing(text, pos, sign_off_re)
    greeting, pos = _greeting(text, pos, end, greeting_re)
    closing, end = _closing(text, pos, end)
    parts = head + greeting + _blocks(text, pos, end) + closing + tail
    return Structure(tuple(parts))


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """[start, end) without surrounding whitespace."""
    piece = text[start:end]
    core = piece.strip()
    if not core:
        return start, start
    start += piece.find(core[0])
    return start, start + len(core)


def _is_counter(a: str, b: str) -> bool:
    return 1 <= int(a) <= int(b) <= 20 and int(b) >= 2


def _leading(text: str) -> tuple[list[Part], int]:
    """The @handles and counters the text opens with, and where the rest starts."""
    parts: list[Part] = []
    pos = 0
    while (m := _LEAD_RE.match(text, pos)) is not None:
        if m.group("handle"):
            parts.append((HANDLE, *m.span("handle")))
        elif _is_counter(m.group("a"), m.group("b")):
            parts.append((COUNTER, *m.span("counter")))
        else:
            break
        pos = m.end()
    return parts, _trim(text, pos, len(text))[0]


def _line_start(text: str, pos: int, end: int) -> int:
    return max(pos, text.rfind("\n", pos, end) + 1)


def _trailing(text: str, pos: int, sign_off_re: re.Pattern[str] | None) -> tuple[list[Part], int]:
    """The sign-off, signature and counter the text closes with, and where the body ends."""
    parts: list[Part] = []
    end = _trim(text, pos, len(text))[1]
    counter = _counter_at_end(text, pos, end)
    if counter is not None:
        parts.append(counter)
        end = _trim(text, pos, counter[1])[1]
    found = _sign_off_block(text, pos, end, sign_off_re) or _inline_signature(text, pos, end)
    link = None if found else _LINK_AT_END_RE.search(text, max(_line_start(text, pos, end),
                                                             end - 200), end)
    if link is not None:
        # An attachment's link after the signature: "... help. ^KJ https://t.co/x".
        before = _trim(text, pos, link.start())[1]
        found = _inline_signature(text, pos, before)
        if found:
            parts.insert(0, (ATTACHMENT, link.start(), end))
    if found:
        parts[:0] = found
        end = _trim(text, pos, found[0][1])[1]
        counter = _counter_at_end(text, pos, end)  # "... 1/2 ^KJ"
        if counter is not None:
            parts.insert(0, counter)
            end = _trim(text, pos, counter[1])[1]
    return parts, end


def _counter_at_end(text: str, pos: int, end: int) -> Part | None:
    window = max(_line_start(text, pos, end), end - 12)
    m = _COUNTER_RE.search(text, window, end)
    if m is None or not _is_counter(m.group(1), m.group(2)):
        return None
    s, e = _trim(text, m.start(), m.end())
    if s > pos and not text[s - 1].isspace():
        return None  # part of a word or a date ("12/3/2024")
    return (COUNTER, s, e)


def _lines_back(text: str, pos: int, end: int, most: int) -> list[tuple[int, int]]:
    """The last `most` non-empty lines before `end`, trimmed, last first."""
    out: list[tuple[int, int]] = []
    stop = end
    while stop > pos and len(out) < most:
        start = _line_start(text, pos, stop)
        s, e = _trim(text, start, stop)
        if e > s:
            out.append((s, e))
        stop = start - 1
    return out


def _sign_off_block(text: str, pos: int, end: int,
                    sign_off_re: re.Pattern[str] | None) -> list[Part] | None:
    """An email-style ending: a sign-off line ("Best regards,") and the signature lines after
    it, or a "-- " delimiter or a "Sent from my ..." line and what follows."""
    lines = _lines_back(text, pos, end, 6)
    for i, (s, e) in enumerate(lines):
        if i and lines[i - 1][1] - lines[i - 1][0] > 60:
            return None  # a long line is body text, not a signature
        if s <= pos:
            return None  # nothing before it: it is the body itself (pos is its first character)
        if _SENT_FROM_RE.fullmatch(text, s, e) or _SIG_DELIMITER_RE.fullmatch(text, s, e):
            return [(SIGNATURE, s, end)]
        if e - s <= 40 and (_SIGN_OFF_LINE_RE.fullmatch(text, s, e) or (
                sign_off_re is not None and sign_off_re.fullmatch(text, s, e))):
            if i == 0:
                return [(SIGN_OFF, s, e)]
            return [(SIGN_OFF, s, e), (SIGNATURE, lines[i - 1][0], end)]
    return None


def _inline_signature(text: str, pos: int, end: int) -> list[Part] | None:
    """A signature at the end of the last line: "... help. -Becky", "^KJ", "TY - James"."""
    line = _line_start(text, pos, end)
    for at in range(max(line, end - 60), end):
        if at > line and (text[at - 1].isalnum() and text[at].isalnum()):
            continue  # inside a word
        m = _INLINE_SIG_RE.match(text, at, end)
        if m is not None and _signature_ok(text, line, m):
            parts = []
            if m.group("so"):
                parts.append((SIGN_OFF, *_trim(text, m.start("so"), m.end("so"))))
            parts.append((SIGNATURE, *_trim(text, m.start("sig"), end)))
            return parts if _trim(text, pos, parts[0][1])[1] > pos else None
    return None


def _signature_ok(text: str, line: int, m: re.Match[str]) -> bool:
    """Whether an end-of-line match is a signature rather than the sentence's own words."""
    start = m.start()
    before = text[start - 1] if start > line else "\n"
    mark, name = m.group("mark"), m.group("name")
    trailing = text[m.end("sig"):m.end()].strip()  # "", ".", "..." or "…"
    if name.islower() and not (mark in ("^", "*", "~") and m.group("sig")[1:2] != " "):
        return False  # lower-case initials only right after ^, * or ~ ("^kl")
    run_start = text.rfind(" ", line, start) + 1
    if "://" in text[run_start:m.end()] or "www." in text[run_start:m.end()]:
        return False  # the end of a link
    if m.group("so"):
        return bool(m.group("comma") or mark) and not (before.isalnum() or before in "'’")
    if mark:
        if before.isspace() or start == line:
            # The last item of a bulleted list is no signature.
            return not (mark in "-*" and start == line and _previous_line_is_item(text, line))
        if mark == "/":
            return False  # "and/or", a path
        if before.isalnum():
            # "you- Mariya", "go-DD": a hyphen joins no word to initials or a spaced name.
            return mark == "-" and (m.group("sig")[1:2] == " " or (name.isupper() and
                                                                    len(name) <= 4))
        return True
    # A bare name: one word, no full stop, right after a sentence's end or an emoticon.
    if " " in name or name in _BARE_NOT_NAMES or trailing or not before.isspace():
        return False
    at = start - 1
    while at >= 0 and text[at].isspace():
        at -= 1
    return at >= 0 and (text[at] in ".!?)" or not (text[at].isalnum() or text[at] in ",;:'’\"-"))


def _previous_line_is_item(text: str, line: int) -> bool:
    prev_start = text.rfind("\n", 0, max(line - 1, 0)) + 1
    return line > 0 and bool(_BULLET_RE.match(text, prev_start, line - 1))


def _greeting(text: str, pos: int, end: int,
              greeting_re: re.Pattern[str] | None) -> tuple[list[Part], int]:
    """The greeting the body opens with ("Hi Jane," / "Hello there!"), and where the rest starts."""
    if pos >= end:
        return [], pos
    nl = text.find("\n", pos, end)
    line_end = end if nl == -1 else _trim(text, pos, nl)[1]
    m = _GREETING_RE.match(text, pos, line_end)
    if m is not None:
        g_end = _trim(text, pos, m.end())[1]
    elif nl != -1 and line_end - pos <= 60 and (
            text[line_end - 1] in ",!:" or len(text[pos:line_end].split()) <= 4) and (
            text[line_end - 1] not in ".?") and _starts_greeting(text, pos, line_end, greeting_re):
        g_end = line_end  # a short line of its own: "Dear Sir or Madam,", "Hey Daniel"
    else:
        return [], pos
    return [(GREETING, pos, g_end)], _trim(text, g_end, end)[0]


def _starts_greeting(text: str, pos: int, end: int, greeting_re: re.Pattern[str] | None) -> bool:
    if _GREETING_WORD_RE.match(text, pos, end):
        return True
    m = greeting_re.match(text, pos, end) if greeting_re is not None else None
    return m is not None and not (m.end() < end and text[m.end()].isalnum())


def _closing(text: str, pos: int, end: int) -> tuple[list[Part], int]:
    """A courtesy line of its own at the end of the body ("Hope this helps!")."""
    line = _line_start(text, pos, end)
    s, e = _trim(text, line, end)
    if line <= pos or e <= s or not _CLOSING_RE.fullmatch(text, s, e):
        return [], end
    return [(CLOSING, s, e)], _trim(text, pos, s)[1]


def _blocks(text: str, pos: int, end: int) -> list[Part]:
    """The body blocks of [pos, end): runs of lines of one kind, split at blank lines."""
    if _SPECIAL_START_RE.search(text, pos, end) is None:
        # Only paragraphs (most replies): split at blank lines, without reading each line.
        return [(PARAGRAPH, m.start(), m.start() + len(m.group().rstrip()))
                for m in _PARAGRAPH_RE.finditer(text, pos, end)]
    blocks: list[Part] = []
    kind: str | None = None
    b_start = b_end = pos
    fence = False
    at = pos
    match = _LINE_KIND_RE.match
    for line in text[pos:end].split("\n"):
        le = at + len(line)
        core = line.strip()
        s = at + line.find(core[0]) if core else le
        e = s + len(core)
        if fence or core.startswith("```"):
            this = CODE
            if not (len(core) > 3 and core.startswith("```") and core.endswith("```")) and (
                    core.startswith("```") or core.endswith("```")):
                fence = not fence
        elif not core:
            this = ""
        else:
            found = match(text, at, le)
            this = found.lastgroup or PARAGRAPH if found else PARAGRAPH
            if kind in LISTS and this in (PARAGRAPH, CODE) and line[:1] in " \t":
                this = kind  # an indented line continues a list item
        if kind is not None and this != kind:
            blocks.append((kind, b_start, b_end))
            kind = None
        if this:
            if kind is None:
                kind, b_start = this, s
            b_end = e
        at = le + 1
    if kind is not None:
        blocks.append((kind, b_start, b_end))
    return blocks
