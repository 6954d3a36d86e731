"""Directness (DIR): the answer first; no preamble, hedging, or overlong sentences and
paragraphs."""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Iterator, Mapping
from operator import itemgetter
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_num, quote
from drafter.review.context import ReviewContext
from drafter.review.matching import Phrases, is_word_char
from drafter.review.registry import ANY, Check, Hit, rule
from drafter.review.rules.plain import own_words
from drafter.review.structure import PARAGRAPH
from drafter.review.text import WORD_RE, Doc, word_re

P = "answer_directly"
WHY = "The guide's principle “Answer first and directly”."
_end = itemgetter(1)  # of a span


@rule(
    "DIR001", "preamble", "info", P,
    "Filler before the answer (“Thank you for reaching out regarding your inquiry”).",
    what="Finds preamble and filler in the opening sentences of the reply — “thank you for "
         "contacting us regarding your inquiry”, “we have received your message”, “I hope this "
         "email finds you well” — from the `phrases` / `patterns` settings.",
    why=WHY + " Every sentence before the answer is one the customer has to wade through.",
    example="Thank you for contacting us regarding your inquiry. You can change the address "
            "until the order ships.",
    instead="You can change the address until the order ships: open Orders and choose Edit "
            "address.",
    fix="Delete the preamble and start with the answer",
    known_problems="Thanks in other words than the list's can still open a reply without being "
                   "filler. About three in four of its findings were right when measured on real "
                   "replies, so it reports as info.",
)
def _dir001(settings: Mapping[str, Any]) -> Check:
    found = checks.existence(settings, "Preamble before the answer: {match}", region="opening",
                             fix="Delete it and start with the answer")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        # A short reply's opening is all of it: thanks in its last sentence, after what it
        # says, close the reply ("... DM us. Thank you for your patience.") and precede nothing.
        _, b1 = doc.body
        for hit in found(doc, ctx):
            if any(hit.start < s < b1 and doc.sentence_words[i]
                   and not doc.structure.inside(s, e)  # a signature ("^KT") is no sentence
                   for i, (s, e) in enumerate(doc.sentences)):
                yield hit

    return check


