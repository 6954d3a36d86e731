"""The Python API (`drafter.App`): the README's example runs as written, and the CLI uses it."""

from __future__ import annotations

import contextlib
import io
import re
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]


def readme_example() -> str:
    """The Python block that follows the README's `readme-example` marker."""
    text = (REPO / "README.md").read_text(encoding="utf-8")
    found = re.search(r"<!-- readme-example:[^>]*-->\s*```python\n(.*?)```", text, re.S)
    assert found, "README.md lost its Python example (the `readme-example` marker)"
    return found.group(1)


def test_the_readme_example_runs(cassette: Any, tmp_path: Path,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_STORE", str(tmp_path / "store.db"))
    monkeypatch.setenv("DRAFTER_DRAFT_MAX_REVISIONS", "0")  # one model call in the cassette
    monkeypatch.chdir(REPO)  # the example names files of the checkout
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(readme_example(), "README.md", "exec"), {})
    printed = out.getvalue()
    assert printed.startswith("Hi ")  # the draft, greeted by drafter from the ticket's sender
    assert "Best regards" in printed
    assert (tmp_path / "store.db").is_file()
    # The canned response is reviewed against the shipped guide: clean, or findings at a place.
    for line in printed.splitlines():
        if line.startswith("canned:"):
            assert re.match(r"canned:\d+:\d+: [A-Z]{3}\d{3} ", line), line


def test_review_through_the_api_matches_the_cli(draft, tmp_path: Path) -> None:
    from drafter import App

    reply = "Dear customer, pls find attached the RMA. Kindly revert ASAP.\n"
    (tmp_path / "r.txt").write_text(reply, encoding="utf-8")
    app = App.from_config()
    api = [(f.code, f.line, f.column) for f in app.review(reply)]
    cli = draft(["review", str(tmp_path / "r.txt"), "--format", "json"])
    import json

    assert api and api == [(f["code"], f["line"], f["column"]) for f in json.loads(cli.stdout)]


def test_reviewer_selection_is_the_configured_one_plus_the_arguments(tmp_path: Path) -> None:
    from drafter import App

    (tmp_path / "drafter.toml").write_text('[review]\nignore = ["PLN"]\n', encoding="utf-8")
    app = App.from_config(tmp_path / "drafter.toml")
    codes = {r.code for r in app.reviewer().rules}
    assert codes and not any(c.startswith("PLN") for c in codes)
    narrowed = {r.code for r in app.reviewer(ignore=["TON"]).rules}
    assert not any(c.startswith(("PLN", "TON")) for c in narrowed)
    assert {r.code for r in app.reviewer(select=["EMP"]).rules} <= {
        c for c in codes if c.startswith("EMP")}
