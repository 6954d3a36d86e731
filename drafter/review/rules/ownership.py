"""Ownership (OWN): no blame or deflection, concrete times, a clear next step."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from itertools import accumulate
from operator import itemgetter
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_num, quote
from drafter.review.context import ReviewContext
from drafter.review.matching import Phrases
from drafter.review.registry import Check, Hit, rule
from drafter.review.structure import CLOSING, LINK, LISTS, Structure
from drafter.review.text import Doc

P = "ownership"
_start = itemgetter(0)  # of a span
WHY = "The guide's principle “Own the problem and give a concrete time”."


@rule(
    "OWN001", "blaming", "info", P,
    "Blaming the customer (“you should have”, “you failed to”).",
    what="Finds phrases that put the blame on the customer — “you should have checked”, “you "
         "failed to”, “your fault”, “user error” — from the `phrases` / `patterns` settings. A "
         "negated phrase (“it's not your fault”) is not blame, and neither is what the customer "
         "ought to have had (`not_followed_by`: “you should have a reference number”, “you "
         "should have received an email”).",
    why=WHY + " The guide says never blame the customer: even when they made the mistake, the "
        "reply is about fixing it.",
    example="You should have checked the address before ordering.",
    instead="It's not your fault. I've corrected the address, and the parcel ships today.",
    fix="Say what happens next instead of whose fault it was",
    known_problems="“You should have …” followed by an object or “received” says what the "
                   "customer ought to have had and is left alone, but other expectations in "
                   "other words may still read as blame. The labelled findings on real replies "
                   "were mostly of that kind, so it reports as info.",
)
def _own001(settings: Mapping[str, Any]) -> Check:
    found = checks.existence(settings, "Blaming the customer: {match}", skip_negated=True,
                             fix="Say what happens next instead of whose fault it was")
    not_after = compile_phrases(get_list(settings, "not_followed_by"),
                                phrases_key="not_followed_by")

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        hits = found(doc, ctx)
        if not hits or not_after is None:
            return list(hits)
        return [h for h in hits if not _ought_to_have(doc.prose, h, not_after)]

    return check


def _ought_to_have(prose: str, hit: Hit, objects: Phrases) -> bool:
    """Whether a "... have" hit is followed by what the customer ought to have had ("you should
    have a reference number"), not by what they ought to have done."""
    if not prose[hit.start:hit.end].lower().endswith("have"):
        return False
    rest = prose[hit.end:hit.end + 80]
    return objects.match(prose, hit.end + len(rest) - len(rest.lstrip())) is not None


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
    "OWN003", "vague-timeframe", "info", P,
    "Vague times (“soon”, “ASAP”, “shortly”) where a time is promised.",
    what="Finds vague times from the `phrases` / `patterns` settings in a sentence that promises "
         "something (`promise_markers`: “will”, “we'll”, “expect”, “get back to you”, ...). "
         "“As soon as the parcel arrives” is a condition, not a vague time, and a pleasantry "
         "(`pleasantries`: “we hope to see you onboard soon”, “talk soon”) promises no time: "
         "both are left alone.",
    why=WHY + " “Soon” means tomorrow to the customer and next week to the warehouse; a concrete "
        "time is a promise they can plan around.",
    example="We'll get back to you soon.",
    instead="We'll get back to you by 5 pm tomorrow.",
    fix="Give a concrete time (“by Thursday 5 pm”, “within 24 hours”)",
    known_problems="“Soon” is sometimes a pleasantry in other words than `pleasantries` or an "
                   "honest hope, not a promised time. About seven in ten findings were right on "
                   "real replies.",
)
def _own003(settings: Mapping[str, Any]) -> Check:
    vague = compile_phrases(get_list(settings, "phrases"), get_list(settings, "patterns"))
    promise = compile_phrases(get_list(settings, "promise_markers"),
                              get_list(settings, "promise_patterns"), key="promise_patterns")
    pleasant = compile_phrases(get_list(settings, "pleasantries"), phrases_key="pleasantries")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        for m in checks.finditer(doc, vague):
            s, e = doc.sentence_at(m.start())
            if promise is not None and not checks.search(doc, promise, s, e):
                continue
            if pleasant is not None and any(
                    p.start() <= m.start() and m.end() <= p.end()
                    for p in checks.finditer_span(doc, pleasant, "prose", s, e)):
                continue  # "we hope to see you soon" wishes, it promises no time
            yield Hit(m.start(), m.end(), f"Vague time {quote(m.group())} in a promise; give a "
                      "concrete time")

    return check


