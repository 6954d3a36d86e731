"""How well GRD001 (unsupported-fact) finds the facts a draft invents: precision and recall.

Two sets:

- tests/data/unsupported_facts.jsonl: 40 drafts written in the shape the bundled model writes,
  each with its ticket, the reference material it was given (often none) and the claims in it
  that neither gives (`unsupported`, empty for a draft that invents nothing). Reviewed as model
  drafts for a team whose settings name support@acme.com and acme.com.
- ../shared/corpora/support_replies/ (when present; its licence keeps the text out of this
  repository): each reply reviewed against the customer message it answers as its ticket.
  `assistant/` replies were written by a text generator (the nearest thing to a model's draft
  there); `social/` replies by human agents. tests/data/unsupported_facts_corpus.jsonl holds a
  reader's judgment of each reply GRD001 flags (by file name only).

Prints, for the drafts: the share of drafts with an unsupported fact that are flagged (goal
>= 90%) and of drafts without one that are flagged (goal <= 10%), for GRD001 alone and for
GRD001 with the rules that own some of the same claims (SAF001-SAF007, one finding a span);
the claims missed and the false alarms. For the corpus: how often it fires, and the judged
precision.

    python benchmarks/unsupported_facts.py
    python benchmarks/unsupported_facts.py --show     # every finding on every draft
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from drafter.review.context import ReviewContext  # noqa: E402
from drafter.review.reviewer import Reviewer  # noqa: E402
from drafter.styleguide import load_styleguide  # noqa: E402

DRAFTS = ROOT / "tests" / "data" / "unsupported_facts.jsonl"
CORPUS_LABELS = ROOT / "tests" / "data" / "unsupported_facts_corpus.jsonl"
CORPUS = ROOT.parent / "shared" / "corpora" / "support_replies"
TEAM = ("support@acme.com", "acme.com", "Acme Support")
OWNERS = ["GRD001", "SAF001", "SAF002", "SAF003", "SAF005", "SAF006", "SAF007"]
GOAL_RECALL, GOAL_FALSE = 0.90, 0.10


def load(path: Path) -> list[dict[str, Any]]:
    """The JSON lines of `path`."""
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def context(item: dict[str, Any]) -> ReviewContext:
    """A model draft's review context for a set item."""
    return ReviewContext(ticket_text=item["ticket"], reference=tuple(item["reference"]),
                         team_contacts=TEAM, model_draft=True)


def spans(reviewer: Reviewer, text: str, ctx: ReviewContext) -> list[tuple[str, str]]:
    """(code, text) of each finding, a gathered finding split into its parts."""
    out = []
    for f in reviewer.review(text, ctx):
        for s, e in f.parts or ((f.start, f.end),):
            out.append((f.code, text[s:e]))
    return out


def score(reviewer: Reviewer, items: list[dict[str, Any]], show: bool) -> dict[str, Any]:
    """Draft-level and claim-level figures of `reviewer` on the drafts."""
    with_fact = flagged_with = without = flagged_without = 0
    missed: list[str] = []
    false: list[str] = []
    for item in items:
        found = spans(reviewer, item["draft"], context(item))
        expected = item["unsupported"]
        if expected:
            with_fact += 1
            flagged_with += bool(found)
        else:
            without += 1
            flagged_without += bool(found)
        for claim in expected:
            if not any(claim in t or t in claim for _, t in found):
                missed.append(f"{item['id']}: {claim}")
        for code, t in found:
            if not any(claim in t or t in claim for claim in expected):
                false.append(f"{item['id']}: {code} {t}")
        if show:
            print(f"  {item['id']}: {found}")
    return {"with": with_fact, "flagged_with": flagged_with, "without": without,
            "flagged_without": flagged_without, "missed": missed, "false": false}


def report(name: str, r: dict[str, Any]) -> None:
    """Print one reviewer's figures."""
    recall = r["flagged_with"] / r["with"] if r["with"] else 0.0
    false_rate = r["flagged_without"] / r["without"] if r["without"] else 0.0
    print(f"{name}:")
    print(f"  drafts with an unsupported fact flagged: {r['flagged_with']}/{r['with']} "
          f"= {recall:.0%} (goal >= {GOAL_RECALL:.0%})")
    print(f"  drafts without one flagged:              {r['flagged_without']}/{r['without']} "
          f"= {false_rate:.0%} (goal <= {GOAL_FALSE:.0%})")
    print(f"  claims missed ({len(r['missed'])}): {'; '.join(r['missed']) or '-'}")
    print(f"  findings on no unsupported claim ({len(r['false'])}): "
          f"{'; '.join(r['false']) or '-'}")


def corpus(guide: Any) -> None:
    """Fire rates and judged precision on the real replies, when the corpus is here."""
    manifest = CORPUS / "manifest.jsonl"
    if not manifest.exists():
        print(f"corpus: {CORPUS} is absent; skipped")
        return
    labels = {x["file"]: x for x in load(CORPUS_LABELS)} if CORPUS_LABELS.exists() else {}
    grd = Reviewer(guide, select=["GRD001"])
    rows: dict[str, list[int]] = {}
    judged = {"true": 0, "false": 0, "unlabelled": 0}
    for m in load(manifest):
        if m["customer_message"] is None:
            continue
        folder = m["file"].split("/")[0]
        text = (CORPUS / m["file"]).read_text()
        # As GRD001 would read it with `human_replies = true` (or reference material given).
        ctx = ReviewContext(ticket_text=m["customer_message"], model_draft=True,
                            channel="social" if folder == "social" else "email")
        found = grd.review(text, ctx)
        row = rows.setdefault(folder, [0, 0])
        row[0] += 1
        row[1] += bool(found)
        if found:
            label = labels.get(m["file"])
            key = "unlabelled" if label is None else "true" if label["unsupported"] else "false"
            judged[key] += 1
    print("corpus (each reply against the message it answers, no reference):")
    for folder, (n, fired) in sorted(rows.items()):
        print(f"  {folder}: fires on {fired}/{n} = {fired / n:.0%}")
    total = judged["true"] + judged["false"]
    if total:
        print(f"  judged: {judged['true']}/{total} flagged replies do state a fact the message "
              f"does not give ({judged['true'] / total:.0%}); unlabelled: {judged['unlabelled']}")


def main() -> int:
    """Print the figures; exit 1 when GRD001 misses a goal on the drafts."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--show", action="store_true", help="print every draft's findings")
    args = ap.parse_args()
    guide = load_styleguide()
    items = load(DRAFTS)
    print(f"{len(items)} drafts, {sum(bool(i['unsupported']) for i in items)} with an "
          "unsupported fact")
    alone = score(Reviewer(guide, select=["GRD001"]), items, args.show)
    report("GRD001 alone", alone)
    report("GRD001 with the SAF rules that own some claims",
           score(Reviewer(guide, select=OWNERS), items, args.show))
    corpus(guide)
    recall = alone["flagged_with"] / max(alone["with"], 1)
    false_rate = alone["flagged_without"] / max(alone["without"], 1)
    return 0 if recall >= GOAL_RECALL and false_rate <= GOAL_FALSE else 1


if __name__ == "__main__":
    sys.exit(main())
