"""What a helpdesk costs a batch, against a real Request Tracker 5 (tests/rt_server.py).

Three figures (issue 13):

1. the time to fetch a ticket with 20 messages (cold: a new connector, which reads each
   author's user record once; warm: the same connector again);
2. `draft batch --from helpdesk --status open --post-note` over 200 open tickets against the
   same batch without the helpdesk (the same 200 tickets already in the store), both drafting
   with benchmarks/batch_scale.py's canned model at 200 ms a call, concurrency 4, so that the
   difference is the helpdesk's. The helpdesk run is split into its phases: the sync (list the
   queue, fetch each ticket on `--fetch-workers` threads, store it), the drafting with notes
   posted on `--note-workers` threads as drafts are stored, and the wait for the last notes;
   with the CPU seconds RT (its whole process tree), drafter and the whole machine used;
3. the floor: the same listing, reads and comments from a bare HTTP client on 1, 2 and 4
   threads (`--no-floor` skips it), which no client can go under against this RT.

    .venv/bin/python benchmarks/helpdesk_overhead.py                # 200 tickets, 200 ms, C = 4
    .venv/bin/python benchmarks/helpdesk_overhead.py --tickets 40   # a quicker look

Target: the helpdesk batch within 15% of the batch without it. RT is a Perl application that
answers each REST request in tens of milliseconds on an idle machine (more on shared cores),
so the figure says how much of a batch's time RT's requests take that drafting cannot hide.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "benchmarks"))

MAKE_TICKETS = r"""
use MIME::Entity;
RT->Config->Set('MailCommand', 'testfile');  # setup only: no mail leaves for these tickets
my $cu = RT::CurrentUser->new; $cu->Load('customer');
for my $n (@FROM@ .. @TO@) {
    my $mime = MIME::Entity->build(Type => 'text/plain', Charset => 'UTF-8', Encoding => '8bit',
        From => '@EMAIL@', Subject => "Order $n arrived damaged",
        Data => ["Hello,\n\nmy order $n arrived with a cracked lid. Can you send a new one "
                 . "before Friday, or refund it?\n\nThanks,\nZoe\n"]);
    my $t = RT::Ticket->new($cu);
    my ($id, $txn, $msg) = $t->Create(Queue => '@QUEUE@', Subject => "Order $n arrived damaged",
                                      Requestor => ['@EMAIL@'], MIMEObj => $mime);
    die "ticket $n: $msg\n" unless $id;
}
"""


def settings(rt: Any, base_url: str, concurrency: int, store: Path, queue: str) -> Any:
    """drafter's settings: this RT's queue, the canned model, `store`."""
    from drafter.config import load_settings

    return load_settings(env={}, cwd=Path("/"), flags={
        **rt.settings_flags(), "helpdesk.queue": queue, "llm.base_url": base_url,
        "llm.api_key": "not-needed", "llm.model": "canned", "llm.timeout": 60.0,
        "batch.concurrency": concurrency, "draft.max_revisions": 0, "store.path": str(store)})


def fetch_twenty(rt: Any, flags: Any, repeat: int) -> tuple[float, float, int]:
    """Median seconds to fetch a 20-message ticket with a new connector and with a warm one,
    and the number of requests a fetch sends."""
    from drafter.helpdesk import open_connector
    from drafter.helpdesk.http import HttpClient

    number = rt.create_ticket("Twenty messages", "Hello, the lid is cracked. Can you help?",
                              queue=flags["helpdesk.queue"])
    for n in range(19):
        if n % 6 == 5:
            rt.comment(number, f"Internal note {n}: check the carrier.")
        elif n % 2 == 0:
            rt.reply(number, f"Hi Zoe, thank you. Question {n}: which colour was it?", "agent")
        else:
            rt.reply(number, f"It was blue. Answer {n}.\n\n> Which colour was it?", "customer")
    cold, warm = [], []
    sent = 0
    original = HttpClient.request

    def counting(self: Any, *args: Any, **kw: Any) -> Any:
        nonlocal sent
        sent += 1
        return original(self, *args, **kw)

    for _ in range(repeat):
        with open_connector(flags) as c:
            t0 = time.perf_counter()
            ticket = c.fetch(number)
            cold.append(time.perf_counter() - t0)
            assert len(ticket.messages) == 20, len(ticket.messages)
            t0 = time.perf_counter()
            HttpClient.request = counting  # type: ignore[method-assign]
            try:
                c.fetch(number)
            finally:
                HttpClient.request = original  # type: ignore[method-assign]
            warm.append(time.perf_counter() - t0)
    return statistics.median(cold), statistics.median(warm), sent // repeat


def baseline(flags: Any, ids: list[int]) -> dict[str, float]:
    """Seconds to draft `ids` from the store, no helpdesk, and drafter's CPU seconds."""
    from drafter.app import App
    from drafter.batch.runner import plan

    app = App(flags)
    with app.store() as store:
        spec = app.batch_spec()
        todo, _ = plan(store, ids, redo=True)
        t0, c0, m0 = time.perf_counter(), time.process_time(), machine_busy()
        runner = app.batch(store, todo, spec)
        wall, cpu, busy = time.perf_counter() - t0, time.process_time() - c0, machine_busy() - m0
    assert runner.summary.done == len(ids), runner.summary
    return {"total": wall, "drafter_cpu": cpu, "machine": busy}


