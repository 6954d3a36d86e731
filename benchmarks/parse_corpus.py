"""drafter's mail reader over the SpamAssassin public corpus (6,046 real ham and spam messages).

Times `parse_email` (MIME parse, headers, charsets, HTML to text, reply trimming) on every
message, already in memory, and in the same run two stdlib baselines over the same messages:
`email.message_from_bytes(policy=default)` alone (parsing only: headers are decoded lazily, no
body is read), and a plain stdlib reader that also reads what drafter reads (From, To, Subject,
Date, Message-ID and the text body via get_body().get_content()), with how often it raises.
Prints messages/s, MB/s, the InputError count, the slowest messages and the ratios.

The corpus is not in the repo: `bash benchmarks/fetch_spam_corpus.sh` fetches it. Usage:
parse_corpus.py [--limit N] [--rounds R] (R rounds, each stage's best round is reported).
"""

from __future__ import annotations

import argparse
import contextlib
import email
import email.policy
import sys
import time
from collections import Counter
from collections.abc import Callable
from email.message import EmailMessage
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))

import spam_corpus

from drafter.errors import InputError
from drafter.tickets.email import parse_email

SLOWEST = 5


def drafter_parse(name: str, data: bytes) -> None:
    """drafter's reader: a Message with the latest words trimmed, or an InputError."""
    parse_email(data, source=name)


def stdlib_parse(name: str, data: bytes) -> None:
    """Baseline: the stdlib's parse alone."""
    email.message_from_bytes(data, policy=email.policy.default)


def stdlib_read(name: str, data: bytes) -> None:
    """Baseline: the stdlib's parse plus reading the headers and the text body, naively."""
    msg = email.message_from_bytes(data, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    for header in ("From", "To", "Subject", "Date", "Message-ID"):
        value = msg[header]
        if value is not None and header in ("From", "To"):
            _ = value.addresses
        str(value)
    body = msg.get_body(preferencelist=("plain", "html"))
    if body is not None:
        body.get_content()


def run(stage: Callable[[str, bytes], None], corpus: list[spam_corpus.RawMessage],
        ) -> tuple[float, float, list[tuple[float, str, int]], Counter[str]]:
    """Run `stage` over the corpus: (wall s, CPU s, per-message (s, name, size), errors by type)."""
    timings: list[tuple[float, str, int]] = []
    errors: Counter[str] = Counter()
    clock = time.perf_counter
    cpu0, wall0 = time.process_time(), clock()
    for name, data in corpus:
        started = clock()
        try:
            stage(name, data)
        except InputError:
            errors["InputError"] += 1
        except Exception as exc:  # the baselines are allowed to fail; count how often
            errors[type(exc).__name__] += 1
        timings.append((clock() - started, name, len(data)))
    return clock() - wall0, time.process_time() - cpu0, timings, errors


def main() -> None:
    """Measure and print."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=0, help="only the first N messages")
    parser.add_argument("--rounds", type=int, default=1, help="rounds per stage (best is kept)")
    args = parser.parse_args()

    root = spam_corpus.corpus_dir()
    if root is None:
        print("corpus not installed: run benchmarks/fetch_spam_corpus.sh")
        print(f"({spam_corpus.missing_reason()})")
        return
    corpus = list(spam_corpus.messages(root))
    if args.limit:
        corpus = corpus[: args.limit]
    total_bytes = sum(len(m.data) for m in corpus)
    mb = total_bytes / 1e6
    print(f"corpus: {root}")
    print(f"{len(corpus)} messages, {mb:.1f} MB (largest {max(len(m.data) for m in corpus):,} "
          f"bytes); Python {sys.version.split()[0]}")

    for m in corpus[:50]:  # warm-up: lazy imports (lxml), regex compilation
        with contextlib.suppress(InputError):
            parse_email(m.data, source=m.name)

    stages = (("drafter parse_email", drafter_parse),
              ("stdlib parse only", stdlib_parse),
              ("stdlib parse+read", stdlib_read))
    best: dict[str, tuple[float, float, list[tuple[float, str, int]], Counter[str]]] = {}
    for _ in range(max(1, args.rounds)):
        for label, stage in stages:  # alternating, so a busy spell hits every stage alike
            result = run(stage, corpus)
            if label not in best or result[0] < best[label][0]:
                best[label] = result

    print(f"\n{'stage':<22} {'wall s':>8} {'cpu s':>8} {'msgs/s':>9} {'MB/s':>7}  errors")
    for label, _ in stages:
        wall, cpu, _, errors = best[label]
        errs = ", ".join(f"{k} {v}" for k, v in errors.most_common()) or "none"
        print(f"{label:<22} {wall:>8.2f} {cpu:>8.2f} {len(corpus) / wall:>9,.0f} "
              f"{mb / wall:>7.2f}  {errs}")

    wall, cpu, timings, errors = best["drafter parse_email"]
    print(f"\ndrafter: {len(corpus)} messages, {errors['InputError']} refused with InputError, "
          f"{sum(v for k, v in errors.items() if k != 'InputError')} other exceptions")
    print(f"slowest {SLOWEST} (drafter):")
    for took, name, size in sorted(timings, reverse=True)[:SLOWEST]:
        print(f"  {took * 1000:8.1f} ms  {size:>9,} bytes  {name}")
    for label in ("stdlib parse only", "stdlib parse+read"):
        base_wall, base_cpu = best[label][0], best[label][1]
        print(f"drafter / {label}: {wall / base_wall:.2f}x wall, {cpu / base_cpu:.2f}x CPU")


if __name__ == "__main__":
    main()
