"""GRD001 (unsupported-fact): the claims a draft makes that neither the ticket nor the reference
material gives; one finding a span where a safety rule owns the claim; the set of drafts in
tests/data meets the issue's goals; the App and `draft review --reference` give it what it
reads."""

from __future__ import annotations

import importlib.util
import json
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()
GRD = Reviewer(GUIDE, select=["GRD001"])
EVERY = Reviewer(GUIDE)
REPO = Path(__file__).resolve().parent.parent

TICKET = ("Subject: Order #48213 arrived broken\nMy order #48213 arrived on 3/3/2025. I paid "
          "thirty dollars and need it before Saturday. Call me on 07700 900123 or mail "
          "jane@example.org.")
TEAM = ("support@acme.com", "acme.com", "Acme Support\n+44 20 7946 0958")


def found(text: str, reference: tuple[str, ...] = (), reviewer: Reviewer = GRD,
          **ctx: Any) -> list[str]:
    """The texts GRD001 (or `reviewer`) flags in a model draft for TICKET, gathered parts split."""
    context = ReviewContext(**{"ticket_text": TICKET, "model_draft": True,
                               "team_contacts": TEAM, "reference": reference, **ctx})
    out = []
    for f in reviewer.review(text, context):
        out += [f"{f.code} {text[s:e]}" if reviewer is not GRD else text[s:e]
                for s, e in f.parts or ((f.start, f.end),)]
    return out


# (draft, reference, expected flagged texts)
CASES: list[tuple[str, tuple[str, ...], list[str]]] = [
    # Money: any sign, code or word, and the value not the format.
    ("Your refund of $45 is on its way.", (), ["$45"]),
    ("Your refund of 30.00 USD is on its way.", (), []),
    ("Your refund of $30 is on its way.", (), []),
    ("We charged €12,50 for shipping.", (), ["€12,50"]),
    ("We charged €12,50 for shipping.", ("Shipping costs 12.50 EUR.",), []),
    ("That's 1,299.00 EUR in total.", ("Price: €1.299,00",), []),
    ("It costs forty dollars.", (), ["forty dollars"]),
    # Percentages.
    ("Students save 15 percent.", (), ["15 percent"]),
    ("Students save 15%.", ("Students get fifteen per cent off.",), []),
    # ... only a percentage supports one (a grounding draft: "10%" off from "about 10 days").
    ("We will give you 10% of the price.", ("The repair takes about 10 days.",), ["10%"]),
    ("Members get a 10% discount.", ("Members get a 10-15% discount.",), []),
    ("Take 20% off.", ("Between 10 and 20% off in the sale.",), []),
    ("Take 10% off.", ("A 10-percent discount for students.",), []),
    # Durations and counts of days: digits or words, a range, hours as days.
    ("It arrives within 5 business days.", (), ["5 business days"]),
    ("It arrives within five business days.", ("Delivery: 5 business days.",), []),
    ("Refunds take 48 hours.", ("Refunds take 2 days.",), []),
    ("Refunds take 3-5 days.", ("Refunds take 3 to 5 days.",), []),
    ("Refunds take 3-7 days.", ("Refunds take 3 to 5 days.",), ["3-7 days"]),
    ("It can take up to twenty-four hours.", ("Allow up to a day.",), []),
    # Dates in another format, days, relative days, times.
    ("Your order arrived on March 3.", (), []),
    ("It will arrive on March 5, 2025.", (), ["March 5, 2025"]),
    ("It arrived on 2025-03-03.", (), []),
    ("It will come before Saturday.", (), []),
    ("It will come by Friday.", (), ["Friday"]),
    ("It ships tomorrow.", (), ["tomorrow"]),
    ("We open at 9 am.", ("Hours: 09:00-17:00",), []),
    ("We open at 8 am.", ("Hours: 09:00-17:00",), ["8 am"]),
    # Order, tracking and other numbers.
    ("Order 48213 is on its way.", (), []),
    ("Order 48231 is on its way.", (), ["48231"]),
    ("Your tracking number is 1Z999AA10123456784.", (), ["1Z999AA10123456784"]),
    ("Your tracking number is 1Z999AA10123456784.", ("Tracking: 1Z999AA10123456784",), []),
    ("I can send 2 photos of step 3.", (), []),  # small numbers are not checked
    # Links, with or without scheme, www. or trailing slash.
    ("Start your return at https://acme.com/returns.", (), ["https://acme.com/returns"]),
    ("Start your return at https://www.acme.com/returns/.", ("See acme.com/returns",), []),
    ("Visit acme.com.", (), []),  # the team's own domain
    # Phone numbers by their digits, email addresses, the team's own contacts.
    ("We'll call you on 07700-900-123.", (), []),
    ("Or call us on +44 20 7946 0958.", (), []),
    ("Write to support@acme.com or billing@acme.com.", (), []),
    ("Write to refunds@acme-billing.net.", (), ["refunds@acme-billing.net"]),
    ("Write to refunds@acme-billing.net.", ("Refund queries: refunds@acme-billing.net",), []),
    # What is not read: quoted lines, placeholders.
    ("> It cost me $99!\nI'm sorry about that.", (), []),
    ("Your order {{order_id}} ships soon.", (), []),
]


