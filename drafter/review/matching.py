"""The reviewer's one matching engine: the guide's phrase lists found in a text.

A phrase list has literal phrases and regular-expression patterns. Literal phrases that start
with a word character are matched over the text's word runs (maximal runs of `\\w`, as `re`
reads them), through a trie of their words: a phrase matches where its words are the text's
words in a row, ignoring case, with whitespace (any amount) or its own punctuation between
them, apostrophes ' and ’ alike. Patterns (and the rare phrase that starts with punctuation)
go through `re`, skipped on a text with none of the strings one of which every match holds. The
whole list finds what one regex alternation of the patterns and then the phrases (longest first)
would find: matches leftmost first and never overlapping; at one place a pattern wins over a
phrase, and a longer phrase over a shorter one. (Case is compared as re.IGNORECASE compares
it, except for the few letters with two lower-case forms, such as σ and ς.)

An entry of a phrase list that holds `{`, `[`, `|`, `~` or `...` is a *phrase pattern*
(`phrase_regex`): words with alternatives, optional words, a bounded skip of inserted words,
inflections and contractions, compiled to a regular expression and matched like a pattern.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from functools import cached_property, lru_cache
from itertools import accumulate
from pathlib import Path
from typing import Any, NamedTuple

from drafter import cache

_RUN_SPLIT = re.compile(r"(\w+)")
_RUN_SPLIT_ASCII = re.compile(r"(\w+)", re.ASCII)  # the same on ASCII text, faster
_SPACES = re.compile(r"\s+")
# The letters that re.IGNORECASE matches with an ASCII letter although str.lower() does not
# give that letter (İ, ı, ſ, Kelvin sign): folded first, so that word keys compare as re does.
_FOLD = str.maketrans({"\u0130": "i", "\u0131": "i", "\u017f": "s", "\u212a": "k"})
_FOLDING = frozenset("\u0130\u0131\u017f\u212a")


def fold(words: str) -> str:
    """`words` lower-cased as re.IGNORECASE compares letters."""
    return words.lower() if words.isascii() else words.translate(_FOLD).lower()


def is_word_char(ch: str) -> bool:
    """Whether `ch` is a word character to `re` (`\\w`)."""
    return ch.isalnum() or ch == "_"


class Match:
    """A match found by `Phrases`: the `re.Match` methods the rules use."""

    __slots__ = ("_end", "_start", "string")

    def __init__(self, string: str, start: int, end: int) -> None:
        self.string = string
        self._start = start
        self._end = end

    def start(self) -> int:
        """Where the match starts."""
        return self._start

    def end(self) -> int:
        """Where the match ends."""
        return self._end

    def span(self) -> tuple[int, int]:
        """(start, end)."""
        return self._start, self._end

    def group(self) -> str:
        """The matched text."""
        return self.string[self._start:self._end]

    def __repr__(self) -> str:
        return f"<Match span={self.span()} {self.group()!r}>"


AnyMatch = Match | re.Match[str]


class Runs:
    """The word runs of `text[pos:stop]`: their offsets and folded forms (`fold`), and what
    phrase lists have found in them (`memo`). A run cut by `pos` starts at -1: no phrase starts
    inside a word."""

    def __init__(self, text: str, pos: int = 0, stop: int | None = None) -> None:
        self.text = text
        self.pos = pos
        self.stop = stop = len(text) if stop is None else max(pos, min(stop, len(text)))
        self.memo: dict[Any, Any] = {}
        self.piece = piece = text[pos:stop] if pos or stop < len(text) else text
        plain = piece.isascii()
        # Runs and separators alternate: [sep, run, sep, run, ..., sep]; lower-casing ASCII
        # keeps every offset.
        parts = _RUN_SPLIT_ASCII.split(piece.lower()) if plain else _RUN_SPLIT.split(piece)
        bounds = list(accumulate(map(len, parts), initial=pos))
        self.starts: list[int] = bounds[1:-1:2]
        self.ends: list[int] = bounds[2:-1:2]
        words = parts[1::2]
        self.keys: list[str] = words if plain or not words else fold("\0".join(words)).split("\0")
        if pos and self.starts and self.starts[0] == pos and is_word_char(text[pos - 1]):
            self.starts[0] = -1

    @cached_property
    def index(self) -> dict[str, list[int]]:
        """Folded word -> the indices of its runs, ascending."""
        index: defaultdict[str, list[int]] = defaultdict(list)
        for i, key in enumerate(self.keys):
            index[key].append(i)
        index.default_factory = None  # from here on, a plain dict: no entry made by a lookup
        return index

    @cached_property
    def words(self) -> frozenset[str]:
        """The folded words of the text."""
        return frozenset(self.index)

    @cached_property
    def low(self) -> str | None:
        """The text lower-cased, for the patterns' pre-filter (None: it has a letter that
        re.IGNORECASE matches with an ASCII letter but str.lower() does not turn into one)."""
        piece = self.piece
        if not piece.isascii() and not _FOLDING.isdisjoint(piece):
            return None
        return piece.lower()

    def within(self, pos: int, stop: int) -> Runs:
        """The runs to find matches in `text[pos:stop]` with: these, unless `stop` cuts a word
        (a match may end in the piece before it): then the window's own runs."""
        text = self.text
        if stop >= self.stop or stop <= 0 or not (is_word_char(text[stop])
                                                   and is_word_char(text[stop - 1])):
            return self
        return Runs(text, max(pos, self.pos), stop)

    def places(self, found: Iterable[str], pos: int, stop: int) -> list[int]:
        """The indices of the runs that start in [pos, stop) whose key is one of `found` (words
        of the text), ascending."""
        index, starts = self.index, self.starts
        lo, hi = bisect_left(starts, pos), bisect_left(starts, stop)
        places: list[int] = []
        for word in found:
            at = index[word]
            places += at[bisect_left(at, lo):bisect_left(at, hi)]
        places.sort()
        return places