@rule(
    "OWN004", "no-next-step", "info", "next_step",
    "The reply ends without a clear next step.",
    what="Reads the last body block of a reply whose body has at least `min_words` words (the "
         "signature, sign-off, closing courtesy line and the channel's furniture are not the "
         "body). A list of steps among the last two blocks, or a last block that is a link, is "
         "a next step. Otherwise the last `closing_sentences` sentences, after any courtesy "
         "sentences at the very end (`courtesy` / `courtesy_patterns`: “thank you for your "
         "patience”, “we value your feedback”), must hold a next step: a question to the "
         "customer, a request to them (`requests` / `request_patterns`: “please DM us the order "
         "number”, “send us…”, “let us know which…”), a link, or a commitment "
         "(`next_step_markers`: “I'll”, “we will”, “click”, “by Friday”, ...). When there is "
         "none — typically the reply ends on “let us know if you have any other questions” — "
         "the last sentence is flagged. A reply made only of courtesies, a reply to praise "
         "(`praise_replies`: “thanks for recognizing our crew”, “so pleased you enjoyed”), and "
         "a part of a split message other than the last (“1/2”), need no next step.",
    why="The guide's principle “End with a clear next step”: nobody should be left wondering "
        "what happens now.",
    example="Your order was delayed at our warehouse because of the storm that closed the roads "
            "last week. Let us know if you have any other questions.",
    instead="Your order was delayed at our warehouse because of the storm that closed the roads "
            "last week. I'll send you the tracking number when it ships, by Thursday at the "
            "latest.",
    fix="End with what happens next: what they should do, or what you will do and when",
    defaults={"min_words": 25, "closing_sentences": 2},
    known_problems="A reply to praise in words of its own, or one whose next step is a line "
                   "before a pleasantry, can still be flagged; and a short reply can end "
                   "without a next step unseen (under `min_words`). Six in ten of its findings "
                   "on real replies were right; the false alarms were replies to praise, now "
                   "left alone when they say so in the `praise_replies` words.",
)
def _own004(settings: Mapping[str, Any]) -> Check:
    markers = compile_phrases(get_list(settings, "next_step_markers"),
                              get_list(settings, "next_step_patterns"), key="next_step_patterns")
    requests = compile_phrases(get_list(settings, "requests"),
                               get_list(settings, "request_patterns"), key="request_patterns")
    courtesy = compile_phrases(get_list(settings, "courtesy"),
                               get_list(settings, "courtesy_patterns"), key="courtesy_patterns")
    praise = compile_phrases(get_list(settings, "praise_replies"))
    min_words = int(get_num(settings, "min_words", 15))
    n = int(get_num(settings, "closing_sentences", 2))

    def polite(doc: Doc, span: tuple[int, int]) -> bool:
        return courtesy is not None and checks.search(doc, courtesy, *span)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        structure = doc.structure
        blocks = structure.blocks
        if markers is None or not blocks or _more_follows(doc.text, structure):
            return
        (_, b0, _), (last_kind, _, b1) = blocks[0], blocks[-1]
        if praise is not None and checks.search(doc, praise, b0, b1):
            return  # thanks for praise: there is nothing to do next
        if any(kind in LISTS for kind, _, _ in blocks[-2:]) or last_kind == LINK:
            return  # steps to follow, or the page to go to: that is the next step
        closing = structure.of(CLOSING)
        c1 = closing[-1][2] if closing else b1  # a closing line counts among the words
        # The sentences ascend and do not overlap: those of the body (ending at b0 or later,
        # starting before c1) are one slice, found by halving rather than read one by one.
        everything = doc.sentences
        hi = bisect_left(everything, (c1,))
        lo = bisect_left(everything, b0, hi=hi, key=itemgetter(1))
        # Every word of the body is in one of its sentences (sentences end at punctuation,
        # line breaks or colons, never inside a word), so this is the body's word count.
        if lo == hi or sum(map(len, doc.sentence_words[lo:hi])) < min_words:
            return
        sents = everything[lo:bisect_left(everything, (b1,), lo, hi)]
        if sents:  # cut to the blocks: only the first and the last can reach past them
            sents[0] = (max(sents[0][0], b0), min(sents[0][1], b1))
            sents[-1] = (max(sents[-1][0], b0), min(sents[-1][1], b1))
        last = len(sents)
        while last > 1 and len(sents) - last < 2 and polite(doc, sents[last - 1]):
            last -= 1
        if last == 1 and polite(doc, sents[0]):
            return  # nothing but courtesies: a thank-you needs no next step
        tail = sents[max(0, last - n):]
        prose = doc.prose
        if any(prose[e - 1] == "?" for _, e in tail):
            return  # asks the customer something: the next step is theirs
        t0, t1 = tail[0][0], tail[-1][1]
        if any(t0 <= s < t1 for s, _ in doc.urls):
            return  # points to where the customer goes next
        if checks.search(doc, markers, t0, t1) or (
                requests is not None and checks.search(doc, requests, t0, t1)):
            return
        s, e = sents[-1]
        yield Hit(s, e, f"No clear next step at the end: {quote(doc.text[s:e], 50)}")

    return check


