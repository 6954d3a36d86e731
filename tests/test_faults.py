"""Faults between drafter and the model, played by tests/faultproxy.py in front of the real
local model server: each fault is retried the expected number of times, the final outcome is
right, a batch with transient faults ends with every draft stored once, and a permanent fault
stops a batch early with one message."""

from __future__ import annotations

import asyncio
import json
import re
import time
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import make_tickets, model_env, real_messages
from faultproxy import (
    EMPTY_CHOICES,
    MALFORMED,
    NOT_TEXT,
    RESET_BEFORE,
    RESET_DURING,
    UNKNOWN_MODEL,
    Fault,
    always,
    drip,
    every,
    script,
    slow,
    status,
)

from drafter.errors import LLMError
from drafter.llm.aclient import AsyncChatClient
from drafter.llm.client import ChatClient, ServiceRefused
from drafter.llm.local import LOCAL_MODEL_NAME
from drafter.store import Store

pytest_plugins = ["batch_server_fixtures"]
pytestmark = pytest.mark.local_server


def complete(proxy: Any, *, stream: bool = False, **kw: Any) -> tuple[Any, list[tuple[int, str, float]]]:
    """One call of the async client through the proxy; returns (completion, retries seen)."""
    retries: list[tuple[int, str, float]] = []
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    kw.setdefault("max_tokens", 8)
    client = AsyncChatClient(proxy.base_url, "sk-test", LOCAL_MODEL_NAME,
                             on_retry=lambda a, r, w: retries.append((a, r, w)), **kw)
    pieces: list[str] = []

    async def call() -> Any:
        try:
            return await client.complete(real_messages(), on_token=pieces.append if stream else None)
        finally:
            await client.aclose()

    return asyncio.run(call()), retries


@pytest.mark.parametrize(
    ("faults", "reason"),
    [
        ((status(429, "1"),), "rate limited (429)"),
        ((status(429),), "rate limited (429)"),
        ((status(500), status(500)), "server error 500"),
        ((status(502), status(502)), "server error 502"),
        ((status(503), status(503)), "server error 503"),
        ((RESET_BEFORE,), "dropped"),
        ((RESET_DURING,), "dropped"),
        ((MALFORMED,), "malformed response"),
        ((EMPTY_CHOICES,), "no choices"),
    ],
    ids=["429-retry-after", "429", "500", "502", "503", "reset-before", "reset-during",
         "malformed-json", "empty-choices"],
)
def test_transient_faults_are_retried_then_the_real_answer_comes(proxy, faults: tuple[Fault, ...],
                                                                 reason: str) -> None:
    proxy.reset(script(*faults))
    started = time.monotonic()
    result, retries = complete(proxy)
    # One retry per fault, each for the fault's own reason, then the real model's answer.
    assert result.attempts == len(faults) + 1
    assert [r[0] for r in retries] == list(range(1, len(faults) + 1))
    assert all(reason in r[1] for r in retries), retries
    assert proxy.tally.chat_requests == len(faults) + 1
    assert proxy.tally.answered_ok == 1
    assert result.text.strip() and result.usage.prompt_tokens > 1000
    if faults[0].headers:  # Retry-After: 1 is honoured over the tiny backoff
        assert retries[0][2] >= 1.0 and time.monotonic() - started >= 1.0
    else:
        assert all(r[2] <= 0.05 for r in retries)


def test_a_reset_during_a_streamed_response_is_retried(proxy) -> None:
    proxy.reset(script(RESET_DURING))
    result, retries = complete(proxy, stream=True)
    assert result.attempts == 2 and len(retries) == 1 and "dropped" in retries[0][1]
    assert proxy.tally.chat_requests == 2 and proxy.tally.answered_ok == 1
    assert result.text.strip() and result.finish_reason is not None


def test_a_response_slower_than_the_timeout_is_abandoned_and_retried(proxy) -> None:
    # The timeout must exceed a real answer on a busy 2-core machine, and the fault exceed it.
    proxy.reset(script(slow(12.0)))
    started = time.monotonic()
    result, retries = complete(proxy, timeout=10.0)
    assert proxy.tally.injected == ["slow"] and "timed out" in retries[0][1]
    # On a loaded machine a real answer may itself outlast the timeout once more; every attempt
    # is still counted, and each retry was for a timeout.
    assert result.attempts == proxy.tally.chat_requests == len(retries) + 1 >= 2
    assert all("timed out" in r[1] for r in retries)
    assert proxy.tally.answered_ok >= 1 and result.text.strip()
    assert time.monotonic() - started >= 10.0


def sync_complete(proxy: Any, **kw: Any) -> Any:
    """One call of the sync client (what `draft reply` uses) through the proxy."""
    client = ChatClient(proxy.base_url, "sk-test", LOCAL_MODEL_NAME, backoff_initial=0.01,
                        backoff_max=0.05, max_tokens=8, **kw)
    try:
        return client.complete(real_messages())
    finally:
        client.close()


