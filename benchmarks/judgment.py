"""The reviewer judged on real replies: labelled precision per rule, recall by principle.

The workbench is ../shared/corpora/support_replies/ (408 real replies and the customer message
each answers; its licence keeps the text out of this repository). The judgment lives here, by
file name and position only (see benchmarks/judgment/README.md):

- judgment/labels.jsonl: findings judged true or false alarm, keyed by file, code, span and a
  hash of the span's text;
- judgment/violations.jsonl: the guide violations a judge read in 100 seeded replies
  (judgment/sample.txt) before looking at any finding.

Prints, with and without the customer message as context: per rule, fires per 100 replies and
labelled precision; precision by severity and overall; recall by principle; the issue's goals
beside each figure; and the findings that have no label yet.

    python benchmarks/judgment.py               # the report
    python benchmarks/judgment.py --unlabelled  # every unlabelled finding, as label skeletons
    python benchmarks/judgment.py --show FILE   # one reply, its customer message and findings
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
DATA = HERE / "judgment"
LABELS = DATA / "labels.jsonl"
VIOLATIONS = DATA / "violations.jsonl"
SAMPLE = DATA / "sample.txt"
CORPUS = HERE.parent.parent / "shared" / "corpora" / "support_replies"

SAMPLE_SEED = 11  # the 100 replies read for violations (sample.txt)
LABEL_SEED = 11  # which findings of each rule were labelled
LABELS_PER_RULE = 15
NEAR = 200  # a label follows its span's text this many characters after an edit

# Codes that left the catalogue keep their labels (a code is retired, never reused): code -> why.
RETIRED: dict[str, str] = {}

MODES = ("no context", "with context")
GOAL_PRECISION = {"error": 0.90, "warning": 0.90, "info": 0.75}
GOAL_OVERALL_PRECISION = 0.85
GOAL_RECALL = 0.75
GOAL_PRINCIPLE_RECALL = 0.60  # for every principle with at least MIN_VIOLATIONS violations
MIN_VIOLATIONS = 5


@dataclass(frozen=True)
class Hit:
    """One finding on one workbench reply."""

    file: str
    code: str
    severity: str
    start: int
    end: int
    digest: str


def span_digest(text: str) -> str:
    """A short hash of a flagged span's text: matches a label again without storing the text."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:10]


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file (blank lines skipped)."""
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def manifest() -> dict[str, dict[str, Any]]:
    """The workbench's manifest, by file name."""
    return {row["file"]: row for row in read_jsonl(CORPUS / "manifest.jsonl")}


def reply_text(file: str) -> str:
    """The text of one workbench reply."""
    return (CORPUS / file).read_text(encoding="utf-8")


def draw_sample(files: Iterable[str], n: int = 100, seed: int = SAMPLE_SEED) -> list[str]:
    """The seeded sample of replies read for violations: each folder in proportion to its size."""
    by_folder: dict[str, list[str]] = defaultdict(list)
    for f in sorted(files):
        by_folder[f.split("/", 1)[0]].append(f)
    total = sum(len(v) for v in by_folder.values())
    rng = random.Random(seed)
    # social first, then assistant: the order the sample was first drawn in
    folders = sorted(by_folder, key=lambda k: -len(by_folder[k]))
    picked: list[str] = []
    left = n
    for i, folder in enumerate(folders):
        k = left if i == len(folders) - 1 else round(n * len(by_folder[folder]) / total)
        picked += sorted(rng.sample(by_folder[folder], k))
        left -= k
    return picked


def review_workbench(rows: dict[str, dict[str, Any]]) -> tuple[dict[str, list[Hit]], dict[str, str]]:
    """Review every reply without and with its customer message; also return rule -> principle."""
    from drafter import App
    from drafter.tickets.model import Message, Ticket

    app = App.from_config()
    reviewer = app.reviewer()
    principle = {r.code: r.principle for r in reviewer.rules}
    hits: dict[str, list[Hit]] = {m: [] for m in MODES}
    for file, row in sorted(rows.items()):
        text = reply_text(file)
        said = row.get("customer_message")
        contexts = {"no context": app.context()}
        if said:
            ticket = Ticket(messages=[Message(body=said, latest=said)])
            # The reviewer knows email and chat only; a tweet is neither, so no channel.
            contexts["with context"] = replace(app.context(ticket), channel=None)
        else:
            contexts["with context"] = contexts["no context"]
        for mode, ctx in contexts.items():
            for f in app.review(text, context=ctx, reviewer=reviewer):
                hits[mode].append(Hit(file, f.code, f.severity, f.start, f.end,
                                      span_digest(text[f.start:f.end])))
    return hits, principle


