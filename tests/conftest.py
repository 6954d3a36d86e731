"""Shared fixtures. Helpers' own fixtures live in tests/*_fixtures.py modules."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = ["real_servers"]

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
CASSETTES = REPO / "tests" / "cassettes"

# Cassettes are recorded from the real local llama.cpp server on this fixed loopback port, so the
# URLs in them match on replay; `make cassettes` (DRAFTER_RECORD=1) starts the server there.
RECORD = os.environ.get("DRAFTER_RECORD") == "1"
CASSETTE_PORT = 18471
CASSETTE_BASE_URL = f"http://127.0.0.1:{CASSETTE_PORT}/v1"
SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "openai-organization",
                  "openai-project", "cookie", "set-cookie"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark tests that replay model cassettes, so `-m cassette` selects them for re-recording."""
    for item in items:
        if "cassette" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.cassette)


@pytest.fixture(scope="session")
def _recording_server() -> Iterator[Any]:
    """The real local model server while recording cassettes; nothing on replay."""
    if not RECORD:
        yield None
        return
    from drafter.config import load_settings
    from drafter.llm.local import LocalServer

    # DRAFTER_LLM_LOCAL_THREADS=1 on a loaded machine: two threads that wait for each other
    # while other work holds the cores wrote under 1 token a second, one thread about 20.
    with LocalServer(port=CASSETTE_PORT, threads=load_settings()["llm.local_threads"]) as server:
        yield server


@pytest.fixture
def cassette(request: pytest.FixtureRequest, _recording_server: Any,
             monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    """Replay (or with DRAFTER_RECORD=1 record) this test's model interactions."""
    import vcr

    from drafter.llm.local import LOCAL_MODEL_NAME

    module = request.node.module.__name__.rsplit(".", 1)[-1]
    path = CASSETTES / module / f"{request.node.name}.yaml"
    if not RECORD and not path.exists():
        pytest.fail(f"cassette {path.relative_to(REPO)} is missing; record it with `make cassettes`")
    if RECORD:  # record_mode "all" would keep the old interactions beside the new ones
        path.unlink(missing_ok=True)
    recorder = vcr.VCR(
        record_mode="all" if RECORD else "none",
        match_on=["method", "uri", "body"],
        filter_headers=[(h, None) for h in SECRET_HEADERS],
        decode_compressed_response=True,
    )
    monkeypatch.setenv("OPENAI_BASE_URL", CASSETTE_BASE_URL)
    monkeypatch.setenv("DRAFTER_MODEL", LOCAL_MODEL_NAME)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-cassette-secret-never-recorded")
    with recorder.use_cassette(str(path)) as cas:
        yield cas


@pytest.fixture(scope="session", autouse=True)
def _session_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    """One drafter cache folder for the whole run, in pytest's own temporary folders (which it
    prunes), never the user's; set for the process, not per test, because the cache is written
    when the process exits."""
    os.environ["DRAFTER_CACHE_DIR"] = str(tmp_path_factory.mktemp("drafter-cache"))


@pytest.fixture(autouse=True)
def _isolated_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep every test away from the user's config, store, cache, keys and endpoints."""
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