@pytest.mark.parametrize("call", [complete, sync_complete], ids=["async", "sync"])
def test_a_server_dripping_bytes_is_cut_off_at_the_deadline(proxy, call: Any) -> None:
    # One byte every 0.5 s: each read returns well within the timeout, the answer never does.
    proxy.reset(always(drip(0.5)))
    started = time.monotonic()
    with pytest.raises(LLMError, match=r"after 2 attempts: timed out: no complete answer within 2 s"):
        call(proxy, timeout=2.0, max_attempts=2)
    assert proxy.tally.chat_requests == 2
    assert time.monotonic() - started < 2 * 2.0 + 1.5


def test_an_unresponsive_server_costs_no_more_than_the_retry_budget(proxy) -> None:
    proxy.reset(always(slow(30.0)))
    started = time.monotonic()
    with pytest.raises(LLMError, match="timed out"):
        complete(proxy, timeout=2.0, max_attempts=10, max_retry_seconds=5.0)
    elapsed = time.monotonic() - started
    # Attempts of 2 s, 2 s and what is left (about 1 s); no attempt outlives the budget.
    assert proxy.tally.chat_requests == 3 and 4.5 <= elapsed < 6.0


def test_an_unreadable_retry_after_and_content_that_is_not_text_are_retried(proxy) -> None:
    proxy.reset(script(status(429, "soon-ish"), NOT_TEXT))
    result, retries = complete(proxy)
    assert result.attempts == 3 and result.text.strip()
    assert "rate limited (429)" in retries[0][1]
    assert "malformed response: its content is list, not text" in retries[1][1]
    proxy.reset(always(NOT_TEXT))
    with pytest.raises(LLMError, match="failed after 2 attempts: malformed response: its content"):
        complete(proxy, max_attempts=2)


def test_the_retry_budget_ends_in_one_clear_error(proxy) -> None:
    proxy.reset(always(status(503)))
    with pytest.raises(LLMError, match="failed after 3 attempts: server error 503") as info:
        complete(proxy, max_attempts=3)
    assert not isinstance(info.value, ServiceRefused)
    assert proxy.tally.chat_requests == 3 and proxy.tally.forwarded == 0


@pytest.mark.parametrize(("fault", "message"), [(status(401), "refused the API key (401)"),
                                                (UNKNOWN_MODEL, "was not found")],
                         ids=["401", "unknown-model"])
def test_permanent_faults_are_not_retried(proxy, fault: Fault, message: str) -> None:
    proxy.reset(always(fault))
    with pytest.raises(ServiceRefused, match=re.escape(message)):
        complete(proxy)
    assert proxy.tally.chat_requests == 1


def test_fifty_tickets_with_a_fifth_of_requests_failing_all_end_drafted_once(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 50, same=True)
    model_env(monkeypatch, proxy.base_url, store, max_tokens=8, attempts=6)
    # Every 5th request fails, transiently, in turn: 20% of what goes out.
    proxy.reset(every(5, status(503), status(429), RESET_BEFORE, status(502), status(500)))
    result = draft(["batch", "--all", "--concurrency", "4", "--max-revisions", "0",
                    "--format", "json"])
    assert result.code == 0, result
    summary = json.loads(result.stdout)
    assert (summary["done"], summary["failed"], summary["not_started"]) == (50, 0, 0)
    # 50 answers needed; every 5th request failed: 62 requests, 12 faults, 12 retries.
    assert proxy.tally.chat_requests == 62 and len(proxy.tally.injected) == 12
    assert summary["retries"] == 12
    # Each ticket's answer was fetched once: no ticket was drafted twice.
    assert proxy.tally.answered_ok == 50
    with Store(store) as opened:
        drafts = opened.list_drafts()
    assert sorted(d.ticket_id for d in drafts) == list(range(1, 51))
    assert all(d.status == "done" and d.body and d.usage["prompt_tokens"] > 300 for d in drafts)
    assert summary["usage"]["prompt_tokens"] == sum(d.usage["prompt_tokens"] for d in drafts)


@pytest.mark.parametrize(("fault", "message"), [(status(401), "refused the API key (401)"),
                                                (UNKNOWN_MODEL, "was not found")],
                         ids=["401", "unknown-model"])
def test_a_permanent_fault_stops_a_batch_early_with_one_message(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fault: Fault,
        message: str) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 50, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    proxy.reset(always(fault))
    result = draft(["batch", "--all", "--concurrency", "4"])
    assert result.code == 3, result
    assert result.stderr.count(message) == 1, result.stderr
    assert "ticket 1: failed" not in result.stderr
    # Only the first requests of the workers went out, not fifty.
    assert proxy.tally.chat_requests <= 4
    # Nothing is recorded against the tickets: the next run (with a good key) starts afresh.
    with Store(store) as opened:
        assert opened.list_drafts() == []
    assert "50 tickets: 0 drafted, 0 failed" in result.stdout
