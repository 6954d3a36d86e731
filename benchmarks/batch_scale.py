"""How `draft batch` scales: wall time against concurrency, drafter's own CPU per ticket, memory.

The model here is a loopback HTTP server that waits a fixed latency per request and answers a
canned completion, with a limit on the requests it serves at once: it measures drafter's
overhead and its use of concurrency, not a model. (The real local model serves one request at a
time, so concurrency there shows nothing.)

    .venv/bin/python benchmarks/batch_scale.py                 # 200 tickets, 200 ms, C = 1, 4, 16
    .venv/bin/python benchmarks/batch_scale.py --memory 10000  # peak memory over 10,000 tickets

Targets (issue 5): wall time within 15% of 200 x latency / C; drafter's CPU per ticket under
10 ms; peak memory for 10,000 stored tickets under 200 MB.
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
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
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
    """Serve canned chat completions after `latency`, at most `limit` at once (in a child process)."""
    gate = threading.Semaphore(limit)
    raw = json.dumps(CANNED).encode()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("content-length", 0)))
            with gate:
                time.sleep(latency)
            # One write for head and body: two small writes meet Nagle and delayed ACKs (40 ms).
            head = (f"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n"
                    f"content-length: {len(raw)}\r\n\r\n").encode()
            self.wfile.write(head + raw)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    server.request_queue_size = 256
    ports.put(server.server_address[1])
    server.serve_forever()


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
    from drafter.batch.costs import PriceTable, prompt_version
    from drafter.batch.runner import BatchRunner, BatchSpec, plan
    from drafter.cli.reply import team_of
    from drafter.config import load_settings
    from drafter.llm.aclient import AsyncChatClient
    from drafter.prompting import Prompts
    from drafter.review.reviewer import Reviewer
    from drafter.styleguide import load_styleguide
    from drafter.tickets.store import TicketStore

    guide = load_styleguide()
    prompts = Prompts()
    team = team_of(load_settings(env={}))
    spec = BatchSpec(prompts=prompts, guide=guide, reviewer=Reviewer(guide), team=team,
                     max_revisions=0, concurrency=concurrency, prices=PriceTable({}),
                     prompt_version=prompt_version(prompts, guide, team))
    with TicketStore(store_path) as store:
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 4, 16])
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
        print(f"{count} tickets, {args.latency * 1000:.0f} ms per request, server limit = C")
        print(f"{'C':>4} {'wall s':>8} {'ideal s':>8} {'over':>7} {'drafter CPU ms/ticket':>22}")
        for c in args.concurrency:
            server = CannedServer(args.latency, c)
            base = server.base_url
            wall, cpu, summary = run_batch(store, base, c)
            assert summary.done == count, summary
            ideal = count * args.latency / c
            print(f"{c:>4} {wall:>8.2f} {ideal:>8.2f} {(wall / ideal - 1) * 100:>6.1f}% "
                  f"{cpu / count * 1000:>22.2f}")
            server.stop()
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs)")


if __name__ == "__main__":
    main()
