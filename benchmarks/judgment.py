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
    python benchmarks/judgment.py --holdout     # the same report on the 50 holdout replies
    python benchmarks/judgment.py --holdout2    # ... and on the 50 of the second holdout
    python benchmarks/judgment.py --holdout3    # ... and on the 50 of the third holdout
    python benchmarks/judgment.py --holdout4    # ... and on the 50 of the fourth holdout
    python benchmarks/judgment.py --holdout5    # ... and on the 50 of the fifth holdout
    python benchmarks/judgment.py --holdout6    # ... and on the 50 of the sixth holdout
    python benchmarks/judgment.py --holdout7    # ... and on 50 replies from outside the workbench
    python benchmarks/judgment.py --holdout7 --corpus DIR   # ... read from DIR instead
    python benchmarks/judgment.py --folder social   # only the tweets (or `assistant`)
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
# The holdouts, in the order they were drawn, with their seeds: each is HOLDOUT_SIZE replies in
# none of sample.txt and the holdouts before it, read once to check the rules tuned before it.
HOLDOUT_SEEDS = {"holdout": 1611, "holdout2": 2207, "holdout3": 612, "holdout4": 4127,
                 "holdout5": 5309, "holdout6": 6121}
# A holdout's name -> its replies, the labels of their findings, their violations.
HOLDOUTS = {name: (DATA / f"{name}.txt", DATA / f"{name}_labels.jsonl",
                   DATA / f"{name}_violations.jsonl") for name in HOLDOUT_SEEDS}
CORPUS = HERE.parent.parent / "shared" / "corpora" / "support_replies"
# Holdouts drawn from OUTSIDE the workbench: name -> the folder its replies are extracted to (by
# benchmarks/<name>_extract.py; git-ignored, their licence keeps the text out of the
# repository), its replies, the labels of their findings, their violations.
EXTERNAL = {name: (HERE / "_work" / name, DATA / f"{name}.txt", DATA / f"{name}_labels.jsonl",
                   DATA / f"{name}_violations.jsonl") for name in ("holdout7",)}

SAMPLE_SEED = 11  # the replies read for violations (sample.txt)
SAMPLE_SIZE = 100
HOLDOUT_SIZE = 50
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
class RuleInfo:
    """What the report needs of a rule: its principle and the severity it reports at."""

    principle: str
    severity: str


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


def manifest(corpus: Path = CORPUS) -> dict[str, dict[str, Any]]:
    """The workbench's manifest (or another corpus's), by file name."""
    return {row["file"]: row for row in read_jsonl(corpus / "manifest.jsonl")}


def reply_text(file: str, corpus: Path = CORPUS) -> str:
    """The text of one workbench reply (or of one reply of another corpus)."""
    return (corpus / file).read_text(encoding="utf-8")


def draw_sample(files: Iterable[str], n: int = SAMPLE_SIZE, seed: int = SAMPLE_SEED) -> list[str]:
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


def draw_holdout(name: str, files: Iterable[str], *earlier: Iterable[str]) -> list[str]:
    """The seeded holdout `name`: replies in none of the `earlier` sets (the sample and the
    holdouts drawn before it), drawn the way the sample was."""
    return draw_sample(set(files).difference(*earlier), HOLDOUT_SIZE, HOLDOUT_SEEDS[name])


def review_workbench(rows: dict[str, dict[str, Any]],
                     corpus: Path = CORPUS) -> tuple[dict[str, list[Hit]], dict[str, RuleInfo]]:
    """Review every reply without and with its customer message; also return the rules."""
    from drafter import App
    from drafter.tickets.model import Message, Ticket

    app = App.from_config()
    reviewer = app.reviewer()
    hits: dict[str, list[Hit]] = {m: [] for m in MODES}
    for file, row in sorted(rows.items()):
        text = reply_text(file, corpus)
        said = row.get("customer_message")
        # The channel is the reply's own (a tweet is `social`), so both runs know it; the
        # assistant answers come from no named channel.
        channel = "social" if file.startswith("social/") else None
        contexts = {"no context": app.context(channel=channel)}
        if said:
            ticket = Ticket(messages=[Message(body=said, latest=said)])
            contexts["with context"] = replace(app.context(ticket), channel=channel)
        else:
            contexts["with context"] = contexts["no context"]
        for mode, ctx in contexts.items():
            for f in app.review(text, context=ctx, reviewer=reviewer):
                hits[mode].append(Hit(file, f.code, f.severity, f.start, f.end,
                                      span_digest(text[f.start:f.end])))
    # The severity a finding carries is the configured one; a rule that never fired shows its own.
    reported = {h.code: h.severity for m in MODES for h in hits[m]}
    rules = {r.code: RuleInfo(r.principle, reported.get(r.code, r.severity)) for r in reviewer.rules}
    return hits, rules


