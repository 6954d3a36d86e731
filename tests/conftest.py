"""Shared fixtures. Helpers' own fixtures live in tests/*_fixtures.py modules."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test away from the user's config, store, keys and endpoints."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DRAFTER_CONFIG", "DRAFTER_MODEL",
                 "DRAFTER_STORE", "NO_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    # A bug should fail a test with its traceback, not as a tidy "internal error".
    monkeypatch.setenv("DRAFTER_DEBUG", "1")


class CliResult:
    """What one `draft` invocation produced."""

    def __init__(self, code: int, stdout: bytes, stderr: bytes) -> None:
        self.code = code
        self.stdout_bytes = stdout
        self.stdout = stdout.decode("utf-8", "replace")
        self.stderr = stderr.decode("utf-8", "replace")

    def __repr__(self) -> str:
        return f"CliResult(code={self.code}, stdout={self.stdout[:300]!r}, stderr={self.stderr[:600]!r})"


def run_draft(args: list[str], input: bytes | str | None = None) -> CliResult:
    """Run `draft ARGS` in-process through drafter.cli.main, capturing both streams."""
    from click.testing import CliRunner

    from drafter.cli import main

    runner = CliRunner()
    with runner.isolation(input=input) as streams:
        out, err = streams[0], streams[1]
        try:
            main(args)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        stdout = out.getvalue()
        stderr = err.getvalue() if err is not None else b""
    return CliResult(code, stdout, stderr)


@pytest.fixture
def draft():
    """Run the `draft` CLI in-process: draft(["reply", "--dry-run"], input=b"...")."""
    return run_draft