def with_helpdesk(rt: Any, flags: Any, fetch_workers: int, note_workers: int,
                  expect: int) -> dict[str, float]:
    """`draft batch --from helpdesk --status open --post-note` as the CLI runs it (notes with
    force, so that every run posts them all); seconds per phase, and the CPU seconds RT, drafter
    and the whole machine used."""
    from drafter.app import App
    from drafter.batch.runner import plan

    app = App(flags)
    r0, c0, m0 = rt.cpu_seconds(), time.process_time(), machine_busy()
    t0 = time.perf_counter()
    chosen = app.helpdesk_selection(status="open", workers=fetch_workers)
    t1 = time.perf_counter()
    r1 = rt.cpu_seconds()
    with app.store() as store:
        spec = app.batch_spec()
        todo, _ = plan(store, store.select_ids(chosen.ids, "open"), redo=True)
        notes = app.note_poster(store, chosen.tickets, force=True, workers=note_workers)
        runner = app.batch(store, todo, spec, events=notes.watch())
        t2 = time.perf_counter()
        report = notes.close()
        t3 = time.perf_counter()
    r3, c3, m3 = rt.cpu_seconds(), time.process_time(), machine_busy()
    assert runner.summary.done == expect, runner.summary
    assert len(report.posted) == expect and not report.failed, report
    return {"sync": t1 - t0, "draft": t2 - t1, "drain": t3 - t2, "total": t3 - t0,
            "rt_sync": r1 - r0, "rt_notes": r3 - r1, "drafter_cpu": c3 - c0, "machine": m3 - m0}


