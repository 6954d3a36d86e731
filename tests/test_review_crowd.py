"""Several findings of one rule in one sentence are one finding, one severity level higher."""

from __future__ import annotations

from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()


def review(text: str, **kwargs: object) -> list[tuple[str, str, str]]:
    """(code, severity, flagged text) of each finding of the shipped rules on `text`."""
    found = Reviewer(GUIDE, **kwargs).review(text)  # type: ignore[arg-type]
    return [(f.code, f.severity, text[f.start:f.end]) for f in found]


FOUR_HEDGES = "I think it might be possible that perhaps we could maybe refund it."


def test_four_hedges_in_one_sentence_are_one_warning() -> None:
    found = Reviewer(GUIDE, select=["DIR002"]).review(FOUR_HEDGES)
    assert len(found) == 1
    f = found[0]
    assert (f.code, f.severity) == ("DIR002", "warning")
    assert f.message.startswith("4 findings of hedging in one sentence: “I think”")
    assert FOUR_HEDGES[f.start:f.end].startswith("I think")
    assert FOUR_HEDGES[f.start:f.end].endswith("maybe")


def test_two_hedges_stay_two_info_findings() -> None:
    assert review("I think it will maybe arrive today.", select=["DIR002"]) == [
        ("DIR002", "info", "I think"), ("DIR002", "info", "maybe")]


def test_hedges_in_different_sentences_are_not_gathered() -> None:
    text = "I think it ships today. Perhaps tomorrow. Maybe Friday."
    assert [sev for _, sev, _ in review(text, select=["DIR002"])] == ["info"] * 3


def test_the_raise_starts_from_the_configured_severity() -> None:
    found = review(FOUR_HEDGES, select=["DIR002"], severity={"DIR002": "warning"})
    assert [(code, sev) for code, sev, _ in found] == [("DIR002", "error")]


def test_findings_with_a_replacement_stay_each_a_fix_of_their_own() -> None:
    text = "Please utilize the portal and commence the process prior to Friday."
    found = review(text, select=["PLN001"])
    assert len(found) == 3 and {sev for _, sev, _ in found} == {found[0][1]}
