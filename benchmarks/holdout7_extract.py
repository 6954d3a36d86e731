"""Re-create the seventh holdout's replies (benchmarks/_work/holdout7/) from mirrored public data.

Holdout 7 is a blind check on replies from OUTSIDE the workbench (../shared/corpora/
support_replies/): issue 11 asks that the goals hold "on other real replies". Its text is
CC BY-NC-SA 4.0 (twcs) and CDLA-Sharing-1.0 (Bitext): evaluation only, so it is written to
the git-ignored benchmarks/_work/holdout7/ and never enters the repository. What the
repository keeps is this script, the file list (judgment/holdout7.txt), the violations and
the labels, by file name and character offsets.

Sources (GitHub snapshots, read with `git show COMMIT:PATH` from a local mirror,
`<mirror>/<owner>+<name>/repo`):

- twcs, "Customer Support on Twitter" (ThoughtVector, Kaggle; CC BY-NC-SA 4.0). The workbench
  holds tweets from the first 5,001 rows of twcs.csv (tweet ids below 6,000). Three public
  excerpts from elsewhere in the 2.8M rows:
  - naman-tiwari/Customer-Support-on-Twitter `sample.csv` (commit 3ea1027): Kaggle's own
    93-row sample.csv, tweet ids 119,237-119,335, 13 brands;
  - kechtel/ericsson `data/preprocessed/twcs-{AmazonHelp,AppleSupport,SpotifyCares}-
    preprocessed-*.xlsx` (commit 77cee42): whole conversations of three brands, drawn from
    the full dataset for a process-mining paper;
  - divya-gh/conversational-ai-analyst `data/twcs_small.csv` (commit 4edb106): 5,000 random
    rows of the full dataset (only a few replies have their customer tweet in it).
  A company reply (inbound False) is a candidate when the customer tweet it answers
  (in_response_to_tweet_id) is in the same excerpt, it has at least 20 characters, and neither
  its tweet id nor its text is in the workbench.
- Bitext customer-support-llm-chatbot-training-dataset
  `data/train/Bitext_Sample_Customer_Support_Training_Dataset.csv` (commit 8b6ca3d, the file the
  workbench drew from; CDLA-Sharing-1.0, attribution Bitext Innovations): rows whose number
  (1-based, as the workbench's `csv_row`) is not in the workbench manifest and whose answer is
  not a workbench file's text.

The draw: `random.Random(SEED)`; tweets shuffled from the sorted candidates and taken while
their brand has fewer than 3 (up to N_TWEETS); the assistant answers fill the holdout to 50,
one per intent. Files are numbered in source order: social/NNN.txt, assistant/NNN.txt, each the
text verbatim plus a newline (as in the workbench), and manifest.jsonl in the workbench's
format (file, source, origin, brand or intent, customer_message; `excerpt` names the source).

    python benchmarks/holdout7_extract.py                 # -> benchmarks/_work/holdout7/
    python benchmarks/holdout7_extract.py --mirror /work/.mirror --out DIR
"""

from __future__ import annotations

import argparse
import csv
import html
import io
import json
import random
import re
import subprocess
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "_work" / "holdout7"
WORKBENCH = HERE.parent.parent / "shared" / "corpora" / "support_replies"
MIRROR = Path("/work/.mirror")

SEED = 7207
HOLDOUT_SIZE = 50
N_TWEETS = 36
PER_BRAND = 3
PER_INTENT = 1
MIN_CHARS = 20

KAGGLE_SAMPLE = ("naman-tiwari/Customer-Support-on-Twitter",
                 "3ea10276ec5c94d7eca2f3bde2c0f41d149048f5", "sample.csv")
KECHTEL = ("kechtel/ericsson", "77cee4201134d02b25e341dd1c8fdb91c2ee26f3",
           ["data/preprocessed/twcs-AmazonHelp-preprocessed-183.xlsx",
            "data/preprocessed/twcs-AppleSupport-preprocessed-116.xlsx",
            "data/preprocessed/twcs-SpotifyCares-preprocessed-56.xlsx"])
