"""`draft rules`: the catalogue listing, one rule's doc, unknown codes, docs/rules.md."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from drafter.cli import main
from drafter.cli.rules import render_markdown
from drafter.review.reviewer import Reviewer, catalogue
from drafter.styleguide import load_styleguide

REPO = Path(__file__).resolve().parents[1]


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def test_list_shows_every_rule(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules"], capsys)
    assert code == 0
    lines = out.splitlines()
    assert len(lines) == len(catalogue())
    emp = next(line for line in lines if line.startswith("EMP002"))
    assert "canned-apology" in emp and "warning" in emp and "empathy" in emp


def test_list_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert [d["code"] for d in data] == [r.code for r in catalogue()]
    for d in data:
        assert set(d["doc"]) == {"what", "why", "example", "instead", "known_problems"}
        assert d["severity"] in ("error", "warning", "info")


def test_one_rule_doc_has_the_fixed_sections(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "emp002"], capsys)
    assert code == 0
    assert out.startswith("EMP002 canned-apology (warning)")
    positions = [out.index(s) for s in ("What it checks", "Why it matters", "Example (flagged)",
                                        "Use instead (not flagged)")]
    assert positions == sorted(positions)
    assert "We apologize for any inconvenience" in out
    assert "Settings ([rules.EMP002]" in out


def test_one_rule_by_name_and_as_json(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "canned-apology", "--format", "json"], capsys)
    assert code == 0
    data = json.loads(out)
    assert data["code"] == "EMP002"
    assert "canned_phrases" in data["settings"]


def test_unknown_code_exits_2_with_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["rules", "EMP02"], capsys)
    assert code == 2
    assert out == ""
    assert "unknown rule `EMP02`" in err
    assert "EMP002" in err


def test_docs_rules_md_is_up_to_date() -> None:
    path = REPO / "docs" / "rules.md"
    guide = load_styleguide()
    expected = render_markdown(catalogue(guide), guide)
    assert path.read_text(encoding="utf-8") == expected, \
        "docs/rules.md is stale: run `draft rules --format markdown > docs/rules.md`"


def test_team_data_rule_runs_and_is_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    guide_dir = tmp_path / "guide"
    guide_dir.mkdir()
    (guide_dir / "brand.toml").write_text(
        'id = "brand"\ntitle = "Our brand"\nguidance = "Never name competitors."\n'
        '[rules.ACME001]\ntype = "existence"\nname = "competitor-names"\nseverity = "error"\n'
        'message = "Competitor named: {match}"\nphrases = ["MegaCorp", "Initech"]\n'
        'example = "MegaCorp charges more."\ninstead = "Our plan includes support."\n'
        '[rules.ACME002]\ntype = "substitution"\nname = "product-name"\n'
        '[rules.ACME002.substitutions]\n"the app" = "Acme Mobile"\n')
    guide = load_styleguide([guide_dir])
    found = Reviewer(guide).review("MegaCorp is worse; open the app.")
    assert [(f.code, f.severity, f.suggestion) for f in found if f.code.startswith("ACME")] == [
        ("ACME001", "error", None), ("ACME002", "warning", "Acme Mobile")]
    assert Reviewer(guide, ignore=["ACME"]).review("MegaCorp is worse.") == []
    monkeypatch.chdir(tmp_path)
    (tmp_path / "drafter.toml").write_text(f'[team]\nstyleguide = "{guide_dir}"\n')
    code, out, _ = run(["rules", "ACME001"], capsys)
    assert code == 0 and "competitor-names" in out and "MegaCorp charges more." in out


def test_team_data_rule_errors_name_the_file(tmp_path: Path) -> None:
    from drafter.errors import ConfigError

    (tmp_path / "brand.toml").write_text(
        'id = "brand"\ntitle = "Our brand"\nguidance = "x"\n'
        '[rules.ACME001]\ntype = "exists"\nname = "x"\n')
    with pytest.raises(ConfigError) as exc:
        Reviewer(load_styleguide([tmp_path]))
    assert "brand.toml" in exc.value.message and "ACME001" in exc.value.message


def test_bad_phrase_list_type_names_file_and_key(tmp_path: Path) -> None:
    from drafter.errors import ConfigError

    (tmp_path / "tone.toml").write_text(
        'id = "tone"\ntitle = "Tone"\nguidance = "x"\n[rules.TON001]\nphrases = "obviously"\n')
    with pytest.raises(ConfigError) as exc:
        Reviewer(load_styleguide([tmp_path]))
    assert "tone.toml" in exc.value.message and "TON001" in exc.value.message
    assert "phrases" in exc.value.message


def test_a_code_prefix_lists_the_rules_it_selects(capsys: pytest.CaptureFixture[str]) -> None:
    # `draft rules EMP` reads a prefix as `--select EMP` does.
    code, out, _ = run(["rules", "EMP"], capsys)
    assert code == 0
    assert [line.split()[0] for line in out.splitlines()] == [
        r.code for r in catalogue() if r.code.startswith("EMP")]


def test_lint_codes_have_docs_too(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["rules", "LNT001"], capsys)
    assert code == 0
    assert out.startswith("LNT001 parse-error (error)")
    assert "cannot be ignored" in out
    code, out, _ = run(["rules", "LNT", "--format", "json"], capsys)
    assert code == 0
    assert [d["code"] for d in json.loads(out)] == ["LNT001", "LNT002", "LNT003", "LNT004"]


def test_a_mistyped_command_gets_the_nearest(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["revew"], capsys)
    assert code == 2
    assert "No such command 'revew'. Did you mean 'review'?" in err