def label_for(hit: Hit, labels: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The label of `hit`: same file and code, and the same span, or else the same span text
    (hash) starting at most NEAR characters away, the nearest first."""
    candidates = labels.get((hit.file, hit.code), [])
    for lab in candidates:
        if lab["start"] == hit.start and lab["end"] == hit.end:
            return lab
    near = [lab for lab in candidates
            if lab["span_sha1"] == hit.digest and abs(lab["start"] - hit.start) <= NEAR]
    return min(near, key=lambda lab: abs(lab["start"] - hit.start), default=None)


def labelling_sample(hits: Iterable[Hit], per_rule: int = LABELS_PER_RULE,
                     seed: int = LABEL_SEED) -> list[Hit]:
    """The seeded sample of each rule's findings to label (all of a rule's if it has fewer)."""
    by_code: dict[str, set[Hit]] = defaultdict(set)
    for h in hits:
        by_code[h.code].add(replace(h, severity=""))  # one finding, whatever its severity
    rng = random.Random(seed)
    picked: list[Hit] = []
    for code in sorted(by_code):
        found = sorted(by_code[code], key=lambda h: (h.file, h.start, h.end))
        picked += found if len(found) <= per_rule else rng.sample(found, per_rule)
    return picked


def overlaps(hit: Hit, v: dict[str, Any]) -> bool:
    """Whether a finding's span overlaps a violation's (an empty span counts where it sits)."""
    if hit.start == hit.end:
        return v["start"] <= hit.start <= v["end"]
    return hit.start < v["end"] and v["start"] < hit.end


def pct(num: int | float, den: int | float) -> str:
    """A percentage, or a dash when there is nothing to divide."""
    return f"{100 * num / den:5.1f}%" if den else "    - "


def mark(value: float | None, goal: float) -> str:
    """'ok' or 'BELOW' against a goal (blank without a figure)."""
    if value is None:
        return ""
    return "ok" if value >= goal else "BELOW"


def report(hits: dict[str, list[Hit]], principle: dict[str, str], n_replies: int,
           labels: list[dict[str, Any]], violations: list[dict[str, Any]]) -> list[Hit]:
    """Print the judgment; return the findings that have no label."""
    keyed: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for lab in labels:
        keyed[(lab["file"], lab["code"])].append(lab)
    severity = {h.code: h.severity for m in MODES for h in hits[m]}
    codes = sorted(severity)
    judged = {m: [(h, label_for(h, keyed)) for h in hits[m]] for m in MODES}

    print(f"Workbench: {n_replies} replies; {len(labels)} labels; {len(violations)} violations "
          f"in {len(set(v['file'] for v in violations))} of the 100 sampled replies.\n")
    print("Per rule (fires per 100 replies; labelled precision = true / labelled):")
    print(f"{'rule':7} {'principle':16} {'severity':8} | {'fires/100':>9} {'precision':>17} | "
          f"{'fires/100':>9} {'precision':>17} | goal")
    print(f"{'':34}| {'-- no context --':^28} | {'-- with context --':^28} |")
    for code in codes:
        cells = []
        for m in MODES:
            mine = [(h, lab) for h, lab in judged[m] if h.code == code]
            lab_ = [lab for _, lab in mine if lab is not None]
            true = sum(lab["label"] == "true" for lab in lab_)
            cells.append(f"{100 * len(mine) / n_replies:9.1f} {pct(true, len(lab_))} "
                         f"({true:>3}/{len(lab_):<3})")
        sev = severity[code]
        print(f"{code:7} {principle.get(code, '?'):16} {sev:8} | {cells[0]} | {cells[1]} | "
              f"{GOAL_PRECISION[sev]:.0%}")

    print("\nPrecision by severity: labelled findings pooled (true/labelled), and weighted by how"
          "\noften each rule fires (each rule's precision times its findings, summed):")
    for m in MODES:
        print(f"  {m}:")
        rows: dict[str, list[int | float]] = {}
        for sev in ("error", "warning", "info", "overall"):
            pool = [(h, lab) for h, lab in judged[m] if lab is not None
                    and (sev == "overall" or h.severity == sev)]
            true = sum(lab["label"] == "true" for _, lab in pool)
            est = fired = 0.0
            for code in codes:
                if sev != "overall" and severity[code] != sev:
                    continue
                mine = [(h, lab) for h, lab in judged[m] if h.code == code]
                lab_ = [lab for _, lab in mine if lab is not None]
                if lab_:
                    est += len(mine) * sum(lab["label"] == "true" for lab in lab_) / len(lab_)
                    fired += len(mine)
            rows[sev] = [true, len(pool), est, fired]
            goal = GOAL_OVERALL_PRECISION if sev == "overall" else GOAL_PRECISION[sev]
            print(f"    {sev:8} pooled {pct(true, len(pool))} ({true}/{len(pool)})   "
                  f"weighted {pct(est, fired)} of {int(fired)} findings   goal {goal:.0%} "
                  f"{mark(est / fired if fired else None, goal)}")

    print("\nRecall by principle (a violation is caught when a finding of a rule of its principle"
          "\noverlaps its span):")
    by_principle = Counter(v["principle"] for v in violations)
    caught_kinds: dict[str, Counter[str]] = {m: Counter() for m in MODES}
    print(f"  {'principle':16} {'violations':>10} | {'no context':>16} | {'with context':>16} | goal")
    totals = {m: 0 for m in MODES}
    for p in sorted(by_principle, key=lambda p: -by_principle[p]):
        cells = []
        vs = [v for v in violations if v["principle"] == p]
        for m in MODES:
            found = [h for h in hits[m] if principle.get(h.code) == p]
            caught = [v for v in vs if any(h.file == v["file"] and overlaps(h, v) for h in found)]
            totals[m] += len(caught)
            caught_kinds[m].update(v.get("kind", "?") for v in caught)
            cells.append(f"{pct(len(caught), len(vs))} ({len(caught):>2}/{len(vs):<2})")
        goal = f"{GOAL_PRINCIPLE_RECALL:.0%}" if len(vs) >= MIN_VIOLATIONS else "-"
        print(f"  {p:16} {len(vs):>10} | {cells[0]:>16} | {cells[1]:>16} | {goal}")
    n = len(violations)
    print(f"  {'overall':16} {n:>10} | {pct(totals[MODES[0]], n)} ({totals[MODES[0]]:>2}/{n:<2})"
          f" | {pct(totals[MODES[1]], n)} ({totals[MODES[1]]:>2}/{n:<2}) | {GOAL_RECALL:.0%}")

    kinds = Counter(v.get("kind", "?") for v in violations)
    missed = {k: kinds[k] - caught_kinds["with context"][k] for k in kinds}
    print("\nMost missed kinds of violation (with context): " + ", ".join(
        f"{k} {missed[k]}/{kinds[k]}" for k in sorted(missed, key=lambda k: -missed[k])[:8]
        if missed[k]))

    falses = Counter(lab.get("pattern", "?") for lab in labels if lab["label"] == "false")
    print("False alarms by pattern (all labels): " + ", ".join(
        f"{p} {c}" for p, c in falses.most_common(8)))

    seen: set[tuple[str, str, int, int]] = set()
    unlabelled = []
    for m in MODES:
        for h, lab in judged[m]:
            if lab is None and (h.file, h.code, h.start, h.end) not in seen:
                seen.add((h.file, h.code, h.start, h.end))
                unlabelled.append(h)
    todo = Counter(h.code for h in unlabelled)
    print(f"\nFindings with no label yet: {len(unlabelled)} "
          f"({', '.join(f'{c} {n}' for c, n in sorted(todo.items()))}).")
    print("  `--unlabelled` prints them as label skeletons; `--show FILE` shows a reply to judge.")
    return unlabelled


def show(file: str, rows: dict[str, dict[str, Any]], hits: dict[str, list[Hit]]) -> None:
    """Print one reply, its customer message and its findings (on the terminal only)."""
    text = reply_text(file)
    print(f"customer: {rows[file].get('customer_message')!r}\nreply:    {text!r}")
    for m in MODES:
        for h in hits[m]:
            if h.file == file:
                print(f"  [{m}] {h.code} {h.severity} {h.start}-{h.end} {text[h.start:h.end]!r}")


def main(argv: list[str] | None = None) -> int:
    """Run the judgment and print it."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unlabelled", action="store_true",
                        help="print every unlabelled finding as a labels.jsonl skeleton")
    parser.add_argument("--show", metavar="FILE", help="print one reply with its findings")
    args = parser.parse_args(argv)
    if not (CORPUS / "manifest.jsonl").is_file():
        print(f"judgment: skipped: the workbench is not at {CORPUS} "
              "(it is the shared support_replies corpus, kept beside the checkout)")
        return 0
    rows = manifest()
    hits, principle = review_workbench(rows)
    if args.show:
        show(args.show, rows, hits)
        return 0
    labels = read_jsonl(LABELS) if LABELS.exists() else []
    violations = read_jsonl(VIOLATIONS)
    unlabelled = report(hits, principle, len(rows), labels, violations)
    if args.unlabelled:
        for h in unlabelled:
            print(json.dumps({"file": h.file, "code": h.code, "start": h.start, "end": h.end,
                              "span_sha1": h.digest, "label": None, "pattern": "", "reason": ""}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
