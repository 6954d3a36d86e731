"""How `draft batch` scales: wall time against concurrency, drafter's own CPU per ticket, memory.

The model here is a loopback HTTP server that waits a fixed latency per request and answers a
canned completion, with a limit on the requests it serves at once: it measures drafter's
overhead and its use of concurrency, not a model. (The real local model serves one request at a
time, so concurrency there shows nothing.)

    .venv/bin/python benchmarks/batch_scale.py                 # 200 tickets, 200 ms, C = 1, 4, 16
    .venv/bin/python benchmarks/batch_scale.py --memory 10000  # peak memory over 10,000 tickets

Targets (issue 5): wall time within 15% of 200 x latency / C; drafter's CPU per ticket under
10 ms; peak memory for 10,000 stored tickets under 200 MB. (200 is not a multiple of 16: at C = 16
the least possible is 13 rounds, 2.6 s, already 4% over that ideal.) The same requests through a
bare openai client and through plain httpx, in the same run, show what the machine and the client
allow without drafter's work; drafter's wall time stays within 10% of the bare client's (issue 12).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

CANNED = {
    "id": "c", "object": "chat.completion", "created": 0, "model": "canned",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content":
                 "I'm sorry the order arrived damaged. I have sent a replacement today; it will "
                 "reach you within 3 days. You can also choose a full refund instead."}}],
    "usage": {"prompt_tokens": 1500, "completion_tokens": 40, "total_tokens": 1540},
}


def _serve(latency: float, limit: int, ports: Any) -> None:
    """Serve canned chat completions after `latency`, at most `limit` at once (in a child process).

    One asyncio loop, not a thread per connection: on 2 shared cores a threaded server's own
    CPU and its listen backlog (socketserver's default of 5 overflowed when 16 connections
    opened at once, and the kernel retried the dropped ones a second later) showed up in the
    figures as if they were drafter's.
    """
    raw = json.dumps(CANNED).encode()
    answer = (f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
              f"content-length: {len(raw)}\r\n\r\n").encode() + raw

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                await reader.readexactly(length)
                async with gate:
                    await asyncio.sleep(latency)
                # One write for head and body: two small writes meet Nagle and delayed ACKs.
                writer.write(answer)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def main() -> None:
        server = await asyncio.start_server(handle, "127.0.0.1", 0, backlog=1024)
        ports.put(server.sockets[0].getsockname()[1])
        await server.serve_forever()

    gate = asyncio.Semaphore(limit)
    asyncio.run(main())


class CannedServer:
    """The canned server in its own process, so this process's CPU time is drafter's alone."""

    def __init__(self, latency: float, limit: int) -> None:
        ports: Any = multiprocessing.Queue()
        self.proc = multiprocessing.Process(target=_serve, args=(latency, limit, ports), daemon=True)
        self.proc.start()
        self.base_url = f"http://127.0.0.1:{ports.get(timeout=30)}/v1"

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.join()


def run_batch(store_path: Path, base_url: str, concurrency: int) -> tuple[float, float, Any]:
    """Draft every ticket in the store; return (wall seconds, CPU seconds of this process, summary)."""
    from drafter.app import App
    from drafter.batch.costs import PriceTable, prompt_version
    from drafter.batch.runner import BatchRunner, BatchSpec, plan
    from drafter.config import load_settings
    from drafter.llm.aclient import AsyncChatClient
    from drafter.prompting import Prompts
    from drafter.review.reviewer import Reviewer
    from drafter.store import Store
    from drafter.styleguide import load_styleguide

    guide = load_styleguide()
    prompts = Prompts()
    team = App(load_settings(env={})).team
    spec = BatchSpec(prompts=prompts, guide=guide, reviewer=Reviewer(guide), team=team,
                     max_revisions=0, concurrency=concurrency, prices=PriceTable({}),
                     prompt_version=prompt_version(prompts, guide, team))
    with Store(store_path) as store:
        todo, _ = plan(store, store.select_ids(), redo=True)
        client = AsyncChatClient(base_url, None, "canned", max_connections=concurrency, timeout=60)
        runner = BatchRunner(store, client, spec)

        async def main() -> None:
            try:
                await runner.run(todo)
            finally:
                await client.aclose()

        cpu0, t0 = time.process_time(), time.perf_counter()
        asyncio.run(main())
        return time.perf_counter() - t0, time.process_time() - cpu0, runner.summary


def first_messages(store_path: Path) -> list[dict[str, str]]:
    """The messages drafter sends for the first stored ticket (the bare clients send these)."""
    from drafter.app import App
    from drafter.config import load_settings
    from drafter.prompting import Prompts
    from drafter.store import Store
    from drafter.styleguide import load_styleguide

    with Store(store_path) as store:
        ticket = store.get(store.select_ids()[0])
    messages: list[dict[str, str]] = Prompts().reply_messages(
        load_styleguide(), App(load_settings(env={})).team, ticket, "email")
    return messages


def run_bare(kind: str, base_url: str, concurrency: int, count: int,
             messages: list[dict[str, str]]) -> tuple[float, float]:
    """The same requests with no drafter work: `count` chat completions through a bare client
    ("sdk": openai.AsyncOpenAI's chat.completions.create; "httpx": a plain POST), `concurrency`
    at a time; return (wall seconds, CPU seconds)."""
    import openai

    from drafter.llm.client import httpx

    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    params = {"model": "canned", "temperature": 0.0, "max_tokens": 350, "seed": 42}

    async def main() -> None:
        sdk = openai.AsyncOpenAI(base_url=base_url, api_key="not-needed", max_retries=0,
                                 timeout=httpx.Timeout(60, connect=10),
                                 http_client=openai.DefaultAsyncHttpxClient(limits=limits))
        plain = httpx.AsyncClient(limits=limits, timeout=httpx.Timeout(60, connect=10))
        todo = iter(range(count))

        async def worker() -> None:
            for _ in todo:
                if kind == "sdk":
                    response = await sdk.chat.completions.create(
                        messages=messages, **params)  # type: ignore[call-overload]
                    assert response.choices[0].message.content
                else:
                    raw = await plain.post(f"{base_url}/chat/completions",
                                           json={"messages": messages, **params})
                    assert json.loads(raw.content)["choices"][0]["message"]["content"]

        try:
            await asyncio.gather(*(worker() for _ in range(concurrency)))
        finally:
            await sdk.close()
            await plain.aclose()

    cpu0, t0 = time.process_time(), time.perf_counter()
    asyncio.run(main())
    return time.perf_counter() - t0, time.process_time() - cpu0


def median(values: list[float]) -> float:
    """The middle value (the mean of the two middle ones for an even count)."""
    ordered = sorted(values)
    mid = len(ordered) // 2
    return ordered[mid] if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
    parser.add_argument("--repeat", type=int, default=3, help="Runs of each configuration; the "
                        "table shows medians (the machines are shared and noisy).")
    parser.add_argument("--memory", type=int, metavar="N", help="Instead: peak memory drafting N "
                        "stored tickets (latency 0, concurrency 16).")
    args = parser.parse_args()
    from batch_fixtures import make_tickets

    with tempfile.TemporaryDirectory() as tmp:
        store = Path(tmp) / "bench.db"
        count = args.memory or args.tickets
        make_tickets(store, count)
        if args.memory:
            server = CannedServer(0.0, 16)
            base = server.base_url
            before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            wall, cpu, summary = run_batch(store, base, 16)
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"{count} tickets: {summary.done} drafted in {wall:.1f} s; peak RSS {peak:.0f} MB "
                  f"(before the batch: {before:.0f} MB); CPU {cpu / count * 1000:.2f} ms/ticket")
            server.stop()
            return
        messages = first_messages(store)
        print(f"{count} tickets, {args.latency * 1000:.0f} ms per request, server limit = C; "
              f"medians of {args.repeat} runs")
        print("bare sdk / bare httpx: the same requests through openai.AsyncOpenAI / plain httpx, "
              "no drafter work; ratio = drafter wall / bare sdk wall")
        print(f"{'C':>3} {'ideal s':>7} {'wall s':>7} {'over':>6} {'sdk s':>6} {'over':>6} "
              f"{'httpx s':>7} {'over':>6} {'ratio':>6} {'CPU ms/ticket':>13} {'sdk CPU':>7}")
        for c in args.concurrency:
            server = CannedServer(args.latency, c)
            base = server.base_url
            runs: dict[str, list[tuple[float, float]]] = {"drafter": [], "sdk": [], "httpx": []}
            for _ in range(args.repeat):
                runs["sdk"].append(run_bare("sdk", base, c, count, messages))
                runs["httpx"].append(run_bare("httpx", base, c, count, messages))
                wall, cpu, summary = run_batch(store, base, c)
                assert summary.done == count, summary
                runs["drafter"].append((wall, cpu))
            server.stop()
            ideal = count * args.latency / c
            walls = {k: median([w for w, _ in v]) for k, v in runs.items()}
            cpus = {k: median([u for _, u in v]) / count * 1000 for k, v in runs.items()}
            over = {k: (w / ideal - 1) * 100 for k, w in walls.items()}
            print(f"{c:>3} {ideal:>7.2f} {walls['drafter']:>7.2f} {over['drafter']:>5.1f}% "
                  f"{walls['sdk']:>6.2f} {over['sdk']:>5.1f}% {walls['httpx']:>7.2f} "
                  f"{over['httpx']:>5.1f}% {walls['drafter'] / walls['sdk']:>6.3f} "
                  f"{cpus['drafter']:>13.2f} {cpus['sdk']:>7.2f}", flush=True)
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
