"""Personalization (PER): write to this customer, by name, about their situation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_str, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import ANY, Check, Hit, rule
from drafter.review.rules.directness import content_words
from drafter.review.structure import LINK
from drafter.review.text import WORD_RE, Doc, first_name, name_tokens

P = "personalize"
WHY = "The guide's principle “Personalize”."


def _opening_span(doc: Doc) -> tuple[int, int]:
    """The first line (or first 80 characters) of the text, where a greeting sits."""
    m = re.search(r"\S", doc.text)
    start = m.start() if m else 0
    nl = doc.text.find("\n", start)
    end = len(doc.text) if nl == -1 else nl
    return start, min(end, start + 80)


@rule(
    "PER001", "generic-greeting", "warning", P,
    "A generic greeting (“Dear customer”, “Hi there”) where the customer's name is known.",
    what="Finds generic greetings from the `phrases` / `patterns` settings (“Dear customer”, "
         "“Dear valued customer”, “Hi there”, “To whom it may concern”) at the start of the "
         "reply when the customer's name is known — or, in a canned-response template, when a "
         "name variable (`name_variables`) is declared. Silent when no name is known.",
    why=WHY + " Greeting someone whose name you have as “customer” tells them they are a ticket "
        "number.",
    example="Dear valued customer,\n\nYour order has shipped.",
    instead="Hi Jane,\n\nYour order has shipped.",
    fix="Greet the customer by name",
    example_context={"customer_name": "Jane Doe"},
    needs=("customer_name",),
)
def _per001(settings: Mapping[str, Any]) -> Check:
    generic = compile_phrases(get_list(settings, "phrases"), get_list(settings, "patterns"))
    name_vars = get_list(settings, "name_variables")
    greeting = get_str(settings, "greeting", "Hi {name},")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if generic is None:
            return
        name = first_name(ctx.customer_name)
        if name is None and ctx.is_template:
            var = next((v for v in name_vars if v in ctx.variables), None)
            name = "{{ " + var + " }}" if var else None
        if name is None:
            return
        s, e = _opening_span(doc)
        m = generic.search(doc.text, s, e)
        if not m:
            return
        repl = greeting.replace("{name}", name).rstrip(",")
        yield Hit(m.start(), m.end(), f"Generic greeting {quote(m.group())}; the customer's name "
                  f"is known", suggestion=repl, fix=f"Greet them by name: “{repl}”")

    return check


@rule(
    "PER002", "wrong-name", "error", P,
    "The greeting names someone other than the customer.",
    what="Reads the name after the greeting word (“Hi Tom,”) and compares it with the customer's "
         "known name; a different name — often left over from a copied reply — is flagged, with "
         "the customer's first name as the suggestion. Silent when the name is unknown.",
    why=WHY + " Calling a customer by someone else's name is worse than no name at all.",
    example="Hi Tom,\n\nYour order has shipped.",
    instead="Hi Jane,\n\nYour order has shipped.",
    fix="Use the customer's name",
    example_context={"customer_name": "Jane Doe"},
    needs=("customer_name",),
)
def _per002(settings: Mapping[str, Any]) -> Check:
    not_names = {w.lower() for w in get_list(settings, "not_names")}

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        tokens = {t.lower() for t in name_tokens(ctx.customer_name)}
        greet = doc.greeting
        if not tokens or greet is None or doc._greeting_re is None:
            return
        g = doc._greeting_re.match(doc.text, greet[0], greet[1])
        if g is None:
            return
        m = re.compile(r"[\s,]+(?:(?:mr|mrs|ms|miss|mx|dr)\.?\s+)?([^\W\d_][\w'’-]*)",
                       re.I).match(doc.text, g.end(), greet[1])
        if m is None:
            return
        word = m.group(1)
        if word.lower() in tokens or word.lower() in not_names or not word[0].isupper():
            return
        if any(t.startswith(word.lower()) or word.lower().startswith(t) for t in tokens):
            return  # a short form: "Kate" for "Katherine"
        name = first_name(ctx.customer_name)
        yield Hit(m.start(1), m.end(1), f"The greeting says {quote(word)}, but the customer is "
                  f"{quote(ctx.customer_name or '')}", suggestion=name, fix=f"Use “{name}”")

    return check


@rule(
    "PER003", "third-person-customer", "info", P,
    "The customer referred to in the third person (“the customer”, “the user”).",
    what="Finds “the customer”, “the user”, “the requester” and the rest of the `phrases` / "
         "`patterns` settings: internal ticket language that slipped into a reply written to that "
         "very person. “Customer service” and “customer support” are fine.",
    why=WHY + " The guide says write to this customer; “the customer” in a reply reads like a "
        "form letter or an internal note.",
    example="The customer should restart the router.",
    instead="Please restart your router.",
    fix="Write to them: “you”",
)
def _per003(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Third person: {match}; write to them as “you”",
                            fix="Write to them: “you”")


@rule(
    "PER004", "impersonal-salutation", "info", P,
    "An impersonal salutation (“To whom it may concern”, “Dear Sir or Madam”).",
    what="Finds impersonal salutations from the `phrases` / `patterns` settings on the first "
         "line of the reply (“To whom it may concern”, “Dear Sir or Madam”) when the "
         "customer's name is not known (when it is, PER001 suggests the name).",
    why=WHY + " A salutation for a stranger in an unknown office tells the customer the reply "
        "was not written to them.",
    example="To whom it may concern,\n\nYour request has been processed.",
    instead="Hello,\n\nYour refund of £20 was processed today.",
    fix="Greet them plainly (“Hello,”) or by name",
)
def _per004(settings: Mapping[str, Any]) -> Check:
    found = compile_phrases(get_list(settings, "phrases"), get_list(settings, "patterns"))
    greeting = get_str(settings, "greeting", "Hello,")

    def check(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        if found is None or first_name(ctx.customer_name) is not None:
            return []
        m = next(checks.finditer_span(doc, found, "prose", *_opening_span(doc)), None)
        if m is None:
            return []
        return [Hit(m.start(), m.end(), f"Impersonal salutation {quote(m.group())}",
                    suggestion=greeting.rstrip(","), fix=f"Greet them plainly: “{greeting}”")]

    return check


def _detail_patterns(settings: Mapping[str, Any]) -> dict[str, re.Pattern[str]]:
    table = checks.get_map(settings, "details")
    try:
        return {kind: re.compile(p) for kind, p in table.items()}
    except re.error as exc:
        raise checks.SettingError("details", "a table of kind = regular expression",
                                  table) from exc


# What a detail's value is compared without: spaces and commas, and a zero fraction (".00").
_SPACES_COMMAS = re.compile(r"[\s,]")
_ZERO_FRACTION = re.compile(r"\.0+$")


def _details(pattern: re.Pattern[str], text: str, start: int = 0,
             end: int | None = None) -> Iterator[tuple[str, int, int]]:
    """Each detail `pattern` finds: its value (the first group that took part, or the match,
    without spaces, commas and a zero fraction) and the span of that value."""
    groups = range(1, pattern.groups + 1)
    values: dict[str, str] = {}  # each written form cleaned once (a text may repeat one)
    for m in pattern.finditer(text, start, len(text) if end is None else end):
        g = 0
        for i in groups:
            if m.start(i) >= 0:  # the first group that took part
                g = i
                break
        written = m.group(g)
        value = values.get(written)
        if value is None:
            value = values[written] = _ZERO_FRACTION.sub("", _SPACES_COMMAS.sub("", written))
        yield value, m.start(g), m.end(g)


def _edits(a: str, b: str) -> int:
    """The Levenshtein distance between `a` and `b`."""
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def _garbled(said: str, written: str, max_edits: int) -> bool:
    """Whether `written` looks like a mangled copy of `said`: one is the other with characters
    added at the end, or a long one with a few typed wrong. The same whole amount with other
    cents ("$3" and "$3.99") is a rounding, not a mangled copy."""
    if said.split(".")[0] == written.split(".")[0]:
        return False
    if said.startswith(written) or written.startswith(said):
        return True
    # Strings whose lengths differ by more than `max_edits` are further apart than that (and a
    # hostile million-digit number is not compared character by character).
    return (min(len(said), len(written)) >= 5 and abs(len(said) - len(written)) <= max_edits
            and _edits(said, written) <= max_edits)


# A customer's @handles, hashtags and links are not details they gave ("#12345" is an order).
_NOT_DETAILS = re.compile(r"@\w+|#[^\W\d]\w*|https?://\S+")


@rule(
    "PER005", "wrong-detail", "warning", P,
    "The reply gets a detail the customer gave wrong (their order number, the amount).",
    what="With the customer's words as context, finds the details of the `details` table (order "
         "and reference numbers of five digits or more, amounts in a currency; each kind a "
         "regular expression) in the reply and in the customer's message. A detail of the reply "
         "that the customer did not write, while they wrote one of the same kind that it looks "
         "like a mangled copy of — the same digits with more added (“3707955617” -> "
         "“370795561790”, “$3” -> “$350”), or up to `max_edits` digits typed wrong in a long "
         "one — is flagged once, where it first appears. A detail of the same kind that looks "
         "nothing like theirs (a new order number, a difference refunded) is a new detail, not a "
         "wrong one, and is left alone, as is the same whole amount with other cents (“$3” and "
         "“$3.99”). Silent without the customer's words.",
    why=WHY + " Quoting the customer's order or amount back wrong tells them nobody read their "
        "message, and sends them, or the next agent, after the wrong order.",
    example="I've cancelled order 370795561790 for you.",
    instead="I've cancelled order 3707955617 for you.",
    fix="Copy the detail from the customer's message",
    defaults={"max_edits": 2},
    example_context={"customer_text": "Please cancel order 3707955617"},
    needs=("customer_text",),
    languages=(ANY,),
)
def _per005(settings: Mapping[str, Any]) -> Check:
    kinds = _detail_patterns(settings)
    max_edits = int(checks.get_num(settings, "max_edits", 2))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.customer_text:
            return
        said_text = _NOT_DETAILS.sub(" ", ctx.customer_text)
        b0, b1 = doc.body
        for kind, pattern in kinds.items():
            said = {v for v, _, _ in _details(pattern, said_text)}
            if not said:
                continue
            seen: set[str] = set()
            for value, s, e in _details(pattern, doc.prose, b0, b1):
                if value in said or value in seen:
                    continue
                seen.add(value)
                theirs = next((v for v in sorted(said) if _garbled(v, value, max_edits)), None)
                if theirs is not None:
                    yield Hit(s, e, f"The reply says {quote(doc.text[s:e])}, but the customer "
                              f"wrote {quote(theirs)}", suggestion=theirs,
                              fix=f"Use the customer's {kind.replace('_', ' ')}: “{theirs}”")

    return check


# A customer's name said back to them in passing ("Sorry to hear it, Prashant!").
_VOCATIVE = re.compile(r",[ \t]+[A-Z][^\W\d_]+(?=[ \t]*[!.,?]|$)", re.M)
# What the team calls its own ("our Echo help pages", "our team"): not the customer's words.
_OURS = re.compile(r"\bour\s+(?:[\w'’-]+\s+){0,2}[\w'’-]+", re.I)


@rule(
    "PER006", "generic-reply", "info", P,
    "A short reply that only points to a link and never touches the customer's problem.",
    what="With the customer's words as context, when they report a problem or are upset and "
         "said at least `min_customer_words` content words about it: flags a reply of at most "
         "`max_words` words that points to a link and is otherwise made of stock words only "
         "(`stock_words`: help, sorry, trouble, reach, contact, link, ...; the team's own "
         "things, “our Echo help pages”, and the customer's name do not count). A reply that "
         "asks the customer something, asks for a detail (`detail_requests`: “your order "
         "number”), or moves to a private channel (`private_channels`: “DM us”) is working on "
         "their case and is left alone, and so is a later part of a split reply. Silent "
         "without the customer's words.",
    why=WHY + " A template that could answer any message tells the customer nobody read theirs, "
        "and sends them to start again elsewhere.",
    example="@jo Here to help! Send us a note here: https://help.example.com/contact",
    instead="@jo Sorry the app won't let you change your number. Send us a note here and we'll "
            "change it for you: https://help.example.com/contact",
    fix="Say something about their problem, and what happens next",
    defaults={"max_words": 30, "min_customer_words": 3},
    example_context={"reports_problem": True, "customer_text":
                     "The app won't let me change my phone number, even on the website!!"},
    needs=("customer_text", "reports_problem"),
    known_problems="A link can be the answer itself (the feedback form a customer asked for), "
                   "and a stock line can fit a vague complaint. Six of its seven findings on "
                   "the 408 real replies of the workbench were right: it reports as info.",
)
def _per006(settings: Mapping[str, Any]) -> Check:
    stock = frozenset(content_words(" ".join(get_list(settings, "stock_words")), frozenset()))
    asks = compile_phrases(get_list(settings, "detail_requests"))
    private = compile_phrases(get_list(settings, "private_channels"))
    most = int(checks.get_num(settings, "max_words", 30))
    least = int(checks.get_num(settings, "min_customer_words", 3))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if not ctx.customer_text or not (ctx.reports_problem or ctx.upset) or not doc.urls:
            return
        blocks = [(start, end) for kind, start, end in doc.structure.blocks if kind != LINK]
        if not blocks or doc.structure.continues(doc.text):
            return
        b0, b1 = blocks[0][0], blocks[-1][1]
        said = doc.prose[b0:b1]
        if "?" in said or len(WORD_RE.findall(said)) > most:
            return
        if any(p is not None and checks.search(doc, p, b0, b1) for p in (asks, private)):
            return
        said = _OURS.sub(" ", _VOCATIVE.sub(" ", said))
        names = {t.lower() for t in name_tokens(ctx.customer_name)}
        if content_words(said, frozenset()) - stock - names:
            return  # it says something of its own
        if len(content_words(_NOT_DETAILS.sub(" ", ctx.customer_text), stock)) < least:
            return  # a message with nothing specific in it gets a fair stock answer
        yield Hit(b0, b1, "A stock reply that points to a link and says nothing about the "
                  "customer's problem")

    return check
