"""Generic check types fed by data (phrase lists, substitutions, thresholds) from the guide.

Most rules are one of these with their phrase lists in `styleguide/*.toml`; each list is
compiled once, into one regular expression, when a `Reviewer` is built.
"""

from __future__ import annotations

import marshal
import re
import sys
import zlib
from bisect import bisect_left
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache
from itertools import compress
from typing import Any, cast

from drafter import cache
from drafter.cache import regex as cached_regex
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit
from drafter.review.text import TOKEN_RE, WORD_RE, Doc

# Words that turn a phrase around when they come just before it ("not a problem",
# "I can't guarantee"). Grammar, not style, so it lives here rather than in the guide.
NEGATIONS = frozenset(
    ["not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "didn't", "isn't",
     "aren't", "wasn't", "weren't", "without", "nothing", "neither", "nor", "hardly", "barely",
     "shouldn't", "wouldn't", "couldn't"]
)
_CLAUSE_BREAK_RE = cached_regex(r"[.!?;:\n,]")


class SettingError(Exception):
    """A rule setting has the wrong type; the reviewer turns it into a ConfigError."""

    def __init__(self, key: str, expected: str, value: Any) -> None:
        super().__init__(f"`{key}` must be {expected}, got {value!r}")
        self.key = key
        self.expected = expected
        self.value = value


def get_list(settings: Mapping[str, Any], key: str) -> list[str]:
    """Return setting `key` as a list of strings (empty when absent)."""
    value = settings.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise SettingError(key, "a list of strings", value)
    return value


def get_map(settings: Mapping[str, Any], key: str) -> dict[str, str]:
    """Return setting `key` as a table of strings (empty when absent)."""
    value = settings.get(key, {})
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise SettingError(key, "a table of strings", value)
    return dict(value)


def get_num(settings: Mapping[str, Any], key: str, default: float) -> float:
    """Return setting `key` as a number."""
    value = settings.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise SettingError(key, "a number", value)
    return value


def get_str(settings: Mapping[str, Any], key: str, default: str) -> str:
    """Return setting `key` as a string."""
    value = settings.get(key, default)
    if not isinstance(value, str):
        raise SettingError(key, "a string", value)
    return value


def _atoms(phrase: str, case_sensitive: bool) -> list[str]:
    """Split a literal phrase into regex atoms: flexible spaces and apostrophes."""
    atoms: list[str] = []
    for ch in phrase.strip():
        if ch.isspace():
            if not atoms or atoms[-1] != r"\s+":
                atoms.append(r"\s+")
        elif ch in "'’":
            atoms.append("['’]")
        else:
            atoms.append(re.escape(ch if case_sensitive else ch.lower()))
    return atoms


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "_"


def phrase_source(phrase: str, case_sensitive: bool = False) -> str:
    """Turn a literal phrase into a regex: flexible spaces and apostrophes, word edges."""
    body = "".join(_atoms(phrase, case_sensitive))
    left = r"(?<!\w)" if _is_word_char(phrase.strip()[:1]) else ""
    right = r"(?!\w)" if _is_word_char(phrase.strip()[-1:]) else ""
    return left + body + right


_END = ""  # trie key marking the end of a phrase
_EDGE = r"(?!\w)"


def _trie_source(phrases: list[str], case_sensitive: bool) -> str:
    """One regex for many phrases, as a trie: shared prefixes once, longest match first."""
    root: dict[str, Any] = {}
    for phrase in phrases:
        node = root
        atoms = _atoms(phrase, case_sensitive)
        if _is_word_char(phrase.strip()[-1:]):
            atoms.append(_EDGE)
        for atom in atoms:
            node = node.setdefault(atom, {})
        node[_END] = {}

    def emit(node: dict[str, Any]) -> str:
        # The word-edge check goes last: "sorry for" must win over "sorry" at the same place.
        atoms = sorted((a for a in node if a != _END), key=lambda a: a == _EDGE)
        alts = [atom + emit(node[atom]) for atom in atoms]
        if not alts:
            return ""
        if len(alts) == 1 and _END not in node:
            return alts[0]
        body = "(?:" + "|".join(alts) + ")"
        return body + "?" if _END in node else body

    return emit(root)


