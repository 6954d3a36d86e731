"""Empathy (EMP): acknowledge how the problem affects the customer, in your own words, once."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_num
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import WORD_RE, Doc

P = "empathy"
WHY = "The guide's principle “Acknowledge feelings”."


# Where the first sentence's own words start: after @handles, emoji and marks.
_LEAD_IN = re.compile(r"(?:[\W_]*@\w+)*[\W_]*")


def _canned_regex(settings: Mapping[str, Any]) -> Any:
    return compile_phrases(get_list(settings, "canned_phrases"),
                           get_list(settings, "canned_patterns"), key="canned_patterns")


@rule(
    "EMP001", "missing-acknowledgement", "info", P,
    "An upset customer, or one reporting a problem, gets no early acknowledgement.",
    what="When the customer is upset or reports a problem (context signals from the ticket: the "
         "`upset_words` — anger, insults (“a bunch of crooks”), contact made again and again "
         "(“multiple calls”, “the 3rd notice”), promises not kept, a problem still there or "
         "back again; and marks — swearing (`upset_mark_words`), “!!”, capitals, a “#…fail” "
         "tag, an angry, tearful or worried face — except in a message of praise "
         "(`praise_words`); the `problem_words`), the "
         "first `opening_sentences` sentences of the reply acknowledge how it affects them: one of "
         "the `acknowledgements` phrases (“I'm sorry”, “I understand”, “that sounds "
         "frustrating”, “sorry to hear”, “I can see how…”, ...; not “I can see it works on "
         "my end”), not a stock apology. A calm question (not upset) "
         "answered in the reply's first words (`answer_starts`: “Yes”, “We're not aware of any "
         "issue”) needs none. A later part of a split reply "
         "(“2/2”) is not judged: its opening was in part 1. Silent when the signals are "
         "unknown.",
    why=WHY + " A customer who feels heard accepts the answer; one who does not, argues with it.",
    example="Your replacement ships on Monday.",
    instead="I'm sorry the blender arrived broken. Your replacement ships on Monday.",
    fix="Open by acknowledging how this affects them",
    defaults={"opening_sentences": 2},
    example_context={"upset": True, "reports_problem": True},
    needs=("upset", "reports_problem"),
    known_problems="It cannot tell a calm how-to question that mentions a problem from a "
                   "complaint, or a playful message with a crying emoji from a sad one, and "
                   "some acknowledgements are in words of their own (a warm “we'd love to see "
                   "you back”, agreeing that it is “unbelievable”). About four in five findings "
                   "were right on real tweets, so it reports as info.",
)
def _emp001(settings: Mapping[str, Any]) -> Check:
    acks = compile_phrases(get_list(settings, "acknowledgements"),
                           get_list(settings, "acknowledgement_patterns"))
    canned = _canned_regex(settings)
    answers = compile_phrases(get_list(settings, "answer_starts"))
    n = int(get_num(settings, "opening_sentences", 2))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if acks is None or not (ctx.upset or ctx.reports_problem):
            return
        opening = doc.opening(n)
        if opening is None or doc.structure.continues(doc.text):
            return  # nothing to read, or part 2 of a split reply: part 1 opened it
        s, e = opening
        if ctx.asks_question and not ctx.upset and answers is not None:
            lead = _LEAD_IN.match(doc.prose, s, e)
            if answers.match(doc.prose, lead.end() if lead else s):
                return  # a calm question answered in the first words needs no preamble
        # (The phrase lists are looked up by the text's words, not scanned for.)
        stock = [m.span() for m in checks.finditer_span(doc, canned, "prose", s, e)] \
            if canned else []
        for m in checks.finditer_span(doc, acks, "prose", s, e):
            if not any(cs <= m.start() < ce for cs, ce in stock):
                return
        first = doc.sentences[0]
        why = "is upset" if ctx.upset else "reports a problem"
        yield Hit(first[0], first[1], f"The customer {why}, but the opening "
                  f"{checks.quote(doc.text[first[0]:first[1]], 40)} does not acknowledge how it "
                  "affects them")

    return check


@rule(
    "EMP002", "canned-apology", "warning", P,
    "Stock, impersonal apologies (“we apologize for any inconvenience”).",
    what="Finds the stock apologies of the `canned_phrases` / `canned_patterns` settings: “we "
         "apologize for any inconvenience”, “sorry for the inconvenience caused”, “we regret any "
         "inconvenience”, an apology for “any” frustration, trouble or confusion whatever "
         "follows it (“sorry to hear of any frustration”), conditional ones (“sorry if we "
         "haven't…”), and non-apologies, sorry for what the customer thinks or feels rather "
         "than for what happened (“I apologize that you think that”, “sorry you feel that "
         "way”), ...",
    why=WHY + " A stock apology says nobody looked at this customer's situation; it reads as the "
        "opposite of empathy.",
    example="We apologize for any inconvenience this may have caused.",
    instead="I'm sorry the parcel arrived late, especially when you needed it for Saturday.",
    fix="Apologize for the specific problem, in your own words",
)
def _emp002(settings: Mapping[str, Any]) -> Check:
    canned = _canned_regex(settings)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        for m in checks.finditer(doc, canned):
            yield Hit(m.start(), m.end(), f"Stock apology: {checks.quote(m.group())}")

    return check


@rule(
    "EMP003", "over-apologizing", "info", P,
    "More apologies than the guide allows (“sorry” in every sentence).",
    what="Counts apologies (the `phrases` / `patterns` settings: sorry, apologize, apologies, "
         "regret, ...) and flags each one beyond `max`. A negated one (“no need to apologize”) "
         "does not count.",
    why=WHY + " The guide says apologize once: repeated apologies sound anxious and bury the "
        "answer.",
    example="Sorry for the delay. Sorry again, and sorry that the parcel is late.",
    instead="I'm sorry the parcel is late. It's now with the courier and arrives tomorrow.",
    fix="Apologize once",
    defaults={"max": 1},
    known_problems="It counts apologies, not how they read: two apologies far apart in a long "
                   "answer (one at the start, one in the closing) are not over-apologizing. Its "
                   "one finding on the real replies of the workbench was of that kind, so it "
                   "reports as info.",
)
def _emp003(settings: Mapping[str, Any]) -> Check:
    return checks.occurrence(settings, "Apology {match} is one of {count}; the guide allows {max}",
                             default_max=1, fix="Apologize once", skip_negated=True)


@rule(
    "EMP004", "dismissive", "warning", P,
    "Phrases that dismiss the customer's feelings (“calm down”, “it's not a big deal”).",
    what="Finds phrases that minimize or dismiss how the customer feels: “calm down”, “there's no "
         "need to be upset”, “it's not a big deal”, “you're overreacting”, and the rest of the "
         "`phrases` / `patterns` settings.",
    why=WHY + " Telling people how to feel never calms them; it tells them they were not heard.",
    example="Please calm down, it's not a big deal.",
    instead="I understand how frustrating this is, and I'll get it fixed today.",
    fix="Acknowledge the feeling instead",
)
def _emp004(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Dismissive: {match}", fix="Acknowledge the feeling instead")


@rule(
    "EMP005", "generic-apology", "info", P,
    "An apology for “the trouble” or “any confusion” that never says what went wrong.",
    what="Finds apologies whose object is a stock word — “sorry for the trouble”, “I apologize "
         "for the confusion”, “apologies for your frustration” — from the `phrases` / "
         "`patterns` settings (phrase patterns, see “Phrase patterns”), when the apology ends "
         "its clause (`at_clause_end`: punctuation or the sentence's end comes next): “sorry for "
         "the trouble with your card” names the "
         "problem and is left alone, and so is one that takes up the customer's own word "
         "(“sorry for the frustration” to “this is so frustrating”). Apologies for “any” "
         "trouble or inconvenience are EMP002's.",
    why=WHY + " An apology that could be pasted into any reply tells the customer nobody read "
        "theirs.",
    example="We apologize for the trouble! Your refund was sent today.",
    instead="I'm sorry your refund took two weeks. It was sent today.",
    fix="Say what you are sorry about",
    defaults={"at_clause_end": True},
)
def _emp005(settings: Mapping[str, Any]) -> Check:
    found = checks.existence(settings, "Generic apology: {match}; say what went wrong")

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        hits = found(doc, ctx)
        if not hits or not ctx.customer_text:
            return list(hits)
        said = ctx.customer_text.lower()
        # "Sorry for the frustration" to a customer who wrote "so frustrating" takes up their
        # own word: it names what they feel.
        return [h for h in hits if _ECHO_STEM.sub("", _last_word(doc.text[h.start:h.end]))
                not in said]

    return check


def _last_word(text: str) -> str:
    words = WORD_RE.findall(text.lower())
    return words[-1] if words else ""


# The stem of the apology's last word ("frustration" -> "frustrat"), found in "frustrating".
_ECHO_STEM = re.compile(r"(?:ions?|ing|ed|es|s)$")
