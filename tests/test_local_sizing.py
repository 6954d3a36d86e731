"""The local model fits the work: slots and threads sized to the cores, the memory and the
concurrency asked for, and no request waiting in a server's queue against its deadline.

The queueing is shown on a stand-in server that answers one request at a time, as
llama-cpp-python's does (tests/standin_server.py); the real server is started once, briefly,
to see `draft batch` lower its concurrency and say so.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from pathlib import Path

import pytest
from batch_fixtures import make_tickets
from standin_server import StandIn

from drafter.errors import LLMError
from drafter.llm.aclient import AsyncChatClient
from drafter.llm.local import SLOT_MEMORY, LocalPlan, local_available, plan_local

GB = 2**30
MESSAGES = [{"role": "user", "content": "Where is my parcel?"}]


@pytest.mark.parametrize(("concurrency", "cores", "memory", "expected"), [
    (1, 2, 8 * GB, LocalPlan(1, 2)),              # draft reply on this machine: as before
    (4, 2, 8 * GB, LocalPlan(1, 2, "2 cores, 2 a slot")),
    (4, 4, 8 * GB, LocalPlan(2, 2, "4 cores, 2 a slot")),
    (4, 8, 8 * GB, LocalPlan(4, 2)),
    (1, 8, 8 * GB, LocalPlan(1, 4)),              # one request: more threads, up to 4
    (2, 1, 8 * GB, LocalPlan(1, 1, "1 core, 2 a slot")),
    (8, 16, 3 * SLOT_MEMORY, LocalPlan(3, 4, f"{3 * SLOT_MEMORY // 2**20} MB of free memory, "
                                             f"{SLOT_MEMORY // 2**20} MB a slot")),
    (4, 8, SLOT_MEMORY // 2, LocalPlan(1, 4, f"{SLOT_MEMORY // 2**21} MB of free memory, "
                                             f"{SLOT_MEMORY // 2**20} MB a slot")),
])
def test_the_plan_fits_cores_memory_and_concurrency(concurrency: int, cores: int, memory: int,
                                                    expected: LocalPlan) -> None:
    assert plan_local(concurrency, cores=cores, available=memory, load=0.0) == expected


@pytest.mark.parametrize(("concurrency", "cores", "load", "expected"), [
    # The load counts drafter itself (one), which waits while the server works.
    (1, 2, 0.4, LocalPlan(1, 2)),    # a quiet machine: both cores
    (1, 2, 1.3, LocalPlan(1, 2)),    # drafter was busy a moment ago: still both
    (1, 2, 2.0, LocalPlan(1, 1)),    # one core busy elsewhere: one thread
    (1, 2, 8.0, LocalPlan(1, 1)),    # a busy machine: one thread, never none
    (1, 8, 4.0, LocalPlan(1, 4)),    # five free cores: MAX_THREADS
    (4, 8, 5.0, LocalPlan(4, 1)),    # four free cores for four slots
])
def test_busy_cores_get_no_thread(concurrency: int, cores: int, load: float,
                                  expected: LocalPlan) -> None:
    assert plan_local(concurrency, cores=cores, available=8 * GB, load=load) == expected


async def _all(client: AsyncChatClient, n: int) -> list[object]:
    try:
        return await asyncio.gather(*(client.complete(MESSAGES) for _ in range(n)),
                                    return_exceptions=True)
    finally:
        await client.aclose()


def test_requests_wait_for_a_free_slot_not_in_the_servers_queue() -> None:
    # Three requests at once, 0.8 s each, one at a time, a 2 s deadline per attempt and no
    # retry: queued in the server, the third would wait 1.6 s there and miss its deadline.
    options = {"timeout": 2.0, "max_attempts": 1}
    with StandIn(latency=0.8, one_at_a_time=True) as server:
        queued = asyncio.run(_all(AsyncChatClient(server.base_url, None, "m", **options), 3))
    assert any(isinstance(r, LLMError) and "timed out" in r.message for r in queued), queued

    with StandIn(latency=0.8, one_at_a_time=True) as server:
        slotted = asyncio.run(_all(AsyncChatClient(server.base_url, None, "m",
                                                   slot_urls=[server.base_url], **options), 3))
        assert server.most_at_once == 1
    assert not [r for r in slotted if isinstance(r, BaseException)], slotted
    assert all(r.latency < 2.0 for r in slotted)  # type: ignore[attr-defined]


def test_two_slots_share_the_requests() -> None:
    with StandIn(latency=0.5, one_at_a_time=True) as a, \
            StandIn(latency=0.5, one_at_a_time=True) as b:
        client = AsyncChatClient(a.base_url, None, "m", slot_urls=[a.base_url, b.base_url],
                                 timeout=5.0, max_attempts=1)
        started = time.monotonic()
        results = asyncio.run(_all(client, 4))
        took = time.monotonic() - started
        assert not [r for r in results if isinstance(r, BaseException)], results
        assert (a.served, b.served, a.most_at_once, b.most_at_once) == (2, 2, 1, 1)
    assert took < 1.9  # two at a time: about 1 s, not the 2 s of one slot


@pytest.mark.local_server
@pytest.mark.skipif(not local_available(), reason="the `local` extra is not installed")
@pytest.mark.skipif((os.cpu_count() or 1) >= 8, reason="this machine has room for 4 slots")
def test_batch_on_the_local_model_lowers_its_concurrency_and_says_so(
        draft, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 1)
    monkeypatch.setenv("DRAFTER_STORE", str(store))
    monkeypatch.setenv("DRAFTER_LLM_LOCAL", "always")
    monkeypatch.setenv("DRAFTER_LLM_MAX_TOKENS", "1")
    monkeypatch.setenv("DRAFTER_LLM_TIMEOUT", "600")
    monkeypatch.setenv("DRAFTER_LLM_MAX_RETRY_SECONDS", "900")
    result = draft(["batch", "--all", "--concurrency", "4", "--max-revisions", "0",
                    "--format", "json"])
    assert result.code == 0, result
    plan = plan_local(4)
    assert result.stderr.count("concurrency 4 lowered to") == 1
    assert (f"the local model answers {plan.slots} request" in result.stderr
            and f"({plan.limit})" in result.stderr), result.stderr
    assert f"{plan.slots} at a time" in result.stderr
    assert json.loads(result.stdout)["done"] == 1
