"""The knowledge index at 5,000 passages: how fast it is built, how fast an unchanged or
slightly changed knowledge base is brought up to date, and the time retrieval adds to a reply
(goal: under 20 ms per reply at 5,000 passages).

The knowledge is generated from real text: sentences of the 408 real support replies and
customer messages in ../shared/corpora/support_replies (or, without them, of the grounding
benchmark's knowledge) make 1,000 canned responses and 400 help articles of 10 sections each;
the queries are the corpus's real customer messages and the grounding benchmark's tickets.

    python benchmarks/kb_speed.py [PASSAGES]
"""

from __future__ import annotations

import json
import random
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from drafter import App
from drafter.config import load_settings
from drafter.tickets.model import Message, Ticket

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "corpora" / "support_replies"
GROUNDING = REPO / "benchmarks" / "grounding"
PASSAGES = int(sys.argv[1]) if len(sys.argv) > 1 else 5000


def sentences_and_queries() -> tuple[list[str], list[str]]:
    """Sentences to write knowledge from, and customer messages to search with."""
    texts: list[str] = []
    queries: list[str] = []
    if (CORPUS / "manifest.jsonl").is_file():
        for line in (CORPUS / "manifest.jsonl").read_text().splitlines():
            entry = json.loads(line)
            texts.append((CORPUS / entry["file"]).read_text(errors="replace"))
            if entry.get("customer_message"):
                queries.append(entry["customer_message"])
    for path in sorted((GROUNDING / "knowledge").rglob("*.*")):
        texts.append(path.read_text(errors="replace"))
    for case in json.loads((GROUNDING / "cases.json").read_text())["cases"]:
        ticket = case["ticket"]
        queries.append((ticket.get("subject") or "") + "\n" + ticket["messages"][-1]["text"])
    sentences = [s.strip() for t in texts for s in re.split(r"(?<=[.!?])\s+", t)
                 if 20 <= len(s.strip()) <= 300 and not s.strip().startswith(("#", "[", "-"))]
    return sentences, queries


def build(root: Path, sentences: list[str], passages: int, rng: random.Random) -> None:
    """A project of `passages` passages: a fifth canned responses, the rest article sections."""
    words = [w for s in sentences for w in re.findall(r"[A-Za-z]{4,}", s)]
    (root / "canned").mkdir(parents=True)
    (root / "articles").mkdir()
    canned = passages // 5
    for n in range(canned):
        title = " ".join(rng.sample(words, 4)).capitalize()
        body = " ".join(rng.sample(sentences, 4))
        (root / "canned" / f"r{n:05d}.md").write_text(
            f"---\ntitle: {title}\nvariables: [first_name]\n---\nHi {{{{ first_name }}}},\n\n"
            f"{body}\n\nBest regards,\nThe Team\n")
    sections = passages - canned
    for n in range(0, sections, 10):
        parts = [f"# {' '.join(rng.sample(words, 3)).capitalize()}\n"]
        for _ in range(min(10, sections - n)):
            heading = " ".join(rng.sample(words, rng.randint(2, 5))).capitalize()
            parts.append(f"## {heading}\n\n{' '.join(rng.sample(sentences, rng.randint(2, 5)))}\n")
        (root / "articles" / f"a{n // 10:04d}.md").write_text("\n".join(parts))
    (root / "drafter.toml").write_text(
        '[knowledge]\ncanned = ["canned"]\narticles = ["articles"]\n'
        f'[store]\npath = "{root / "store.db"}"\n')


def ms(seconds: list[float]) -> str:
    """Median, 95th percentile and maximum, in milliseconds."""
    s = sorted(seconds)
    return (f"median {statistics.median(s) * 1000:.2f} ms, p95 {s[int(len(s) * 0.95)] * 1000:.2f} "
            f"ms, max {s[-1] * 1000:.2f} ms")


def main() -> None:
    """Build, index, search; print the figures."""
    rng = random.Random(14)
    sentences, queries = sentences_and_queries()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        build(root, sentences, PASSAGES, rng)
        app = App(load_settings(config_path=root / "drafter.toml", env={}))
        with app.knowledge() as kb:
            t0 = time.perf_counter()
            report = kb.index()
            cold = time.perf_counter() - t0
            indexed = sum(c["passages"] for c in kb.stats()["kinds"].values())
            t0 = time.perf_counter()
            again = kb.index()
            warm = time.perf_counter() - t0
            changed = root / "articles" / "a0000.md"
            changed.write_text(changed.read_text() + "\nOne more sentence about refunds.\n")
            t0 = time.perf_counter()
            one = kb.index()
            one_changed = time.perf_counter() - t0
        size = (root / "store.db").stat().st_size
        print(f"knowledge: {indexed:,} passages from {len(report.added):,} files "
              f"(store {size / 1e6:.1f} MB)")
        print(f"index from nothing:      {cold:.2f} s ({indexed / cold:,.0f} passages/s)")
        print(f"index, nothing changed:  {warm * 1000:.1f} ms ({again.unchanged:,} files checked)")
        print(f"index, one file changed: {one_changed * 1000:.1f} ms ({one.changed})")

        tickets = [Ticket(subject=None, messages=[Message(body=q, latest=q)]) for q in queries]
        app.ground(tickets[0])  # the App's first retrieval opens the store and checks the index
        per_reply: list[float] = []
        for label, fn in (("retrieve (4 passages)", app.retrieve),
                          ("ground (retrieve + canned start)", app.ground)):
            times = []
            for ticket in tickets:
                t0 = time.perf_counter()
                fn(ticket)
                times.append(time.perf_counter() - t0)
            print(f"{label:33} per reply over {len(times)} real customer messages: {ms(times)}")
            per_reply = times
        text = " ".join(sentences[:200])[:10_240]
        long = Ticket(messages=[Message(body=text, latest=text)])
        times = []
        for _ in range(20):
            t0 = time.perf_counter()
            app.ground(long)
            times.append(time.perf_counter() - t0)
        print(f"{'ground, a 10 KB message':33} {ms(times)}")
        met = statistics.median(per_reply) < 0.020
        print(f"goal (under 20 ms per reply at {indexed:,} passages, the median of real "
              f"messages): {'met' if met else 'NOT met'}")

if __name__ == "__main__":
    main()