@pytest.mark.parametrize(("draft", "reference", "expected"), CASES,
                         ids=[c[0][:40] for c in CASES])
def test_must_flag_and_must_not_flag(draft: str, reference: tuple[str, ...],
                                     expected: list[str]) -> None:
    assert found(draft, reference) == expected


def test_silent_without_a_ticket_and_on_a_human_reply_without_reference() -> None:
    draft = "It arrives within 5 business days."
    assert GRD.review(draft, ReviewContext(model_draft=True)) == []  # `draft lint` of canned text
    human = ReviewContext(ticket_text=TICKET)
    assert GRD.review(draft, human) == []
    # ... but a human reply reviewed with reference material is checked against it.
    assert [f.code for f in GRD.review(draft, replace(human, reference=("Delivery: 3 days",)))] \
        == ["GRD001"]


def test_human_replies_setting_checks_every_reply() -> None:
    from drafter.review.reviewer import build_check

    reviewer = Reviewer(GUIDE, select=["GRD001"])
    reviewer._checks = [(r, build_check(GUIDE, r, {"human_replies": True}))
                        for r in reviewer.rules]
    found = reviewer.review("It arrives within 5 business days.", ReviewContext(ticket_text="Hi"))
    assert [f.code for f in found] == ["GRD001"]


def test_the_message_tells_the_model_what_to_do() -> None:
    [f] = GRD.review("It costs $45.", ReviewContext(ticket_text="How much?", model_draft=True))
    assert f.message == "Amount “$45” is in neither the ticket nor the reference material"
    assert f.fix == "Remove it, or replace it with a fact from the ticket or the reference material"
    assert f.severity == "warning"


# --- one rule owns each kind of claim: a span gets one finding --------------------------------

@pytest.mark.parametrize(("draft", "expected"), [
    # A phone number or email address in a model's draft is SAF007's.
    ("Call us on +1 415 555 0142.", ["SAF007 +1 415 555 0142"]),
    ("Write to refunds@help-desk.net.", ["SAF007 refunds@help-desk.net"]),
    # A percentage off is SAF001's promise; the amount beside a money action is GRD001's.
    ("You get 10% off your next order.", ["SAF001 10% off"]),
    ("I've refunded you $45.", ["SAF001 I've refunded", "GRD001 $45"]),
    # A link shortener is SAF002's; an invented link on any other host is GRD001's.
    ("See https://bit.ly/3xYzAb for the label.", ["SAF002 https://bit.ly/3xYzAb"]),
    ("See https://acme-help.net/label for the label.", ["GRD001 https://acme-help.net/label"]),
    # A discount code, a card number and an IBAN are the safety rules'.
    ("Use the discount code SAVE2024 at checkout.", ["SAF005 SAVE2024"]),
    ("We charged 4111 1111 1111 1111 today.", ["SAF003 4111 1111 1111 1111"]),
    ("Pay to DE89 3704 0044 0532 0130 00.", ["SAF006 DE89 3704 0044 0532 0130 00"]),
])
def test_a_span_gets_one_finding(draft: str, expected: list[str]) -> None:
    owners = Reviewer(GUIDE, select=["GRD001", "SAF"])
    assert found(draft, reviewer=owners) == expected
    # Alone, GRD001 reports the claim itself (nothing else owns it then).
    assert found(draft)


def test_without_the_owner_selected_grd001_reports_the_claim() -> None:
    assert found("Call us on +1 415 555 0142.") == ["+1 415 555 0142"]


# --- the set of drafts (tests/data/unsupported_facts.jsonl) meets the goals -----------