def literal_source(phrases: Iterable[str], case_sensitive: bool = False) -> str:
    """The regex source matching any of the literal `phrases` (empty string for none)."""
    lits = sorted({p.strip() for p in phrases if p.strip()})
    version = _code_version()
    key = (version, tuple(lits), case_sensitive)
    found = cache.lookup("literal-source", key) if version is not None else None
    if type(found) is str:
        return found
    source = _literal_source(lits, case_sensitive)
    if version is not None:
        cache.store("literal-source", key, source)
    return source


def _literal_source(lits: list[str], case_sensitive: bool) -> str:
    worded = [p for p in lits if _is_word_char(p[:1])]
    other = [p for p in lits if not _is_word_char(p[:1])]
    parts = []
    if worded:
        parts.append(r"(?<!\w)" + _trie_source(worded, case_sensitive))
    if other:
        parts.append(_trie_source(other, case_sensitive))
    return "|".join(f"(?:{p})" for p in parts)


def _join(sources: Iterable[str]) -> str:
    return "|".join(f"(?:{s})" for s in sources if s)


class LazyPattern:
    """A regex compiled when first used: most phrase lists are not needed for a short text.

    It answers the `re.Pattern` methods the rules use (search, match, fullmatch, finditer,
    findall) and `pattern` / `flags`.
    """

    __slots__ = ("_flags", "_regex", "_source", "_twin")

    def __init__(self, source: Callable[[], str], flags: int) -> None:
        self._source: Callable[[], str] | str = source
        self._flags = flags
        self._regex: re.Pattern[str] | None = None
        self._twin: re.Pattern[str] | None = None

    @property
    def regex(self) -> re.Pattern[str]:
        """The compiled regex."""
        if self._regex is None:
            self._regex = cached_regex(self.pattern, self._flags)
        return self._regex

    @property
    def twin(self) -> re.Pattern[str]:
        """The regex for plain ASCII text (`Doc.plain_ascii`): its faster ASCII twin if it has
        one (see `cache.ascii_twin`), else the regex itself."""
        if self._twin is None:
            self._twin = cache.ascii_twin(self.pattern, self._flags) or self.regex
        return self._twin

    @property
    def pattern(self) -> str:
        """The regex source."""
        if not isinstance(self._source, str):
            self._source = self._source()
        return self._source

    @property
    def flags(self) -> int:
        """The flags, as the compiled regex has them."""
        return self._flags | re.UNICODE

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """`re.Pattern.search`."""
        return self.regex.search(string, pos, endpos)

    def match(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> re.Match[str] | None:
        """`re.Pattern.match`."""
        return self.regex.match(string, pos, endpos)

    def fullmatch(self, string: str, pos: int = 0,
                  endpos: int = sys.maxsize) -> re.Match[str] | None:
        """`re.Pattern.fullmatch`."""
        return self.regex.fullmatch(string, pos, endpos)

    def finditer(self, string: str, pos: int = 0,
                 endpos: int = sys.maxsize) -> Iterator[re.Match[str]]:
        """`re.Pattern.finditer`."""
        return self.regex.finditer(string, pos, endpos)

    def findall(self, string: str, pos: int = 0, endpos: int = sys.maxsize) -> list[Any]:
        """`re.Pattern.findall`."""
        return self.regex.findall(string, pos, endpos)


@lru_cache(maxsize=512)
def _check_patterns(pats: tuple[str, ...], flags: int, key: str) -> None:
    """Compile the `patterns` setting now, naming a broken one (phrases compile when used)."""
    try:
        cached_regex(_join(pats), flags)
    except re.error:
        for p in pats:  # name the broken pattern (compiling one by one only on failure)
            try:
                re.compile(p)
            except re.error as exc:
                raise SettingError(key, f"valid regular expressions ({exc})", p) from None
        raise


def _lazy_patterns() -> Iterator[LazyPattern]:
    """Every phrase regex made so far, with its parts."""
    for regex in _PHRASES.values():
        yield regex
        fast = _FAST.get(regex)
        if fast is not None:
            lit, _, rest, by_word = fast
            yield lit
            if rest is not None:
                yield rest
            if by_word is not None:
                yield from by_word.values()


def regexes_cached() -> bool:
    """Whether the cache holds every phrase regex and its ASCII twin (by its index: nothing
    is read or compiled), so that workers get the ones they need from it cheaply."""
    key = _phrases_key()
    if cache.lookup("regexes-cached", key) is True:
        return True  # a run with these phrase lists found them all (one lookup, not ~900)
    for lazy in _lazy_patterns():
        if lazy._regex is None and not cache.holds_regex(lazy.pattern, lazy._flags):
            return False
        if lazy._twin is None and not cache.holds_twin(lazy.pattern, lazy._flags):
            return False
    cache.store("regexes-cached", key, True)
    return True


def _phrases_key() -> tuple[Any, ...]:
    """What every phrase regex made so far is made of, and by which code: a cache key."""
    lists = marshal.dumps(sorted(_PHRASES), 2)
    return (_code_version(), cache.CODE_VERSION, zlib.crc32(lists), len(lists))


def compile_all_for_cache() -> None:
    """Compile (and so cache) every phrase regex and its ASCII twin, if the cache can be
    written: after a run whose workers compiled their own (which they do not keep)."""
    if cache.writable():
        for lazy in _lazy_patterns():
            lazy.regex  # noqa: B018 - compiles it
            lazy.twin  # noqa: B018
        cache.store("regexes-cached", _phrases_key(), True)


def _trie_thunk(phrases: list[str], case_sensitive: bool) -> Callable[[], str]:
    return lambda: _join((literal_source(phrases, case_sensitive),))


# (phrases, patterns, case-sensitive) -> its regex, so a list compiles once per process.
_PHRASES: dict[tuple[tuple[str, ...], tuple[str, ...], bool], LazyPattern] = {}


def compile_phrases(
    phrases: Iterable[str] = (), patterns: Iterable[str] = (), case_sensitive: bool = False,
    key: str = "patterns",
) -> re.Pattern[str] | None:
    """Compile literal `phrases` and regex `patterns` into one regex (longest phrase first).

    The regex (a `LazyPattern`) compiles on first use; bad `patterns` raise SettingError now.
    """
    lits = tuple(sorted({p.strip() for p in phrases if p.strip()}))
    pats = []
    for p in patterns:
        # A leading global flag group, "(?m)x", becomes a scoped one so patterns can be joined.
        g = _GLOBAL_FLAGS_RE.match(p)
        pats.append(f"(?{g.group(1)}:{p[g.end():]})" if g else p)
    if not lits and not pats:
        return None
    flags = 0 if case_sensitive else re.IGNORECASE
    if pats:
        _check_patterns(tuple(pats), flags, key)
    ck = (lits, tuple(pats), case_sensitive)
    regex = _PHRASES.get(ck)
    if regex is None:
        # Patterns first: usually the longer, more specific forms.
        regex = _PHRASES[ck] = LazyPattern(
            lambda: _join((*pats, literal_source(lits, case_sensitive))), flags)
        worded = [p for p in lits if p[:1].isalnum()]
        if worded:
            # Fast path: literal phrases are looked up by their first word in the text's word
            # index, instead of scanning every character; only the rest is scanned.
            others = [p for p in lits if not p[:1].isalnum()]
            rest = LazyPattern(lambda: _join((*pats, literal_source(others, case_sensitive))),
                               flags) if pats or others else None
            lit = LazyPattern(lambda: _join((literal_source(worded, case_sensitive),)), flags)
            groups: dict[str, list[str]] = {}
            for p in worded:
                groups.setdefault(first_token(p), []).append(p)
            by_word = None
            if all(p.replace("’", "'").isascii() for p in worded):
                # One small regex per first word: a text compiles only the words it has. (The
                # longest phrase matching at a place wins, as in the one regex: with ASCII
                # phrases no two branches of the trie can match the same character.)
                by_word = {w: LazyPattern(_trie_thunk(ps, case_sensitive), flags)
                           for w, ps in groups.items()}
                _register_words(regex, worded)
            _FAST[regex] = (lit, frozenset(groups), rest, by_word)
    return cast("re.Pattern[str]", regex)


# Characters that match an ASCII letter under re.IGNORECASE, or lower-case to one, without
# being ASCII themselves: a text with one of them gets no literal pre-filter (see `could_match`).
_FOLDS_TO_ASCII = frozenset("\u0130\u0131\u017f\u212a")
_REPEATS = ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT")


def _literals(item: Any, limit: int = 32) -> list[str] | None:
    """The strings a parsed regex node matches, when it is a small set of ASCII literals."""
    op, av = item
    name = str(op)
    if name == "LITERAL":
        return [chr(av)] if av < 128 else None
    if name == "IN":
        if len(av) <= 8 and all(str(o) == "LITERAL" and a < 128 for o, a in av):
            return [chr(a) for _, a in av]
        return None
    if name == "SUBPATTERN":
        return _sequence_literals(av[-1], limit)
    if name == "BRANCH":
        out: list[str] = []
        for alt in av[1]:
            found = _sequence_literals(alt, limit)
            if found is None or len(out) + len(found) > limit:
                return None
            out += found
        return out
    return None


def _sequence_literals(items: Any, limit: int) -> list[str] | None:
    out = [""]
    for item in items:
        found = _literals(item, limit)
        if found is None or len(out) * len(found) > limit:
            return None
        out = [a + b for a in out for b in found]
    return out


def _required(items: Any) -> frozenset[str] | None:
    """Literal strings one of which every match of a parsed regex (sequence) contains, if known.

    Runs of ASCII literals count (small character sets and alternations multiply them out);
    anything else ends a run. Unknown: None.
    """
    best: frozenset[str] | None = None

    def consider(found: frozenset[str] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = [""]
    for item in items:
        found = _literals(item)
        if found is not None and len(run) * len(found) <= 32:
            run = [a + b for a in run for b in found]
            continue
        consider(frozenset(r.lower() for r in run))
        run = [""]
        op, av = item
        name = str(op)
        if name == "SUBPATTERN":
            consider(_required(av[-1]))
        elif name == "ATOMIC_GROUP":
            consider(_required(av))
        elif name in _REPEATS and av[0] >= 1:
            consider(_required(av[2]))
        elif name == "BRANCH":
            alts = [_required(b) for b in av[1]]
            if all(alts):
                consider(frozenset().union(*alts))  # type: ignore[arg-type]
    consider(frozenset(r.lower() for r in run))
    return best


def required_words(regex: re.Pattern[str] | LazyPattern) -> frozenset[str] | None:
    """Lower-case ASCII words one of which appears in every match of `regex` (None: unknown)."""
    version = _code_version()
    # Cached on disk by the pattern and this file's code: parsing a regex is slow.
    key = (version, regex.pattern, int(regex.flags))
    cached = cache.lookup("required-words", key) if version is not None else None
    if type(cached) is tuple:
        return frozenset(cached) if cached else None
    try:
        from re import _parser  # type: ignore[attr-defined]

        found = _required(_parser.parse(regex.pattern, regex.flags))
    except Exception:  # a pre-filter only: without one, the regex just runs
        found = None
    result = found if found and min(map(len, found)) >= 2 else None
    if version is not None:
        cache.store("required-words", key, tuple(sorted(result)) if result else ())
    return result


_CODE_VERSION: int | None = -1  # this file's fingerprint, read on first use


def _code_version() -> int | None:
    """This file's fingerprint: it keys what its code works out and the cache keeps (regex
    sources, required words), so that changed code works them out anew."""
    global _CODE_VERSION
    if _CODE_VERSION == -1:
        _CODE_VERSION = cache.source_version(__file__)
    return _CODE_VERSION


_REQUIRED: dict[Any, frozenset[str] | None] = {}


def could_match(regex: re.Pattern[str] | LazyPattern, doc: Doc, view: str) -> bool:
    """False only when `regex` cannot match anywhere in the view (a cheap literal test)."""
    known: dict[tuple[Any, str], bool] = doc.__dict__.setdefault("_could_match", {})
    found = known.get((regex, view))
    if found is not None:
        return found
    words = _REQUIRED.get(regex, ())
    if words == ():
        words = _REQUIRED[regex] = required_words(regex)
    if words is None:
        found = True
    else:
        low = lowered(doc, view)
        found = low is None or any(w in low for w in words)
    known[(regex, view)] = found
    return found


def lowered(doc: Doc, view: str) -> str | None:
    """The view lower-cased, for substring tests (None: it has letters that fold to ASCII)."""
    cache: dict[str, str | None] = doc.__dict__.setdefault("_lowered", {})
    if view not in cache:
        text = view_of(doc, view)
        cache[view] = None if not text.isascii() and not _FOLDS_TO_ASCII.isdisjoint(text) \
            else text.lower()
    return cache[view]


_NEVER_EMPTY: dict[Any, bool] = {}


def _never_empty(regex: re.Pattern[str]) -> bool:
    """Whether every match of a phrase regex is at least one character long."""
    found = _NEVER_EMPTY.get(regex)
    if found is None:
        rest = _FAST[regex][2]
        try:
            from re import _parser  # type: ignore[attr-defined]

            found = rest is None or _parser.parse(rest.pattern, rest.flags).getwidth()[0] > 0
        except Exception:  # unknown: take the plain search
            found = False
        _NEVER_EMPTY[regex] = found
    return found


# compiled phrase regex -> (its word-initial literal phrases, their first words, the rest)
_FAST: dict[Any, tuple[LazyPattern, frozenset[str], LazyPattern | None,
                       dict[str, LazyPattern] | None]] = {}


# Every fast-path phrase of every phrase regex, as a trie of its words: one walk over a text's
# words finds, for all regexes at once, the places where all the words of one of their phrases
# follow each other. Only there can a phrase match, so only there its regex is tried.
# Node: word -> child node; the key "" holds the ids of the regexes with a phrase ending there.
_WORD_TRIE: dict[str, Any] = {}
_TRIE_IDS: dict[Any, int] = {}  # phrase regex -> its id in the trie
_OWN_TRIES: list[dict[str, Any]] = []  # by id: a trie of that regex's phrases alone


def _register_words(regex: Any, phrases: Iterable[str]) -> None:
    """Add the words of `regex`'s phrases (ASCII, starting with a letter or digit) to the trie."""
    rid = _TRIE_IDS[regex] = len(_TRIE_IDS)
    own: dict[str, Any] = {}
    _OWN_TRIES.append(own)
    for phrase in phrases:
        words = TOKEN_RE.findall(phrase.replace("’", "'").lower())
        for root in (_WORD_TRIE, own):
            node = root
            for word in words:
                node = node.setdefault(word, {})
            ends = node.setdefault(_END, [])
            if rid not in ends:
                ends.append(rid)


def phrase_places(doc: Doc, view: str, rid: int | None = None
                  ) -> dict[int, list[tuple[int, str]]] | None:
    """Where phrases of the trie may match in a view: regex id -> [(offset, first word)].

    Offsets ascend. None when the view has letters that fold to ASCII (İ, ı, ſ, Kelvin
    sign), which the words would not show; the word index handles those texts. A view other
    than the prose (which nearly every rule reads) is walked for the regex `rid` alone.
    """
    cache: dict[Any, tuple[int, Any]] = doc.__dict__.setdefault("_places", {})
    key = view if view == "prose" or rid is None else (view, rid)
    found = cache.get(key)
    if found is not None and found[0] == len(_TRIE_IDS):
        return found[1]
    tokens = doc.tokens(view)
    if key != view and tokens is doc.tokens("prose"):
        return phrase_places(doc, "prose")  # the same text as the prose: its places
    # Views with nothing blanked between them share their tokens, and so their places.
    shared = (id(tokens), None if key == view else rid)
    found = cache.get(shared)
    if found is None or found[0] != len(_TRIE_IDS):
        root = _WORD_TRIE if key == view else _OWN_TRIES[rid]  # type: ignore[index]
        found = cache[shared] = (
            len(_TRIE_IDS), None if tokens is None else _walk(*tokens, root=root))
    cache[key] = found
    return found[1]


def _walk(starts: list[int], words: list[str], apostrophes: bool, root: dict[str, Any]
          ) -> dict[int, list[tuple[int, str]]]:
    """Walk the trie `root` from each word of a text (see `phrase_places`).

    `apostrophes`: whether any word has one (they are walked by `_walk_apostrophes`).
    """
    out: dict[int, list[tuple[int, str]]] = {}
    n = len(words)
    # The words a phrase starts with, picked out in C; about half of a text's words.
    todo: Iterable[int] = compress(range(n), map(root.__contains__, words))
    if apostrophes:
        todo = sorted({*todo, *_with_apostrophes(words)})
    for i in todo:
        word = words[i]
        if apostrophes and "'" in word:
            _walk_apostrophes(i, starts, words, out, root)
            continue
        node = root[word]
        at = starts[i]
        j = i + 1
        while True:
            ends = node.get(_END)
            if ends is not None:
                for rid in ends:
                    places = out.get(rid)
                    if places is None:
                        out[rid] = [(at, word)]
                    elif places[-1][0] != at:
                        places.append((at, word))
            if j >= n:
                break
            nxt = words[j]
            if apostrophes and "'" in nxt:
                _follow(node, words, j, n, at, word, out)
                break
            node = node.get(nxt)
            if node is None:
                break
            j += 1
    return out


def _with_apostrophes(words: list[str]) -> set[int]:
    """The indices of the words that have an apostrophe (found in one string: a few words)."""
    joined = "\0".join(words)
    found = set()
    at = joined.find("'")
    while at != -1:
        found.add(joined.count("\0", 0, at))
        at = joined.find("'", at + 1)
    return found


def _walk_apostrophes(i: int, starts: list[int], words: list[str],
                      out: dict[int, list[tuple[int, str]]], root: dict[str, Any]) -> None:
    # An apostrophe is not a word character to the phrase regexes: "o'sorry" holds "o",
    # "sorry" and "o'sorry". A phrase may start after any apostrophe of a word and end before
    # any; it goes on into the next word only from the word's end.
    parts = words[i].split("'")
    at = starts[i]
    for a in range(len(parts)):
        for b in range(a + 1, len(parts) + 1):
            first = "'".join(parts[a:b])
            node = root.get(first)
            if node is None:
                continue
            if b == len(parts):
                _follow(node, words, i + 1, len(words), at, first, out)
            elif _END in node:
                _record(node[_END], at, first, out)
        at += len(parts[a]) + 1


def _record(ends: list[int], at: int, first: str, out: dict[int, list[tuple[int, str]]]) -> None:
    for rid in ends:
        places = out.get(rid)
        if places is None:
            out[rid] = [(at, first)]
        elif places[-1] != (at, first):
            places.append((at, first))


def _follow(node: dict[str, Any], words: list[str], j: int, n: int, at: int, first: str,
            out: dict[int, list[tuple[int, str]]]) -> None:
    """Go on from `node` with words[j:], recording every phrase end as a place `at`."""
    while True:
        ends = node.get(_END)
        if ends is not None:
            _record(ends, at, first, out)
        if j >= n:
            return
        word = words[j]
        if "'" in word:
            # The phrase may end before an apostrophe of this word ("sorry" in "sorry's").
            parts = word.split("'")
            for b in range(1, len(parts)):
                child = node.get("'".join(parts[:b]))
                if child is not None and _END in child:
                    _record(child[_END], at, first, out)
        child = node.get(word)
        if child is None:
            return
        node = child
        j += 1


def first_token(phrase: str) -> str:
    """The first word of a phrase, as `Doc.word_set` spells words."""
    m = TOKEN_RE.search(phrase.replace("’", "'"))
    return m.group().lower() if m else ""


_GLOBAL_FLAGS_RE = cached_regex(r"\(\?([imsx]+)\)")


def negated(prose: str, start: int, window: int = 3) -> bool:
    """Return whether one of the `window` words before `start` (same clause) negates it."""
    head = prose[max(0, start - 60):start]
    breaks = [m.end() for m in _CLAUSE_BREAK_RE.finditer(head)]
    if breaks:
        head = head[breaks[-1]:]
    words = [w.lower().replace("’", "'") for w in WORD_RE.findall(head)][-window:]
    return any(w in NEGATIONS or w.endswith("n't") for w in words)


def region_bounds(doc: Doc, region: str) -> tuple[int, int] | None:
    """Return the span a check looks at: all, body, opening (first sentences) or closing."""
    if region == "all":
        return 0, len(doc.text)
    if region == "body":
        return doc.body
    if region == "opening":
        return doc.opening(2)
    if region == "closing":
        sents = doc.sentences[-2:]
        return (sents[0][0], sents[-1][1]) if sents else None
    raise ValueError(region)


def view_of(doc: Doc, view: str) -> str:
    """Return the text view a check reads: prose (default), nocode or text."""
    return doc.prose if view == "prose" else doc.nocode if view == "nocode" else doc.text


def quote(text: str, limit: int = 60) -> str:
    """Quote matched text for a message, shortened and on one line."""
    one = " ".join(text.split())
    return f"“{one}”" if len(one) <= limit else f"“{one[: limit - 1]}…”"


def match_case(replacement: str, original: str) -> str:
    """Give `replacement` the capitalisation of `original` (UPPER, Title or as is)."""
    if original.isupper() and len(original) > 1:
        return replacement.upper()
    if original[:1].isupper() and not replacement[:1].isupper():
        return replacement[:1].upper() + replacement[1:]
    return replacement


def finditer(
    doc: Doc, regex: re.Pattern[str] | None, view: str = "prose", region: str = "all"
) -> Iterator[re.Match[str]]:
    """Return the matches of `regex` in the chosen view and region of `doc`, in order."""
    if regex is None:
        return _NO_MATCHES
    bounds = region_bounds(doc, region)
    if bounds is None:
        return _NO_MATCHES
    fast = _FAST.get(regex)
    if fast is not None and fast[2] is None and fast[3] is not None:
        # Literal phrases only, found by the word trie: most texts have none of them, and
        # then nothing can match (unless the region ends inside a word: see finditer_span).
        rid = _TRIE_IDS[regex]
        places = phrase_places(doc, view, rid)
        if places is not None and rid not in places:
            text = view_of(doc, view)
            b1 = bounds[1]
            if not (0 < b1 < len(text) and not text[b1 - 1].isspace()
                    and not text[b1].isspace()):
                return _NO_MATCHES
    return finditer_span(doc, regex, view, *bounds)


_NO_MATCHES: Iterator[Any] = iter(())


def search(doc: Doc, regex: re.Pattern[str], start: int, end: int, view: str = "prose") -> bool:
    """Whether `regex.search(view, start, end)` finds something (faster, by the word index)."""
    fast = _FAST.get(regex)
    if fast is None or not _never_empty(regex):
        return regex.search(view_of(doc, view), start, end) is not None
    text = view_of(doc, view)
    rest, by_word = fast[2], fast[3]
    rid = _TRIE_IDS.get(regex, -1)
    places = phrase_places(doc, view, rid) if by_word is not None else None
    if places is None or (0 < end < len(text) and not text[end - 1].isspace()
                          and not text[end].isspace()):
        return next(finditer_span(doc, regex, view, start, end), None) is not None
    # Whether something matches, not what: any literal phrase at one of its places will do,
    # and only without one are the patterns searched.
    plain = doc.plain_ascii
    cands = places.get(rid, ())
    for p, w in cands[bisect_left(cands, (start,)):bisect_left(cands, (end,))]:
        lazy = by_word[w]  # type: ignore[index]
        if (lazy.twin if plain else lazy.regex).match(text, p, end):
            return True  # a phrase is never empty
    return rest is not None and could_match(rest, doc, view) and (
        rest.twin if plain else rest.regex).search(text, start, end) is not None


def finditer_span(doc: Doc, regex: re.Pattern[str], view: str, b0: int,
                  b1: int) -> Iterator[re.Match[str]]:
    """Yield the non-empty matches of `regex.finditer(view, b0, b1)` (by the word index)."""
    text = view_of(doc, view)
    fast = _FAST.get(regex)
    if 0 < b1 < len(text) and not text[b1 - 1].isspace() and not text[b1].isspace():
        # The span ends inside a word: the regex sees a shorter word there than the index.
        fast = None
    plain = doc.plain_ascii
    if fast is None:
        if not could_match(regex, doc, view):
            return
        if plain and type(regex) is LazyPattern:
            regex = regex.twin
        for m in regex.finditer(text, b0, b1):
            if m.end() > m.start():
                yield m
        return
    lit, first, rest, by_word = fast
    scan_rest = rest is not None and could_match(rest, doc, view)
    found: list[tuple[int, int, re.Match[str]]] = []
    best: re.Match[str] | None
    last = -1
    if by_word is None:
        index = doc.word_index(view)
        starts = sorted(p for w in first.intersection(index) for p in index[w] if b0 <= p < b1)
        for p in starts:
            if p >= last:
                hit = lit.match(text, p, b1)
                if hit and hit.end() > hit.start():
                    found.append((hit.start(), 1, hit))
                    last = hit.end()
    else:
        # The places where one of the phrases may start, with its first word, in order.
        rid = _TRIE_IDS[regex]
        places = phrase_places(doc, view, rid)
        cands: Sequence[tuple[int, str]]
        if places is not None:
            cands = places.get(rid, ())
            if cands and (b0 > 0 or b1 < len(text)):
                cands = cands[bisect_left(cands, (b0,)):bisect_left(cands, (b1,))]
        else:
            cands = _indexed_places(doc.word_index(view), first, b0, b1)
        only_literal = not scan_rest
        best = None
        cur = -1
        for p, w in cands:
            if p != cur:
                if best is not None:
                    if only_literal:
                        yield best  # only the literal phrases can match: already in order
                    else:
                        found.append((cur, 1, best))
                    last = best.end()
                    best = None
                cur = p
            if p < last:
                continue
            lazy = by_word[w]
            if plain:
                hit = (lazy._twin or lazy.twin).match(text, p, b1)
            else:
                hit = (lazy._regex or lazy.regex).match(text, p, b1)
            if hit and hit.end() > hit.start() and (best is None or hit.end() > best.end()):
                best = hit
        if best is not None:
            if only_literal:
                yield best
            else:
                found.append((cur, 1, best))
        if only_literal:
            return
    if scan_rest:
        assert rest is not None
        scan = rest.twin if plain else rest.regex
        found += [(m.start(), 0, m) for m in scan.finditer(text, b0, b1) if m.end() > m.start()]
        found.sort(key=lambda t: (t[0], t[1]))
    last = -1
    for start, _, hit in found:
        if start >= last:
            yield hit
            last = hit.end()


def _indexed_places(index: dict[str, list[int]], first: frozenset[str], b0: int,
                    b1: int) -> list[tuple[int, str]]:
    """The places of the first words `first` within [b0, b1) by the word index, in order."""
    out = []
    for w in first.intersection(index):
        at = index[w]  # ascending offsets
        for k in range(bisect_left(at, b0) if b0 else 0, len(at)):
            p = at[k]
            if p >= b1:
                break
            out.append((p, w))
    out.sort(key=lambda t: t[0])
    return out


def existence(
    settings: Mapping[str, Any],
    message: str,
    *,
    fix: str | None = None,
    suggestion: str | None = None,
    view: str = "prose",
    region: str = "all",
    skip_negated: bool = False,
    case_sensitive: bool = False,
    when: Callable[[Doc, ReviewContext], bool] | None = None,
) -> Check:
    """Flag every occurrence of the `phrases` / `patterns` settings ({match} in `message`)."""
    regex = compile_phrases(
        get_list(settings, "phrases"), get_list(settings, "patterns"),
        case_sensitive=bool(settings.get("case_sensitive", case_sensitive)),
    )
    message = get_str(settings, "message", message)
    skip_negated = bool(settings.get("skip_negated", skip_negated))

    # Checks return lists, not generators: most texts have nothing, and a list costs less.
    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        if regex is None or (when is not None and not when(doc, ctx)):
            return []
        return [Hit(m.start(), m.end(), message.format(match=quote(m.group())),
                    suggestion=suggestion, fix=fix)
                for m in finditer(doc, regex, view, region)
                if not (skip_negated and negated(doc.prose, m.start()))]

    return check


def substitution(
    settings: Mapping[str, Any],
    message: str,
    *,
    key: str = "substitutions",
    extra: Mapping[str, str] | None = None,
    fix: str = "Replace with {suggestion}",
    view: str = "prose",
    skip_negated: bool = False,
    first_only: bool = False,
) -> Check:
    """Flag each phrase of the `key` table, suggesting its replacement ({match}, {suggestion})."""
    table = {**(extra or {}), **get_map(settings, key)}
    lookup = {_norm(k): v for k, v in table.items()}
    regex = compile_phrases(table)
    message = get_str(settings, "message", message)

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        hits: list[Hit] = []
        seen: set[str] = set()
        for m in finditer(doc, regex, view):
            found = m.group()
            norm = _norm(found)
            if first_only and norm in seen:
                continue
            seen.add(norm)
            if skip_negated and negated(doc.prose, m.start()):
                continue
            plain = lookup.get(norm)
            if plain is None:
                continue
            repl = match_case(plain, found)
            hits.append(Hit(m.start(), m.end(),
                            message.format(match=quote(found), suggestion=quote(repl)),
                            suggestion=repl, fix=fix.format(suggestion=quote(repl))))
        return hits

    return check


def occurrence(
    settings: Mapping[str, Any],
    message: str,
    *,
    default_max: int,
    fix: str | None = None,
    view: str = "prose",
    skip_negated: bool = False,
) -> Check:
    """Flag the occurrences of `phrases` / `patterns` beyond `max` ({match}, {count}, {max})."""
    regex = compile_phrases(get_list(settings, "phrases"), get_list(settings, "patterns"))
    most = int(get_num(settings, "max", default_max))
    message = get_str(settings, "message", message)

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        matches = [m for m in finditer(doc, regex, view)
                   if not (skip_negated and negated(doc.prose, m.start()))]
        if len(matches) <= most:
            return []
        return [Hit(m.start(), m.end(), message.format(
            match=quote(m.group()), count=len(matches), max=most), fix=fix)
            for m in matches[most:]]

    return check


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().replace("’", "'").split())
