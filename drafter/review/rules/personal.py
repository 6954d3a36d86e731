"""Personalization (PER): write to this customer, by name, about their situation."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import compile_phrases, get_list, get_str, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import Doc, first_name, name_tokens

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
