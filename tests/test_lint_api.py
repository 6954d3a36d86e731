"""`App.lint`, the Python API under `draft lint`, and the rule selection it shares with the
reviewer: select, ignore, severity overrides and per-path ignores in one place."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from lint_fixtures import PLACEHOLDER, STOCK_APOLOGY, write

from drafter import App
from drafter.config import load_settings
from drafter.errors import ConfigError
from drafter.lint.rules import LINT_RULES
from drafter.review.finding import Finding
from drafter.review.reviewer import Reviewer, catalogue
from drafter.review.selection import RuleSelection
from drafter.styleguide import load_styleguide


def _app(root: Path, **flags: object) -> App:
    return App(load_settings(cwd=root, env={}, flags=flags))


def test_app_lint_finds_what_draft_lint_reports(draft, tmp_path: Path,  # type: ignore[no-untyped-def]
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, {"a.md": f"Hi {PLACEHOLDER},\n\n{STOCK_APOLOGY}.\n",
                     "b.yaml": "- name: x\n  chanel: chat\n  body: Hello\n"})
    monkeypatch.chdir(tmp_path)
    result = _app(tmp_path).lint(["."])
    assert result.files == ["a.md", "b.yaml"] and all(type(f) is Finding for f in result.findings)
    cli = json.loads(draft(["lint", ".", "--format", "json", "-q"]).stdout)
    assert [f.to_dict() for f in result.findings] == cli["findings"]
    assert {"HYG001", "EMP002", "LNT002"} <= {f.code for f in result.findings}


def test_app_lint_writes_a_baseline_that_hides_every_finding(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch
                                                             ) -> None:
    write(tmp_path, {"a.md": f"Hi {PLACEHOLDER},\n\n{STOCK_APOLOGY}.\n"})
    monkeypatch.chdir(tmp_path)
    first = _app(tmp_path).lint(["a.md"], write_baseline="base.json")
    assert first.findings and len(first.accepted) == len(first.findings)
    again = _app(tmp_path, **{"review.baseline": "base.json"}).lint(["a.md"])
    assert again.findings == [] and again.baselined == len(first.findings)


def test_one_selection_answers_for_review_rules_and_lnt_codes() -> None:
    rules = [*catalogue(load_styleguide()), *LINT_RULES.values()]
    sel = RuleSelection.build(rules, select=["EMP", "LNT"], ignore=["unknown-key"],
                              severity={"ALL": "info", "EMP": "warning", "EMP002": "error",
                                        "invalid-value": "warning"},
                              per_path_ignores={"legacy/*": ["EMP001"]})
    assert sel.selected("EMP002", "canned-apology") and sel.selected("LNT003", "invalid-value")
    assert not sel.selected("LNT002", "unknown-key") and not sel.selected("TON001", "x")
    # The most specific override wins, for the linter's codes as for the reviewer's.
    assert sel.severity_of("EMP002", "canned-apology", "warning") == "error"
    assert sel.severity_of("EMP003", "over-apologizing", "info") == "warning"
    assert sel.severity_of("LNT004", "empty-response", "warning") == "info"
    assert sel.severity_of("LNT003", "invalid-value", "error") == "warning"
    assert sel.ignored_in("legacy/a.md", "EMP001", "x") and not sel.ignored_in("a.md", "EMP001", "x")
    reviewer = Reviewer(load_styleguide(), selection=sel)
    assert {r.family for r in reviewer.rules} == {"EMP"}


@pytest.mark.parametrize(("kind", "entry", "hint"), [
    ("select", "LNT009", "LNT00"), ("ignore", "unknwn-key", "UNKNOWN-KEY"),
    ("severity", "EMP0022", "EMP002")])
def test_an_entry_that_names_no_rule_or_lnt_code_is_a_config_error(kind: str, entry: str,
                                                                   hint: str) -> None:
    rules = [*catalogue(load_styleguide()), *LINT_RULES.values()]
    args = {kind: {entry: "error"} if kind == "severity" else [entry]}
    with pytest.raises(ConfigError, match=f"{kind}: `{entry}` matches no rule") as err:
        RuleSelection.build(rules, **args)  # type: ignore[arg-type]
    assert err.value.hint is not None and "did you mean" in err.value.hint, err.value.hint


def test_reviewer_keywords_still_select_and_check_against_its_own_rules() -> None:
    guide = load_styleguide()
    assert {r.code for r in Reviewer(guide, select=["HYG001"]).rules} == {"HYG001"}
    with pytest.raises(ConfigError, match="`LNT002` matches no rule"):
        Reviewer(guide, select=["LNT002"])  # the reviewer alone has no LNT codes
    with pytest.raises(ConfigError, match="must be error, warning or info"):
        Reviewer(guide, severity={"EMP": "fatal"})
