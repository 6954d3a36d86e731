"""The reviewer takes time in proportion to its input, whatever the input: a megabyte of each
hostile shape (benchmarks/growth.py: URLs of dots, hyphenated digits, runs of spaces, brackets,
one-word paragraphs, deep lists and quotes, ...) is reviewed within a generous limit."""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import pytest

from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide

REPO = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("growth", REPO / "benchmarks" / "growth.py")
assert _spec is not None and _spec.loader is not None
growth = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(growth)

SIZE = 1_000_000
LIMIT = 20.0  # CPU seconds for all these shapes at SIZE together (each takes well under 2 s)


def test_a_megabyte_of_each_hostile_shape_is_reviewed_in_linear_time() -> None:
    reviewer = Reviewer(load_styleguide())
    spent: dict[str, float] = {}
    for shape in growth.PASSES:
        text = growth.hostile(shape, SIZE)
        t0 = time.process_time()
        reviewer.review(text, growth.context_for(shape))  # GRD001's shapes: with a ticket
        spent[shape] = time.process_time() - t0
        assert sum(spent.values()) < LIMIT, spent


@pytest.mark.parametrize("shape", ["url-dots", "sorry", "blank-lines", "times"])
def test_doubling_a_hostile_input_about_doubles_its_time(shape: str) -> None:
    # The first two were quadratic: a host's every parent domain sliced off in turn, and each
    # finding looking for its sentence from the first. The last two make the most items (a
    # paragraph, a sentence and a part per three characters; a claim per five, with a ticket).
    reviewer = Reviewer(load_styleguide())

    def cpu(size: int) -> float:
        text = growth.hostile(shape, size)
        t0 = time.process_time()
        reviewer.review(text, growth.context_for(shape))
        return time.process_time() - t0

    small = min(cpu(50_000) for _ in range(2))
    large = min(cpu(200_000) for _ in range(2))
    assert large < 4 * small * 2.5 + 0.2, (small, large)  # linear: about 4x; quadratic: 16x


@pytest.mark.parametrize("shape", ["sorry", "hedges", "placeholders"])
def test_a_megabyte_of_one_mistake_gets_a_bounded_number_of_findings(shape: str) -> None:
    # 150,000 apologies once made 150,000 findings, each with its negation test, message,
    # position and sentence: the reviewer lists the first MAX_PER_RULE of a rule, then one
    # saying there are more, and stops that rule's check there.
    from collections import Counter

    from drafter.review.reviewer import MAX_PER_RULE

    reviewer = Reviewer(load_styleguide())
    text = growth.hostile(shape, SIZE)
    t0 = time.process_time()
    findings = reviewer.review(text)
    spent = time.process_time() - t0
    assert max(Counter(f.code for f in findings).values()) <= MAX_PER_RULE + 1
    assert any(f.message.startswith("More findings of ") for f in findings)
    assert spent < 10.0, spent


def test_the_finding_after_the_limit_says_there_are_more_from_there_on() -> None:
    from drafter.review.reviewer import MAX_PER_RULE

    reviewer = Reviewer(load_styleguide(), select=["EMP003"])  # one apology allowed
    under = reviewer.review("Sorry. " * (MAX_PER_RULE + 1))
    assert len(under) == MAX_PER_RULE and not any("More" in f.message for f in under)
    over = reviewer.review("Sorry. " * (MAX_PER_RULE + 2))
    assert len(over) == MAX_PER_RULE + 1
    last = over[-1]
    assert last.code == "EMP003" and last.message == (
        f"More findings of over-apologizing from here on (the first {MAX_PER_RULE} are "
        "listed); fix those first")
    assert (last.start, last.end) == (7 * (MAX_PER_RULE + 1), 7 * (MAX_PER_RULE + 1) + 5)


def test_a_contact_repeated_from_the_ticket_is_judged_in_linear_time() -> None:
    # SAF007 reads the clause around each contact only the customer gave: within a window,
    # not back to the text's start (which made a repeated one quadratic: 15 s at 350 KB).
    reviewer = Reviewer(load_styleguide(), select=["SAF007"])
    context = ReviewContext(model_draft=True, ticket_text="Call +1 415 555 0142 now",
                            team_text="Sam")

    def cpu(repeats: int) -> float:
        text = "we call you on +1 415 555 0142 and " * repeats
        t0 = time.process_time()
        reviewer.review(text, context)
        return time.process_time() - t0

    small = min(cpu(2_000) for _ in range(2))
    large = min(cpu(8_000) for _ in range(2))
    assert large < 4 * small * 2.5 + 0.2, (small, large)  # linear: about 4x; quadratic: 16x


def test_many_promises_are_judged_in_linear_time() -> None:
    # OWN005 found each promise's sentence by reading the sentences from the first, and
    # checked each promise to look into it against every other promise: quadratic (5.8 s at
    # 150 KB of "We'll follow up. I'll look into this.").
    reviewer = Reviewer(load_styleguide(), select=["OWN005"])

    def cpu(repeats: int) -> float:
        text = "We'll follow up. I'll look into this. " * repeats
        t0 = time.process_time()
        reviewer.review(text)
        return time.process_time() - t0

    small = min(cpu(1_000) for _ in range(2))
    large = min(cpu(4_000) for _ in range(2))
    assert large < 4 * small * 2.5 + 0.2, (small, large)  # linear: about 4x; quadratic: 16x