class _Phrase:
    """One literal phrase that starts with a word character, as word runs and separators."""

    __slots__ = ("keys", "one_word", "seps", "tail", "words")

    def __init__(self, phrase: str, case_sensitive: bool) -> None:
        parts = _RUN_SPLIT.split(phrase)
        self.words = parts[1::2]
        self.keys = [fold(w) for w in self.words]
        # Separators as compared: whitespace runs as one space, ’ as '; None for whitespace.
        seps = [_SPACES.sub(" ", s.replace("’", "'")) for s in parts[2::2]]
        if not case_sensitive:
            seps = [s.lower() for s in seps]
        self.tail = seps.pop()  # after the last word: empty unless the phrase ends with one
        self.seps = [None if s == " " else s for s in seps]
        self.one_word = not self.seps and not self.tail  # matches wherever its word is

    def end(self, text: str, starts: list[int], ends: list[int], i: int, stop: int,
            exact: bool) -> int:
        """Where this phrase ends if it matches at run `i` (its words are there); -1 if not."""
        if exact and any(text[starts[i + t]:ends[i + t]] != w for t, w in enumerate(self.words)):
            return -1
        for t, sep in enumerate(self.seps, i):
            a, b = ends[t], starts[t + 1]
            if not (text[a:b].isspace() if sep is None
                    else _match_sep(sep, text, a, b, exact) == b):
                return -1
        end = ends[i + len(self.keys) - 1]
        if self.tail:
            end = _match_sep(self.tail, text, end, stop, exact)
        return end if end <= stop else -1


def _match_sep(sep: str, text: str, at: int, stop: int, case_sensitive: bool) -> int:
    """Where separator `sep` (as `_Phrase` keeps it) ends when matched at `at`; -1 if not."""
    for ch in sep:
        if at >= stop:
            return -1
        got = text[at]
        if ch == " ":
            if not got.isspace():
                return -1
            at += 1
            while at < stop and text[at].isspace():
                at += 1
            continue
        if ch == "'":
            if got != "'" and got != "’":
                return -1
        elif got != ch and (case_sensitive or got.lower() != ch):
            return -1
        at += 1
    return at


def phrase_pattern(phrase: str, case_sensitive: bool = False) -> str:
    """The regex source that matches a literal `phrase` as `Phrases` does: whitespace runs and
    both apostrophes alike, and whole words at its ends."""
    core = phrase.strip()
    out = []
    for piece in re.split(r"(\s+|['’])", core):
        if not piece:
            continue
        if piece.isspace():
            out.append(r"\s+")
        elif piece in ("'", "’"):
            out.append("['’]")
        else:
            out.append(re.escape(piece if case_sensitive else piece.lower()))
    left = r"(?<!\w)" if is_word_char(core[:1]) else ""
    right = r"(?!\w)" if is_word_char(core[-1:]) else ""
    return left + "".join(out) + right



# -- phrase patterns: the guide's own small pattern language -----------------------------------

class PatternError(ValueError):
    """A phrase pattern that cannot be read; the message says where and why."""


# Between two words: whitespace, a comma or a dash (“Don't worry—I'm here”, “follow-up”).
_SEP = r"[\s,\-–—]+"
_ANY_WORD = r"[\w'’]+"
_SKIP_DOTS = 3  # `...` skips up to this many words
_MAX_SKIP = 6
_CLOSERS = {"{": "}", "[": "]", "(": ")"}
_QUANT_RE = re.compile(r"\{(\d+)(?:,(\d+))?\}")
_PLAIN_RUN = re.compile(r"[^\s|{}\[\]()~\\]+")  # literal text of a word, read as it is
# Contractions a pattern word may end with, and the words they stand for.
_CONTRACTIONS = {"'m": ["am"], "'re": ["are"], "'ll": ["will"], "'ve": ["have"],
                 "'d": ["would", "had"]}
_NOT_IRREGULAR = {"can't": ["cannot", "can not"], "won't": ["will not"], "shan't": ["shall not"]}
_VOWELS = frozenset("aeiou")


def is_phrase_pattern(entry: str) -> bool:
    """Whether a phrase-list entry is a phrase pattern rather than a literal phrase."""
    return any(c in entry for c in "{[|~") or "..." in entry


def inflections(word: str) -> list[str]:
    """The forms `word~` matches: the word, its -s, -ed and -ing forms by the common English
    spelling rules, and -ise for -ize (and back). Over-generates rather than misses."""
    w = word.lower()
    bases = {w}
    if w.endswith(("ize", "ise")):
        bases = {w[:-3] + "ize", w[:-3] + "ise"}
    elif w.endswith(("ization", "isation")):
        bases = {w[:-7] + "ization", w[:-7] + "isation"}
    forms = set(bases)
    for b in bases:
        if b.endswith("e"):
            forms |= {b + "s", b + "d", b[:-1] + "ing"}
        elif b.endswith("y") and len(b) > 1 and b[-2] not in _VOWELS:
            forms |= {b[:-1] + "ies", b[:-1] + "ied", b + "ing"}
        elif b.endswith(("s", "x", "z", "ch", "sh")):
            forms |= {b + "es", b + "ed", b + "ing"}
        else:
            forms |= {b + "s", b + "ed", b + "ing"}
            if (len(b) > 2 and b[-1] not in _VOWELS and b[-1] not in "wxy"
                    and b[-2] in _VOWELS and b[-3] not in _VOWELS):
                forms |= {b + b[-1] + "ed", b + b[-1] + "ing"}  # stop -> stopped
    return sorted(forms, key=lambda f: (-len(f), f))


# Words a match must hold: one of the words of each set (see `_PatternReader`).
Needs = tuple[frozenset[str], ...]
_WORD_RUN = re.compile(r"\w+")


class _Piece(NamedTuple):
    """A part of a phrase pattern read: its regex source, words one of which each of its
    matches holds, and the words one of which starts each match (None: not known)."""

    rx: str
    need: frozenset[str] | None
    first: frozenset[str] | None


class _Seq(NamedTuple):
    """A sequence read: regex source, the word sets it needs, the words it starts with."""

    rx: str
    needs: Needs
    first: frozenset[str] | None


