"""`draft batch --via batch-api`, `status` and `collect`, against tests/batch_api_server.py: a small
local server that follows the documented Files and Batches endpoints and stands in for the
provider (llama.cpp has no Batch API); it answers each request line through the real local model."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_api_server import BatchAPIServer
from batch_fixtures import make_tickets, model_env
from faultproxy import FaultProxy, always, drip

from drafter.batch.batchapi import BatchAPI
from drafter.config import load_settings
from drafter.errors import LLMError
from drafter.store import Store

pytest_plugins = ["batch_server_fixtures"]
pytestmark = pytest.mark.local_server


@pytest.fixture
def provider(local_server: Any) -> Iterator[BatchAPIServer]:
    with BatchAPIServer(local_server.base_url) as server:
        yield server


def test_submit_status_collect_and_collect_again(draft, provider, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 4, same=True)
    model_env(monkeypatch, provider.base_url, store)
    monkeypatch.setenv("DRAFTER_DRAFT_MAX_REVISIONS", "0")
    provider.hold = True
    provider.line_errors = {"3"}
    sub = draft(["batch", "--all", "--via", "batch-api", "--format", "json"])
    assert sub.code == 0, sub
    jobs = json.loads(sub.stdout)
    assert len(jobs) == 1 and jobs[0]["tickets"] == 4 and jobs[0]["status"] == "in_progress"
    job = jobs[0]["id"]
    # The uploaded JSONL: one request per ticket, custom_id = ticket id.
    lines = [json.loads(x) for x in provider.files[jobs[0]["input_file_id"]]["data"].splitlines()]
    assert [x["custom_id"] for x in lines] == ["1", "2", "3", "4"]
    assert all(x["url"] == "/v1/chat/completions" and x["body"]["max_tokens"] == 16 for x in lines)

    # Submitting again does not send the tickets a running job carries.
    again = draft(["batch", "--all", "--via", "batch-api"])
    assert again.code == 0 and "nothing to do" in again.stderr

    pending = draft(["batch", "collect"])
    assert pending.code == 0 and f"still running: {job}" in pending.stdout
    provider.release()
    for _ in range(3000):
        if provider.batches[job]["status"] == "completed":
            break
        time.sleep(0.1)
    status = json.loads(draft(["batch", "status", "--format", "json"]).stdout)
    assert status[0]["status"] == "completed"
    assert status[0]["counts"] == {"total": 4, "completed": 3, "failed": 1}

    got = draft(["batch", "collect", "--format", "json"])
    assert got.code == 3, got  # one ticket failed (a per-line error)
    report = json.loads(got.stdout)
    assert report["collected"] == [job] and report["done"] == 3 and report["failed"] == 1
    assert report["failures"][0]["ticket"] == 3 and "status 400" in report["failures"][0]["reason"]
    with Store(store) as opened:
        drafts = {d.ticket_id: d for d in opened.list_drafts()}
    assert {t: d.status for t, d in drafts.items()} == {1: "done", 2: "done", 3: "failed", 4: "done"}
    assert drafts[1].via == "batch-api" and drafts[1].job_id == job
    assert drafts[1].usage["prompt_tokens"] > 300  # the short prompt, some 450 tokens

    # Collecting twice is harmless: nothing is fetched or written again.
    downloads = provider.downloads
    twice = draft(["batch", "collect", job])
    assert twice.code == 0 and "already collected" in twice.stdout
    assert draft(["batch", "collect"]).stdout.strip() == "no Batch API jobs to collect"
    assert provider.downloads == downloads

    # The failed ticket goes in the next submission; the done ones do not.
    provider.line_errors = set()
    resub = json.loads(draft(["batch", "--all", "--via", "batch-api", "--format", "json"]).stdout)
    assert resub[0]["tickets"] == 1


def test_revisions_go_out_as_a_follow_up_batch(draft, provider, tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 2, same=True)
    model_env(monkeypatch, provider.base_url, store)
    # Revise on any finding, so that the small model's drafts are sent back once.
    monkeypatch.setenv("DRAFTER_DRAFT_REVISE_ON", "info")
    monkeypatch.setenv("DRAFTER_DRAFT_MAX_REVISIONS", "1")
    monkeypatch.setenv("DRAFTER_BATCH_POLL_INTERVAL", "0.2")
    assert draft(["batch", "--all", "--via", "batch-api"]).code == 0
    result = draft(["batch", "collect", "--wait", "--format", "json"])
    assert result.code == 0, result
    with Store(store) as opened:
        drafts = opened.list_drafts()
        jobs = opened.batch_jobs()
    assert sorted(d.ticket_id for d in drafts) == [1, 2]
    revised = [d for d in drafts if d.rounds == 2]
    # Every draft with findings in round 0 had one revision round, in a follow-up job.
    if revised:
        follow = [j for j in jobs if j.round == 1]
        assert len(follow) == 1 and follow[0].parent is not None
        assert all(d.job_id == follow[0].id for d in revised)
        assert all(d.usage["prompt_tokens"] > 600 for d in revised)  # both rounds counted
    assert all(j.collected_at for j in jobs)


def test_expired_and_failed_batches_are_reported(draft, provider, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 3, same=True)
    model_env(monkeypatch, provider.base_url, store)
    monkeypatch.setenv("DRAFTER_DRAFT_MAX_REVISIONS", "0")
    monkeypatch.setenv("DRAFTER_BATCH_POLL_INTERVAL", "0.2")
    provider.expire_after = 1
    assert draft(["batch", "--all", "--via", "batch-api"]).code == 0
    result = draft(["batch", "collect", "--wait", "--format", "json"])
    report = json.loads(result.stdout)
    assert result.code == 3 and report["done"] == 1 and report["failed"] == 2
    assert all("the batch expired before this request ran" in f["reason"] for f in report["failures"])

    provider.expire_after = None
    provider.fail_validation = "line 1: the model is not allowed in batches"
    assert draft(["batch", "--all", "--via", "batch-api"]).code == 0
    failed = draft(["batch", "collect", "--format", "json"])
    report = json.loads(failed.stdout)
    assert failed.code == 3 and report["failed"] == 2
    assert "the model is not allowed in batches" in report["failures"][0]["reason"]


@pytest.mark.real_server("local-model")
def test_the_local_model_has_no_batch_api(draft, tmp_path: Path,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    from drafter.llm.local import local_available

    if not local_available():
        pytest.skip("the `local` extra is not installed")
    store = tmp_path / "s.db"
    make_tickets(store, 1)
    monkeypatch.setenv("DRAFTER_STORE", str(store))
    result = draft(["batch", "--all", "--via", "batch-api"])
    assert result.code == 2 and "does not implement the Batch API" in result.stderr


def test_a_batch_api_call_has_a_deadline_not_a_read_timeout() -> None:
    """A provider sending one byte every 0.5 s (tests/faultproxy.py: a fault no real provider
    can be made to play): each read returns within the timeout, the answer never comes. Each
    attempt ends at llm.timeout, and the call fails with the reason after its attempts."""
    with FaultProxy("http://127.0.0.1:9/v1", always(drip(0.5)), faulty=lambda path: True) as proxy:
        settings = load_settings(env={}, cwd=Path("/"), flags={
            "llm.timeout": 2.0, "llm.max_attempts": 2, "llm.backoff_initial": 0.01,
            "llm.backoff_max": 0.02})
        api = BatchAPI(proxy.base_url, "sk-test", "gpt-test", settings)
        started = time.monotonic()
        try:
            with pytest.raises(LLMError, match=r"failed to read the batch after 2 attempts: "
                               r"timed out: no complete answer within 2 s"):
                api.retrieve("batch_1")
        finally:
            api.close()
        assert proxy.tally.chat_requests == 2
        assert time.monotonic() - started < 2 * 2.0 + 1.5