def label_for(hit: Hit, labels: dict[tuple[str, str], list[dict[str, Any]]]) -> dict[str, Any] | None:
    """The label of `hit`: same file and code, and the same span text (its hash), starting at
    most NEAR characters away; the nearest wins, so an unchanged span finds its own label."""
    near = [lab for lab in labels.get((hit.file, hit.code), [])
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


def pct(num: float, den: float) -> str:
    """A percentage, or a dash when there is nothing to divide."""
    return f"{100 * num / den:5.1f}%" if den else "    - "


def verdict(value: float | None, goal: float) -> str:
    """'ok' or 'BELOW' against a goal (blank without a figure)."""
    if value is None:
        return ""
    return "ok" if value >= goal else "BELOW"


class Judged:
    """One review mode's findings, each with its label (or None)."""

    def __init__(self, hits: list[Hit], labels: list[dict[str, Any]]) -> None:
        keyed: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for lab in labels:
            keyed[(lab["file"], lab["code"])].append(lab)
        self.pairs = [(h, label_for(h, keyed)) for h in hits]

    def of(self, code: str) -> tuple[int, list[dict[str, Any]]]:
        """How often `code` fired, and the labels of its labelled findings."""
        mine = [lab for h, lab in self.pairs if h.code == code]
        return len(mine), [lab for lab in mine if lab is not None]


def n_true(labels: list[dict[str, Any]]) -> int:
    """How many labels say the finding is right."""
    return sum(lab["label"] == "true" for lab in labels)


def print_rules(judged: dict[str, Judged], rules: dict[str, RuleInfo], n_replies: int) -> None:
    """Per rule: fires per 100 replies and labelled precision, in each mode."""
    print("Per rule (fires per 100 replies; labelled precision = true / labelled):")
    print(f"{'rule':7} {'principle':16} {'severity':8} | {'fires/100':>9} {'precision':>17} | "
          f"{'fires/100':>9} {'precision':>17} | goal")
    print(f"{'':34}| {'-- no context --':^28} | {'-- with context --':^28} |")
    for code, rule in sorted(rules.items()):
        cells = []
        for m in MODES:
            fired, labs = judged[m].of(code)
            cells.append(f"{100 * fired / n_replies:9.1f} {pct(n_true(labs), len(labs))} "
                         f"({n_true(labs):>3}/{len(labs):<3})")
        print(f"{code:7} {rule.principle:16} {rule.severity:8} | {cells[0]} | {cells[1]} | "
              f"{GOAL_PRECISION[rule.severity]:.0%}")


def print_severities(judged: dict[str, Judged], rules: dict[str, RuleInfo]) -> None:
    """Precision by severity and overall: pooled over labels, and weighted by fires."""
    print("\nPrecision by severity: labelled findings pooled (true/labelled), and weighted by how"
          "\noften each rule fires (each rule's precision times its findings, summed):")
    for m in MODES:
        print(f"  {m}:")
        for sev in ("error", "warning", "info", "overall"):
            true = labelled = 0
            est = fired = 0.0
            for code, rule in rules.items():
                if sev not in ("overall", rule.severity):
                    continue
                n, labs = judged[m].of(code)
                true, labelled = true + n_true(labs), labelled + len(labs)
                if labs:
                    est += n * n_true(labs) / len(labs)
                    fired += n
            goal = GOAL_OVERALL_PRECISION if sev == "overall" else GOAL_PRECISION[sev]
            print(f"    {sev:8} pooled {pct(true, labelled)} ({true}/{labelled})   weighted "
                  f"{pct(est, fired)} of {int(fired)} findings   goal {goal:.0%} "
                  f"{verdict(est / fired if fired else None, goal)}")


def print_false_alarms(judged: Judged, rules: dict[str, RuleInfo]) -> None:
    """The patterns behind the false alarms: labelled, and estimated over all findings."""
    labelled: Counter[str] = Counter()
    estimated: defaultdict[str, float] = defaultdict(float)
    for code in rules:
        n, labs = judged.of(code)
        for lab in labs:
            if lab["label"] == "false":
                labelled[lab.get("pattern") or "?"] += 1
                estimated[lab.get("pattern") or "?"] += n / len(labs)
    print("\nFalse alarms by pattern, with context (labelled; estimated over all findings):")
    for pattern, est in sorted(estimated.items(), key=lambda kv: -kv[1])[:10]:
        print(f"  {pattern:32} {labelled[pattern]:>3} labelled   ~{est:4.0f} findings")


def print_recall(hits: dict[str, list[Hit]], rules: dict[str, RuleInfo],
                 violations: list[dict[str, Any]]) -> None:
    """Recall by principle and overall, in each mode, and the kinds of violation missed."""
    print("\nRecall by principle (a violation is caught when a finding of a rule of its principle"
          "\noverlaps its span; 'elsewhere' = such a finding is in the reply but not on the span):")
    by_principle = Counter(v["principle"] for v in violations)
    print(f"  {'principle':16} {'violations':>10} | {'no context':>16} | {'with context':>16} "
          f"| elsewhere | goal")
    caught: dict[str, set[int]] = {m: set() for m in MODES}
    elsewhere: set[int] = set()
    for p in sorted(by_principle, key=lambda p: (-by_principle[p], p)):
        cells = []
        mine = [i for i, v in enumerate(violations) if v["principle"] == p]
        for m in MODES:
            found = [h for h in hits[m] if rules[h.code].principle == p]
            for i in mine:
                v = violations[i]
                same = [h for h in found if h.file == v["file"]]
                if any(overlaps(h, v) for h in same):
                    caught[m].add(i)
                elif same and m == MODES[1]:
                    elsewhere.add(i)
            got = len(caught[m].intersection(mine))
            cells.append(f"{pct(got, len(mine))} ({got:>2}/{len(mine):<2})")
        share = len(caught[MODES[1]].intersection(mine)) / len(mine)
        goal = (f"{GOAL_PRINCIPLE_RECALL:.0%} {verdict(share, GOAL_PRINCIPLE_RECALL)}"
                if len(mine) >= MIN_VIOLATIONS else "-")
        print(f"  {p:16} {len(mine):>10} | {cells[0]:>16} | {cells[1]:>16} | "
              f"{len(elsewhere.intersection(mine)):>9} | {goal}")
    n = len(violations)
    cells = [f"{pct(len(caught[m]), n)} ({len(caught[m]):>2}/{n:<2})" for m in MODES]
    print(f"  {'overall':16} {n:>10} | {cells[0]:>16} | {cells[1]:>16} | {len(elsewhere):>9} | "
          f"{GOAL_RECALL:.0%} {verdict(len(caught[MODES[1]]) / n if n else None, GOAL_RECALL)}")
    kinds = Counter(v.get("kind") or "?" for v in violations)
    missed = Counter(v.get("kind") or "?" for i, v in enumerate(violations)
                     if i not in caught[MODES[1]])
    print("\nKinds of violation missed, with context (missed/all): " + ", ".join(
        f"{k} {c}/{kinds[k]}" for k, c in missed.most_common(10)))


def print_unlabelled(judged: dict[str, Judged]) -> list[Hit]:
    """Count the findings that have no label yet, by rule; return them."""
    seen: set[tuple[str, str, int, int]] = set()
    unlabelled = []
    for m in MODES:
        for h, lab in judged[m].pairs:
            if lab is None and (h.file, h.code, h.start, h.end) not in seen:
                seen.add((h.file, h.code, h.start, h.end))
                unlabelled.append(h)
    todo = Counter(h.code for h in unlabelled)
    print(f"\nFindings with no label yet: {len(unlabelled)} "
          f"({', '.join(f'{c} {n}' for c, n in sorted(todo.items()))}).")
    print("  `--unlabelled` prints them as label skeletons; `--show FILE` shows a reply to judge.")
    return unlabelled


def report(hits: dict[str, list[Hit]], rules: dict[str, RuleInfo], n_replies: int,
           labels: list[dict[str, Any]], violations: list[dict[str, Any]],
           n_read: int = SAMPLE_SIZE) -> list[Hit]:
    """Print the judgment; return the findings that have no label."""
    judged = {m: Judged(hits[m], labels) for m in MODES}
    sampled = len({v["file"] for v in violations})
    print(f"Workbench: {n_replies} replies; {len(labels)} labelled findings; {len(violations)} "
          f"violations read in {sampled} of the {n_read} sampled replies.\n")
    print_rules(judged, rules, n_replies)
    print_severities(judged, rules)
    print_recall(hits, rules, violations)
    print_false_alarms(judged[MODES[1]], rules)
    return print_unlabelled(judged)


def print_tuning_overlap(hits: dict[str, list[Hit]], labels: list[dict[str, Any]]) -> None:
    """How many holdout findings the tuning labels (labels.jsonl) had already judged, and
    whether the holdout labels agree with them there."""
    found = [h for m in MODES for h in hits[m]]
    pairs = zip(Judged(found, read_jsonl(LABELS)).pairs, Judged(found, labels).pairs, strict=True)
    both = {(h.file, h.code, h.start, h.end): (old, new) for (h, old), (_, new) in pairs}
    tuned = [(old, new) for old, new in both.values() if old is not None]
    agree = sum(new is not None and old["label"] == new["label"] for old, new in tuned)
    print(f"\nHoldout findings already judged in labels.jsonl while tuning: {len(tuned)} of "
          f"{len(both)} distinct findings; the holdout labels agree on {agree} of them.")


def show(file: str, rows: dict[str, dict[str, Any]], hits: dict[str, list[Hit]],
         corpus: Path = CORPUS) -> None:
    """Print one reply, its customer message and its findings (on the terminal only)."""
    text = reply_text(file, corpus)
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
    for n, name in enumerate(HOLDOUTS, 1):
        parser.add_argument(f"--{name}", dest="set", action="store_const", const=name,
                            help=f"judge the {HOLDOUT_SIZE} replies of holdout {n} "
                                 f"({name}*.jsonl), not the workbench")
    for name, (folder, *_) in EXTERNAL.items():
        parser.add_argument(f"--{name}", dest="set", action="store_const", const=name,
                            help=f"judge the replies of {name}, from outside the workbench "
                                 f"(extracted to {folder.relative_to(HERE.parent)})")
    parser.add_argument("--corpus", type=Path, metavar="DIR",
                        help="with --holdout7: read its replies and manifest.jsonl from DIR")
    parser.add_argument("--folder", choices=("social", "assistant"),
                        help="only the replies of one folder (tweets or assistant answers)")
    args = parser.parse_args(argv)
    if args.corpus and args.set not in EXTERNAL:
        parser.error("--corpus goes with a holdout from outside the workbench (--holdout7)")
    if args.set in EXTERNAL:
        return main_external(args)
    if not (CORPUS / "manifest.jsonl").is_file():
        print(f"judgment: skipped: the workbench is not at {CORPUS} "
              "(it is the shared support_replies corpus, kept beside the checkout)")
        return 0
    rows = manifest()
    read, labels_path, violations_path = HOLDOUTS.get(args.set, (SAMPLE, LABELS, VIOLATIONS))
    names = [f for f in read.read_text(encoding="utf-8").split()
             if not args.folder or f.startswith(args.folder + "/")]
    if args.set:
        rows = {f: rows[f] for f in names}
    if args.folder:
        rows = {f: row for f, row in rows.items() if f.startswith(args.folder + "/")}
    return judge(args, rows, len(names), labels_path, violations_path)


def judge(args: argparse.Namespace, rows: dict[str, dict[str, Any]], n_read: int,
          labels_path: Path, violations_path: Path, corpus: Path = CORPUS) -> int:
    """Review `rows` and print the report (or `--show` one reply), judged by the labels and the
    violations; `n_read` replies were read for violations."""
    hits, rules = review_workbench(rows, corpus)
    if args.show:
        show(args.show, rows, hits, corpus)
        return 0
    labels = read_jsonl(labels_path) if labels_path.exists() else []
    violations = [v for v in read_jsonl(violations_path)
                  if not args.folder or v["file"].startswith(args.folder + "/")]
    unlabelled = report(hits, rules, len(rows), labels, violations, n_read)
    if args.set in EXTERNAL:
        print(f"\n{args.set}: none of these replies is in the workbench, so no finding on them "
              "was judged while tuning (labels.jsonl does not apply).")
    elif args.set:
        print_tuning_overlap(hits, labels)
    if args.unlabelled:
        for h in unlabelled:
            print(json.dumps({"file": h.file, "code": h.code, "start": h.start, "end": h.end,
                              "span_sha1": h.digest, "label": None, "pattern": "", "reason": ""}))
    return 0


def main_external(args: argparse.Namespace) -> int:
    """The report on a holdout drawn from outside the workbench (its own folder and manifest)."""
    folder, read, labels_path, violations_path = EXTERNAL[args.set]
    corpus = args.corpus or folder
    if not (corpus / "manifest.jsonl").is_file():
        print(f"judgment: skipped: {args.set}'s replies are not at {corpus} (they are not in the "
              f"repository; `python benchmarks/{args.set}_extract.py` writes them there from the "
              "mirrored public sources, or give --corpus DIR)")
        return 0
    names = [f for f in read.read_text(encoding="utf-8").split()
             if not args.folder or f.startswith(args.folder + "/")]
    every = manifest(corpus)
    missing = [f for f in names if f not in every]
    if missing:
        print(f"judgment: {corpus} lacks {len(missing)} of {args.set}'s replies "
              f"({', '.join(missing[:3])}, ...): extract it again")
        return 1
    return judge(args, {f: every[f] for f in names}, len(names), labels_path, violations_path,
                 corpus)


if __name__ == "__main__":
    sys.exit(main())
