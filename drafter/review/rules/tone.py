"""Tone (TON): positive and professional: no condescension, negative framing, shouting,
profanity or slang."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import get_list, get_map, get_num, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.structure import prose_only
from drafter.review.text import Doc

P = "tone"
WHY = "The guide's principle “Stay positive and professional”."


@rule(
    "TON001", "condescending", "warning", P,
    "Condescending phrases (“obviously”, “as I already said”, “per my last email”).",
    what="Finds phrases that talk down to the customer or reproach them for asking again: "
         "“obviously”, “as I already said”, “per my last email”, “as previously stated”, and the "
         "rest of the `phrases` / `patterns` settings.",
    why=WHY + " A customer who feels talked down to stops reading and escalates.",
    example="As I already said, the refund obviously takes five days.",
    instead="The refund takes five days to reach your card.",
    fix="Remove the phrase and state the information plainly",
)
def _ton001(settings: Mapping[str, Any]) -> Check:
    return prose_only(checks.existence(settings, "Condescending: {match}",
                                       fix="Remove it and state the information plainly",
                                       skip_negated=True))


# "we can't X until Y" -> "we can X as soon as Y"
_CANT_UNTIL = re.compile(
    r"\b(?P<who>we|I|you)(?P<neg>\s+(?:can['’]?t|cannot|can\s+not|won['’]t\s+be\s+able\s+to|"
    r"are\s+unable\s+to|am\s+unable\s+to|are\s+not\s+able\s+to|am\s+not\s+able\s+to))\s+"
    r"(?P<what>[^.!?\n]{1,80}?)\s+until\s+(?P<cond>[^.!?\n]{1,80})",
    re.IGNORECASE,
)
# The same on plain ASCII text (`Doc.plain_ascii`), where it finds the same, faster: the
# pattern names no letter that re.IGNORECASE matches with an ASCII one.
_CANT_UNTIL_ASCII = re.compile(_CANT_UNTIL.pattern, re.IGNORECASE | re.ASCII)
# The words (word runs) that each negation of _CANT_UNTIL has one of.
_CANT_WORDS = frozenset(["cant", "cannot", "can", "able", "unable"])


def _may_cant_until(doc: Doc) -> bool:
    """Whether `_CANT_UNTIL` can match in the prose: only with the word "until" and one of
    `_CANT_WORDS` in it (each is a whole word run in a match)."""
    words = doc.runs("prose").words
    return "until" in words and not _CANT_WORDS.isdisjoint(words)


@rule(
    "TON002", "negative-framing", "info", P,
    "Negative framing where a positive one exists (“we can't X until Y”).",
    what="Finds sentences that say what cannot happen when the same fact can be said as what can: "
         "“we can't ship until payment clears” becomes “we can ship as soon as payment clears”. "
         "Also the substitutions of the `substitutions` setting (“don't forget” -> “remember”).",
    why=WHY + " Saying what you can do keeps the customer moving forward instead of stuck on "
        "the refusal.",
    example="We can't ship your order until the payment clears.",
    instead="We can ship your order as soon as the payment clears.",
    fix="Say what can happen, and when",
)
def _ton002(settings: Mapping[str, Any]) -> Check:
    subs = checks.substitution(settings, "Negative framing: {match}; say {suggestion}")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        cant_until = _CANT_UNTIL_ASCII if doc.plain_ascii else _CANT_UNTIL
        for m in cant_until.finditer(doc.prose) if _may_cant_until(doc) else ():
            who = m.group("who")
            can = "can" if m.group("neg").strip().lower().startswith("can") else "will be able to"
            repl = f"{who} {can} {m.group('what')} as soon as {m.group('cond')}"
            yield Hit(m.start(), m.end(), f"Negative framing: {quote(m.group())}",
                      suggestion=repl, fix="Say what can happen: “… as soon as …”")
        yield from subs(doc, ctx)

    return prose_only(check)


# The look-behind follows the first letter, so the regex engine can skip to capitals quickly.
_CAPS_WORD = re.compile(r"[A-Z](?<![\w'’-][A-Z])[A-Z'’]*[A-Z](?![\w'’-])")
_BANGS = re.compile(r"(?:!\s*){2,}|\?+!+[!?]*|!+\?+[!?]*")
_PLAYFUL = re.compile(r"!\s*!")
_CAPS_GAP = re.compile(r"[ \t,]+")
# ASCII bytes with each capital letter as "A" and anything else as "a".
_CAPITALS = bytes(65 if 65 <= c <= 90 else 97 for c in range(256))


def _may_shout(doc: Doc) -> bool:
    """Whether `_CAPS_WORD` can match: two capitals in a row, apostrophes aside (a quick
    test for plain ASCII text, where the regex, trying every capital, is slow)."""
    if not doc.plain_ascii:
        return True
    return b"AA" in doc.prose.encode("ascii").translate(_CAPITALS, b"'")


def _may_bang(prose: str) -> bool:
    """Whether `_BANGS` can match: each form has two "!", or a "?!" or "!?"."""
    return "!" in prose and (prose.count("!") > 1 or "?!" in prose or "!?" in prose)


@rule(
    "TON003", "shouting", "warning", P,
    "Shouting: words in capital letters, or “!!!” / “?!”.",
    what="Finds runs of words in capital letters (two or more words with `min_letters` letters "
         "in all), single emphasis words in capitals from `emphasis_words` (NOT, NEVER, ...), "
         "and repeated exclamation or question marks. On social media two exclamation marks "
         "are the post's cheer, not shouting; three, or “?!”, still are. Acronyms in "
         "`acronyms` are not shouting. "
         "Like every tone rule, it reads the writer's prose only, never the signature, the "
         "sign-off or the @handles.",
    why=WHY + " Capitals and stacked exclamation marks read as shouting or panic.",
    example="Please DO NOT RESTART the router!!!",
    instead="Please leave the router on while the update runs.",
    fix="Use normal case and one full stop",
    defaults={"min_letters": 6},
    known_problems="Capitals in playful banter (a brand's meme, “FROM OUTTA NOWHERE”) or an "
                   "enthusiastic “help has arrived” are not shouting at anyone. Every labelled "
                   "finding on the real tweets of the workbench was of that kind (few: it "
                   "rarely fires).",
)
def _ton003(settings: Mapping[str, Any]) -> Check:
    emphasis = {w.upper() for w in get_list(settings, "emphasis_words")}
    acronyms = {w.upper() for w in get_list(settings, "acronyms")}
    min_letters = int(get_num(settings, "min_letters", 6))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        prose = doc.prose
        run: list[re.Match[str]] = []

        def flush() -> Iterator[Hit]:
            words = [m for m in run if m.group() not in acronyms]
            letters = sum(len(m.group()) for m in words)
            loud = any(m.group().replace("’", "'") in emphasis for m in words)
            if (len(words) >= 2 and letters >= min_letters) or (words and loud):
                s, e = words[0].start(), words[-1].end()
                found = doc.text[s:e]
                yield Hit(s, e, f"Shouting: {quote(found)} in capital letters",
                          suggestion=found.lower() if len(words) > 1 else None,
                          fix="Write it in normal case")

        for m in _CAPS_WORD.finditer(prose) if _may_shout(doc) else ():
            if run and not _CAPS_GAP.fullmatch(prose, run[-1].end(), m.start()):
                yield from flush()
                run = []
            run.append(m)
        if run:
            yield from flush()
        for m in _BANGS.finditer(prose) if _may_bang(prose) else ():
            found = m.group().rstrip()
            if ctx.channel == "social" and _PLAYFUL.fullmatch(found):
                continue  # "Help has arrived!!": a post's cheer, not shouting
            yield Hit(m.start(), m.start() + len(found), f"Shouting: {quote(found)}",
                      suggestion="?" if "?" in found else ".", fix="Use one punctuation mark")

    return prose_only(check)


@rule(
    "TON004", "profanity", "error", P,
    "Profanity and crude words.",
    what="Finds the swear words and crude expressions of the `phrases` / `patterns` settings, as "
         "whole words only (“ass” is not found in “pass” or “class”), and not a word the "
         "platform cut short at the end of a post (“here to ass… https://t.co/x”).",
    why=WHY + " Profanity is never professional, whoever started it.",
    example="Sorry, the courier made a damn mess of your parcel.",
    instead="Sorry, the courier damaged your parcel.",
    fix="Remove the word",
)
def _ton004(settings: Mapping[str, Any]) -> Check:
    found = prose_only(checks.existence(settings, "Profanity: {match}", fix="Remove the word"))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        return (h for h in found(doc, ctx) if not checks.cut_short(doc.text, h.end))

    return check


@rule(
    "TON005", "slang", "info", P,
    "Slang and chat abbreviations (“gonna”, “pls”, “thx”).",
    what="Finds the slang and text-speak of the `substitutions` setting and suggests the standard "
         "word (“gonna” -> “going to”, “pls” -> “please”).",
    why=WHY + " Text-speak reads as careless in a reply to a customer.",
    example="We're gonna send a new one, pls check your inbox.",
    instead="We're going to email you the receipt; please check your inbox.",
    fix="Use the standard word",
)
def _ton005(settings: Mapping[str, Any]) -> Check:
    get_map(settings, "substitutions")
    check = prose_only(checks.substitution(settings, "Slang: {match}; write {suggestion}"))

    def reader_case(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        return [_in_reader_case(doc.text, h) for h in check(doc, ctx)]

    return reader_case


def _in_reader_case(text: str, hit: Hit) -> Hit:
    """A capitalised abbreviation (“FYI”, “PLS”) is not shouting: its suggestion is in the case a
    reader expects, capitalised only where a sentence starts."""
    found = text[hit.start:hit.end]
    if hit.suggestion is None or not (found.isupper() and len(found) > 1):
        return hit
    before = text[:hit.start].rstrip(" \t")
    repl = hit.suggestion.lower()
    if not before or before[-1] in ".!?:\n":
        repl = repl[:1].upper() + repl[1:]
    return Hit(hit.start, hit.end, f"Slang: {quote(found)}; write {quote(repl)}",
               suggestion=repl, fix=f"Replace with {quote(repl)}")


@rule(
    "TON006", "lecturing", "warning", P,
    "Rebuking or lecturing the customer (“Please don't comment on closed issues”, “As stated in "
    "the docs”).",
    what="Finds rebukes and lectures from the `phrases` / `patterns` settings: telling the "
         "customer off for where or how they wrote (“please don't comment on closed issues”, "
         "“guidelines not followed”), and pointing at what they should already have read (“as "
         "stated in the docs”, “please read the documentation before”, “this has been asked many "
         "times”). Blame for a mistake is OWN001's; talking down is TON001's.",
    why=WHY + " A reply that scolds makes the customer defensive, and the next reply harder; say "
        "what to do instead, and why it helps them.",
    example="Please don't comment on closed issues. As stated in the docs, this is expected.",
    instead="This issue was closed when the fix shipped in 2.4. If you still see the problem, "
            "please open a new issue with your version. We'll look at it there.",
    fix="Say what to do next and why, without the rebuke",
    known_problems="Measured on few findings: silent on the 408 workbench replies, right on all 5 "
                   "of its findings in 66 published saved replies. “You should have read” is "
                   "also OWN001's (blame).",
)
def _ton006(settings: Mapping[str, Any]) -> Check:
    return prose_only(checks.existence(settings, "Lecturing the customer: {match}",
                                       fix="Say what to do next and why, without the rebuke"))


@rule(
    "TON007", "curt-closing", "info", P,
    "Closing the customer's issue or ticket with neither thanks nor a reason.",
    what="Finds a reply that closes the issue or ticket (the `closing` phrases: “I'm closing "
         "this”, “closing this issue”, “this ticket is now closed”) and has none of the `thanks` "
         "phrases and none of the `reasons` (“because”, “as a duplicate of”, “has been fixed”, "
         "“no response”, “if …”) anywhere in it. The finding is the sentence that closes.",
    why=WHY + " Closing someone's issue without a word of thanks or why reads as a door shut in "
        "their face; a reason tells them what to do if it comes back.",
    example="Closing this issue.",
    instead="Thanks for the report! I'm closing this because the fix shipped in 2.4; please "
            "reopen it if you still see the problem.",
    fix="Thank them and say why it is closed",
    defaults={"closing": [], "thanks": [], "reasons": []},
    known_problems="Not yet seen on real replies: it fired on none of the 408 workbench replies "
                   "nor on 66 published saved replies (whose closings all thank or give a "
                   "reason), so its precision is unmeasured and it reports as info.",
)
def _ton007(settings: Mapping[str, Any]) -> Check:
    closing = checks.compile_phrases(get_list(settings, "closing"), phrases_key="closing")
    softer = checks.compile_phrases([*get_list(settings, "thanks"),
                                     *get_list(settings, "reasons")], phrases_key="thanks")

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        if closing is None:
            return []
        first = next(iter(checks.finditer(doc, closing)), None)
        if first is None or (softer is not None and next(iter(checks.finditer(doc, softer)),
                                                         None) is not None):
            return []
        start, end = doc.sentence_at(first.start())
        return [Hit(start, end, "Closes the issue with neither thanks nor a reason",
                    fix="Thank them and say why it is closed")]

    return check


@rule(
    "TON008", "flippant", "info", P,
    "A joking or breezy aside (“huh?”, “lol”, “oops”) to an upset customer.",
    what="When the customer is upset (context signal), finds the joking or breezy asides of the "
         "`phrases` / `patterns` settings — “huh?”, “lol”, “haha”, “oops”, “yikes”, a laughing "
         "face — in the reply's own words. Banter with a happy customer is left alone.",
    why=WHY + " A wisecrack to someone who is angry tells them their problem is a joke to you.",
    example="Service issues, huh? Send us a message.",
    instead="I'm sorry the signal keeps dropping. Send us your address and we'll check the "
            "towers near you.",
    fix="Drop the aside and acknowledge the problem",
    example_context={"upset": True},
    needs=("upset",),
    known_problems="Measured on few real replies: one finding on the 200 judged, right. Whether "
                   "an aside is flippant depends on the customer's mood, read from word lists, "
                   "so it reports as info.",
)
def _ton008(settings: Mapping[str, Any]) -> Check:
    return prose_only(checks.existence(settings, "A flippant aside to an upset customer: {match}",
                                       fix="Drop the aside and acknowledge the problem",
                                       when=lambda doc, ctx: bool(ctx.upset)))