RANDOM_ROWS = ("divya-gh/conversational-ai-analyst",
               "4edb1063da75d575cedf6bd81437286618d340b5", "data/twcs_small.csv")
BITEXT = ("bitext/customer-support-llm-chatbot-training-dataset",
          "8b6ca3d9559a4a9abab94f7978fae67019215a82",
          "data/train/Bitext_Sample_Customer_Support_Training_Dataset.csv")


@dataclass(frozen=True)
class Reply:
    """One candidate reply and the message it answers."""

    source: str  # "twcs" or "bitext"
    origin: str  # "tweet_id=N" or "csv_row=N"
    group: str  # the brand (tweets) or the intent (assistant answers)
    text: str
    customer_message: str
    excerpt: str  # repo:path@commit


def git_blob(mirror: Path, repo: str, commit: str, path: str) -> bytes:
    """A file of a mirrored repository at a commit."""
    gitdir = mirror / repo.replace("/", "+") / "repo"
    return subprocess.run(["git", "-C", str(gitdir), "show", f"{commit}:{path}"],
                          check=True, capture_output=True).stdout


def tweet_id(value: str) -> str:
    """A tweet id as digits ('192625.0' -> '192625'; '' stays '')."""
    value = value.strip()
    return str(int(float(value))) if value else ""


def xlsx_rows(data: bytes) -> list[dict[str, str]]:
    """The first sheet of an .xlsx file as dicts (shared and inline strings; stdlib only)."""
    z = zipfile.ZipFile(io.BytesIO(data))
    shared = []
    if "xl/sharedStrings.xml" in z.namelist():
        xml = z.read("xl/sharedStrings.xml").decode("utf-8")
        for si in re.findall(r"<si>(.*?)</si>", xml, re.S):
            shared.append(html.unescape("".join(re.findall(r"<t[^>]*>(.*?)</t>", si, re.S))))
    sheet = z.read("xl/worksheets/sheet1.xml").decode("utf-8")
    table = []
    for row in re.findall(r"<row[^>]*>(.*?)</row>", sheet, re.S):
        cells = {}
        for col, attrs, inner in re.findall(r'<c r="([A-Z]+)\d+"([^>]*?)(?:/>|>(.*?)</c>)', row, re.S):
            v = re.search(r"<v>(.*?)</v>", inner, re.S)
            t = re.search(r"<is>.*?<t[^>]*>(.*?)</t>", inner, re.S)
            if 't="s"' in attrs and v:
                cells[col] = shared[int(v.group(1))]
            elif t:
                cells[col] = html.unescape(t.group(1))
            else:
                cells[col] = html.unescape(v.group(1)) if v else ""
        table.append(cells)
    head = table[0]
    return [{head[c]: r.get(c, "") for c in head} for r in table[1:]]


def tweet_pairs(rows: list[dict[str, str]], excerpt: str) -> list[Reply]:
    """Company replies whose customer tweet is in the same excerpt."""
    inbound = {"true", "1"}
    by_id = {tweet_id(r["tweet_id"]): r for r in rows}
    found = []
    for r in rows:
        if r["inbound"].strip().lower() in inbound:
            continue
        parent = by_id.get(tweet_id(r.get("in_response_to_tweet_id", "")))
        if parent is None or parent["inbound"].strip().lower() not in inbound:
            continue
        found.append(Reply("twcs", f"tweet_id={tweet_id(r['tweet_id'])}", r["author_id"],
                           r["text"], parent["text"], excerpt))
    return found