@lru_cache(maxsize=4096)  # phrase patterns share many words
def _literal(text: str) -> _Piece:
    """Literal pattern text read (both apostrophes alike, contractions expanded)."""
    low = text.lower().replace("’", "'")
    expanded: list[str] = []
    if low in _NOT_IRREGULAR:
        expanded = _NOT_IRREGULAR[low]
    elif low.endswith("n't") and len(low) > 3:
        expanded = [text[:-3] + " not"]
    else:
        for short, longs in _CONTRACTIONS.items():
            if low.endswith(short) and len(low) > len(short):
                expanded = [text[:-len(short)] + " " + w for w in longs]
                break

    def plain(t: str) -> str:
        return _SEP.join(re.escape(part).replace("'", "['’]")
                         for part in t.replace("’", "'").split())

    forms = [text, *expanded]
    runs = [set(_WORD_RUN.findall(fold(f))) for f in forms]
    word: frozenset[str] | None = None
    if all(runs):
        common = set.intersection(*runs)
        word = frozenset([max(sorted(common), key=len)] if common
                         else [max(sorted(r), key=len) for r in runs])
    starts = [_WORD_RUN.match(fold(f)) for f in forms]
    first = None if not all(starts) else frozenset(m.group() for m in starts if m)
    if not expanded:
        return _Piece(plain(text), word, first)
    return _Piece("(?:" + "|".join(map(plain, forms)) + ")", word, first)


def _best(needs: Needs) -> frozenset[str] | None:
    """The most telling of a sequence's needed word sets: longest shortest word, then fewest."""
    return max(needs, key=lambda ws: (min(map(len, ws)), -len(ws)), default=None)


def _either(alts: list[_Seq]) -> _Piece:
    """Alternatives as one piece."""
    bests = [_best(alt.needs) for alt in alts]
    firsts = [alt.first for alt in alts]
    return _Piece("(?:" + "|".join(alt.rx for alt in alts) + ")", _union(bests), _union(firsts))


def _union(sets: list[frozenset[str] | None]) -> frozenset[str] | None:
    """The union of word sets (None if one is unknown)."""
    known = [ws for ws in sets if ws is not None]
    return frozenset().union(*known) if len(known) == len(sets) else None


class _PatternReader:
    """Reads one phrase pattern into regex source (see `phrase_regex`), and the words its
    matches must hold: each word of a sequence that is neither optional nor a skip needs one
    of its forms in the text."""

    def __init__(self, pattern: str) -> None:
        self.s = pattern
        self.i = 0

    def fail(self, why: str) -> PatternError:
        return PatternError(f"{why} at character {self.i + 1} of {self.s!r}")

    def alternatives(self, closer: str, glued: bool = False) -> list[_Seq]:
        alts = [self.sequence(closer, glued)]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            alts.append(self.sequence(closer, glued))
        if closer:
            if self.i >= len(self.s) or self.s[self.i] != closer:
                raise self.fail(f"missing `{closer}`")
            self.i += 1
        elif self.i < len(self.s):
            raise self.fail(f"unexpected `{self.s[self.i]}`")
        # Longer alternatives first, so that `{sir|sir or madam}` takes all it can.
        return sorted(alts, key=lambda alt: len(alt.rx), reverse=True)

    def sequence(self, closer: str, glued: bool = False) -> _Seq:
        """A run of words up to `|` or `closer`; optional words and skips carry the
        separator next to them. In a group `glued` to a word, whitespace at an alternative's
        edge is a separator (`I('m| am)`)."""
        s = self.s
        lead = self.i < len(s) and s[self.i].isspace()
        words: list[tuple[str, _Piece]] = []  # kind: word, opt or skip
        while self.i < len(s) and s[self.i] not in "|" + closer:
            if s[self.i].isspace():
                self.i += 1
                continue
            words.append(self.word(closer))
        trail = self.i > 0 and s[self.i - 1].isspace()
        if not any(kind == "word" for kind, _ in words):
            raise self.fail("a pattern (and each alternative) needs a word that is neither "
                            "optional nor a skip")
        out, seen = "", False
        firsts: list[frozenset[str] | None] = []  # the words a match may start with
        for n, (kind, piece) in enumerate(words):
            if not seen and kind != "skip":
                firsts.append(piece.first)
            if kind == "word":
                out += _SEP + piece.rx if seen else piece.rx
                seen = True
            elif kind == "opt":
                out += f"(?:{_SEP}{piece.rx})?" if seen else f"(?:{piece.rx}{_SEP})?"
            else:
                if not seen or n == len(words) - 1:
                    raise self.fail("a skip must stand between two words")
                out += f"(?:{_SEP}{_ANY_WORD}){piece.rx}"
        if glued:
            out = (_SEP if lead else "") + out + (_SEP if trail else "")
        needs = tuple(p.need for kind, p in words if kind == "word" and p.need)
        return _Seq(out, needs, None if glued and lead else _union(firsts))

    def word(self, closer: str) -> tuple[str, _Piece]:
        """One word (its kind: word, opt or skip): literal text, groups glued to it, `~`; or a
        lone `[...]`, `{m,n}`, `...`."""
        s = self.s
        if s.startswith("...", self.i):
            self.i += 3
            self.end_of_word(closer, "`...`")
            return "skip", _Piece(f"{{0,{_SKIP_DOTS}}}", None, None)
        q = _QUANT_RE.match(s, self.i)
        if q:
            low, high = int(q.group(1)), int(q.group(2) or q.group(1))
            self.i = q.end()
            if high > _MAX_SKIP or low > high:
                raise self.fail(f"a skip of {q.group()} words; at most {_MAX_SKIP}")
            self.end_of_word(closer, q.group())
            return "skip", _Piece(f"{{{low},{high}}}", None, None)
        parts: list[_Piece] = []
        text = ""  # literal text not yet turned into regex
        while self.i < len(s) and not s[self.i].isspace() and s[self.i] not in "|" + closer:
            plain = _PLAIN_RUN.match(s, self.i)
            if plain:
                text += plain.group()
                self.i = plain.end()
                continue
            ch = s[self.i]
            if ch in _CLOSERS:
                glued = bool(text or parts)
                if text:
                    parts.append(_literal(text))
                    text = ""
                self.i += 1
                group = _either(self.alternatives(_CLOSERS[ch], glued))
                if ch == "[":
                    if not glued and self.at_word_end(closer):
                        return "opt", group._replace(need=None)  # a whole optional word
                    group = _Piece(group.rx + "?", None, None)
                parts.append(group)
            elif ch == "~":
                stem = re.match(r"(.*?)([^\W\d_]+)$", text)
                if stem is None:
                    raise self.fail("`~` must follow a word")
                if stem.group(1):
                    parts.append(_literal(stem.group(1)))
                forms = frozenset(map(fold, inflections(stem.group(2))))
                parts.append(_Piece("(?:" + "|".join(map(re.escape, inflections(stem.group(2))))
                                    + ")", forms, forms))
                text = ""
                self.i += 1
            elif ch in "}])":
                raise self.fail(f"unmatched `{ch}`")
            else:  # a backslash
                if self.i + 1 >= len(s):
                    raise self.fail("`\\` at the end")
                text += s[self.i + 1]
                self.i += 2
        if text:
            parts.append(_literal(text))
        rx = "".join(p.rx for p in parts)
        if len(parts) == 1:
            return "word", parts[0]
        # Glued parts: a part may be only a piece of a word of the text, so nothing is known.
        return "word", _Piece(rx, None, None)

    def at_word_end(self, closer: str) -> bool:
        s = self.s
        return self.i >= len(s) or s[self.i].isspace() or s[self.i] in "|" + closer

    def end_of_word(self, closer: str, what: str) -> None:
        if not self.at_word_end(closer):
            raise self.fail(f"{what} must stand alone between words")


