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
HOLDOUT = judgment.HOLDOUT.read_text(encoding="utf-8").split()
HOLDOUT_LABELS = judgment.read_jsonl(judgment.HOLDOUT_LABELS)
HOLDOUT_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT_VIOLATIONS)
HOLDOUT2 = judgment.HOLDOUT2.read_text(encoding="utf-8").split()
HOLDOUT2_LABELS = judgment.read_jsonl(judgment.HOLDOUT2_LABELS)
HOLDOUT2_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT2_VIOLATIONS)
HOLDOUT3 = judgment.HOLDOUT3.read_text(encoding="utf-8").split()
HOLDOUT3_LABELS = judgment.read_jsonl(judgment.HOLDOUT3_LABELS)
HOLDOUT3_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT3_VIOLATIONS)
HOLDOUT4 = judgment.HOLDOUT4.read_text(encoding="utf-8").split()
HOLDOUT4_LABELS = judgment.read_jsonl(judgment.HOLDOUT4_LABELS)
HOLDOUT4_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT4_VIOLATIONS)
HOLDOUT5 = judgment.HOLDOUT5.read_text(encoding="utf-8").split()
HOLDOUT5_LABELS = judgment.read_jsonl(judgment.HOLDOUT5_LABELS)
HOLDOUT5_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT5_VIOLATIONS)
HOLDOUT6 = judgment.HOLDOUT6.read_text(encoding="utf-8").split()
HOLDOUT6_LABELS = judgment.read_jsonl(judgment.HOLDOUT6_LABELS)
HOLDOUT6_VIOLATIONS = judgment.read_jsonl(judgment.HOLDOUT6_VIOLATIONS)
# (labels, violations, the replies read for those violations): the workbench, then the holdouts
SETS = {"workbench": (LABELS, VIOLATIONS, SAMPLE),
        "holdout": (HOLDOUT_LABELS, HOLDOUT_VIOLATIONS, HOLDOUT),
        "holdout2": (HOLDOUT2_LABELS, HOLDOUT2_VIOLATIONS, HOLDOUT2),
        "holdout3": (HOLDOUT3_LABELS, HOLDOUT3_VIOLATIONS, HOLDOUT3),
        "holdout4": (HOLDOUT4_LABELS, HOLDOUT4_VIOLATIONS, HOLDOUT4),
        "holdout5": (HOLDOUT5_LABELS, HOLDOUT5_VIOLATIONS, HOLDOUT5),
        "holdout6": (HOLDOUT6_LABELS, HOLDOUT6_VIOLATIONS, HOLDOUT6)}
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


def test_the_holdout_is_50_distinct_replies_outside_the_sample() -> None:
    assert len(HOLDOUT) == len(set(HOLDOUT)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT)
    assert not set(HOLDOUT) & set(SAMPLE)


def test_the_second_holdout_is_50_distinct_replies_outside_both() -> None:
    assert len(HOLDOUT2) == len(set(HOLDOUT2)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT2)
    assert not set(HOLDOUT2) & (set(SAMPLE) | set(HOLDOUT))


def test_the_third_holdout_is_50_distinct_replies_outside_the_earlier_sets() -> None:
    assert len(HOLDOUT3) == len(set(HOLDOUT3)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT3)
    assert not set(HOLDOUT3) & (set(SAMPLE) | set(HOLDOUT) | set(HOLDOUT2))


def test_the_fourth_holdout_is_50_distinct_replies_outside_the_earlier_sets() -> None:
    assert len(HOLDOUT4) == len(set(HOLDOUT4)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT4)
    assert not set(HOLDOUT4) & (set(SAMPLE) | set(HOLDOUT) | set(HOLDOUT2) | set(HOLDOUT3))


def test_the_fifth_holdout_is_50_distinct_replies_outside_the_earlier_sets() -> None:
    assert len(HOLDOUT5) == len(set(HOLDOUT5)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT5)
    assert not set(HOLDOUT5) & (set(SAMPLE) | set(HOLDOUT) | set(HOLDOUT2) | set(HOLDOUT3)
                                | set(HOLDOUT4))


def test_the_sixth_holdout_is_50_distinct_replies_outside_the_earlier_sets() -> None:
    assert len(HOLDOUT6) == len(set(HOLDOUT6)) == judgment.HOLDOUT_SIZE
    assert all(FILE.match(f) for f in HOLDOUT6)
    assert not set(HOLDOUT6) & (set(SAMPLE) | set(HOLDOUT) | set(HOLDOUT2) | set(HOLDOUT3)
                                | set(HOLDOUT4) | set(HOLDOUT5))


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
    drawn = {"workbench": lambda: judgment.draw_sample(rows),
             "holdout": lambda: judgment.draw_holdout(rows, SAMPLE),
             "holdout2": lambda: judgment.draw_holdout2(rows, SAMPLE, HOLDOUT),
             "holdout3": lambda: judgment.draw_holdout3(rows, SAMPLE, HOLDOUT, HOLDOUT2),
             "holdout4": lambda: judgment.draw_holdout4(rows, SAMPLE, HOLDOUT, HOLDOUT2,
                                                        HOLDOUT3),
             "holdout5": lambda: judgment.draw_holdout5(rows, SAMPLE, HOLDOUT, HOLDOUT2,
                                                        HOLDOUT3, HOLDOUT4),
             "holdout6": lambda: judgment.draw_holdout6(rows, SAMPLE, HOLDOUT, HOLDOUT2,
                                                        HOLDOUT3, HOLDOUT4, HOLDOUT5)}[name]()
    assert drawn == read, f"the {name}'s replies are not the seeded draw"
    for row in labels:
        assert row["file"] in rows, f"{row['file']} is not in the manifest"
        text = judgment.reply_text(row["file"])
        assert judgment.span_digest(text[row["start"]:row["end"]]) == row["span_sha1"], \
            f"label {row['file']} {row['code']} {row['start']}-{row['end']} no longer matches its text"
    for row in violations:
        assert row["file"] in rows, f"{row['file']} is not in the manifest"
        assert row["end"] <= len(judgment.reply_text(row["file"])), row