@rule(
    "DIR002", "hedging", "info", P,
    "Hedging (“I think”, “it might be possible”, “perhaps”).",
    what="Finds hedges that make the answer sound unsure — “I think”, “I believe”, “it might be "
         "possible”, “perhaps”, “maybe”, “sort of” — from the `phrases` / `patterns` settings.",
    why=WHY + " A hedged answer leaves the customer unsure whether it is the answer.",
    example="I think it might be possible to change the address.",
    instead="You can change the address until the order ships.",
    fix="State it plainly, or find out and then state it",
    known_problems="A hedge word is not always a hedge: “what kind of plan” is a noun phrase, "
                   "and “it looks like the order shipped” can report what the agent sees. About "
                   "six in ten findings were right on real replies.",
)
def _dir002(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Hedging: {match}", fix="State it plainly")


def _word_count(doc: Doc, start: int, end: int) -> int:
    return len(word_re(doc.prose).findall(doc.prose, start, end))


@rule(
    "DIR003", "long-sentence", "info", P,
    "Sentences longer than the guide's limit (`max_words`).",
    what="Counts the words of each sentence of the body and flags those over `max_words` "
         "(default 30). URLs, code, quotations, @handles and #tags do not count.",
    why=WHY + " The guide asks for short sentences: a long one hides the point and is hard to "
        "read on a phone.",
    example="We have looked into the order that you placed last week and we can see that it was "
            "sent to the old address because the change you made to your account was saved "
            "after the parcel had already been handed over to the courier for delivery.",
    instead="Your parcel went to your old address. The courier had it before your change was "
            "saved.",
    fix="Split it into shorter sentences",
    defaults={"max_words": 30},
    known_problems="A sentence a little over the limit with one clear point reads fine, and "
                   "chatty banter with asides is counted like prose. About six in ten findings "
                   "were right on real replies (the workbench and the holdout alike): treat it "
                   "as a prompt to look, not a rule.",
    languages=(ANY,),
)
def _dir003(settings: Mapping[str, Any]) -> Check:
    most = int(get_num(settings, "max_words", 30))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        for (s, e), words in zip(doc.sentences, doc.sentence_words, strict=True):
            if len(words) <= most:
                continue  # its own words are fewer still
            n = len(own_words(doc.prose, s, e, words))
            if n > most:
                yield Hit(s, e, f"Sentence of {n} words (the guide's limit is {most}): "
                          f"{quote(doc.text[s:e], 40)}")

    return check


@rule(
    "DIR004", "long-paragraph", "info", P,
    "Paragraphs longer than the guide's limit (`max_sentences` or `max_words`).",
    what="Flags body paragraphs with more than `max_sentences` sentences (default 5) or more than "
         "`max_words` words (default 100). Reads the paragraphs of the reply's structure: a "
         "numbered or bulleted list is a list, not a paragraph, and the line that introduces it "
         "is a paragraph of its own; quoted text and code are not the writer's paragraphs.",
    why=WHY + " The guide asks for paragraphs of a few lines; a wall of text gets skimmed.",
    example="Your order shipped. It left on Monday. The courier has it. It is in transit. It "
            "should arrive soon. You can track it online. Tracking updates daily.",
    instead="Your order shipped on Monday and arrives on Thursday.\n\nYou can track it under "
            "Orders.",
    fix="Break it into shorter paragraphs",
    known_problems="A reply of short sentences (a greeting, thanks, a courtesy) can pass the limit "
                   "without being a wall of text. One of its three findings on real replies "
                   "(the workbench and the holdout) was right; it fires rarely and reports as "
                   "info: read it as a hint.",
    defaults={"max_sentences": 5, "max_words": 100},
    languages=(ANY,),
)
def _dir004(settings: Mapping[str, Any]) -> Check:
    max_sent = int(get_num(settings, "max_sentences", 5))
    max_words = int(get_num(settings, "max_words", 100))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        sents = doc.sentences
        # Sentences ascend and do not overlap: those inside a paragraph are a slice.
        words = doc.sentence_words
        b0, b1 = doc.body
        # Sentences and words are a character or more, a character apart: a paragraph this
        # short cannot pass either limit (a text of one-word paragraphs is mostly these).
        shortest = 2 * min(max_sent, max_words) + 1
        for ps, pe in doc.structure.spans((PARAGRAPH,)):
            if pe - ps < shortest:
                continue
            lo = bisect_left(sents, (ps,))  # the first sentence starting at ps or later
            hi = bisect_right(sents, pe, lo, key=_end)
            n_sent = hi - lo
            if n_sent > max_sent:
                n_words = 0  # not shown
            elif (b0 <= ps and pe <= b1 and not (lo > 0 and sents[lo - 1][1] > ps)
                  and not (hi < len(sents) and sents[hi][0] < pe)
                  and sum(map(len, words[lo:hi])) <= max_words):
                # A paragraph of the body that no sentence crosses has its words in its
                # sentences, so this is its word count: short enough.
                continue
            else:
                n_words = _word_count(doc, ps, pe)
            if n_sent > max_sent or n_words > max_words:
                what = (f"{n_sent} sentences (limit {max_sent})" if n_sent > max_sent
                        else f"{n_words} words (limit {max_words})")
                end = doc.text.find("\n", ps, pe)
                yield Hit(ps, pe if end == -1 else end, f"Paragraph of {what}")

    return check


_STEM_RE = re.compile(r"(?:ing|ed|es|s)$")


def content_words(text: str, stop: frozenset[str]) -> set[str]:
    """The stems of the words worth comparing (four letters or more, or a name in capitals such
    as "PSN"; not stop words)."""
    out = set()
    for w in WORD_RE.findall(text):
        short_name = len(w) >= 2 and w.isupper()
        w = w.lower().replace("’", "'")
        if (len(w) >= 4 or short_name) and w not in stop:
            out.add(_STEM_RE.sub("", w) if len(w) > 5 else w)
    return out


@rule(
    "DIR005", "question-not-answered-first", "info", P,
    "The customer asked a question, and the opening of the reply does not address it.",
    what="When the customer asked a question (context signal) and their words are known, the "
         "opening sentences of the reply either start with a direct answer (`answer_starts`: "
         "“Yes”, “No”, “You can”, ...), ask for the details needed to answer (a question back, "
         "or one of `detail_requests`: “DM us”, “could you”, ...; not for a general how-to, "
         "which-one or why question, `general_questions`, that names nothing of the customer's "
         "own case, `case_words`), give a reason or a way "
         "(`answer_phrases`: “because”, “due to”, “follow these steps”; not “please follow us”, "
         "a channel's step), take up a suggestion "
         "put as a question (“great idea”), or share a content "
         "word with the question (with the whole message when the question itself is a few "
         "words). The opening is `opening_sentences` sentences (default 2), and "
         "`upset_extra_sentences` more (default 1) when the customer is upset: their feelings "
         "come first, and the answer right after them. A greeting on its own (“Hey there!”) "
         "is not one of the opening sentences. A later part of a split reply (“2/2”) is not "
         "judged: its opening was in part 1. Silent when the customer's words or the question "
         "signal are unknown.",
    why=WHY + " The customer wrote to get this answer; it belongs in the first sentence, not the "
        "third paragraph.",
    example="Thank you for being a loyal customer. We value your feedback.",
    instead="Yes, you can change the delivery address until the order ships.",
    fix="Answer the question in the first sentence",
    defaults={"opening_sentences": 2, "upset_extra_sentences": 1},
    example_context={"asks_question": True,
                     "customer_text": "Can I change the delivery address of my order?"},
    needs=("asks_question", "customer_text"),
    known_problems="The question signal cannot tell a real question from a rhetorical one (“are "
                   "you even trying to help?”), a suggestion ending in a question mark, or "
                   "banter; and an answer in other words than the question's, or in another "
                   "language, can go unseen; whether a question is general or about the "
                   "customer's own case is read from word lists. About six in ten of its "
                   "findings were right on real tweets (8 of 13 on the workbench and the holdout "
                   "together), so it reports as info and reads as “check that the reply "
                   "answers”.",
)
def _dir005(settings: Mapping[str, Any]) -> Check:
    starts = compile_phrases(get_list(settings, "answer_starts"))
    asks = compile_phrases(get_list(settings, "detail_requests"))
    ways = compile_phrases(get_list(settings, "answer_phrases"))
    general = compile_phrases(get_list(settings, "general_questions"))
    case = compile_phrases(get_list(settings, "case_words"))
    stop = frozenset(w.lower() for w in get_list(settings, "stop_words"))
    n = int(get_num(settings, "opening_sentences", 2))
    upset_n = n + int(get_num(settings, "upset_extra_sentences", 1))

    def answers(doc: Doc, own: int, s: int, e: int, about_case: bool) -> bool:
        """Whether the sentence [s, e), whose own words start at `own`, answers or asks for the
        details an answer needs (only a question about the customer's own case needs them)."""
        if doc.prose[s:e].rstrip().endswith("?"):
            return True  # asks the customer what it needs to know to answer
        return bool(starts is not None and starts.match(doc.prose, own)) or (
            ways is not None and checks.search(doc, ways, s, e)) or (
            about_case and asks is not None and checks.search(doc, asks, s, e))

    def about_case(said: str) -> bool:
        """Whether the customer's words ask about their own case (an order, an account), not a
        general how-to, which-one or why that a reply can answer in public."""
        return general is None or not _finds(general, said) or (
            case is not None and _finds(case, said))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.asks_question or not ctx.customer_text or doc.structure.continues(doc.text):
            return  # no question, or part 2 of a split reply: part 1 opened it
        opening = []  # the first n sentences with words of their own (not just "Hi Jo!")
        # An upset customer's feelings come first (the guide's "acknowledge"): the answer may
        # follow them.
        wanted = upset_n if ctx.upset else n
        for ss, se in doc.sentences:
            own = _LEAD_IN.match(doc.prose, ss, se)
            at = own.end() if own else ss
            if WORD_RE.search(doc.prose, at, se):
                opening.append((at, ss, se))
                if len(opening) == wanted:
                    break
        said = _CHANNEL_WORDS.sub(" ", ctx.customer_text)
        own_case = about_case(said)
        if not opening or any(answers(doc, *sent, own_case) for sent in opening):
            return
        questions = re.findall(r"[^.!?\n]*\?", said)
        asked = content_words(" ".join(questions), stop)
        if len(asked) < 2:
            asked |= content_words(said, stop)  # "Little help?": the question is the message
        said_back = doc.prose[opening[0][1]:opening[-1][2]]
        if not asked or asked & (content_words(said_back, stop) | {
                w.lower() for w in WORD_RE.findall(said_back)}):
            return
        first = doc.sentences[0]
        shown = (questions[0] if questions else ctx.customer_text).strip()
        yield Hit(first[0], first[1], "The customer asked "
                  f"{quote(shown, 50)}, but the opening "
                  f"{quote(doc.text[first[0]:first[1]], 40)} does not answer it")

    return check


def _finds(phrases: Phrases, text: str) -> bool:
    return phrases.search(text) is not None


# Handles and links in the customer's words are not what they asked about.
_CHANNEL_WORDS = re.compile(r"[@#]\w+|https?://\S+")
# Where a sentence's own words start: after @handles, emoji, and a greeting ("@jo Hi Jo, emails
# can take a day"; "Hey there!").
_LEAD_IN = re.compile(r"(?:[\W_]*@\w+)*[\W_]*"
                      r"(?:(?i:hi|hello|hey|dear|howdy)\b[^,.!?\n]{0,30}(?:[,!.:-]+\W*|$))?")


@rule(
    "DIR006", "repeated-sentence", "warning", P,
    "The same sentence more than once (a model repeating itself, a paste made twice).",
    what="Flags a body sentence of at least `min_words` words (default 6) whose words, ignoring "
         "case and punctuation, are those of an earlier sentence of the same text.",
    why=WHY + " Saying it twice makes the reply longer and the answer harder to find; from a "
        "model it is a sign the draft ran into a loop.",
    example="Your new lamp shade ships today by courier. You can track it under Orders. Your new "
            "lamp shade ships today by courier.",
    instead="Your new lamp shade ships today by courier. You can track it under Orders.",
    fix="Delete the repeat",
    defaults={"min_words": 6},
    languages=(ANY,),
)
def _dir006(settings: Mapping[str, Any]) -> Check:
    least = int(get_num(settings, "min_words", 6))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        keys = list(map(str.lower, map(" ".join, doc.sentence_words)))
        if len(set(keys)) == len(keys):
            return  # no sentence said twice, long or short (most texts: settled in C)
        seen: dict[str, int] = {}
        for (s, e), words, key in zip(doc.sentences, doc.sentence_words, keys, strict=True):
            if len(words) < least:
                continue
            if key in seen:
                line, _ = doc.line_col(seen[key])
                yield Hit(s, e, f"Repeats the sentence of line {line}: {quote(doc.text[s:e], 40)}",
                          fix="Delete the repeat")
            else:
                seen[key] = s
    return check


@rule(
    "DIR007", "restating-opener", "warning", P,
    "An opening that repeats the customer's request (“I understand that you would like to…”).",
    what="Finds, in the first two sentences (never the last sentence of a longer reply), a "
         "restatement of what the customer asked for — “I "
         "understand that you would like to change your address”, “I understand that you are "
         "waiting for…”, “I see that you want to…”, “You mentioned that you need…”, “I "
         "appreciate your interest in…” — from the `phrases` / `patterns` settings, which are "
         "phrase patterns (see “Phrase patterns”). Feelings are not requests: “I understand "
         "you're frustrated” is an acknowledgement and is left alone.",
    why=WHY + " The customer knows what they asked; reading it back to them delays the answer "
        "and sounds like a script.",
    example="I understand that you would like to change your delivery address. Open Orders and "
            "choose Edit address.",
    instead="Open Orders and choose Edit address: you can change it until the parcel ships.",
    fix="Delete the restatement and start with the answer",
)
def _dir007(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "The opening restates the request: {match}",
                            region="lead")


@rule(
    "DIR008", "announcing-help", "warning", P,
    "An opening that announces help instead of giving it (“I'm here to help you with that”).",
    what="Finds, in the first two sentences (never the last sentence of a longer reply), "
         "announcements of help — “I'm here to help you "
         "with…”, “I'd be happy to assist you with…”, “we are more than happy to help” (after a "
         "leading clause too), “I'd like to work with you on…”, “Allow me to assist you”, “Let "
         "me guide you through the process” — from the `phrases` / `patterns` settings (phrase "
         "patterns, see “Phrase patterns”). A short brand line on its own (“Here to help!”) is "
         "left alone, and so is a help line joined with “and” to a clause that came first "
         "(“Reporting errors is possible, and we're here to assist you”), unless that clause is "
         "itself preamble (`preamble_clauses`: thanks, “your feedback is valuable to us”, a "
         "restatement).",
    why=WHY + " Announcing help is a sentence without help in it: the customer still waits for "
        "the answer.",
    example="Of course! I'm here to help you with that. Your invoice is under Billing.",
    instead="Your invoice is under Billing: choose the month and press Download.",
    fix="Delete it and start helping",
)
def _dir008(settings: Mapping[str, Any]) -> Check:
    found = checks.existence(settings, "The opening announces help instead of helping: {match}",
                             region="lead")
    preamble = compile_phrases(get_list(settings, "preamble_clauses"),
                               phrases_key="preamble_clauses")

    def follows_an_answer(doc: Doc, start: int) -> bool:
        """Whether the match at `start` is joined with "and" to a clause before it in its
        sentence that says something (not thanks, praise of the feedback or a restatement)."""
        s, _ = doc.sentence_at(start)
        head = doc.prose[s:start].rstrip()
        if head[-3:].lower() != "and" or (len(head) > 3 and is_word_char(head[-4])):
            return False
        clause = (s, s + len(head) - 3)
        return WORD_RE.search(doc.prose, *clause) is not None and not (
            preamble is not None and checks.search(doc, preamble, *clause))

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        # "Reporting errors is possible, and we're here to assist you": the help line follows
        # the answer; "Your feedback is valuable to us, and I'd be happy to assist" does not.
        return [h for h in found(doc, ctx) if not follows_an_answer(doc, h.start)]

    return check
