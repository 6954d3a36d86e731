"""Ownership (OWN): no blame or deflection, concrete times, a clear next step."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_num, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import Doc

P = "ownership"
WHY = "The guide's principle “Own the problem and give a concrete time”."


@rule(
    "OWN001", "blaming", "warning", P,
    "Blaming the customer (“you should have”, “you failed to”).",
    what="Finds phrases that put the blame on the customer — “you should have”, “you failed to”, "
         "“your fault”, “user error” — from the `phrases` / `patterns` settings. A negated phrase "
         "(“it's not your fault”) is not blame.",
    why=WHY + " The guide says never blame the customer: even when they made the mistake, the "
        "reply is about fixing it.",
    example="You should have checked the address before ordering.",
    instead="It's not your fault. I've corrected the address, and the parcel ships today.",
    fix="Say what happens next instead of whose fault it was",
)
def _own001(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Blaming the customer: {match}", skip_negated=True,
                            fix="Say what happens next instead of whose fault it was")


@rule(
    "OWN002", "deflecting", "warning", P,
    "Deflecting responsibility (“that's not our fault”, “not our department”).",
    what="Finds phrases that push the problem away — “that's not our fault”, “not our "
         "department”, “nothing we can do”, “out of our hands” — from the `phrases` / `patterns` "
         "settings.",
    why=WHY + " The guide says never deflect: the customer came to you, so the problem is yours "
        "to route.",
    example="That's not our fault; the courier lost it.",
    instead="The courier lost your parcel, and I've filed a claim with them. Would you like a "
            "replacement or a refund?",
    fix="Say what you will do about it",
)
def _own002(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Deflecting: {match}", fix="Say what you will do about it")


@rule(
    "OWN003", "vague-timeframe", "warning", P,
    "Vague times (“soon”, “ASAP”, “shortly”) where a time is promised.",
    what="Finds vague times from the `phrases` / `patterns` settings in a sentence that promises "
         "something (`promise_markers`: “will”, “we'll”, “expect”, “get back to you”, ...). "
         "“As soon as the parcel arrives” is a condition, not a vague time, and is left alone.",
    why=WHY + " “Soon” means tomorrow to the customer and next week to the warehouse; a concrete "
        "time is a promise they can plan around.",
    example="We'll get back to you soon.",
    instead="We'll get back to you by 5 pm tomorrow.",
    fix="Give a concrete time (“by Thursday 5 pm”, “within 24 hours”)",
)
def _own003(settings: Mapping[str, Any]) -> Check:
    vague = compile_phrases(get_list(settings, "phrases"), get_list(settings, "patterns"))
    promise = compile_phrases(get_list(settings, "promise_markers"),
                              get_list(settings, "promise_patterns"), key="promise_patterns")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        for m in checks.finditer(doc, vague):
            s, e = doc.sentence_at(m.start())
            if promise is not None and not checks.search(doc, promise, s, e):
                continue
            yield Hit(m.start(), m.end(), f"Vague time {quote(m.group())} in a promise; give a "
                      "concrete time")

    return check


@rule(
    "OWN004", "no-next-step", "info", "next_step",
    "The reply ends without a clear next step.",
    what="Looks in the last `closing_sentences` sentences of a body of at least `min_words` words "
         "for a next step (`next_step_markers`: “I'll”, “we will”, “reply with”, “click”, “by "
         "Friday”, ...). When there is none — typically the reply ends on “let us know if you have "
         "any other questions” — the last sentence is flagged. A reply that ends on a question "
         "to the customer has a next step.",
    why="The guide's principle “End with a clear next step”: nobody should be left wondering "
        "what happens now.",
    example="Your order was delayed at our warehouse because of the storm that closed the roads "
            "last week. Let us know if you have any other questions.",
    instead="Your order was delayed at our warehouse because of the storm that closed the roads "
            "last week. I'll send you the tracking number when it ships, by Thursday at the "
            "latest.",
    fix="End with what happens next: what they should do, or what you will do and when",
    defaults={"min_words": 25, "closing_sentences": 2},
)
def _own004(settings: Mapping[str, Any]) -> Check:
    markers = compile_phrases(get_list(settings, "next_step_markers"),
                              get_list(settings, "next_step_patterns"), key="next_step_patterns")
    min_words = int(get_num(settings, "min_words", 15))
    n = int(get_num(settings, "closing_sentences", 2))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        sents = doc.sentences
        if markers is None or not sents:
            return
        # Every word of the body is in one of its sentences (sentences end at punctuation,
        # line breaks or colons, never inside a word), so this is the body's word count.
        if sum(map(len, doc.sentence_words)) < min_words:
            return
        tail = sents[-n:]
        if doc.prose[tail[-1][1] - 1] == "?":
            return  # ends by asking the customer something: the next step is theirs
        if checks.search(doc, markers, tail[0][0], tail[-1][1]):
            return
        s, e = sents[-1]
        yield Hit(s, e, f"No clear next step at the end: {quote(doc.text[s:e], 50)}")

    return check
