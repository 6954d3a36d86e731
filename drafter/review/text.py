"""The shared pre-pass: one `Doc` per reviewed text, with ignorable regions masked out.

Every rule reads the text through a `Doc`, which finds once the regions no prose rule should
look into (URLs, email addresses, code spans, quoted lines, text in quotation marks, the
customer's name, placeholders) and offers views of the text with those regions blanked.
Blanking keeps every offset, so a match in a view is a span in the original text.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from itertools import accumulate, repeat
from typing import Any, Generic, NamedTuple, TypeVar, overload

from drafter.review.context import ReviewContext
from drafter.review.matching import Runs
from drafter.review.structure import Structure, parse

# Regions that no prose rule looks into.
TOP_LEVEL_DOMAINS = (
    "com", "org", "net", "io", "co", "uk", "de", "fr", "nl", "eu", "us", "ca", "au", "app", "dev",
    "info", "biz", "me", "ly", "gl", "gd", "at", "ch", "es", "it", "se", "no", "dk", "fi", "ie",
    "be", "pl", "in", "jp", "cn", "ru", "br",
)


def _by_first_letter(words: Iterable[str]) -> str:
    """A regex group matching any of `words` (letters), tried one first letter at a time."""
    groups: dict[str, list[str]] = {}
    for w in sorted(set(words), key=lambda w: (-len(w), w)):
        groups.setdefault(w[0], []).append(w[1:])
    return "(?:" + "|".join(f"{a}(?:{'|'.join(rest)})" for a, rest in groups.items()) + ")"


# Every TLD is followed by a word edge wherever this is used: the order of the alternatives
# cannot change a match, so they are grouped for the engine (each letter tried once, not 36).
_TLDS = _by_first_letter(TOP_LEVEL_DOMAINS)


@cache
def url_re() -> re.Pattern[str]:
    """The regex of URLs, compiled when a text first has a hint of one (it is the costliest
    to compile, and most texts have no URL)."""
    return re.compile(
        r"(?i)\b(?:https?://|www\.)[^\s<>\"'`\]]+"
        # Bare domains with a common top-level domain: "visit help.example.com/reset".
        r"|(?<![\w@.-])(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+" + _TLDS
        + r"\b(?![\w@-])(?:/[^\s<>\"'`\]]*)?"
    )


# A dot before a top-level domain; the regex engine skips to each "." (no case flag outside).
_DOT_TLD_RE = re.compile(r"\.(?i:" + _TLDS + r")\b")
EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
FENCE_RE = re.compile(r"```.*?(?:```|\Z)", re.S)
CODE_RE = re.compile(r"`[^`\n]+`")
QUOTED_LINE_RE = re.compile(r"(?m)^[ \t]*>.*$")
# Text in double quotation marks: the customer's words, a UI label, a quoted message.
DQUOTE_RE = re.compile(r"\"[^\"\n]{1,300}\"|“[^”\n]{1,300}”|«[^»\n]{1,300}»|„[^“”\n]{1,300}[“”]")
_TRAILING_PUNCT = ".,;:!?)]}'\""

WORD_RE = re.compile(r"[^\W_](?:[\w'’-]*[^\W_])?")
# The same on ASCII text (the common case), where the engine tests a table instead of asking
# Unicode about each letter.
WORD_ASCII_RE = re.compile(r"[A-Za-z0-9](?:[A-Za-z0-9_'-]*[A-Za-z0-9])?")
_WORD_SPLIT_RE = re.compile(f"({WORD_RE.pattern})")
_WORD_SPLIT_ASCII_RE = re.compile(f"({WORD_ASCII_RE.pattern})")
# Sentence ends: terminal punctuation (and closing quotes/brackets) then space; a blank line;
# a line break before a list item or after a line that ends without running on. (The first
# character is matched by one class so that the engine skips ahead to the next candidate.)
_SENT_END_RE = re.compile(
    r"[.!?…\n:](?:(?<=[.!?…])[.!?…]*[\"'”’)\]]*(?=\s|$)|(?<=\n)[ \t]*\n"
    r"|(?<=\n)(?=[ \t]*(?:[-*•]|\d+[.)])[ \t])|(?<=:)(?=[ \t]*\n))"
)
_ABBREV = frozenset(
    ["e.g", "i.e", "etc", "vs", "mr", "mrs", "ms", "dr", "st", "no", "approx", "inc", "ltd",
     "co", "jr", "sr", "prof", "dept", "fig"]
)
# The last three letters of the abbreviations that have three or more.
_ABBREV_ENDS = frozenset(a[-3:] for a in _ABBREV if len(a) >= 3 and a[-3:].isalpha())


_NOT_NL_RE = re.compile(r"[^\n]")
_NEWLINE_RE = re.compile(r"\n")
_SPACE_RE = re.compile(r"\s")


def mask(text: str, spans: Iterable[tuple[int, int]]) -> str:
    """Return `text` with every span blanked by spaces (newlines kept), offsets unchanged."""
    out: list[str] = []
    pos = 0
    for start, end in sorted(spans):
        start = max(start, pos)
        if end <= start:
            continue
        out.append(text[pos:start])
        piece = text[start:end]
        out.append(_NOT_NL_RE.sub(" ", piece) if "\n" in piece else " " * len(piece))
        pos = end
    out.append(text[pos:])
    return "".join(out)


# Every URL has one of these in it (url_re's scheme, "www." or a dot before a top-level domain).
# The first character is matched by one class so that the engine skips to the candidates.
_URL_HINT_RE = re.compile(
    r"[:wW.](?:(?<=:)//|(?<=[wW])(?i:ww\.)|(?<=\.)(?i:" + _TLDS + r")\b)")


def _url_chunks(text: str) -> list[tuple[int, int]]:
    """The runs of non-space characters that hold a URL hint: no URL has a space in it, so
    url_re finds in these runs what it finds in the whole text, having far less to scan."""
    chunks: list[tuple[int, int]] = []
    for h in _URL_HINT_RE.finditer(text):
        at = h.start()
        if chunks and at < chunks[-1][1]:
            continue  # in the run already taken
        before = text[max(0, at - 512):at]
        if before and not before[-1].isspace():
            run = before.rsplit(None, 1)[-1]
            if len(run) == len(before) and at > len(before):
                return [(0, len(text))]  # a very long run: scan it all
            start = at - len(run)
        else:
            start = at
        stop = _SPACE_RE.search(text, at)
        chunks.append((start, stop.start() if stop else len(text)))
    return chunks


def _url_spans(text: str) -> list[tuple[int, int]]:
    spans = []
    for c0, c1 in _url_chunks(text):
        spans += _url_spans_in(text, c0, c1)
    return spans


def _url_spans_in(text: str, c0: int, c1: int) -> list[tuple[int, int]]:
    spans = []
    for m in url_re().finditer(text, c0, c1):
        end = m.end()
        while end > m.start() and text[end - 1] in _TRAILING_PUNCT:
            # A closing bracket that belongs to the URL (wiki links) stays.
            if text[end - 1] == ")" and text.count("(", m.start(), end) >= text.count(
                ")", m.start(), end
            ):
                break
            end -= 1
        spans.append((m.start(), end))
    return spans


_T = TypeVar("_T")


class cached_property(Generic[_T]):
    """`functools.cached_property` without the lock that Python 3.11 takes on each first use
    (a Doc lives in one thread; a review touches some twenty of these per text)."""

    def __init__(self, func: Callable[[Any], _T]) -> None:
        self.func = func
        self.name = func.__name__
        self.__doc__ = func.__doc__

    @overload
    def __get__(self, obj: None, owner: type | None = None) -> cached_property[_T]: ...

    @overload
    def __get__(self, obj: object, owner: type | None = None) -> _T: ...

    def __get__(self, obj: object | None, owner: type | None = None) -> Any:
        if obj is None:
            return self
        value = obj.__dict__[self.name] = self.func(obj)
        return value


@dataclass(frozen=True)
class Span:
    """A region of the text: [start, end)."""

    start: int
    end: int


class Doc:
    """One reviewed text with its pre-computed views, sentences and paragraphs (computed lazily)."""

    def __init__(
        self,
        text: str,
        context: ReviewContext,
        find_placeholders: Callable[[str], list[Any]] | None = None,
        greeting_re: re.Pattern[str] | None = None,
        sign_off_re: re.Pattern[str] | None = None,
    ) -> None:
        self.text = text
        self.context = context
        self._find_placeholders = find_placeholders
        self._greeting_re = greeting_re
        self._sign_off_re = sign_off_re

    @cached_property
    def plain_ascii(self) -> bool:
        r"""Whether the text is ASCII without the separators \x1c-\x1f (all its views are
        then too): there a regex compiled with re.ASCII finds what it finds without, faster,
        if the pattern names no letter that re.IGNORECASE matches with an ASCII one."""
        t = self.text
        return t.isascii() and not ("\x1c" in t or "\x1d" in t or "\x1e" in t or "\x1f" in t)

    # -- positions ------------------------------------------------------------------------
    @cached_property
    def line_starts(self) -> list[int]:
        """Offsets where each line begins."""
        return [0, *[m.end() for m in _NEWLINE_RE.finditer(self.text)]]

    def line_col(self, offset: int) -> tuple[int, int]:
        """Return the 1-based line and column of `offset`."""
        idx = bisect_right(self.line_starts, offset) - 1
        return idx + 1, offset - self.line_starts[idx] + 1

    # -- ignorable regions ----------------------------------------------------------------
    @cached_property
    def urls(self) -> list[tuple[int, int]]:
        """Spans of URLs."""
        t = self.text
        if "." not in t or not ("://" in t or _DOT_TLD_RE.search(t) or "www." in t.lower()):
            return []  # no URL without one of these (only ASCII letters fold to "www")
        return _url_spans(self.text)

    @cached_property
    def code_spans(self) -> list[tuple[int, int]]:
        """Spans of code: fenced blocks and `backtick` spans."""
        if "`" not in self.text:
            return []
        spans = [m.span() for m in FENCE_RE.finditer(self.text)]
        rest = mask(self.text, spans) if spans else self.text
        spans += [m.span() for m in CODE_RE.finditer(rest)]
        return spans

    @cached_property
    def emails(self) -> list[tuple[int, int]]:
        """Spans of email addresses."""
        if "@" not in self.text:
            return []
        return [m.span() for m in EMAIL_RE.finditer(self.text)]

    @cached_property
    def quoted_lines(self) -> list[tuple[int, int]]:
        """Spans of lines quoting an earlier message (starting with ">")."""
        if ">" not in self.text:
            return []
        return [m.span() for m in QUOTED_LINE_RE.finditer(self.text)]

    @cached_property
    def quotations(self) -> list[tuple[int, int]]:
        """Spans of text inside double quotation marks."""
        t = self.text
        if '"' not in t and "“" not in t and "«" not in t and "„" not in t:
            return []
        return [m.span() for m in DQUOTE_RE.finditer(self.nocode)]

    @cached_property
    def name_spans(self) -> list[tuple[int, int]]:
        """Spans of the customer's name, so that names never read as words."""
        tokens = name_tokens(self.context.customer_name)
        if not tokens:
            return []
        pattern = re.compile(
            r"(?<![\w])(?:" + "|".join(re.escape(t) for t in tokens) + r")(?![\w])"
        )
        return [m.span() for m in pattern.finditer(self.text)]

    @cached_property
    def placeholders(self) -> list[tuple[int, int]]:
        """Spans of placeholders, as found by the hygiene rules' patterns."""
        return [(p.start, p.end) for p in self.placeholder_items]

    @cached_property
    def placeholder_items(self) -> list[Any]:
        """The placeholders found by the hygiene pre-pass (objects with start, end, style, name)."""
        return self._find_placeholders(self.nocode) if self._find_placeholders else []

    @cached_property
    def nocode(self) -> str:
        """The text with code spans blanked (for placeholder and template checks)."""
        return mask(self.text, self.code_spans) if self.code_spans else self.text

    @cached_property
    def prose_regions(self) -> list[tuple[int, int]]:
        """Every region the prose rules skip."""
        return [
            *self.urls, *self.emails, *self.code_spans, *self.quoted_lines, *self.quotations,
            *self.name_spans, *self.placeholders,
        ]

    @cached_property
    def prose(self) -> str:
        """The text with every ignorable region blanked: what prose rules read."""
        regions = self.prose_regions
        return mask(self.text, regions) if regions else self.text

    # -- structure ------------------------------------------------------------------------
    @cached_property
    def greeting(self) -> tuple[int, int] | None:
        """The greeting line's span, if the text opens with one."""
        if self._greeting_re is None:
            return None
        m = re.match(r"\s*", self.text)
        first = m.end() if m else 0
        line_end = self.text.find("\n", first)
        line_end = len(self.text) if line_end == -1 else line_end
        line = self.text[first:line_end]
        g = self._greeting_re.match(line)
        if not g:
            return None
        # A greeting is a short line of its own, or a short opening clause ending in a comma.
        comma = line.find(",", g.end() - 1)
        if len(line) <= 60:
            return first, line_end
        if 0 <= comma <= 40:
            return first, first + comma + 1
        return None

    @cached_property
    def sign_off(self) -> tuple[int, int] | None:
        """The span from the sign-off line to the end, if the text closes with one."""
        if self._sign_off_re is None:
            return None
        starts = self.line_starts
        # The sign-off is among the last few non-empty lines.
        seen = 0
        for idx in range(len(starts) - 1, -1, -1):
            s = starts[idx]
            e = starts[idx + 1] - 1 if idx + 1 < len(starts) else len(self.text)
            line = self.text[s:e].strip()
            if not line:
                continue
            seen += 1
            if seen > 5:
                break
            if len(line) <= 40 and self._sign_off_re.fullmatch(line):
                return s + (len(self.text[s:e]) - len(self.text[s:e].lstrip())), len(self.text)
        return None

    @cached_property
    def structure(self) -> Structure:
        """The reply's parts (greeting, body blocks, sign-off, signature, channel furniture)."""
        return parse(self.text, self._greeting_re, self._sign_off_re)

    @cached_property
    def body(self) -> tuple[int, int]:
        """The span of the body: the text without its greeting and sign-off."""
        start = self.greeting[1] if self.greeting else 0
        end = self.sign_off[0] if self.sign_off else len(self.text)
        return (start, max(start, end))

    @cached_property
    def sentence_words(self) -> list[tuple[str, ...]]:
        """The words (of the prose view) of each sentence, in order."""
        self.sentences  # noqa: B018 - finds the words as well
        return self.__dict__["sentence_words"]

    @cached_property
    def lowered_words(self) -> Words:
        """`lowered_words` of the text (for the checks that compare it with the customer's
        words or the prompt)."""
        return lowered_words(self.text)

    @cached_property
    def prose_words(self) -> tuple[list[int], tuple[str, ...]]:
        """Every word of the prose view (as WORD_RE finds them) with its offset."""
        prose = self.prose
        # Separators and words alternate: [sep, word, sep, word, ..., sep].
        parts = (_WORD_SPLIT_ASCII_RE if prose.isascii() else _WORD_SPLIT_RE).split(prose)
        # A tuple: each sentence's words are a slice of it, and a tuple of strings is one
        # object the garbage collector stops following (a text may have 300,000 sentences).
        return list(accumulate(map(len, parts)))[0:-1:2], tuple(parts[1::2])

    @cached_property
    def sentences(self) -> list[tuple[int, int]]:
        """Sentence spans of the body (over the prose view), trimmed of outer whitespace."""
        prose = self.prose
        b0, b1 = self.body
        # Each sentence's span first, then its words: the word offsets of every span are
        # found in one pass (`bisect_left` mapped over them), not a Python call per sentence.
        starts: list[int] = []
        ends: list[int] = []
        start = b0
        words = word_re(prose)
        for m in _SENT_END_RE.finditer(prose, b0, b1):
            mark = m.group()
            if mark == ".":
                at = m.start()
                tail = prose[at - 3:at] if at - 3 >= start else ""
                if not (tail.isalpha() and tail.isascii() and tail.lower() not in _ABBREV_ENDS):
                    # Unless the word before the full stop ends in three letters no
                    # abbreviation ends in (most do: "today."), look at that word: one letter
                    # or digit is an initial ("J. Smith"), told without a search.
                    if prose[at - 1:at].isalnum() and (
                            at - 2 < start or not (prose[at - 2].isalnum()
                                                   or prose[at - 2] in "_'’-")):
                        continue
                    before = words.findall(prose, max(start, at - 12), at)
                    if before and (before[-1].lower() in _ABBREV or len(before[-1]) == 1):
                        continue
                if prose[at + 1:at + 2].isdigit():
                    continue
            starts.append(start)
            ends.append(m.end() if mark[0] in ".!?…" else m.start())
            start = m.end()
        starts.append(start)
        ends.append(b1)
        w_starts, w_words = self.prose_words
        # The words of span i are w_words[los[i]:his[i]]. A span starts where the mark ending
        # the one before it ends, and no word starts or ends inside a mark (marks are
        # punctuation and spaces), so each span's first word is the first after the span
        # before it, and only the body's own edges can cut a word.
        his = list(map(bisect_left, repeat(w_starts), ends))
        los = [bisect_left(w_starts, starts[0]), *his[:-1]]
        found = [w_words[lo:hi] for lo, hi in zip(los, his, strict=True)]
        for i in {0, len(starts) - 1}:
            lo, hi = los[i], his[i]
            if (lo and w_starts[lo - 1] + len(w_words[lo - 1]) > starts[i]) or (
                    hi > lo and w_starts[hi - 1] + len(w_words[hi - 1]) > ends[i]):
                found[i] = tuple(words.findall(prose, starts[i], ends[i]))  # the cut part
        out: list[tuple[int, int]] = []
        # A span is a sentence if it has a word: its words are kept for sentence_words.
        out_words: list[tuple[str, ...]] = []
        self.__dict__["sentence_words"] = out_words
        for start, end, words_in in zip(starts, ends, found, strict=True):
            if words_in:
                if prose[start].isspace() or prose[end - 1].isspace():
                    piece = prose[start:end]
                    core = piece.strip()
                    start += piece.find(core[0])  # the first character that is not a space
                    end = start + len(core)
                out.append((start, end))
                out_words.append(words_in)
        return out

    def runs(self, view: str = "prose") -> Runs:
        """The word runs of a view (prose, nocode or text), for the phrase lists."""
        cache: dict[str, Runs] = self.__dict__.setdefault("_runs", {})
        found = cache.get(view)
        if found is None:
            text = view_of(self, view)
            # Views with nothing blanked between them are one string: one set of runs.
            found = next((r for r in cache.values() if r.text is text), None) or Runs(text)
            cache[view] = found
        return found

    def opening(self, n: int = 2) -> tuple[int, int] | None:
        """The span of the body's first `n` sentences, if any."""
        sents = self.sentences[:n]
        if not sents:
            return None
        return sents[0][0], sents[-1][1]

    def sentence_at(self, offset: int) -> tuple[int, int]:
        """The span of the sentence holding `offset` (the whole text if none does)."""
        sents = self.sentences  # sorted, none overlapping
        at = bisect_right(sents, (offset, len(self.text) + 1)) - 1
        if at >= 0 and offset < sents[at][1]:
            return sents[at]
        # Outside the body (a greeting): the line around the offset.
        ls = self.text.rfind("\n", 0, offset) + 1
        le = self.text.find("\n", offset)
        return ls, len(self.text) if le == -1 else le


