"""Sanity (SAN): the failures that make a model's draft no draft at all — it echoes its prompt or
the customer, speaks as the customer, greets mid-body, answers in another language, or ignores
the question."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from functools import cache
from typing import Any

from drafter.greetings import greeting_line, sign_off_line
from drafter.review.checks import get_list, get_num
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.rules.directness import content_words
from drafter.review.structure import PARAGRAPH
from drafter.review.text import WORD_RE, Doc, Words, lowered_words

HYGIENE = "hygiene"
WHY = "The guide's principle “Send a finished message”."


def shared_runs(text: Words, source: str, n: int) -> list[tuple[int, int, int]]:
    """The stretches of a text (its `lowered_words`) made of word sequences of at least `n` words
    that also occur in `source`, as (start, end, words), merged where they overlap."""
    words = text.words
    if len(words) < n:
        return []
    theirs = lowered_words(source).words
    grams = {tuple(theirs[i:i + n]) for i in range(len(theirs) - n + 1)}
    known = set(theirs)
    # Only a stretch of `n` words that are all in the source can be a shared run: the windows
    # are read between the words the source does not have (most of a long text's words).
    unknown = [i for i, w in enumerate(words) if w not in known]
    runs: list[list[int]] = []
    for lo, hi in zip([-1, *unknown], [*unknown, len(words)], strict=True):
        for i in range(lo + 1, hi - n + 1):
            if tuple(words[i:i + n]) in grams:
                if runs and i <= runs[-1][1]:
                    runs[-1][1] = i + n - 1
                else:
                    runs.append([i, i + n - 1])
    return [(text.starts[a], text.ends[b], b - a + 1) for a, b in runs]


# --- SAN001 -----------------------------------------------------------------------------------

_MARKUP = re.compile(r"</?\s*(?:ticket|message|subject)\b[^>\n]{0,120}>|"
                     r"<\|[a-z_]{2,30}\|>|\[/?INST\]", re.IGNORECASE)
# Any HTML or XML tag: a model's plain-text draft has none (it imitates markup it has seen).
_TAG = re.compile(r"</?[a-z][a-z0-9_-]*(?:\s[^<>\n]{0,200})?/?>", re.IGNORECASE)


@rule(
    "SAN001", "prompt-echo", "error", HYGIENE,
    "The draft repeats its prompt: its instructions, or the markup around the ticket.",
    what="Compares a model's draft with the prompt it was given — the instructions and the data "
         "delimiters only, never the customer's words (SAN002) or reference material — and "
         "flags a run of at least `min_words` words (default 7) that the draft shares with the "
         "instructions, and any markup of the prompt (`<ticket>`, `</message>`, `<message "
         "from=\"customer\" …>`, `<subject>`, chat-template tokens such as `<|im_end|>`); in a "
         "model's draft, any HTML or XML tag too (`<details>`, `<p>`: a plain-text draft has "
         "none). Silent without the prompt: the pipeline passes it for every draft, and `draft review "
         "--ticket` renders the prompt that ticket would get.",
    why=WHY + " A sentence of the prompt or a `</message>` tag in a reply shows the customer the "
        "machinery and answers nothing; the draft has to be rewritten.",
    example="You are the support agent: write your email reply to the customer's latest "
            "message.\n\nYour lamp ships today.",
    instead="Your lamp ships today, and the courier will bring it on Thursday.",
    fix="Delete the echoed prompt and write the reply itself",
    defaults={"min_words": 7},
    example_context={"prompt": "<ticket>\n</ticket>\n\nAbove is the conversation with a "
                               "customer. You are the support agent: write your email reply to "
                               "the customer's latest message."},
    needs=("prompt",),
)
def _san001(settings: Mapping[str, Any]) -> Check:
    n = int(get_num(settings, "min_words", 7))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.prompt:
            return
        found = [(m.start(), m.end(), f"Prompt markup in the draft: {m.group(0)}")
                 for m in _MARKUP.finditer(doc.text)]
        if ctx.model_draft:
            seen = {s for s, _, _ in found}
            found += [(m.start(), m.end(), f"Markup in the draft: {m.group(0)}")
                      for m in _TAG.finditer(doc.text) if m.start() not in seen]
        found += [(s, e, f"The draft repeats its prompt's instructions ({k} words)")
                  for s, e, k in shared_runs(doc.lowered_words, ctx.prompt, n)]
        for s, e, message in sorted(found):
            yield Hit(s, e, message)

    return check


# --- SAN002 -----------------------------------------------------------------------------------

# The larger regexes of these rules are compiled on first use: the rules need a customer's
# message or a model's draft, which `draft lint` seldom has.
@cache
def _introduced() -> re.Pattern[str]:
    return re.compile(
        r"(?:you (?:wrote|said|mentioned|asked|write|say|mention)|in your (?:message|email|last "
        r"message)|you(?:'ve| have) (?:written|said|asked))\W{0,6}$", re.IGNORECASE)


@rule(
    "SAN002", "customer-echo", "error", HYGIENE,
    "The draft repeats the customer's own message back to them.",
    what="Flags a run of at least `min_words` words (default 10) that the draft shares with the "
         "customer's latest message. Quoting them is fine: a run of up to `max_quote_words` "
         "words (default 30) in quotation marks, on a `>` line, or right after “you wrote” / "
         "“you mentioned” / “in your message” is a quote, not an echo. Silent without the "
         "customer's words.",
    why=WHY + " A reply that hands the customer their own email (the bundled model's typical "
        "failure) answers nothing.",
    example="I paid 189 euros for this lamp and I needed it for a room I am finishing this "
            "weekend.",
    instead="You wrote: “I needed it for a room I am finishing this weekend.” A new lamp "
            "will reach you by Friday.",
    fix="Answer the customer instead of repeating their message",
    defaults={"min_words": 10, "max_quote_words": 30},
    example_context={"customer_text": "I paid 189 euros for this lamp and I needed it for a "
                                      "room I am finishing this weekend. Can you help?"},
    needs=("customer_text",),
)
def _san002(settings: Mapping[str, Any]) -> Check:
    n = int(get_num(settings, "min_words", 10))
    max_quote = int(get_num(settings, "max_quote_words", 30))

    def quoted(doc: Doc, start: int, end: int) -> bool:
        if any(qs <= start and end <= qe for qs, qe in (*doc.quotations, *doc.quoted_lines)):
            return True
        line_start = doc.text.rfind("\n", 0, start) + 1
        return bool(_introduced().search(doc.text[line_start:start].rstrip("“\"'‘ ")))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.customer_text:
            return
        for s, e, k in shared_runs(doc.lowered_words, ctx.customer_text, n):
            if k <= max_quote and quoted(doc, s, e):
                continue
            yield Hit(s, e, f"The draft repeats {k} words of the customer's message")

    return check


# --- SAN003 -----------------------------------------------------------------------------------

# What the agent owns and may call "my": these are not the customer's.
_AGENT_NOUNS = frozenset({
    "team", "colleague", "colleagues", "manager", "name", "apologies", "apology", "pleasure",
    "side", "end", "best", "part", "view", "role", "job", "desk", "shift", "supervisor", "lead",
    "understanding", "knowledge", "own", "thanks", "sincere", "records", "notes", "check"})
# Verbs an agent says in the first person all the time ("I understand", "I can").
_AGENT_VERBS = frozenset({
    "understand", "can", "will", "'ll", "am", "'m", "would", "'d", "see", "know", "think",
    "hope", "apologize", "apologise", "have", "'ve", "just", "also", "could", "should", "do",
    "did", "checked", "looked", "asked", "sent", "need", "want", "appreciate", "agree",
    "recommend", "suggest", "completely", "totally", "really", "absolutely", "fully", "must",
    "may", "might", "get", "got", "found", "noticed", "wanted", "let", "made", "set",
    "arranged", "confirmed", "booked", "escalated", "passed", "forwarded", "spoke", "talked",
    "understood", "tried"})
# The customer's voice in any reply: frustration, their purchase, their wait.
@cache
def _voice() -> re.Pattern[str]:
    return re.compile(
        r"\bI(?:'m| am| was)(?: (?:really|very|so|quite|honestly|extremely))? (?:disappointed|"
        r"frustrated|fed up|annoyed|upset|angry|unhappy)\b(?! (?:to hear|to read|to learn|that you|"
        r"for you|on your behalf))"
        r"|\bI was hoping (?:to get|to receive|for a|you (?:could|would))"
        r"|\bI hope you can help me\b|\b(?:can|could) you (?:please )?help me\b"
        r"|\bI(?:'ve| have) (?:been waiting|attached|paid)"
        r"|\bI paid\b"
        r"|\bmy (?:order|parcel|package|delivery|purchase|refund|money)\b"
        # Asking for help rather than giving it (none of these is in the 408 real replies).
        r"|\bI(?:'m| am) unable to (?:access|log ?in|sign in|get into)\b|\bI have no access to\b"
        r"|\bhelp me out\b|\b(?:assist|help) me (?:with|in) (?:this|resolving|fixing)\b"
        r"|\bI(?:'d| would) (?:really )?appreciate it if you could\b"
        r"|\bthank(?:s| you) for your help\b", re.IGNORECASE)


# The words one of which each phrase of `_voice` holds (as `lowered_words` reads them).
_VOICE_WORDS = frozenset({"i", "i'm", "i've", "i'd", "my", "can", "could", "help", "assist",
                          "thank", "thanks"})
_FIRST_PERSON = frozenset({"my", "i", "i've"})


def _first_person(text: Words) -> Iterator[tuple[int, int, tuple[str, ...]]]:
    """The first-person phrases of a text: "my X" and "I X Y", with their spans."""
    words, starts, ends = text
    for i in [i for i, w in enumerate(words) if w in _FIRST_PERSON]:
        w = words[i]
        if w == "my" and i + 1 < len(words) and words[i + 1] not in _AGENT_NOUNS:
            yield starts[i], ends[i + 1], ("my", words[i + 1])
        elif w in ("i", "i've") and i + 2 < len(words) and words[i + 1] not in _AGENT_VERBS:
            yield starts[i], ends[i + 2], (w, words[i + 1], words[i + 2])


@rule(
    "SAN003", "customer-voice", "error", HYGIENE,
    "The draft speaks as the customer (“I was hoping to get a replacement”, “my order”).",
    what="Flags a first-person phrase that belongs to the customer: one the customer used "
         "themselves (“my order”, “I paid 189”, “I was hoping…”: a “my X” or “I X Y” of theirs, "
         "leaving out what an agent says too — “I understand”, “I can”, “my team”, “my "
         "colleague”), and the customer's stock phrases in any reply (“I'm really "
         "disappointed”, “I was hoping to get”, “I have been waiting”, “my order”). Silent "
         "without the customer's words.",
    why=WHY + " A small model often continues the customer's email instead of answering it: the "
        "result reads as the customer talking to themselves.",
    example="I'm really disappointed because I was hoping to get a replacement before Saturday.",
    instead="I'm sorry the lamp arrived broken. I can send a replacement that arrives before "
            "Saturday, or refund the full amount. Which would you prefer?",
    fix="Write as the support agent, about the customer's order",
    example_context={"customer_text": "My lamp arrived broken. I was hoping to get it before "
                                      "Saturday. Can you send a replacement?"},
    needs=("customer_text",),
    languages=("en",),
)
def _san003(settings: Mapping[str, Any]) -> Check:
    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.customer_text:
            return
        theirs = {phrase for _, _, phrase in _first_person(lowered_words(ctx.customer_text))}
        # Every stock phrase of `_voice` has one of _VOICE_WORDS: a text with none is not read.
        spans = [(m.start(), m.end()) for m in _voice().finditer(doc.text)] \
            if not _VOICE_WORDS.isdisjoint(doc.lowered_words.words) else []
        spans += [(s, e) for s, e, phrase in _first_person(doc.lowered_words) if phrase in theirs]
        last = -1
        for s, e in sorted(spans, key=lambda span: (span[0], -span[1])):
            if s < last or doc.structure.inside(s, e) or any(
                    qs <= s and e <= qe for qs, qe in (*doc.quotations, *doc.quoted_lines)):
                continue
            last = e
            yield Hit(s, e, f"The draft speaks as the customer: “{doc.text[s:e]}”")

    return check


# --- SAN004 -----------------------------------------------------------------------------------

@rule(
    "SAN004", "greeting-in-body", "error", HYGIENE,
    "A model's draft body holds a greeting or a sign-off line of its own.",
    what="In a model's draft (the body drafter wraps in the team's greeting and sign-off), "
         "flags a line that is a greeting (“Hi Maria,”, “Dear customer,”, “Guten Tag,”) or a "
         "sign-off (“Best regards,”, “Mit freundlichen Grüßen”): the reply would greet or sign "
         "twice. Only model drafts: a whole reply under review opens with its greeting by "
         "design.",
    why=WHY + " drafter adds the greeting and sign-off; a second one inside the body is the model "
        "writing a whole email, often before or after an echo of the ticket.",
    example="Your lamp ships today.\n\nHi Maria,\n\nThe courier brings it on Thursday.",
    instead="Your lamp ships today, and the courier brings it on Thursday.",
    fix="Delete the greeting or sign-off line",
    example_context={"model_draft": True},
    needs=("model_draft",),
)
def _san004(settings: Mapping[str, Any]) -> Check:
    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.model_draft:
            return
        for kind, pattern in (("greeting", greeting_line()), ("sign-off", sign_off_line())):
            for m in pattern.finditer(doc.text):
                line = m.group(0).strip()
                yield Hit(m.start() + m.group(0).index(line), m.end(),
                          f"A {kind} inside the draft body: “{line}”")

    return check


# --- SAN005 -----------------------------------------------------------------------------------

@rule(
    "SAN005", "wrong-language", "error", "personalize",
    "The reply is not in the customer's language.",
    what="Detects the language of the customer's latest message and of the reply's body (with "
         "py3langid's bundled model, over 90 languages) and flags a reply in another language "
         "than the customer's. Silent when either is unsure: under 12 letters (“ok thanks”, "
         "“Danke!”), or no language at least `min_confidence` likely (default 0.5). Silent "
         "without the customer's words.",
    why="The guide's principle “Personalize”: write to this customer, and so in their language. "
        "The bundled model writes English whatever the customer wrote.",
    example="Your order will arrive on Friday, and we will send you the tracking number today.",
    instead="Ihre Bestellung kommt am Freitag an, und wir schicken Ihnen heute die "
            "Sendungsnummer.",
    fix="Write the reply in the customer's language",
    defaults={"min_confidence": 0.5},
    example_context={"customer_text": "Können Sie mir sagen, wann meine Bestellung ungefähr "
                                      "geliefert wird? Ich bin ab dem 20. Januar verreist."},
    needs=("customer_text",),
)
def _san005(settings: Mapping[str, Any]) -> Check:
    min_confidence = float(get_num(settings, "min_confidence", 0.5))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.customer_text:
            return
        from drafter.language import detect, name

        theirs = detect(ctx.customer_text, min_confidence)
        b0, b1 = doc.body
        ours = detect(doc.text[b0:b1], min_confidence) if theirs else None
        if theirs and ours and ours != theirs:
            yield Hit(b0, doc.text.find("\n", b0, b1) if "\n" in doc.text[b0:b1] else b1,
                      f"The reply is in {name(ours)}; the customer wrote in {name(theirs)}")

    return check


# --- SAN006 -----------------------------------------------------------------------------------

_DIRECT = re.compile(r"\s*(?:yes|no|yep|nope|sure|certainly|of course|ja|nein|oui|non|sí)\b",
                     re.IGNORECASE)


@rule(
    "SAN006", "question-untouched", "warning", "answer_directly",
    "The customer asked a question, and the reply does not touch it anywhere.",
    what="When the customer asked a question (context signal), compares the content words of "
         "the question (with the whole message when the question itself has fewer than two) "
         "with those of the whole reply, stems folded, and flags a reply that shares none — "
         "not the order, not the product, not the thing asked about. A reply that opens with a "
         "yes or no, that asks a question back, or that asks for what an answer needs "
         "(`detail_requests`: “DM us”, “could you”, “please check”) touches it. Unlike DIR005, "
         "which reads only the opening, this reads the whole reply. Silent on one part of a "
         "split reply (“1/2”), on a reply in another language than the customer's (SAN005), "
         "and without the customer's words. Applies to model drafts only unless "
         "`model_drafts_only` is false.",
    why="The guide's principle “Answer first and directly”. A reply about something else "
        "entirely (an invented history, another customer's problem) is the model's failure, "
        "not a style issue.",
    example="Thank you for being a loyal customer. We value your feedback and hope you enjoy "
            "our products.",
    instead="You can change the delivery address until the order ships: open Orders and choose "
            "Edit address.",
    fix="Answer the question the customer asked",
    defaults={"model_drafts_only": True, "stop_words": [
        "about", "after", "again", "also", "been", "before", "being", "could", "does", "doing",
        "done", "from", "have", "having", "hello", "here", "into", "just", "know", "like",
        "make", "many", "more", "much", "need", "only", "other", "please", "really", "should",
        "some", "still", "such", "than", "thank", "thanks", "that", "their", "them", "then",
        "there", "these", "they", "this", "those", "through", "very", "want", "were", "what",
        "when", "where", "which", "while", "will", "with", "would", "your", "yours", "you're",
        "able", "anyone", "someone", "something", "anything", "possible", "help", "question",
        "regards", "best", "dear", "team", "support", "get", "got", "can't", "cannot",
        "doesn't", "don't", "isn't", "won't", "sure", "glad", "happy", "sorry", "today",
        "time", "send", "sent", "soon", "back", "let", "look", "looking", "hear", "hope"],
        # Asking for what an answer needs, or pointing to where it is, touches the question.
        "detail_requests": [
            "DM us", "DM me", "send us", "message us", "could you", "can you", "would you",
            "please confirm", "please provide", "please share", "please check", "reach out to us",
            "get in touch", "contact us", "please DM", "DM your", "DM the", "write to us",
            "tell us", "tell me", "drop us", "follow us", "please visit", "please see",
            "please try", "please follow", "because", "due to", "the steps"]},
    example_context={"asks_question": True, "model_draft": True,
                     "customer_text": "Can I change the delivery address of my order?"},
    needs=("asks_question", "customer_text"),
    known_problems="An answer in other words than the question's (“It was released earlier "
                   "today” to “when did that come out?”, “there isn't a way to roll back” to "
                   "“can I downgrade?”), a feature idea sent to the community forum, a DM sent "
                   "with instructions: on the 408 real human replies with their customer's "
                   "message it flagged 13, and 2 were right. So it reads model drafts only (its "
                   "failure: a draft about something else entirely), unless "
                   "`model_drafts_only` is false.",
    languages=("en",),
)
def _san006(settings: Mapping[str, Any]) -> Check:
    stop = frozenset(w.lower() for w in get_list(settings, "stop_words"))
    phrases = "|".join(re.escape(p) for p in get_list(settings, "detail_requests"))
    requests = re.compile(rf"\b(?:{phrases})\b" if phrases else "(?!)", re.IGNORECASE)

    drafts_only = bool(settings.get("model_drafts_only", True))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.asks_question or not ctx.customer_text or (drafts_only and not ctx.model_draft):
            return
        b0, b1 = doc.body
        body = doc.text[b0:b1]
        if not body.strip() or _DIRECT.match(body) or "?" in body or requests.search(body):
            return
        if doc.structure.split_part(doc.text):
            return  # one part of a split reply
        from drafter.language import detect

        if detect(body) not in (None, detect(ctx.customer_text)):
            return  # another language than the customer's: SAN005's finding
        questions = " ".join(re.findall(r"[^.!?\n]*\?", ctx.customer_text))
        asked = content_words(questions, stop)
        if len(asked) < 2:
            asked |= content_words(ctx.customer_text, stop)
        if asked and not asked & content_words(body, stop):
            end = doc.text.find("\n", b0, b1)
            yield Hit(b0, end if end != -1 else b1,
                      "The reply does not touch the customer's question")

    return check


# --- SAN007 -----------------------------------------------------------------------------------

@rule(
    "SAN007", "empty-draft", "error", HYGIENE,
    "The model's draft has (almost) no words: nothing for the agent to send.",
    what="Flags a model's draft body with fewer than `min_words` words (default 3) — what is "
         "left when the model stopped at once (a stop sequence on the prompt's delimiters "
         "caught it opening with an echo of the ticket) or wrote only furniture. Only model "
         "drafts: a person's short reply (“Done!”) is theirs to send.",
    why=WHY + " An empty draft has no finding of any other rule, so without this one it would "
        "score as the best draft there is.",
    example="Okay.",
    instead="Yes, the Nora table lamp works with dimmable LED bulbs up to 12 W.",
    fix="Write the reply: answer the customer's question",
    defaults={"min_words": 3},
    example_context={"model_draft": True},
    needs=("model_draft",),
    languages=("*",),
)
def _san007(settings: Mapping[str, Any]) -> Check:
    least = int(get_num(settings, "min_words", 3))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if ctx.model_draft and len(WORD_RE.findall(doc.text)) < least:
            yield Hit(0, len(doc.text), "The draft is empty: the model wrote no reply")

    return check


# --- SAN008 -----------------------------------------------------------------------------------

# How a finished paragraph ends: a sentence's mark in any script (with closing quotes or
# brackets), a colon before what follows, a link, an emoji (with its variation or skin-tone
# marks), or a text smiley.
_FINISHED = re.compile(r"(?:[.!?…:;。！？؟।][\"'”’)\]»」』]*|https?://\S+"
                       r"|[\U0001F300-\U0001FAFF\u2600-\u27BF][\uFE0F\u200D\U0001F3FB-\U0001F3FF]*"
                       r"|[:;]-?[()DPp])\s*$")


@rule(
    "SAN008", "unfinished-sentence", "warning", HYGIENE,
    "A paragraph of the model's draft stops mid-sentence.",
    what="In a model's draft, flags a paragraph of at least `min_words` words (default 3) that "
         "ends without a full stop, question or exclamation mark, colon, link or emoji — what "
         "is left when the model stopped mid-sentence (“Sobald das Paket unterwegs”) or wrote "
         "a heading instead of a sentence (“What happens next,”). Lists, quotes, code and "
         "link lines are not paragraphs, nor is a greeting or sign-off line (SAN004). Any "
         "language. Only model drafts: a person's reply without a full stop is theirs to send.",
    why=WHY + " A fragment reads as an unfinished email; the bundled model leaves one in about "
        "four drafts of ten, and the rest of the reviewer cannot tell it from a sentence.",
    example="Your lamp ships today.\n\nSobald das Paket unterwegs",
    instead="Your lamp ships today. We will email you the tracking number as soon as it leaves "
            "the warehouse.",
    fix="Finish the sentence or delete it",
    defaults={"min_words": 3},
    example_context={"model_draft": True},
    needs=("model_draft",),
    languages=("*",),
)
def _san008(settings: Mapping[str, Any]) -> Check:
    least = int(get_num(settings, "min_words", 3))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.model_draft:
            return
        for _, start, end in doc.structure.of(PARAGRAPH):
            text = doc.text[start:end].rstrip()
            if (len(WORD_RE.findall(text)) < least or _FINISHED.search(text)
                    or greeting_line().fullmatch(text) or sign_off_line().fullmatch(text)):
                continue  # finished, or a greeting or sign-off line (SAN004's finding)
            line = text.rfind("\n") + 1
            yield Hit(start + line, start + len(text), "The paragraph stops mid-sentence")

    return check
