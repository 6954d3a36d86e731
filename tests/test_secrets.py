"""Credentials in OPENAI_BASE_URL (`http://user:password@host/v1`) never leave drafter: not in
`draft config`, progress, errors, the batch summary, `draft drafts`, nor the SQLite store."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import make_tickets, model_env
from faultproxy import script, status

from drafter.config import redact

pytest_plugins = ["batch_server_fixtures"]

SECRET = "s3cret-Pa55"


def with_credentials(base_url: str) -> str:
    return base_url.replace("http://", f"http://support:{SECRET}@", 1)


def test_redact_masks_the_credentials_of_every_url_in_a_text() -> None:
    assert redact("http://u:p@h:1/v1") == "http://****@h:1/v1"
    assert redact("at https://u:p@ss@h/v1 and http://h/v1, mail a@b.c") == \
        "at https://****@h/v1 and http://h/v1, mail a@b.c"
    assert redact("no url here") == "no url here"


def test_draft_config_and_a_connection_error_mask_the_url_credentials(
        draft, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        url = with_credentials(f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        monkeypatch.setenv("OPENAI_BASE_URL", url)
        monkeypatch.setenv("DRAFTER_MODEL", "m")
        monkeypatch.setenv("DRAFTER_LLM_MAX_ATTEMPTS", "1")
        shown = draft(["config"])
        failed = draft(["reply", "--no-stream"], input="Where is my order?")
    assert shown.code == 0 and "http://****@127.0.0.1:" in shown.stdout
    assert failed.code == 3 and "cannot connect to http://****@127.0.0.1:" in failed.stderr
    for out in (shown.stdout, shown.stderr, failed.stdout, failed.stderr):
        assert SECRET not in out


@pytest.mark.local_server
def test_a_batch_its_summary_its_stored_failures_and_drafts_list_mask_them(
        draft, proxy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 2, same=True)
    model_env(monkeypatch, with_credentials(proxy.base_url), store, attempts=1)
    proxy.reset(script(status(503)))  # the first ticket fails, naming the endpoint
    ran = draft(["batch", "--all", "--concurrency", "1", "--max-revisions", "0", "--no-progress"])
    assert ran.code == 3, ran
    assert "with smollm2-135m-instruct at http://****@127.0.0.1:" in ran.stderr
    assert "ticket 1 failed: the model service at http://****@127.0.0.1:" in ran.stdout
    listed = draft(["drafts", "list"])
    shown = draft(["drafts", "show", "1", "--format", "json"])
    assert "http://****@" in listed.stdout and "http://****@" in shown.stdout
    for out in (ran.stdout, ran.stderr, listed.stdout, shown.stdout):
        assert SECRET not in out
    stored = b"".join(p.read_bytes() for p in tmp_path.glob("s.db*"))
    assert b"http://****@" in stored and SECRET.encode() not in stored