class Words(NamedTuple):
    """The words of a text, lower-cased, with their spans: three lists of one length."""

    words: list[str]
    starts: list[int]
    ends: list[int]


def lowered_words(text: str) -> Words:
    """The words of `text` (WORD_RE), lower-cased and with curly apostrophes straightened, with
    their spans; not @handles (a reply names the people the customer named)."""
    low = text.lower().replace("’", "'")
    if len(low) != len(text) or "Σ" in text:
        # A letter lower-cased to two ("İ": the offsets move), or a capital sigma (lower-cased
        # by what follows it, not by the word alone): word by word.
        found = [(m.group().lower().replace("’", "'"), m.start(), m.end())
                 for m in WORD_RE.finditer(text) if text[m.start() - 1:m.start()] != "@"]
        return Words([w for w, _, _ in found], [s for _, s, _ in found], [e for _, _, e in found])
    # Separators and words alternate: [sep, word, sep, word, ..., sep] (no call per word).
    parts = _WORD_SPLIT_RE.split(low)
    bounds = list(accumulate(map(len, parts)))
    words, starts, ends = parts[1::2], bounds[0:-1:2], bounds[1::2]
    if "@" in text:
        keep = [i for i, s in enumerate(starts) if text[s - 1:s] != "@"]
        if len(keep) < len(words):
            words = [words[i] for i in keep]
            starts = [starts[i] for i in keep]
            ends = [ends[i] for i in keep]
    return Words(words, starts, ends)


def view_of(doc: Doc, view: str) -> str:
    """Return the text view a check reads: prose (default), nocode or text."""
    return doc.prose if view == "prose" else doc.nocode if view == "nocode" else doc.text


def word_re(text: str) -> re.Pattern[str]:
    """WORD_RE, or its faster ASCII twin when `text` is ASCII (they find the same words)."""
    return WORD_ASCII_RE if text.isascii() else WORD_RE


def name_tokens(name: str | None) -> list[str]:
    """The tokens of a customer's name worth matching (two letters or more)."""
    if not name:
        return []
    clean = name.strip().strip('"')
    return [t for t in re.findall(r"[^\W\d_][\w'’-]*", clean) if len(t) >= 2]


def first_name(name: str | None) -> str | None:
    """The customer's first name, for a greeting ("Doe, Jane" -> "Jane")."""
    if not name:
        return None
    clean = name.strip().strip('"')
    if "," in clean:
        clean = clean.split(",", 1)[1].strip()
    parts = clean.split()
    if not parts or "@" in parts[0]:
        return None
    return parts[0]