def _more_follows(text: str, structure: Structure) -> bool:
    """Whether the text is one part of a split message that is not the last ("1/2"): its
    next step may be in the next part."""
    found = structure.split_part(text)
    return found is not None and found[0] < found[1]


@rule(
    "OWN005", "promise-without-time", "info", P,
    "A promise to come back to the customer with no time (“we'll be in touch”).",
    what="Finds promises to come back to the customer — “we'll follow up”, “we'll get back to "
         "you”, “we'll be in touch”, “someone will contact you”, “I'll make sure your claim is "
         "handled” (`promises`, phrase patterns), or to look into it — “I'll look into this”, "
         "“our team will investigate” (`work_promises`; not right after a request for what it "
         "needs, `requests`: “DM us the order number and we'll look into it”) ("
         "see “Phrase patterns”) — with no time in the same or the next sentence (`times` / "
         "`time_patterns`: “by 5 pm”, “tomorrow”, “within 24 hours”, ...). A vague time "
         "(“soon”) is OWN003's finding, and a promise tied to an event (`conditions`: “once it "
         "ships, we'll let you know”) has its time, unless the event is only the customer's "
         "input (`input_conditions`: “once we have the details”). Following up with someone "
         "else (`not_followed_by`: “with our team there”) is routing, not a promise of news.",
    why=WHY + " A promise without a time leaves the customer waiting with no idea for how long, "
        "and writing again to ask.",
    example="Thanks for the details. We'll be in touch.",
    instead="Thanks for the details. We'll email you by 5 pm tomorrow.",
    fix="Say when: “by Thursday 5 pm”, “within 24 hours”",
)
def _own005(settings: Mapping[str, Any]) -> Check:
    promises = compile_phrases(get_list(settings, "promises"), phrases_key="promises")
    work = compile_phrases(get_list(settings, "work_promises"), phrases_key="work_promises")
    requests = compile_phrases(get_list(settings, "requests"), phrases_key="requests")
    times = compile_phrases(get_list(settings, "times"), get_list(settings, "time_patterns"),
                            key="time_patterns", phrases_key="times")
    conditions = compile_phrases(get_list(settings, "conditions"), phrases_key="conditions")
    inputs = compile_phrases(get_list(settings, "input_conditions"),
                             phrases_key="input_conditions")

    def has_time_condition(doc: Doc, s: int, e: int) -> bool:
        """Whether sentence [s, e) ties the promise to an event, not only to the customer's
        input ("once it ships", not "once we have the details")."""
        if conditions is None:
            return False
        waits = [m.span() for m in checks.finditer_span(doc, inputs, "prose", s, e)] \
            if inputs is not None else []
        return any(not any(a <= m.start() < b for a, b in waits)
                   for m in checks.finditer_span(doc, conditions, "prose", s, e))
    not_after = compile_phrases(get_list(settings, "not_followed_by"),
                                phrases_key="not_followed_by")

    def asked_before(doc: Doc, sents: list[tuple[int, int]], k: int, at: int) -> bool:
        """Whether the customer is asked for something before `at`: in its sentence `k`, or in
        the sentence before (a question, or a request)."""
        start = sents[k - 1][0] if k > 0 else sents[k][0]
        if k > 0 and "?" in doc.prose[sents[k - 1][0]:sents[k - 1][1]]:
            return True
        return requests is not None and checks.search(doc, requests, start, at)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        sents = doc.sentences
        found = [(m, False) for m in checks.finditer(doc, promises)] if promises else []
        # A promise to look into it and come back is one promise, not two: a work promise
        # overlapping a promise is dropped (the furthest end among the promises that start
        # before it ends tells, found by halving).
        starts = [m.start() for m, _ in found]
        reach = list(accumulate((m.end() for m, _ in found), max))
        for m in checks.finditer(doc, work) if work else ():
            before = bisect_left(starts, m.end())
            if not (before and reach[before - 1] > m.start()):
                found.append((m, True))
        for m, is_work in sorted(found, key=lambda f: f[0].start()):
            k = bisect_right(sents, m.start(), key=_start) - 1  # the last sentence from before it
            if k < 0 or m.start() >= sents[k][1]:
                continue
            if is_work and asked_before(doc, sents, k, m.start()):
                continue  # "DM us the order and we'll look into it": what happens with the answer
            s, e = sents[k]
            after = e - len(doc.prose[m.end():e].lstrip())
            if not_after is not None and not_after.match(doc.prose, after, e):
                continue  # "follow up with our team there": routing, not a promise of news
            end = sents[k + 1][1] if k + 1 < len(sents) else e
            if (times is not None and checks.search(doc, times, s, end)) or \
                    has_time_condition(doc, s, e):
                continue
            yield Hit(m.start(), m.end(), f"Promise without a time: {quote(m.group())}")

    return check