def twcs_candidates(mirror: Path) -> list[Reply]:
    """Every reply of the three excerpts that can be reviewed in context."""
    found: list[Reply] = []
    for repo, commit, path in (KAGGLE_SAMPLE, RANDOM_ROWS):
        text = git_blob(mirror, repo, commit, path).decode("utf-8")
        found += tweet_pairs(list(csv.DictReader(io.StringIO(text))), f"{repo}:{path}@{commit[:7]}")
    repo, commit, paths = KECHTEL
    for path in paths:
        found += tweet_pairs(xlsx_rows(git_blob(mirror, repo, commit, path)),
                             f"{repo}:{path}@{commit[:7]}")
    return found


def bitext_candidates(mirror: Path) -> list[Reply]:
    """Every Bitext answer, with its row number (1-based, as the workbench counts)."""
    repo, commit, path = BITEXT
    text = git_blob(mirror, repo, commit, path).decode("utf-8")
    return [Reply("bitext", f"csv_row={i}", r["intent"], r["response"], r["instruction"],
                  f"{repo}:{path}@{commit[:7]}")
            for i, r in enumerate(csv.DictReader(io.StringIO(text)), 1)]


def workbench() -> tuple[set[str], set[str]]:
    """The workbench's origins and reply texts (stripped), to leave out."""
    origins, texts = set(), set()
    for line in (WORKBENCH / "manifest.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            origins.add(f"{row['source']}:{row['origin']}")
            texts.add((WORKBENCH / row["file"]).read_text(encoding="utf-8").strip())
    return origins, texts


def draw(candidates: list[Reply], n: int, per_group: int, rng: random.Random) -> list[Reply]:
    """Up to n replies, shuffled, at most per_group of a brand or intent."""
    pool = sorted(candidates, key=lambda r: (r.source, r.excerpt, r.origin))
    rng.shuffle(pool)
    picked: list[Reply] = []
    groups: Counter[str] = Counter()
    for r in pool:
        if len(picked) < n and groups[r.group.lower()] < per_group:
            picked.append(r)
            groups[r.group.lower()] += 1
    return picked


def main(argv: list[str] | None = None) -> int:
    """Write the holdout's folder."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, default=MIRROR,
                        help="folder of repository mirrors, <owner>+<name>/repo (git)")
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args(argv)
    if not (WORKBENCH / "manifest.jsonl").is_file():
        print(f"holdout7_extract: the workbench is not at {WORKBENCH}: cannot exclude its replies")
        return 1
    origins, texts = workbench()

    def fresh(r: Reply) -> bool:
        return (len(r.text.strip()) >= MIN_CHARS and f"{r.source}:{r.origin}" not in origins
                and r.text.strip() not in texts)

    seen: set[str] = set()
    tweets = []
    for r in twcs_candidates(args.mirror):
        if fresh(r) and r.origin not in seen:
            seen.add(r.origin)
            tweets.append(r)
    rng = random.Random(SEED)
    social = draw(tweets, N_TWEETS, PER_BRAND, rng)
    answers = [r for r in bitext_candidates(args.mirror) if fresh(r)]
    assistant = draw(answers, HOLDOUT_SIZE - len(social), PER_INTENT, rng)

    rows = []
    for folder, picked in (("social", social), ("assistant", assistant)):
        (args.out / folder).mkdir(parents=True, exist_ok=True)
        for n, r in enumerate(sorted(picked, key=lambda r: (r.excerpt, int(r.origin.split("=")[1]))), 1):
            file = f"{folder}/{n:03d}.txt"
            (args.out / file).write_text(r.text + "\n", encoding="utf-8")
            key = "brand" if r.source == "twcs" else "intent"
            rows.append({"file": file, "source": r.source, "origin": r.origin, key: r.group,
                         "customer_message": r.customer_message, "excerpt": r.excerpt})
    with (args.out / "manifest.jsonl").open("w", encoding="utf-8") as fh:
        for row in rows:
            fh.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"holdout7: {len(social)} tweets (of {len(tweets)} candidates, "
          f"{len({r.group.lower() for r in social})} brands) and {len(assistant)} assistant "
          f"answers (of {len(answers)}) -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