def _benchmark() -> Any:
    spec = importlib.util.spec_from_file_location(
        "unsupported_facts", REPO / "benchmarks" / "unsupported_facts.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_drafts_set_meets_the_goals() -> None:
    bench = _benchmark()
    items = bench.load(bench.DRAFTS)
    assert len(items) >= 40
    r = bench.score(GRD, items, show=False)
    assert r["flagged_with"] / r["with"] >= 0.90, r["missed"]
    assert r["flagged_without"] / r["without"] <= 0.10, r["false"]


def test_the_corpus_judgments_name_existing_files() -> None:
    for line in (REPO / "tests" / "data" / "unsupported_facts_corpus.jsonl").read_text().splitlines():
        item = json.loads(line)
        assert set(item) == {"file", "unsupported", "note"}
        assert item["file"].startswith(("social/", "assistant/"))


# --- what the App and the CLI give it ---------------------------------------------------------

def test_app_context_carries_the_reference_and_the_ticket_facts() -> None:
    from drafter import App
    from drafter.tickets.model import Message, Ticket

    app = App.from_config(**{"team.addresses": ["billing@acme.com"]})
    ticket = Ticket(subject="Refund", customer_name="Jane Doe", customer_address="jane@ex.org",
                    messages=[Message(body="Where is my refund?", latest="Where is my refund?",
                                      date="2026-11-17T09:35:00+01:00")])
    draft = ("Your message of 17 November reached us. Refunds take 5 business days; write to "
             "jane@ex.org or billing@acme.com.")
    ctx = replace(app.context(ticket, reference=["Refunds take five business days."]),
                  model_draft=True)
    assert ctx.reference == ("Refunds take five business days.",)
    reviewer = app.reviewer(select=["GRD001"])
    assert app.review(draft, context=ctx, reviewer=reviewer) == []
    bare = replace(app.context(ticket), model_draft=True)
    assert [draft[f.start:f.end] for f in app.review(draft, context=bare, reviewer=reviewer)] \
        == ["5 business days"]


def test_draft_review_reference_option(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    store_mod = pytest.importorskip("drafter.store")
    from drafter.cli import main
    from drafter.tickets.model import Message, Ticket

    monkeypatch.chdir(tmp_path)
    db = tmp_path / "tickets.db"
    monkeypatch.setenv("DRAFTER_STORE", str(db))
    body = "How long does a refund take?"
    store = store_mod.Store(db)
    try:
        store.import_ticket(Ticket(messages=[Message(body=body, latest=body)]))
        ticket_id = store.list()[0].id
    finally:
        store.close()
    (tmp_path / "draft.txt").write_text("Refunds take 5 business days.\n")
    (tmp_path / "refunds.md").write_text("# Refunds\n\nRefunds take five business days.\n")
    (tmp_path / "other.md").write_text("Delivery takes 3 days.\n")

    def codes(*extra: str) -> set[str]:
        with pytest.raises(SystemExit):
            main(["review", "draft.txt", "--ticket", str(ticket_id), "--select", "GRD001",
                  "--format", "json", *extra])
        return {d["code"] for d in json.loads(capsys.readouterr().out)}

    assert codes() == set()  # a human reply with no reference: not checked
    assert codes("--reference", "other.md") == {"GRD001"}
    assert codes("--reference", "other.md", "--reference", "refunds.md") == set()
    with pytest.raises(SystemExit) as exc:
        main(["review", "draft.txt", "--reference", "refunds.md"])
    assert exc.value.code == 2 and "--reference needs --ticket" in capsys.readouterr().err


# --- linear in the size of the draft and of the ticket ----------------------------------------

@pytest.mark.parametrize("piece", ["4-", "$1,0 ", "1:11 ", "twenty-one ", "1/1/2024 March 3 ",
                                   "call +1 555 0100 ", "AB-1234-", "1-2 business days "])
def test_a_hostile_draft_or_ticket_costs_linear_time(piece: str) -> None:
    def cpu(size: int) -> float:
        text = (piece * (size // len(piece) + 1))[:size]
        t0 = time.process_time()
        GRD.review(text, ReviewContext(ticket_text=text, model_draft=True))
        return time.process_time() - t0

    small = min(cpu(25_000) for _ in range(2))
    large = min(cpu(100_000) for _ in range(2))
    assert large < 4 * small * 2.5 + 0.2, (small, large)  # linear: about 4x; quadratic: 16x


def test_claims_come_in_order_and_only_as_they_are_taken() -> None:
    from drafter.review.rules.grounding import Facts
    from drafter.review.text import Doc

    found_settings = load_styleguide().rule_settings("GRD001")
    assert found_settings is not None
    settings = found_settings[0]
    facts = Facts(settings)
    text = ("Order AB-12345 ships on March 3 for $30; see https://lumen.example/t or mail "
            "help@lumen.example, ref #4821 and 4-4-4-4-4-4-4 by 5 pm.")
    doc = Doc(text, ReviewContext())
    found = [(c.kind, text[c.start:c.end]) for c in facts.claims(text, doc.urls, doc.emails)]
    assert found == [("number", "AB-12345"), ("date", "March 3"), ("amount", "$30"),
                     ("link", "https://lumen.example/t"), ("email address", "help@lumen.example"),
                     ("number", "#4821"), ("number", "4-4-4-4-4-4-4"), ("time", "5 pm")]
    # A check that stops after its first findings reads no further: taking the first claims
    # of a megabyte of amounts reads as many numbers as it takes, not 200,000.
    class Counting(Facts):
        read = 0

        def _number(self, text: str, m: Any) -> Any:
            Counting.read += 1
            return super()._number(text, m)

    claims = Counting(settings).each_claim("$1,0 " * 200_000, [], [])
    first = [next(claims) for _ in range(50)]
    assert [(c.kind, c.start) for c in first[:2]] == [("amount", 0), ("amount", 5)]
    assert Counting.read == 50