@rule(
    "OWN006", "hand-off", "info", P,
    "Sending the customer elsewhere to start again (“contact another department”, “visit a "
    "store”).",
    what="Finds hand-offs that push the work back to the customer — “contact another "
         "department”, “speak to our billing team”, “go into store and speak with a colleague”, "
         "“we recommend that you contact our help desk team”, another channel or going back "
         "(“please reach us via phone or chat”, “can you try calling back?”), a form or a "
         "link to start again through (“contact us using the form”, “reach out here: …”) — "
         "from the `phrases` / `patterns` settings (phrase patterns, see “Phrase patterns”). "
         "Routing to your own private channel (“DM us”, “reach out to us”) is not a hand-off, "
         "and neither is an offer for later in a sentence that says when it applies "
         "(`fallbacks`: “if you have more questions, contact our support team”, “feel free to "
         "reach out to our support team”), nor a reply to a customer who asked for a person "
         "(`contact_requests`: “a live agent”, “speak to someone”).",
    why=WHY + " The customer came to you; sending them to someone else means explaining it all "
        "again. Route it yourself and tell them who will contact them and when.",
    example="Please contact another department about the refund.",
    instead="I've passed your refund to our billing team, and they'll email you by Friday.",
    fix="Route it yourself and say who will contact them, and when",
)
def _own006(settings: Mapping[str, Any]) -> Check:
    handoffs = checks.existence(settings, "Hand-off: {match}; route it yourself")
    fallbacks = compile_phrases(get_list(settings, "fallbacks"), phrases_key="fallbacks")

    asked = compile_phrases(get_list(settings, "contact_requests"),
                            phrases_key="contact_requests")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if asked is not None and ctx.customer_text and asked.search(ctx.customer_text):
            return  # they asked how to reach a person: the way to one is the answer
        for hit in handoffs(doc, ctx):
            s, _ = doc.sentence_at(hit.start)
            if fallbacks is not None and s <= hit.start and checks.search(
                    doc, fallbacks, s, hit.start):
                continue  # "if you have more questions, contact our support team": for later
            yield hit

    return check