# The phrase patterns read in earlier runs (drafter.cache): reading the guide's patterns is a
# third of building a reviewer, and the most of it in a short run (`draft lint ONE_FILE`).
def _reader_code() -> bytes:
    """What names the kept table: this module's source (its reader), or, where the source
    cannot be read (an import from a zip), drafter's version."""
    try:
        return Path(__file__).read_bytes()
    except OSError:
        from importlib.metadata import PackageNotFoundError, version

        try:
            return version("drafter").encode()
        except PackageNotFoundError:
            return b"unknown"


_KEPT = cache.KeptTable("phrase-patterns", _reader_code())


def keep_read_patterns() -> None:
    """Save the phrase patterns read in this run for the next (see `read_phrase_pattern`)."""
    _KEPT.save()


@lru_cache(maxsize=1024)
def read_phrase_pattern(pattern: str) -> tuple[str, Needs, frozenset[str] | None]:
    """A phrase pattern read (see `phrase_regex`): its regex source; the words its matches
    need (one word of each set is in every text it matches in, ignoring case); and the words
    one of which starts every match (None: not known). Kept on disk between runs."""
    found = _kept_reading(_KEPT.get(pattern))
    if found is not None:
        return found
    found = _read_phrase_pattern(pattern)
    source, needs, first = found
    _KEPT.put(pattern, [source, [sorted(ws) for ws in needs],
                        None if first is None else sorted(first)])
    return found


def _kept_reading(kept: Any) -> tuple[str, Needs, frozenset[str] | None] | None:
    """A kept reading decoded, or None when there is none or it is not of the shape
    `read_phrase_pattern` keeps (a damaged table is read anew, never trusted)."""
    if not (isinstance(kept, list) and len(kept) == 3):
        return None
    source, needs, first = kept
    if not (isinstance(source, str) and isinstance(needs, list)
            and all(isinstance(ws, list) and all(isinstance(w, str) for w in ws) for ws in needs)
            and (first is None or (isinstance(first, list)
                                   and all(isinstance(w, str) for w in first)))):
        return None
    return (source, tuple(frozenset(ws) for ws in needs),
            None if first is None else frozenset(first))


def _read_phrase_pattern(pattern: str) -> tuple[str, Needs, frozenset[str] | None]:
    alts = _PatternReader(pattern.strip()).alternatives("")
    source = r"(?<!\w)(?:" + "|".join(alt.rx for alt in alts) + r")(?!\w)"
    if len(alts) == 1:
        return source, alts[0].needs, alts[0].first
    either = _either(alts)
    return source, () if either.need is None else (either.need,), either.first


def phrase_regex(pattern: str) -> str:
    """The regex source of a phrase pattern, matched as whole words, ignoring case.

    `{a|b c}` is one of the alternatives (each may be several words, the longer tried
    first); `[a|b]` is optional; `(a|b)` glued to a word alternates inside it (`I('m| am)`);
    `...` skips up to three inserted words and `{m,n}` between `m` and `n` (at most six);
    `word~` matches the word's -s, -ed and -ing forms and -ise for -ize; a contraction matches
    its long form too (`we'll` also matches “we will”, `don't` “do not”); ' matches ’; words
    are separated by whitespace, a comma or a dash; `\\` makes the next character literal.
    Raises PatternError.
    """
    return read_phrase_pattern(pattern)[0]


# The documentation's examples (docs/rules.md, "Phrase patterns"), each checked by a test:
# (pattern, a text it finds, a text it does not find).
PATTERN_EXAMPLES: tuple[tuple[str, str, str], ...] = (
    ("{sorry|apologize~|apologies} for [the|any] {trouble|confusion}",
     "We apologise for any confusion.", "Sorry for the troubled start."),
    ("I('m| am) [just] here to {help|assist}", "I am just here to assist.", "I'm here to stay."),
    ("I'm [just] here to help", "I am here to help.", "Im here to help."),
    ("as {quickly|soon} ... as possible", "as quickly and efficiently as possible",
     "as quickly as we possibly can"),
    ("I {0,2} understand your situation", "I completely understand your situation.",
     "I understand the situation."),
    ("we'll {follow up|be in touch}", "We will be in touch.", "We were in touch."),
    ("[please] don't worry", "Do not worry, it's fixed.", "Don't you worry."),
    ("apologize~ for", "Apologising for the wait.", "An apology for the wait."),
    ("follow~ up", "We followed up yesterday.", "We follow the updates."),
    ("visit~ {0,2} {store~|branch~}", "Visiting your local branch", "Visit our website"),
    ("price \\[USD\\]", "price [USD]", "price USD"),
)

