"""The judgment data in benchmarks/judgment/ stays well-formed: labels and violations name known
rules and principles, point into replies that exist, and still match the text they were made on."""

from __future__ import annotations

import importlib.util
import re
import sys
from pathlib import Path
from typing import Any

import pytest

from drafter import App

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("judgment", REPO / "benchmarks" / "judgment.py")
assert _spec is not None and _spec.loader is not None
judgment = importlib.util.module_from_spec(_spec)
sys.modules["judgment"] = judgment  # dataclasses look their module up while the class is built
_spec.loader.exec_module(judgment)

APP = App.from_config()
CODES = {r.code for r in APP.reviewer().rules}
PRINCIPLES = {p.id for p in APP.guide.principles}
LABELS = judgment.read_jsonl(judgment.LABELS)
VIOLATIONS = judgment.read_jsonl(judgment.VIOLATIONS)
SAMPLE = judgment.SAMPLE.read_text(encoding="utf-8").split()
# A holdout's name -> (its replies, the labels of their findings, their violations).
HOLDOUTS = {name: (read.read_text(encoding="utf-8").split(), judgment.read_jsonl(labels),
                   judgment.read_jsonl(violations))
            for name, (read, labels, violations) in judgment.HOLDOUTS.items()}
# (labels, violations, the replies read for those violations): the workbench, then the holdouts
SETS = {"workbench": (LABELS, VIOLATIONS, SAMPLE),
        **{name: (labels, violations, read)
           for name, (read, labels, violations) in HOLDOUTS.items()}}
HAS_CORPUS = (judgment.CORPUS / "manifest.jsonl").is_file()
needs_corpus = pytest.mark.skipif(
    not HAS_CORPUS, reason=f"the support_replies workbench is not at {judgment.CORPUS}")

FILE = re.compile(r"^(social|assistant)/\d{3}\.txt$")


def check_span(row: dict[str, Any]) -> None:
    """A record names a workbench file and a span of non-negative offsets."""
    assert FILE.match(row["file"]), row
    assert isinstance(row["start"], int) and isinstance(row["end"], int), row
    assert 0 <= row["start"] <= row["end"], row


@pytest.mark.parametrize("name", SETS)
def test_labels_are_well_formed(name: str) -> None:
    labels = SETS[name][0]
    assert labels, f"the {name} labels are empty"
    keys = set()
    for row in labels:
        assert {"file", "code", "start", "end", "span_sha1", "label", "reason"} <= row.keys(), row
        check_span(row)
        assert row["code"] in CODES or row["code"] in judgment.RETIRED, \
            f"{row['code']} is neither a rule nor listed in judgment.RETIRED"
        assert row["label"] in ("true", "false"), row
        assert re.fullmatch(r"[0-9a-f]{10}", row["span_sha1"]), row
        assert isinstance(row["reason"], str) and row["reason"].strip(), row
        key = (row["file"], row["code"], row["start"], row["end"])
        assert key not in keys, f"labelled twice: {key}"
        keys.add(key)


@pytest.mark.parametrize("name", SETS)
def test_violations_are_well_formed(name: str) -> None:
    _, violations, read = SETS[name]
    assert violations, f"the {name} violations are empty"
    for row in violations:
        assert {"file", "principle", "start", "end", "reason"} <= row.keys(), row
        check_span(row)
        assert row["start"] < row["end"], row
        assert row["principle"] in PRINCIPLES, f"unknown principle {row['principle']!r}"
        assert row["file"] in read, f"{row['file']} is not one of the {name}'s read replies"
        assert isinstance(row["reason"], str) and row["reason"].strip(), row


def test_the_sample_is_100_distinct_replies() -> None:
    assert len(SAMPLE) == len(set(SAMPLE)) == judgment.SAMPLE_SIZE
    assert all(FILE.match(f) for f in SAMPLE)


@pytest.mark.parametrize("name", HOLDOUTS)
def test_a_holdout_is_50_distinct_replies_outside_the_earlier_sets(name: str) -> None:
    read = HOLDOUTS[name][0]
    earlier = list(HOLDOUTS)[:list(HOLDOUTS).index(name)]
    assert len(read) == len(set(read)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in read)
    assert not set(read) & set(SAMPLE).union(*(HOLDOUTS[e][0] for e in earlier))


def test_a_label_follows_its_span_after_a_small_edit() -> None:
    label = {"file": "social/001.txt", "code": "PLN002", "start": 40, "end": 42,
             "span_sha1": judgment.span_digest("DM"), "label": "false", "reason": "r"}
    keyed = {("social/001.txt", "PLN002"): [label]}

    def hit(start: int, text: str = "DM") -> Any:
        return judgment.Hit("social/001.txt", "PLN002", "info", start, start + len(text),
                            judgment.span_digest(text))

    assert judgment.label_for(hit(40), keyed) is label  # the same span
    assert judgment.label_for(hit(52), keyed) is label  # moved by an edit before it
    assert judgment.label_for(hit(40, "ID"), keyed) is None  # other text at the same place
    assert judgment.label_for(hit(40 + judgment.NEAR + 1), keyed) is None  # too far away


@needs_corpus
@pytest.mark.parametrize("name", SETS)
def test_the_data_points_into_the_workbench(name: str) -> None:
    rows = judgment.manifest()
    labels, violations, read = SETS[name]
    if name == "workbench":
        drawn = judgment.draw_sample(rows)
    else:  # from the replies in none of the sample and the holdouts drawn before it
        earlier = list(HOLDOUTS)[:list(HOLDOUTS).index(name)]
        drawn = judgment.draw_holdout(name, rows, SAMPLE, *(HOLDOUTS[e][0] for e in earlier))
    assert drawn == read, f"the {name}'s replies are not the seeded draw"
    for row in labels:
        assert row["file"] in rows, f"{row['file']} is not in the manifest"
        text = judgment.reply_text(row["file"])
        assert judgment.span_digest(text[row["start"]:row["end"]]) == row["span_sha1"], \
            f"label {row['file']} {row['code']} {row['start']}-{row['end']} no longer matches its text"
    for row in violations:
        assert row["file"] in rows, f"{row['file']} is not in the manifest"
        assert row["end"] <= len(judgment.reply_text(row["file"])), row
