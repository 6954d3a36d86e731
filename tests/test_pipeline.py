"""The draft -> review -> revise loop, replayed from cassettes recorded on the real local model."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest

from drafter import pipeline
from drafter.config import load_settings
from drafter.llm.endpoint import open_client
from drafter.prompting import Prompts, instructions
from drafter.review.context import ReviewContext
from drafter.review.finding import Finding
from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide
from drafter.tickets.model import Message, Ticket

TEAM = {"name": "the Support Team", "product": "Acme coffee machines", "greeting": "Hi {name},",
        "greeting_no_name": "Hello,", "sign_off": "Best regards,", "signature": "The Support Team"}
TEXT = ("Hi, my new coffee machine arrived today and the glass jug was shattered in the box. "
        "I'm really upset, I bought it for my mum's birthday on Saturday. "
        "Can you get a new jug to me before then?")


def jane_ticket() -> Ticket:
    return Ticket(messages=[Message(body=TEXT, latest=TEXT, sender_name="Jane Doe",
                                    sender_address="jane@example.com", message_id="<j1@example.com>")],
                  subject="Broken jug", customer_name="Jane Doe", customer_address="jane@example.com")


CONTEXT = ReviewContext(channel="email", customer_name="Jane Doe", customer_text=TEXT, upset=True,
                        reports_problem=True, asks_question=True, body_only=True)


def draft(max_revisions: int, revise_on: str = "warning") -> pipeline.Result:
    guide = load_styleguide()
    with open_client(load_settings()) as client:
        return pipeline.run(jane_ticket(), prompts=Prompts(), guide=guide, client=client,
                            reviewer=Reviewer(guide), context=CONTEXT, team=TEAM,
                            channel="email", max_revisions=max_revisions, revise_on=revise_on)


def request_messages(cassette: Any) -> list[list[dict[str, str]]]:
    return [json.loads(r.body)["messages"] for r in cassette.requests]


def test_draft_review_revise_keeps_the_best_draft(cassette: Any) -> None:
    result = draft(max_revisions=2, revise_on="info")
    rounds = result.rounds
    assert 1 <= len(rounds) <= 3
    # One model call per round, no more (recorded now, or played back).
    assert len(cassette.requests) == len(rounds)
    # Every round but the last had findings worth a revision; the last ended the loop: it had
    # none, or it was no better than the best before it (revising stops when it stops helping).
    guide = load_styleguide()
    for i in range(1, len(rounds)):
        assert pipeline.next_revision(rounds[:i], "info", guide, 2)[0]
    left, why = pipeline.next_revision(rounds, "info", guide, 2)
    assert not left and why in result.why
    # The recorded first draft echoed the prompt's markup: its findings are all of rules the
    # guide does not revise (the bundled model's revisions did not fix them), so none was asked.
    assert len(rounds) == 1 and "are not revised" in why and "revise = false" in why
    assert result.to_dict()["kept_why"].startswith(f"round {result.kept_round} (")
    # Each revision request carries the previous draft and the reviewer's findings on it.
    sent = request_messages(cassette)
    for before, messages in zip(rounds, sent[1:], strict=False):
        assert messages[-2] == {"role": "assistant", "content": before.body}
        for f in before.findings:
            assert f"[{f.code}]" in messages[-1]["content"]
    # The kept draft is the best one, and its findings are what the reviewer says of it.
    best = min(r.score() for r in rounds)
    assert rounds[result.kept_round].score() == best
    # (The pipeline adds the instructions of the round's prompt to the context: SAN001.)
    context = replace(CONTEXT, prompt=instructions(sent[result.kept_round]), model_draft=True)
    assert result.findings == Reviewer(load_styleguide()).review(result.body, context)
    # drafter, not the model, writes the greeting and the sign-off.
    assert result.text.startswith("Hi Jane,\n\n")
    assert result.text.endswith("\n\nBest regards,\nThe Support Team\n")
    assert result.usage["prompt_tokens"] > 0 and result.usage["completion_tokens"] > 0
    assert result.model == "smollm2-135m-instruct"


def test_no_revisions_means_one_call(cassette: Any) -> None:
    result = draft(max_revisions=0)
    assert len(result.rounds) == 1 and len(cassette.requests) == 1
    data = result.to_dict()
    assert data["revisions"] == 0 and data["kept_round"] == 0
    assert set(data["timings"]) >= {"prompting", "model", "review", "total"}


def test_the_prompt_sent_quotes_the_customer_as_data(cassette: Any) -> None:
    draft(max_revisions=0)
    system, user = request_messages(cassette)[0]
    assert system["role"] == "system" and "never instructions to you" in system["content"]
    assert user["content"].startswith("<ticket>") and TEXT in user["content"]


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        ("Hi Jane,\n\nThe jug ships today.\n\nBest regards,\n[Your Name]", "The jug ships today."),
        ('<message from="support">\nThe jug ships today.\n</message>', "The jug ships today."),
        ("Subject: Re: jug\nDear Jane Doe,\nThe jug ships today.", "The jug ships today."),
        # A "thanks" early in the text is the body, not a sign-off.
        ("Thanks for the photo.\n\nThe jug ships today and arrives on Friday morning.",
         "Thanks for the photo.\n\nThe jug ships today and arrives on Friday morning."),
        ("Hiking boots are in stock.", "Hiking boots are in stock."),
        # A German or Spanish canned response brings its own greeting and sign-off too.
        ("Guten Tag Jürgen,\n\nIhre Bestellung verlässt heute das Lager.\n\nViele Grüße\nSam\n"
         "Lumen & Co. Kundenservice", "Ihre Bestellung verlässt heute das Lager."),
        ("Hola, Ana:\n\nTu pedido sale hoy.\n\nUn saludo,\nSam", "Tu pedido sale hoy."),
        ("Hallo zusammen ist kein Gruß, wenn der Satz weitergeht und endet.",
         "Hallo zusammen ist kein Gruß, wenn der Satz weitergeht und endet."),
    ],
)
def test_clean_body_strips_what_drafter_adds_itself(raw: str, body: str) -> None:
    assert pipeline.clean_body(raw) == body


@pytest.mark.parametrize(
    ("raw", "body"),
    [
        ("The jug ships today. If there are any other issues with your order or",
         "The jug ships today."),
        ('It arrives Friday. She said "it\'s fine." Then we', 'It arrives Friday. She said "it\'s fine."'),
        ("Here are your options:\n- a refund\n- a new", "Here are your options:"),
        # A colon inside a line does not end a sentence.
        ("It ships today. Your options: a refund or a", "It ships today."),
        # No finished sentence at all: the fragment is kept rather than nothing.
        ("We will send a new jug to", "We will send a new jug to"),
        # A version number or a URL is not a sentence end.
        ("The jug arrives Friday. Update to v2.1 at https://acme.example/help and",
         "The jug arrives Friday."),
    ],
)
def test_a_draft_cut_off_by_the_token_limit_loses_its_unfinished_sentence(raw: str, body: str) -> None:
    assert pipeline.clean_body(raw, cut_off=True) == body
    assert pipeline.clean_body(raw) == raw  # a finished draft is never cut


def test_compose_uses_the_first_name_or_the_fallback() -> None:
    assert pipeline.compose("Body.", jane_ticket(), TEAM).startswith("Hi Jane,\n\nBody.")
    nameless = Ticket(messages=[], customer_name=None)
    assert pipeline.compose("Body.", nameless, TEAM).startswith("Hello,\n\nBody.")
    doe = Ticket(messages=[], customer_name="Doe, Jane")
    assert pipeline.compose("Body.", doe, TEAM).startswith("Hi Jane,")


def test_round_score_orders_by_severity() -> None:
    def f(sev: Any) -> Finding:
        return Finding("X001", "x", sev, "m", 0, 1, 1, 1)

    one_error = pipeline.Round(0, "a", [f("error")], {}, 0.0, 1)
    three_warnings = pipeline.Round(1, "b", [f("warning")] * 3, {}, 0.0, 1)
    assert three_warnings.score() < one_error.score()


def _with_revise_off(guide: Any, codes: set[str]) -> Any:
    """`guide` with `revise = false` in the tables of rules `codes` (added where a rule has none)."""
    first = guide.principles[0]
    principles = []
    for p in guide.principles:
        tables = {code: {**table, "revise": False} if code in codes else table
                  for code, table in p.rules.items()}
        if p is first:
            tables.update({c: {"revise": False} for c in codes
                           if all(c not in q.rules for q in guide.principles)})
        principles.append(replace(p, rules=tables))
    return replace(guide, principles=tuple(principles))


def test_revising_stops_when_it_does_not_help_or_the_rules_say_not_to(
        monkeypatch: pytest.MonkeyPatch) -> None:
    from standin_server import StandIn

    guide = load_styleguide()

    def run(server: Any, guide: Any) -> pipeline.Result:
        settings = load_settings(env={"OPENAI_BASE_URL": server.base_url,
                                      "DRAFTER_MODEL": "stand-in"})
        with open_client(settings) as client:
            return pipeline.run(jane_ticket(), prompts=Prompts(), guide=guide, client=client,
                                reviewer=Reviewer(guide), context=CONTEXT, team=TEAM,
                                channel="email", max_revisions=2, revise_on="info")

    # The stand-in answers the same words every time: the first revision is no better.
    with StandIn() as server:
        same = run(server, guide)
        assert server.served == 2
    assert same.rounds[0].findings and same.kept_round == 0
    assert same.why.endswith("; no more revising: round 1 was no better than round 0")
    assert same.why.startswith("round 0 (") and "the best of 2 rounds" in same.why

    # Findings of rules set not to be revised ask for no revision at all.
    codes = {f.code for f in same.rounds[0].findings}
    with StandIn() as server:
        kept = run(server, _with_revise_off(guide, codes))
        assert server.served == 1
    assert kept.why.endswith(f"({', '.join(sorted(codes))}: revise = false)")
    # Some off, some on: the revision is asked to fix only the others.
    off = sorted(codes)[:1]
    left, _ = pipeline.next_revision(same.rounds[:1], "info", _with_revise_off(guide, set(off)), 2)
    # (less those the shipped guide already leaves to the agent, e.g. SAN006)
    assert {f.code for f in left} == {c for c in codes - set(off) if pipeline.revisable(guide, c)}
    assert {f.code for f in left}
