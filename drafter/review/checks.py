"""Generic check types fed by data (phrase lists, substitutions, thresholds) from the guide.

Most rules are one of these with their phrase lists in `styleguide/*.toml`; each list is
compiled once per process into a `matching.Phrases` (see drafter/review/matching.py).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any

from drafter.review import matching
from drafter.review.context import ReviewContext
from drafter.review.matching import AnyMatch, Phrases, Runs, is_word_char
from drafter.review.registry import Check, Hit
from drafter.review.text import WORD_RE, Doc

# Words that turn a phrase around when they come just before it ("not a problem",
# "I can't guarantee"). Grammar, not style, so it lives here rather than in the guide.
NEGATIONS = frozenset(
    ["not", "no", "never", "cannot", "can't", "won't", "don't", "doesn't", "didn't", "isn't",
     "aren't", "wasn't", "weren't", "without", "nothing", "neither", "nor", "hardly", "barely",
     "shouldn't", "wouldn't", "couldn't",
     # German and Spanish, for the guide's phrase lists in those languages (styleguide/lang/)
     "nicht", "kein", "keine", "keinen", "keiner", "nie", "niemals", "ohne",
     "nunca", "jamás", "sin", "tampoco"]
)
_CLAUSE_BREAKS = ".!?;:\n,"


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


_GLOBAL_FLAGS_RE = re.compile(r"\(\?([imsx]+)\)")


def compile_phrases(
    phrases: Iterable[str] = (), patterns: Iterable[str] = (), case_sensitive: bool = False,
    key: str = "patterns", phrases_key: str = "phrases",
) -> Phrases | None:
    """Compile literal `phrases` and regex `patterns` into one `Phrases` (None for none).

    `phrases` may hold phrase patterns (see `matching.phrase_regex`). A bad phrase pattern or
    regex pattern raises SettingError naming it.
    """
    lits = tuple(sorted({p.strip() for p in phrases if p.strip()}))
    pats = []
    for p in patterns:
        # A leading global flag group, "(?m)x", becomes a scoped one so patterns can be joined.
        g = _GLOBAL_FLAGS_RE.match(p)
        pats.append(f"(?{g.group(1)}:{p[g.end():]})" if g else p)
    if not lits and not pats:
        return None
    try:
        found = matching.compile_phrases(lits, tuple(pats), case_sensitive)
    except matching.PatternError as exc:
        bad = next(p for p in lits if matching.is_phrase_pattern(p) and _unreadable(p))
        raise SettingError(phrases_key, f"valid phrase patterns ({exc})", bad) from None
    if pats:
        try:
            # Compiled now to report a broken one; the phrase patterns read above are sound.
            re.compile("|".join(f"(?:{p})" for p in pats), found.flags)
        except re.error:
            for p in pats:  # name the broken pattern (compiling one by one only on failure)
                try:
                    re.compile(p)
                except re.error as exc:
                    raise SettingError(key, f"valid regular expressions ({exc})", p) from None
            raise
    return found


def _unreadable(pattern: str) -> bool:
    try:
        matching.phrase_regex(pattern)
    except matching.PatternError:
        return True
    return False


# A word the platform cut short: an ellipsis right after it, then only the link to the whole post
# ("we are here to ass… https://t.co/x"). Without the link, "crap..." is a word of the writer's.
_CUT_SHORT_RE = re.compile(r"(?:…|\.\.\.)(?:\s+(?:https?://|www\.)\S*)+\s*\Z")


def cut_short(text: str, end: int) -> bool:
    """Whether the word ending at `end` is the start of a longer one the platform cut off."""
    return _CUT_SHORT_RE.match(text, end) is not None


def negated(prose: str, start: int, window: int = 3) -> bool:
    """Return whether one of the `window` words before `start` (same clause) negates it."""
    head = max(0, start - 60)
    for ch in _CLAUSE_BREAKS:  # the clause starts after the last break in the 60 characters
        at = prose.rfind(ch, head, start)
        if at >= 0:
            head = at + 1
    for word in WORD_RE.findall(prose, head, start)[-window:]:
        w = word.lower().replace("’", "'")
        if w in NEGATIONS or w.endswith("n't"):
            return True
    return False


def ends_clause(doc: Doc, end: int) -> bool:
    """Whether `end` ends a clause: punctuation, or the end of its sentence, comes next."""
    _, e = doc.sentence_at(max(0, end - 1))
    rest = doc.prose[end:e].lstrip()
    return not rest or not is_word_char(rest[0])


def lowered(doc: Doc, view: str) -> str | None:
    """The view lower-cased, for substring tests (None: it has letters that fold to ASCII)."""
    return doc.runs(view).low


def region_bounds(doc: Doc, region: str) -> tuple[int, int] | None:
    """Return the span a check looks at: all, body, opening (first sentences), lead (the
    opening without the last sentence) or closing."""
    if region == "all":
        return 0, len(doc.text)
    if region == "body":
        return doc.body
    if region == "opening":
        return doc.opening(2)
    if region == "lead":  # the opening, but never the closing sentence of a longer reply
        sents = doc.sentences
        lead = sents[:2] if len(sents) > 2 else sents[:1]
        return (lead[0][0], lead[-1][1]) if lead else None
    if region == "closing":
        sents = doc.sentences[-2:]
        return (sents[0][0], sents[-1][1]) if sents else None
    raise ValueError(region)


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


def runs_of(doc: Doc, view: str, start: int, end: int) -> Runs:
    """The word runs of a view of `doc` to find matches in view[start:end] with."""
    return doc.runs(view).within(start, end)


def finditer(
    doc: Doc, phrases: Phrases | None, view: str = "prose", region: str = "all"
) -> Iterator[AnyMatch]:
    """Return the matches of `phrases` in the chosen view and region of `doc`, in order."""
    if phrases is None:
        return iter(())
    bounds = region_bounds(doc, region)
    if bounds is None:
        return iter(())
    return finditer_span(doc, phrases, view, *bounds)


def finditer_span(doc: Doc, phrases: Phrases, view: str, b0: int,
                  b1: int) -> Iterator[AnyMatch]:
    """Yield the non-empty matches of `phrases` in view[b0:b1], in order."""
    return phrases.scan(runs_of(doc, view, b0, b1), b0, b1)


def search(doc: Doc, phrases: Phrases, start: int, end: int, view: str = "prose") -> bool:
    """Whether `phrases` finds something in view[start:end]."""
    return phrases.found(runs_of(doc, view, start, end), start, end)


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
    at_clause_end: bool = False,
) -> Check:
    """Flag every occurrence of the `phrases` / `patterns` settings ({match} in `message`);
    with `at_clause_end`, only one that punctuation or the end of its sentence follows."""
    regex = compile_phrases(
        get_list(settings, "phrases"), get_list(settings, "patterns"),
        case_sensitive=bool(settings.get("case_sensitive", case_sensitive)),
    )
    message = get_str(settings, "message", message)
    skip_negated = bool(settings.get("skip_negated", skip_negated))
    at_end = bool(settings.get("at_clause_end", at_clause_end))

    # Hits are made as the reviewer takes them: it stops taking after its limit per rule
    # (Reviewer.MAX_PER_RULE), and a text with thousands of matches costs no more than that.
    def check(doc: Doc, ctx: ReviewContext) -> Iterable[Hit]:
        if regex is None or (when is not None and not when(doc, ctx)):
            return ()
        return (Hit(m.start(), m.end(), message.format(match=quote(m.group())),
                    suggestion=suggestion, fix=fix)
                for m in finditer(doc, regex, view, region)
                if not (skip_negated and negated(doc.prose, m.start()))
                and not (at_end and not ends_clause(doc, m.end())))

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

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
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
            yield Hit(m.start(), m.end(),
                      message.format(match=quote(found), suggestion=quote(repl)),
                      suggestion=repl, fix=fix.format(suggestion=quote(repl)))

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

    def check(doc: Doc, ctx: ReviewContext) -> Iterable[Hit]:
        matches = [m for m in finditer(doc, regex, view)
                   if not (skip_negated and negated(doc.prose, m.start()))]
        if len(matches) <= most:
            return ()
        # Made as the reviewer takes them (it stops after its limit per rule); the count
        # needs every match.
        return (Hit(m.start(), m.end(), message.format(
            match=quote(m.group()), count=len(matches), max=most), fix=fix)
            for m in matches[most:])

    return check


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().replace("’", "'").split())