def machine_busy() -> float:
    """CPU seconds the whole machine has been busy (every process, ours or not), /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle, iowait
    return (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")


class BareClient:
    """The floor: drafter's RT requests sent by a bare HTTP client, no drafter around them. Each
    thread signs in as the connector does (the token once, at RT's web UI; then the session)."""

    def __init__(self, rt: Any) -> None:
        self.rt = rt
        self.local = threading.local()

    def client(self) -> Any:
        """This thread's signed-in client."""
        from rt_server import httpx

        found = getattr(self.local, "client", None)
        if found is None:
            found = httpx.Client(timeout=60, headers={
                "Accept": "application/json", "Authorization": f"token {self.rt.tokens['agent']}"})
            found.get(self.rt.url + "/m/")
            self.local.client = found
        return found

    def get(self, path: str, **params: Any) -> Any:
        """GET a REST 2 path; the decoded JSON."""
        response = self.client().get(f"{self.rt.url}/REST/2.0{path}", params=params)
        assert response.status_code == 200, (path, response.status_code)
        return response.json()

    def post(self, path: str, body: Any, **params: Any) -> Any:
        """POST JSON to a REST 2 path (with the Referer RT's CSRF check asks of a session)."""
        response = self.client().post(f"{self.rt.url}/REST/2.0{path}", json=body, params=params,
                                      headers={"Referer": self.rt.url + "/"})
        assert response.status_code in (200, 201), (path, response.status_code)
        return response.json()

    def listing(self, queue: str) -> list[str]:
        """The open tickets of `queue`, as the connector lists them."""
        from drafter.helpdesk.rt import SEARCH_STATUS, USER_FIELDS

        numbers: list[str] = []
        page = 1
        while True:
            items = self.get("/tickets", query=f"Queue = '{queue}' AND {SEARCH_STATUS['open']}",
                             orderby="LastUpdated", order="ASC", page=page, per_page=100,
                             fields="Subject,Status,LastUpdated,EffectiveId,Requestor",
                             **{"fields[Requestor]": USER_FIELDS})["items"]
            numbers += [str(t["id"]) for t in items]
            if len(items) < 100:
                return numbers
            page += 1

    def read(self, number: str) -> None:
        """A listed ticket's three reads, as the connector sends them."""
        from drafter.helpdesk.rt import USER_FIELDS

        self.get(f"/ticket/{number}/history", fields="Type,Creator,Created", page=1,
                 per_page=100, **{"fields[Creator]": USER_FIELDS})
        self.get(f"/ticket/{number}/attachments", page=1, per_page=100,
                 fields="TransactionId,ContentType,Filename,ContentLength")
        self.post(f"/ticket/{number}/attachments",
                  [{"field": "ContentType", "operator": "LIKE", "value": "text/"}], page=1,
                  per_page=100, fields="TransactionId,ContentType,Filename,Content")

    def comment(self, number: str) -> None:
        """A note of a draft's length, as a comment."""
        self.post(f"/ticket/{number}/comment", {"Content": NOTE, "ContentType": "text/plain"})


NOTE = ("Hi Zoe,\n\nThank you for letting us know about the cracked lid. I'm sorry it arrived "
        "damaged. We will send a replacement today by express so it reaches you before Friday; "
        "if you prefer a refund instead, reply and we will refund it in full.\n\nBest regards,\n"
        "Sam\n\n-- \nDraft by drafter (canned), not sent. The reviewer found no issues.\n\n"
        "drafter-note-for: <rt-transaction-1@127.0.0.1>\n")


def floor(rt: Any, queue: str, workers: int) -> dict[str, float]:
    """Seconds the bare client takes for the batch's requests on `workers` threads: the listing
    and each ticket's reads, then a comment on each; and RT's CPU seconds for each part."""
    bare = BareClient(rt)
    r0, t0 = rt.cpu_seconds(), time.perf_counter()
    numbers = bare.listing(queue)
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(bare.read, numbers))
        t1, r1 = time.perf_counter(), rt.cpu_seconds()
        list(pool.map(bare.comment, numbers))
    t2, r2 = time.perf_counter(), rt.cpu_seconds()
    return {"reads": t1 - t0, "comments": t2 - t1, "rt_reads": r1 - r0, "rt_comments": r2 - r1,
            "n": len(numbers), "workers": workers}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tickets", type=int, default=200)
    parser.add_argument("--latency", type=float, default=0.2)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--repeat", type=int, default=1, help="Runs of each batch (medians).")
    parser.add_argument("--fetch-workers", type=int, default=2)
    parser.add_argument("--note-workers", type=int, default=2)
    parser.add_argument("--floor", action=argparse.BooleanOptionalAction, default=True,
                        help="Also time the same requests from a bare HTTP client (1, 2 and 4 "
                        "threads), the floor that no client can go under against this RT.")
    args = parser.parse_args()

    from batch_scale import CannedServer
    from rt_server import BULK, CUSTOMER, TOKEN_ENV, running_rt

    with running_rt() as rt, tempfile.TemporaryDirectory() as tmp:
        os.environ[TOKEN_ENV] = rt.tokens["agent"]
        print(f"RT 5 started in {rt.started_in:.1f} s")
        server = CannedServer(args.latency, args.concurrency)
        try:
            flags = settings(rt, server.base_url, args.concurrency, Path(tmp) / "fetch.db", BULK)
            cold, warm, requests = fetch_twenty(rt, flags, 5)
            print(f"fetch a ticket with 20 messages: {cold * 1000:.0f} ms with a new connector, "
                  f"{warm * 1000:.0f} ms warm ({requests} requests); medians of 5")
            t0 = time.perf_counter()
            for start in range(1, args.tickets + 1, 20):  # RT's perl runs are capped at 300 s
                rt.perl(MAKE_TICKETS.replace("@FROM@", str(start))
                        .replace("@TO@", str(min(start + 19, args.tickets)))
                        .replace("@EMAIL@", CUSTOMER[0]).replace("@QUEUE@", "Support"))
            print(f"made {args.tickets} tickets in {time.perf_counter() - t0:.1f} s")

            base_flags = settings(rt, server.base_url, args.concurrency, Path(tmp) / "base.db",
                                  "Support")
            from drafter.app import App

            ids = App(base_flags).helpdesk_selection(status="open", workers=2).ids
            assert len(ids) == args.tickets, len(ids)
            ideal = args.tickets * args.latency / args.concurrency
            plain, helped = [], []
            for n in range(args.repeat):
                plain.append(baseline(base_flags, ids))
                run_flags = settings(rt, server.base_url, args.concurrency,
                                     Path(tmp) / f"run{n}.db", "Support")
                helped.append(with_helpdesk(rt, run_flags, args.fetch_workers, args.note_workers,
                                            args.tickets))
            bare = [floor(rt, "Support", workers) for workers in (1, 2, 4)] if args.floor else []
        finally:
            server.stop()
    base = statistics.median(p["total"] for p in plain)
    base_cpu = statistics.median(p["drafter_cpu"] for p in plain)
    base_machine = statistics.median(p["machine"] for p in plain)
    phases = {k: statistics.median(h[k] for h in helped) for k in helped[0]}
    print(f"{args.tickets} tickets, {args.latency * 1000:.0f} ms per model call, C = "
          f"{args.concurrency} (ideal {ideal:.1f} s); medians of {args.repeat}")
    print(f"without the helpdesk: {base:.1f} s")
    print(f"with the helpdesk:    {phases['total']:.1f} s = sync {phases['sync']:.1f} s "
          f"({args.fetch_workers} threads) + drafting with notes {phases['draft']:.1f} s "
          f"({args.note_workers} posting threads) + last notes {phases['drain']:.1f} s")
    print(f"ratio with/without: {phases['total'] / base:.3f} (overhead "
          f"{(phases['total'] / base - 1) * 100:.0f}%); drafting with notes, sync left out: "
          f"{(phases['draft'] + phases['drain']) / base:.3f}")
    n = args.tickets
    print(f"CPU seconds, without the helpdesk: drafter {base_cpu:.1f}, the whole machine "
          f"{base_machine:.1f} (of {base * (os.cpu_count() or 1):.1f} it had)")
    print(f"CPU seconds, with the helpdesk: RT {phases['rt_sync']:.1f} in the sync "
          f"({phases['rt_sync'] / n * 1000:.0f} ms a ticket), RT {phases['rt_notes']:.1f} while "
          f"drafting and posting ({phases['rt_notes'] / n * 1000:.0f} ms a note), drafter "
          f"{phases['drafter_cpu']:.1f}, the whole machine {phases['machine']:.1f} "
          f"(of {phases['total'] * (os.cpu_count() or 1):.1f} it had)")
    for b in bare:
        print(f"floor, a bare HTTP client on {b['workers']:.0f} thread"
              f"{'s' if b['workers'] > 1 else ''}: "
              f"listing and {b['n']:.0f} tickets' reads {b['reads']:.1f} s (RT CPU "
              f"{b['rt_reads']:.1f} s), then {b['n']:.0f} comments {b['comments']:.1f} s (RT CPU "
              f"{b['rt_comments']:.1f} s); together {b['reads'] + b['comments']:.1f} s")
    print(f"(python {sys.version.split()[0]}, {os.cpu_count()} CPUs, load "
          f"{os.getloadavg()[0]:.1f})")


if __name__ == "__main__":
    main()
