"""A whole reply against one bare call, side by side, over revise_rates.py's 15 fixed tickets.

For each ticket, on one real bundled-model server and with the settings `draft reply` ships
(the bundled model's defaults: short prompt, structured output, 200 tokens, no revision), times:

- bare: one `openai` chat call with drafter's own first-round messages and parameters (what a
  script calling the server itself would send);
- whole: drafter's pipeline as `draft reply` runs it — retrieval, first round, review, any
  revision, the canned response compared, composing — in this process (Python's and the
  server's start-up are left out of both).

The two take turns (bare first on even tickets, whole first on odd ones), so that load from
elsewhere falls on both alike, and each starts with the server's prompt cache holding another
prompt (a one-token call in between), as a new ticket's first round does. Prints each ticket's times,
rounds and ratio, then the median of the ratios and the ratio of the medians. The goal (issue
15): the median whole reply within 1.5x of one bare call.

    python benchmarks/reply_vs_bare.py                 # all 15 tickets
    python benchmarks/reply_vs_bare.py --limit 5 --threads 1
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # run from a checkout without installing

import openai  # noqa: E402
from grounding import model_endpoint  # noqa: E402
from revise_rates import CONFIGS, draft_variant, load_items, make_client  # noqa: E402

from drafter import App  # noqa: E402
from drafter.llm.endpoint import client_options  # noqa: E402
from drafter.tickets.model import public_thread  # noqa: E402

PORT = 18490  # not revise_rates.py's or the grounding benchmark's: runs side by side
GOAL = 1.5


def bare_call(app: App, ticket: Any) -> float:
    """Seconds for one `openai` call with drafter's first-round messages and parameters."""
    thread = public_thread(ticket)
    channel = app.channel_for(thread)
    messages = app.reply_messages(thread, channel, app.ground(thread))
    s = app.settings
    options = client_options(s)
    extra: dict[str, Any] = {}
    if options["response_format"] is not None:
        extra["response_format"] = options["response_format"]
    if options["stop"]:
        extra["stop"] = options["stop"]
    client = openai.OpenAI(base_url=s["llm.base_url"], api_key="none", max_retries=0,
                           timeout=s["llm.timeout"])
    try:
        start = time.perf_counter()
        client.chat.completions.create(
            model=s["llm.model"], messages=messages,  # type: ignore[arg-type]
            temperature=options["temperature"], max_tokens=options["max_tokens"],
            seed=options["seed"], **extra)
        return time.perf_counter() - start
    finally:
        client.close()


def flush(app: App) -> None:
    """Leave another prompt in the server's cache (a one-token call), so the next call's prompt
    is read in full, as a new ticket's is."""
    s = app.settings
    client = openai.OpenAI(base_url=s["llm.base_url"], api_key="none", max_retries=0)
    try:
        client.chat.completions.create(model=s["llm.model"], max_tokens=1, messages=[
            {"role": "user", "content": f"Say ok. {time.time()}"}])
    finally:
        client.close()


def whole_reply(app: App, item: Any) -> tuple[float, int]:
    """Seconds for drafter's whole pipeline on `item`, and its rounds."""
    client = make_client(app)
    try:
        start = time.perf_counter()
        result = draft_variant(app, item, client)
        return time.perf_counter() - start, len(result.rounds)
    finally:
        client.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Time and print."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--limit", type=int, help="only the first N tickets")
    ap.add_argument("--port", type=int, default=PORT, help=f"the server's port (default {PORT})")
    ap.add_argument("--threads", type=int, help="the server's threads (default: drafter's plan)")
    args = ap.parse_args(argv)
    items = load_items()[:args.limit]
    rows: list[tuple[str, float, float, int]] = []
    with tempfile.TemporaryDirectory(prefix="drafter-bare-") as tmp, \
            model_endpoint("local", None, True, args.port, args.threads) as flags:
        flags.update({"llm.timeout": 600.0, "llm.max_attempts": 1})
        apps = {c: App.from_config(path, **{"store.path": str(Path(tmp) / f"{c}.db")}, **flags)
                for c, path in CONFIGS.items()}
        bare_call(apps["examples"], items[0].ticket)  # the server's first call loads the model
        for i, item in enumerate(items):
            app = apps[item.company]
            flush(app)
            if i % 2 == 0:
                bare = bare_call(app, item.ticket)
                flush(app)
                whole, rounds = whole_reply(app, item)
            else:
                whole, rounds = whole_reply(app, item)
                flush(app)
                bare = bare_call(app, item.ticket)
            rows.append((item.name, bare, whole, rounds))
            print(f"  {item.name:26} bare {bare:6.2f} s  whole {whole:6.2f} s  r{rounds}  "
                  f"{whole / bare:5.2f}x", file=sys.stderr)
    print(f"{'ticket':26} {'bare s':>7} {'whole s':>8} {'rounds':>6} {'ratio':>6}")
    for name, bare, whole, rounds in rows:
        print(f"{name:26} {bare:7.2f} {whole:8.2f} {rounds:6} {whole / bare:5.2f}x")
    ratios = [whole / bare for _, bare, whole, _ in rows]
    median_ratio = statistics.median(ratios)
    of_medians = statistics.median(w for _, _, w, _ in rows) / statistics.median(
        b for _, b, _, _ in rows)
    print(f"\nmedian of the ratios {median_ratio:.2f}x; ratio of the medians {of_medians:.2f}x; "
          f"mean rounds {statistics.mean(r for *_, r in rows):.2f}; "
          f"goal <= {GOAL}x: {'met' if median_ratio <= GOAL else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
