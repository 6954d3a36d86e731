"""The Reviewer API other parts build on: selection, severity overrides, ordering, errors."""

from __future__ import annotations

import pytest

from drafter.errors import ConfigError
from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer, catalogue
from drafter.styleguide import load_styleguide

GUIDE = load_styleguide()
TEXT = "Hi [Customer Name], obviously we can't do that!!! TODO: check."


def codes(findings: list) -> list[str]:
    return [f.code for f in findings]


def test_findings_sorted_by_position_with_line_and_column() -> None:
    text = "First line.\nAs I already said, the [ORDER NUMBER] shipped."
    found = Reviewer(GUIDE).review(text)
    assert [f.start for f in found] == sorted(f.start for f in found)
    tone = next(f for f in found if f.code == "TON001")
    assert (tone.line, tone.column) == (2, 1)
    assert text[tone.start:tone.end] == "As I already said"


def test_select_and_ignore_by_code_and_prefix() -> None:
    assert set(codes(Reviewer(GUIDE, select=["TON"]).review(TEXT))) == {"TON001", "TON003"}
    assert "HYG001" not in codes(Reviewer(GUIDE, ignore=["HYG001"]).review(TEXT))
    assert "HYG003" in codes(Reviewer(GUIDE, ignore=["HYG001"]).review(TEXT))
    assert codes(Reviewer(GUIDE, select=["HYG"], ignore=["HYG"]).review(TEXT)) == []


def test_select_by_rule_name() -> None:
    assert set(codes(Reviewer(GUIDE, select=["shouting"]).review(TEXT))) == {"TON003"}


def test_unknown_select_entry_is_a_config_error_with_nearest() -> None:
    with pytest.raises(ConfigError) as exc:
        Reviewer(GUIDE, select=["TON0O1"])
    assert "TON0O1" in exc.value.message
    assert exc.value.hint and "TON001" in exc.value.hint


def test_severity_override_code_beats_prefix() -> None:
    r = Reviewer(GUIDE, severity={"TON": "info", "TON003": "error"})
    sev = {f.code: f.severity for f in r.review(TEXT)}
    assert sev["TON001"] == "info"
    assert sev["TON003"] == "error"
    assert sev["HYG001"] == "error"


def test_bad_severity_value_is_a_config_error() -> None:
    with pytest.raises(ConfigError):
        Reviewer(GUIDE, severity={"TON001": "fatal"})


def test_empty_and_clean_texts() -> None:
    r = Reviewer(GUIDE)
    assert r.review("") == []
    assert r.review("Your order shipped today and arrives on Friday.") == []


def test_body_only_silences_greeting_and_sign_off() -> None:
    r = Reviewer(GUIDE, select=["HYG004", "HYG005"])
    text = "Your order shipped today and arrives on Friday."
    assert set(codes(r.review(text, ReviewContext(channel="email")))) == {"HYG004", "HYG005"}
    assert r.review(text, ReviewContext(channel="email", body_only=True)) == []
    assert r.review(text, ReviewContext(channel=None)) == []
    assert r.review(text, ReviewContext(channel="chat")) == []


def test_catalogue_entries_have_identity() -> None:
    rules = catalogue()
    assert rules, "the catalogue is empty"
    assert [r.code for r in rules] == sorted(r.code for r in rules)
    for r in rules:
        assert r.severity in ("error", "warning", "info")
        assert GUIDE.principle(r.principle) is not None, r.code
        assert r.to_dict()["code"] == r.code


def test_finding_to_dict_is_plain_data() -> None:
    f = Reviewer(GUIDE).review(TEXT)[0]
    d = f.to_dict()
    assert d["code"] == f.code and d["start"] == f.start and "suggestion" in d


def test_findings_are_sorted_by_position_and_carry_severity_overrides() -> None:
    text = "Dear customer,\n\nAs I already said, the [ORDER NUMBER] shipped!!! TODO: check."
    reviewer = Reviewer(GUIDE, severity={"TON001": "error"})
    found = reviewer.review(text)
    assert len(found) >= 4
    assert [(f.start, f.end, f.code) for f in found] == sorted((f.start, f.end, f.code)
                                                               for f in found)
    assert all((f.line, f.column) == reviewer.doc(text).line_col(f.start) for f in found)
    assert next(f for f in found if f.code == "TON001").severity == "error"
    assert all(list(f.to_dict()) == ["code", "name", "severity", "message", "start", "end",
                                      "line", "column", "suggestion", "fix"] for f in found)
