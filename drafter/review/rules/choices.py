"""Choices (CHO): where there is more than one way to solve it, offer the options."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from drafter.review import checks
from drafter.review.checks import (
    SettingError,
    compile_phrases,
    get_list,
    negated,
    quote,
)
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import Doc

P = "choices"
WHY = "The guide's principle “Offer choices”."


def _norm(phrase: str) -> str:
    return " ".join(phrase.lower().replace("’", "'").split())


@rule(
    "CHO001", "single-option", "info", P,
    "A resolution proposed as the only path, with no option or question which they prefer.",
    what="When the reply proposes one kind of resolution only (the `resolutions` table: kind = "
         "phrases, such as replacement = [“send you a replacement”, ...]) and nowhere offers a "
         "choice "
         "(`choice_markers`: “or”, “which would you prefer”, “if you'd rather”, “alternatively”, "
         "...), the proposal is flagged.",
    why=WHY + " Deciding for the customer takes away the one thing they can still control; a "
        "choice between a replacement and a refund costs nothing to offer.",
    example="We will send you a replacement.",
    instead="I can send a replacement today, or refund the full amount to your card. Which would "
            "you prefer?",
    fix="Offer the options and ask which they prefer",
    known_problems="A resolution word is not always a proposal: a step that asks which item to swap in "
                   "reads as “replace it”. Its one finding on the real replies of the workbench "
                   "was of that kind, so it reports as info",
)
def _cho001(settings: Mapping[str, Any]) -> Check:
    table = settings.get("resolutions", {})
    if not isinstance(table, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in table.values()
    ):
        raise SettingError("resolutions", "a table of kind = [phrases]", table)
    kind_of = {_norm(phrase): kind for kind, phrases in table.items() for phrase in phrases}
    proposals = compile_phrases(list(kind_of), key="resolutions")
    markers = compile_phrases(get_list(settings, "choice_markers"),
                              get_list(settings, "choice_patterns"), key="choice_patterns")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if proposals is None:
            return
        # A choice offered anywhere settles it, whatever is proposed; most replies offer one.
        if markers is not None and next(checks.finditer(doc, markers, region="body"),
                                        None) is not None:
            return
        found = [m for m in checks.finditer(doc, proposals, region="body")
                 if not negated(doc.prose, m.start())]
        kinds = {kind_of.get(_norm(m.group())) for m in found}
        if len(kinds) != 1:
            return  # nothing proposed, or several resolutions: options are on the table
        m = found[0]
        s, e = doc.sentence_at(m.start())
        kind = kinds.pop()
        yield Hit(s, e, f"Only one way out ({kind}): {quote(doc.text[s:e], 50)}; offer the "
                  "options and ask which they prefer")

    return check


@rule(
    "CHO002", "ultimatum", "warning", P,
    "Ultimatum phrasing (“the only option is”, “take it or leave it”).",
    what="Finds phrases that close off choice: “the only option is”, “there is nothing else we can "
         "do”, “take it or leave it”, “you have no choice”, “final offer”, and the rest of the "
         "`phrases` / `patterns` settings.",
    why=WHY + " An ultimatum turns a support conversation into a standoff.",
    example="The only option is a store credit.",
    instead="I can offer a store credit or a refund to your card. Which suits you better?",
    fix="Say what you can offer, and ask what suits them",
)
def _cho002(settings: Mapping[str, Any]) -> Check:
    return checks.existence(settings, "Ultimatum: {match}", skip_negated=True,
                            fix="Say what you can offer, and ask what suits them")