class Phrases:
    """A compiled phrase list: literal phrases and patterns found as one alternation would
    (see the module's doc). Build with `compile_phrases`."""

    def __init__(self, phrases: Iterable[str], patterns: Iterable[str],
                 case_sensitive: bool) -> None:
        self.case_sensitive = case_sensitive
        self.flags = 0 if case_sensitive else re.IGNORECASE
        self.patterns = list(patterns)  # regex sources, in the alternation's order
        self.literals: list[str] = []  # the phrases matched over word runs
        scanned: list[tuple[str, Needs | None]] = []
        # Phrase patterns whose matches start with one of known words are tried only where
        # such a word starts: (source, the words they need, the words they start with).
        self.anchored: list[tuple[str, Needs, frozenset[str]]] = []
        for p in sorted({p.strip() for p in phrases if p.strip()}):
            if is_phrase_pattern(p):
                source, words_needed, first = read_phrase_pattern(p)
                if first:
                    self.anchored.append((source, words_needed, first))
                else:
                    scanned.append((source, words_needed or None))
            elif is_word_char(p[0]):
                self.literals.append(p)
            else:  # starts with punctuation: not a word run's place, so through re
                scanned.append((phrase_pattern(p, case_sensitive), None))
        # For each scanned pattern, the words its matches need (None: a regex, or not known).
        self.word_needs: list[Needs | None] = [None] * len(self.patterns)
        for source, need in scanned:
            self.patterns.append(source)
            self.word_needs.append(need)
        self.scanned = len(self.patterns)  # the anchored patterns come last
        self.patterns += [source for source, _, _ in self.anchored]
        # Word -> the anchored patterns a text needs it (or another word of its set) for: the
        # most telling of the sets each needs, the words it starts with being one of them.
        self.anchored_by_word: dict[str, list[int]] = {}
        for k, (_, needs, first) in enumerate(self.anchored):
            for word in _best((*needs, first)) or first:
                self.anchored_by_word.setdefault(word, []).append(k)
        self.anchor_words = frozenset(self.anchored_by_word)
        self.by_words = any(self.word_needs)
        self._subsets: dict[tuple[int, ...], tuple[re.Pattern[str] | None,
                                                  frozenset[str] | None]] = {}

    # What follows is built only when a text is first scanned: a run that lints one file
    # uses few of the lists it builds.

    @cached_property
    def trie(self) -> dict[str, Any]:
        """The literal phrases as a trie of their words; the key "" holds those ending there."""
        trie: dict[str, Any] = {}
        for p in self.literals:
            ph = _Phrase(p, self.case_sensitive)
            node = trie
            for key in ph.keys:
                node = node.setdefault(key, {})
            node.setdefault("", []).append(ph)
        return trie

    @cached_property
    def reach(self) -> re.Pattern[str]:
        """From where a literal phrase would start: as many words as the longest phrase has,
        and the separator after them (all a phrase starting there can match)."""
        longest = max((len(_RUN_SPLIT.split(p)) // 2 for p in self.literals), default=1)
        return re.compile(rf"(?:\W*\w+){{1,{longest}}}\W*")

    @cached_property
    def firsts(self) -> frozenset[str]:
        """The words the literal phrases start with."""
        return frozenset(self.trie)

    @cached_property
    def starts_with(self) -> list[frozenset[str] | None]:
        """The words one of which starts each match of a scanned pattern (None: not known)."""
        return [first_words(p) for p in self.patterns[:self.scanned]]

    @cached_property
    def needs(self) -> Callable[[str], bool] | None:
        """A test for the strings one of which a text needs for the scanned patterns that
        need no words (None: not known)."""
        others = [p for p, w in zip(self.patterns, self.word_needs, strict=False) if w is None]
        needs = needed_strings("|".join(f"(?:{p})" for p in others)) if others else None
        return None if needs is None else _any_of(needs)

    @cached_property
    def string_needs(self) -> list[Callable[[str], bool] | None]:
        """For each scanned pattern that needs no words, a test for the strings one of which
        a text needs for it (None: not known, or it needs words)."""
        tests: list[Callable[[str], bool] | None] = []
        for p, w in zip(self.patterns, self.word_needs, strict=False):
            needs = needed_strings(p) if w is None else None
            tests.append(None if needs is None else _any_of(needs))
        return tests

    @property
    def source(self) -> str:
        """The patterns as the source of one regex."""
        return "|".join(f"(?:{p})" for p in self.patterns)

    @cached_property
    def regex(self) -> re.Pattern[str] | None:
        """The patterns as one regex (None without patterns)."""
        if not self.patterns:
            return None
        return _regex(self.source, self.flags)

    def regex_for(self, runs: Runs) -> re.Pattern[str] | None:
        """A regex of the scanned patterns that can match in the text of `runs` (None: none
        can). Leaving out patterns that match nowhere in the text changes no match."""
        return self._scanned(runs)[0]

    def _scanned(self, runs: Runs) -> tuple[re.Pattern[str] | None, frozenset[str] | None]:
        """`regex_for`, and the words one of which starts each of its matches (None: not
        known), found once per text."""
        if not self.scanned:
            return None, None
        key = (self, "regex")
        found = runs.memo.get(key)
        if found is not None:
            return found
        # A pattern is left out where the text lacks what it needs: one of its words (a phrase
        # pattern), or one of its strings (a text with "offer" has the "off" one pattern
        # needs, not the "refund" the others need); first, one test for them all.
        low = runs.low
        needs = self.needs
        others = needs is None or low is None or needs(low)
        tests = self.string_needs
        words = runs.words if self.by_words else frozenset()
        keep = tuple(i for i, need in enumerate(self.word_needs)
                     if (others and (low is None or (test := tests[i]) is None or test(low))
                         if need is None else all(not ws.isdisjoint(words) for ws in need)))
        found = self._subsets.get(keep)
        if found is None:
            if len(self._subsets) > 256:
                self._subsets.clear()
            firsts = [self.starts_with[i] for i in keep]
            found = self._subsets[keep] = (
                (self.regex if len(keep) == len(self.patterns) else
                 _regex("|".join(f"(?:{self.patterns[i]})" for i in keep), self.flags))
                if keep else None,
                None if None in firsts else frozenset().union(*firsts))  # type: ignore[arg-type]
        runs.memo[key] = found
        return found

    def _regex_matches(self, runs: Runs, pos: int, stop: int) -> Iterator[re.Match[str]]:
        """The non-empty matches of `regex_for(runs)` in text[pos:stop], as its finditer gives
        them: where every match starts with one of known words, tried only where they start."""
        regex, firsts = self._scanned(runs)
        if regex is None:
            return
        text = runs.text
        if firsts is None:
            for m in regex.finditer(text, pos, stop):
                if m.end() > m.start():
                    yield m
            return
        words = firsts.intersection(runs.words)
        if not words:
            return
        starts, q = runs.starts, pos
        for i in runs.places(words, pos, stop):
            at = starts[i]
            if at >= q:
                found = regex.match(text, at, stop)
                if found is not None and found.end() > at:
                    yield found
                    q = found.end()

    def pattern_hits(self, runs: Runs, pos: int | None = None,
                     stop: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of the first anchored pattern that matches at each place in
        text[pos:stop] where one can: where one of the words it starts with starts, in a text
        that holds every word it needs."""
        words = runs.words
        telling = self.anchor_words.intersection(words)
        if not telling:
            return []
        pos, stop = _window(runs, pos, stop)
        by_word, anchored = self.anchored_by_word, self.anchored
        tries: dict[int, list[int]] = {}  # run index -> the patterns to try there
        for k in sorted({k for word in telling for k in by_word[word]}):
            _, needs, first = anchored[k]
            found = first.intersection(words)
            if found and all(not ws.isdisjoint(words) for ws in needs):
                for i in runs.places(found, pos, stop):
                    tries.setdefault(i, []).append(k)
        text, starts = runs.text, runs.starts
        hits = []
        for i in sorted(tries):
            at = starts[i]
            for k in tries[i]:  # ascending: each pattern added once per place, in order
                m = _regex(self.anchored[k][0], self.flags).match(text, at, stop)
                if m is not None and m.end() > at:
                    hits.append((at, m.end()))
                    break
        return hits

    def literal_hits(self, runs: Runs, pos: int | None = None,
                     stop: int | None = None) -> list[tuple[int, int]]:
        """(start, end) of the longest literal phrase at each place it matches in
        text[pos:stop]."""
        found = self.firsts.intersection(runs.words)
        if not found:
            return []
        pos, stop = _window(runs, pos, stop)
        text, keys, starts, ends, trie = runs.text, runs.keys, runs.starts, runs.ends, self.trie
        exact = self.case_sensitive
        n = len(keys)
        hits = []
        for i in runs.places(found, pos, stop):
            # Follow the trie along the words from here: every phrase ending on the way is a
            # candidate, checked for what lies between its words; the longest one wins.
            node = trie[keys[i]]
            best, j = -1, i
            while True:
                ending = node.get("")
                if ending is not None:
                    for ph in ending:
                        end = (ends[i] if ph.one_word and not exact
                               else ph.end(text, starts, ends, i, stop, exact))
                        if best < end <= stop:
                            best = end
                j += 1
                if j >= n:
                    break
                node = node.get(keys[j])
                if node is None:
                    break
            if best > 0:
                hits.append((starts[i], best))
        return hits

    def word_hits(self, runs: Runs, pos: int | None = None,
                  stop: int | None = None) -> list[tuple[int, int]]:
        """The anchored patterns' and the literal phrases' hits in text[pos:stop], by place:
        at one place a pattern wins over a phrase."""
        lits = self.literal_hits(runs, pos, stop)
        pats = self.pattern_hits(runs, pos, stop) if self.anchored else []
        if not pats:
            return lits
        if not lits:
            return pats
        taken = {start for start, _ in pats}
        return sorted(pats + [h for h in lits if h[0] not in taken])

    def scan(self, runs: Runs, pos: int | None = None,
             stop: int | None = None) -> Iterator[AnyMatch]:
        """The non-empty matches in text[pos:stop] of `runs` (its own bounds by default;
        `stop` must be one `runs.within` accepts)."""
        text = runs.text
        pos, stop = _window(runs, pos, stop)
        hits = self.word_hits(runs, pos, stop)
        if self._scanned(runs)[0] is None:
            last = -1
            for start, end in hits:
                if start >= last:
                    yield Match(text, start, end)
                    last = end
            return
        if not hits:
            yield from self._regex_matches(runs, pos, stop)
            return
        # Both: at each place the first pattern match wins over a phrase.
        found = self._regex_matches(runs, pos, stop)
        pm = next(found, None)
        k, q = 0, pos
        while True:
            while k < len(hits) and hits[k][0] < q:
                k += 1
            if pm is not None and pm.start() < q:  # overlaps a phrase taken: search anew
                found = self._regex_matches(runs, q, stop)
                pm = next(found, None)
            if pm is not None and (k == len(hits) or pm.start() <= hits[k][0]):
                yield pm
                q = pm.end()
                pm = next(found, None)
            elif k < len(hits):
                start, q = hits[k]
                yield Match(text, start, q)
            else:
                return

    def found(self, runs: Runs, pos: int | None = None, stop: int | None = None) -> bool:
        """Whether the regex alternation would find anything in text[pos:stop] (an empty
        pattern match too)."""
        pos, stop = _window(runs, pos, stop)
        if self.word_hits(runs, pos, stop):
            return True
        regex, firsts = self._scanned(runs)
        if regex is None or firsts is None:
            return regex is not None and regex.search(runs.text, pos, stop) is not None
        return next(self._regex_matches(runs, pos, stop), None) is not None

    # -- over strings, as re.Pattern ----------------------------------------------------------

    def finditer(self, text: str, pos: int = 0, endpos: int | None = None) -> Iterator[AnyMatch]:
        """The non-empty matches in `text[pos:endpos]`, as `re.Pattern.finditer` gives them."""
        return self.scan(Runs(text, pos, endpos))

    def search(self, text: str, pos: int = 0, endpos: int | None = None) -> AnyMatch | None:
        """The first match in `text[pos:endpos]`, as `re.Pattern.search` finds it, or None."""
        runs = Runs(text, pos, endpos)
        hits = self.word_hits(runs)
        m = next(self._regex_matches(runs, runs.pos, runs.stop), None)
        if m is not None and (not hits or m.start() <= hits[0][0]):
            return m
        return Match(text, *hits[0]) if hits else None

    def match(self, text: str, pos: int = 0, endpos: int | None = None) -> AnyMatch | None:
        """The match that starts at `pos`, as `re.Pattern.match` finds it, or None."""
        stop = len(text) if endpos is None else max(pos, min(endpos, len(text)))
        regex = self.regex
        if regex is not None:
            m = regex.match(text, pos, stop)
            if m is not None:
                return m
        if pos >= stop or not is_word_char(text[pos]) or (pos and is_word_char(text[pos - 1])):
            return None
        # Only the words a phrase starting at `pos` can span are read, not the rest of the text.
        reach = self.reach.match(text, pos, stop)
        hits = self.literal_hits(Runs(text, pos, reach.end() if reach else stop))
        return Match(text, *hits[0]) if hits and hits[0][0] == pos else None


def _window(runs: Runs, pos: int | None, stop: int | None) -> tuple[int, int]:
    return (runs.pos if pos is None else pos), (runs.stop if stop is None else stop)


@lru_cache(maxsize=1024)
def _regex(source: str, flags: int) -> re.Pattern[str]:
    return re.compile(source, flags)


@lru_cache(maxsize=512)
def compile_phrases(phrases: tuple[str, ...], patterns: tuple[str, ...],
                    case_sensitive: bool) -> Phrases:
    """The `Phrases` of a list, built once per process for the same list."""
    return Phrases(phrases, patterns, case_sensitive)


# -- a literal pre-filter for patterns -----------------------------------------------------------
#
# Scanning a text with a pattern costs far more than looking for a few strings in it, and most
# texts have none of the words a pattern needs. `needed_strings` reads a pattern (the common
# part of the syntax only: anything else and it answers "unknown") for the strings one of
# which every match contains.

_MAX_ALTS = 32  # strings per set: more and the pre-filter is not worth it
_OPAQUE: frozenset[str] = frozenset()  # an atom that matches unknown text
_ESCAPED_SETS = frozenset("dDwWsS")
_ZERO_WIDTH = frozenset("bBAZ")
# An item of a parsed sequence: ("lit", strings) one of which it matches, ("opaque", None),
# ("group", [sequences]) alternatives, ("repeat", (item, least)).
_Item = tuple[str, Any]


class _Unknown(Exception):
    """A part of the pattern syntax the pre-filter does not read."""


class _Reader:
    """Reads a pattern into sequences of `_Item`s."""

    def __init__(self, source: str) -> None:
        self.s = source
        self.i = 0

    def alternatives(self) -> list[list[_Item]]:
        alts = [self.sequence()]
        while self.i < len(self.s) and self.s[self.i] == "|":
            self.i += 1
            alts.append(self.sequence())
        return alts

    def sequence(self) -> list[_Item]:
        items: list[_Item] = []
        s = self.s
        while self.i < len(s) and s[self.i] not in "|)":
            item = self.atom()
            least = self.quantifier()
            if item is None:
                continue  # zero-width: an anchor or a look-around
            items.append(item if least is None else ("repeat", (item, least)))
        return items

    def atom(self) -> _Item | None:
        s = self.s
        ch = s[self.i]
        self.i += 1
        if ch == "(":
            return self.group()
        if ch == "[":
            return self.charset()
        if ch == "\\":
            return self.escape()
        if ch in "^$":
            return None
        if ch == ".":
            return ("opaque", None)
        if ch in "*+?{":
            raise _Unknown
        return self.literal(ch)

    def literal(self, ch: str) -> _Item:
        if not ch.isascii():
            return ("opaque", None)
        return ("lit", [ch.lower()])

    def group(self) -> _Item | None:
        s = self.s
        look = False
        if s.startswith("?", self.i):
            rest = s[self.i + 1:self.i + 4]
            if rest[:1] == ":":
                self.i += 2
            elif rest[:1] in ("=", "!") or rest[:2] in ("<=", "<!"):
                self.i += 2 if rest[:1] in ("=", "!") else 3
                look = True
            elif rest[:2] == "P<":
                end = s.find(">", self.i)
                if end < 0:
                    raise _Unknown
                self.i = end + 1
            else:  # scoped flags, "(?i:", "(?-i:"; anything else is not read
                j = self.i + 1
                while j < len(s) and s[j] in "aiLmsux-":
                    j += 1
                if j >= len(s) or s[j] != ":" or "x" in s[self.i:j]:
                    raise _Unknown
                self.i = j + 1
        alts = self.alternatives()
        if self.i >= len(s) or s[self.i] != ")":
            raise _Unknown
        self.i += 1
        return None if look else ("group", alts)

    def charset(self) -> _Item:
        s = self.s
        chars: list[str] = []
        plain = not s.startswith("^", self.i)
        j = self.i if plain else self.i + 1
        first = True
        while j < len(s) and (s[j] != "]" or first):
            first = False
            ch = s[j]
            if ch == "\\":
                j += 1
                if j >= len(s):
                    raise _Unknown
                ch = s[j]
                if ch.isalnum():
                    plain = False  # \d, \w, \n, ...
            elif ch == "-" and chars and j + 1 < len(s) and s[j + 1] != "]":
                plain = False  # a range
            chars.append(ch)
            j += 1
        if j >= len(s):
            raise _Unknown
        self.i = j + 1
        if not plain or len(chars) > 8 or not all(c.isascii() for c in chars):
            return ("opaque", None)
        return ("lit", sorted({c.lower() for c in chars}))

    def escape(self) -> _Item | None:
        s = self.s
        if self.i >= len(s):
            raise _Unknown
        ch = s[self.i]
        self.i += 1
        if ch in _ZERO_WIDTH:
            return None
        if ch in _ESCAPED_SETS:
            return ("opaque", None)
        if ch.isalnum():
            raise _Unknown  # \n, \x41, \1, ...: not read
        return self.literal(ch)

    def quantifier(self) -> int | None:
        """The least count of a quantifier after an atom (None: no quantifier)."""
        s = self.s
        if self.i >= len(s):
            return None
        ch = s[self.i]
        if ch in "?*+":
            least = 1 if ch == "+" else 0
            self.i += 1
        elif ch == "{":
            end = s.find("}", self.i)
            body = s[self.i + 1:end] if end > 0 else ""
            low = body.split(",")[0]
            if not body or body.count(",") > 1 or not (low.isdigit() or low == "") or not all(
                    p.isdigit() or p == "" for p in body.split(",")):
                raise _Unknown  # a literal "{" is not read
            least = int(low or 0)
            self.i = end + 1
        else:
            return None
        if self.i < len(s) and s[self.i] in "?+":
            self.i += 1  # lazy or possessive
        return least


def _strings(item: _Item) -> list[str] | None:
    """The strings an item matches, when it is a small set of literals."""
    kind, value = item
    if kind == "lit":
        return list(value)
    if kind == "group":
        out: list[str] = []
        for alt in value:
            found = _sequence_strings(alt)
            if found is None or len(out) + len(found) > _MAX_ALTS:
                return None
            out += found
        return out
    return None


def _sequence_strings(items: list[_Item]) -> list[str] | None:
    out = [""]
    for item in items:
        found = _strings(item)
        if found is None or len(out) * len(found) > _MAX_ALTS:
            return None
        out = [a + b for a in out for b in found]
    return out


def _needed(items: list[_Item]) -> frozenset[str] | None:
    """Strings one of which every match of a sequence contains: the best of its runs of
    literals and of its required parts (the longest shortest string wins)."""
    best: frozenset[str] | None = None

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = [""]
    for item in items:
        found = _strings(item)
        if found is not None and len(run) * len(found) <= _MAX_ALTS:
            run = [a + b for a in run for b in found]
            continue
        consider(frozenset(run))
        run = [""]
        kind, value = item
        if kind == "group":
            alts = [_needed(alt) for alt in value]
            if all(alts):
                consider(frozenset().union(*alts))  # type: ignore[arg-type]
        elif kind == "repeat" and value[1] >= 1:
            inner = value[0]
            consider(frozenset(_strings(inner) or ()) if inner[0] != "group"
                     else _needed([inner]))
    consider(frozenset(run))
    return best


# Characters from the most to the least common in English text (any other is rarer still).
_COMMON_CHARS = " etaoinsrhldcumfpgwybvkxjqz"


def _rarity(ch: str) -> int:
    found = _COMMON_CHARS.find(ch)
    return len(_COMMON_CHARS) if found < 0 else found


def _any_of(strings: Iterable[str]) -> Callable[[str], bool]:
    """A test whether a text has one of `strings` in it, like `any(s in text for s in
    strings)` but faster: a string is looked for only when its least common character is in
    the text (finding one character takes a fraction of the time of finding a string)."""
    groups: dict[str, list[str]] = {}
    for string in strings:
        groups.setdefault(max(string, key=_rarity), []).append(string)
    by_char = tuple(groups.items())

    def test(text: str) -> bool:
        return any(ch in text and any(s in text for s in group) for ch, group in by_char)

    return test


# A regex that opens with a word break (after look-behinds), then a word or a group of
# alternatives that each start with a word; after each word, no word character.
_OPENING_BREAK = re.compile(r"(?:\(\?<[!=](?:[^()\\]|\\.)*\))*(?:\\b|\(\?<!\\w\))")
_OPENING_WORDS = re.compile(r"([A-Za-z]+)|\(\?:([^()]*)\)")
_ALTERNATIVE = re.compile(r"([A-Za-z]+)(?:$|\\[sb]|\\?-|['’]|\[['’]+\])")
_AFTER_WORD = re.compile(r"\\[sb]|\(\?!\\w\)|\\?-|$")


def first_words(pattern: str) -> frozenset[str] | None:
    """The words (folded) one of which starts every match of regex `pattern`, a whole word at
    the match's start: known when it opens with a word break and a word, or a group of
    alternatives that start with words, that no word character follows
    (`\\b(?:we|I)\\s+...`, `\\b(?:you\\s+will|you'll)`), and has no `|` outside a group."""
    lead = _OPENING_BREAK.match(pattern)
    opening = _OPENING_WORDS.match(pattern, lead.end()) if lead else None
    if opening is None or pattern[opening.end():opening.end() + 1] in ("?", "*", "{", "+") or (
            _bar_outside(pattern)):
        return None
    after = (_AFTER_WORD.match(pattern, opening.end()) is not None
             or _breaks_after(pattern, opening.end()))
    if opening.group(1):
        return frozenset([fold(opening.group(1))]) if after else None
    words = []
    for alt in opening.group(2).split("|"):
        word = _ALTERNATIVE.match(alt)
        if word is None or (word.end() == len(alt) and not after):
            return None
        words.append(fold(word.group(1)))
    return frozenset(words)


# What every alternative of a group that follows a word must open with for the word to end
# there: whitespace, a word break or an apostrophe (`\byou(?:\s+are|['’]re)`).
_BREAK_OPENING = re.compile(r"\\[sb]|['’]|\[['’]+\]")


def _breaks_after(pattern: str, at: int) -> bool:
    """Whether a group that no word character can open follows at `at` (not optional, and
    without groups inside)."""
    if not pattern.startswith("(?:", at):
        return False
    close = pattern.find(")", at)
    inner = pattern[at + 3:close]
    if close < 0 or "(" in inner or "\\" + ")" in pattern[at:close + 1] or (
            inner.count("[") != inner.count("]")) or (
            pattern[close + 1:close + 2] in ("?", "*", "{", "+")):
        return False
    return all(_BREAK_OPENING.match(alt) for alt in inner.split("|"))


def _bar_outside(pattern: str) -> bool:
    """Whether `pattern` has a `|` outside every group (or syntax the pre-filter's reader
    does not read)."""
    try:
        reader = _Reader(pattern)
        return len(reader.alternatives()) > 1 or reader.i != len(pattern)
    except _Unknown:
        return True


def needed_strings(pattern: str) -> frozenset[str] | None:
    """Lower-case strings one of which every match of `pattern` contains, matched with or
    without re.IGNORECASE (None: unknown, or too short to be worth testing)."""
    try:
        reader = _Reader(pattern)
        alts = reader.alternatives()
        if reader.i != len(pattern):
            raise _Unknown
    except _Unknown:
        return None
    found = [_needed(alt) for alt in alts]
    if not all(found):
        return None
    result: frozenset[str] = frozenset().union(*found)  # type: ignore[arg-type]
    return result if min(map(len, result)) >= 2 else None
