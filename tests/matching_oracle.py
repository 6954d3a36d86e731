"""A plain, slow reference for drafter.review.matching: what one regex alternation of a phrase
list's patterns and then its literal phrases (the longest first) finds, tried place by place.
The property tests check the engine against it."""

from __future__ import annotations

import re

from drafter.review.matching import Phrases, fold, phrase_pattern

_COMPILED: dict[int, tuple[Phrases, re.Pattern[str] | None, dict[str, list[re.Pattern[str]]]]] = {}


def _compiled(phrases: Phrases) -> tuple[re.Pattern[str] | None, dict[str, list[re.Pattern[str]]]]:
    found = _COMPILED.get(id(phrases))
    if found is None or found[0] is not phrases:
        flags = 0 if phrases.case_sensitive else re.IGNORECASE
        pats = re.compile(phrases.source, flags) if phrases.patterns else None
        by_first: dict[str, list[re.Pattern[str]]] = {}
        for p in phrases.literals:  # each starts with a word character
            by_first.setdefault(fold(p[0]), []).append(
                re.compile(phrase_pattern(p, phrases.case_sensitive), flags))
        found = _COMPILED[id(phrases)] = (phrases, pats, by_first)
    return found[1], found[2]


def plain_scan(phrases: Phrases, text: str, pos: int = 0,
               endpos: int | None = None) -> list[tuple[int, int]]:
    """The non-empty matches of `phrases` in text[pos:endpos], leftmost first, no overlaps: at
    each place a pattern before a literal phrase, and the longest literal phrase."""
    end = len(text) if endpos is None else endpos
    pats, by_first = _compiled(phrases)
    out = []
    at = pos
    while at <= end:
        m = pats.match(text, at, end) if pats is not None else None
        if m is not None and m.end() > m.start():
            out.append(m.span())
            at = m.end()
            continue
        # Only phrases whose first letter is this one, as re.IGNORECASE compares it, can match.
        lits = by_first.get(fold(text[at]), ()) if at < end else ()
        longest = max((lm.end() for lm in (lit.match(text, at, end) for lit in lits)
                       if lm is not None), default=at)
        if longest > at:
            out.append((at, longest))
            at = longest
        else:
            at += 1
    return out
