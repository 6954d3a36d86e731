"""Every finding of the full reviewer on a fixed body of texts, one per line: a change meant to
keep the reviewer's behaviour (a faster matcher, a lazier check) is checked by dumping before
and after and comparing the files.

The texts: the 408 real replies of ../shared/corpora/support_replies in five review contexts
(none; a model's draft for a ticket; a canned response; a chat reply to an upset customer; the
reply's own customer message with reference material), the email-trimming suite's messages,
every shape of benchmarks/growth.py at two sizes, and 300 seeded random mixes of those shapes.

    git stash; python benchmarks/findings_dump.py /tmp/before.txt; git stash pop
    python benchmarks/findings_dump.py /tmp/after.txt && cmp /tmp/before.txt /tmp/after.txt

The corpora are read where they are (skipped with a note when absent), never copied here.
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TextIO

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # the checkout's drafter, not an installed one
sys.path.insert(0, str(HERE))

import growth  # noqa: E402

from drafter.review.context import ReviewContext  # noqa: E402
from drafter.review.reviewer import Reviewer  # noqa: E402
from drafter.styleguide import load_styleguide  # noqa: E402

SHARED = HERE.parent.parent / "shared" / "corpora"
REPLIES = SHARED / "support_replies"
TRIMMING = SHARED / "email_reply_trimmer"
CONTEXTS = (
    None,
    ReviewContext(model_draft=True, ticket_text="Order 48213 for $30, sent 3/3/2025."),
    ReviewContext(channel="email", is_template=True),
    ReviewContext(channel="chat", body_only=True, customer_text="I am so angry, where is my order?"),
)
REFERENCE = ("Refunds take 5-7 business days. Call 555-0100.",)


def texts() -> Iterator[tuple[str, str, ReviewContext | None]]:
    """(tag, text, context) for every text reviewed, in a fixed order."""
    if (REPLIES / "manifest.jsonl").exists():
        rows = [json.loads(line) for line in
                (REPLIES / "manifest.jsonl").read_text(encoding="utf-8").splitlines() if line]
        for row in sorted(rows, key=lambda r: r["file"]):
            text = (REPLIES / row["file"]).read_text(encoding="utf-8")
            for i, context in enumerate(CONTEXTS):
                yield f"{row['file']}#{i}", text, context
            customer = row.get("customer_message")
            yield f"{row['file']}#cm", text, ReviewContext(
                customer_text=customer, ticket_text=customer, model_draft=True,
                reference=REFERENCE)
    else:
        print(f"note: {REPLIES} is absent: the real replies are left out", file=sys.stderr)
    if TRIMMING.is_dir():
        for path in sorted(p for p in TRIMMING.rglob("*") if p.is_file()):
            try:
                text = path.read_text(encoding="utf-8")[:20_000]
            except (OSError, UnicodeDecodeError):
                continue
            name = str(path.relative_to(TRIMMING))
            yield name, text, None
            yield f"{name}#1", text, CONTEXTS[1]
    else:
        print(f"note: {TRIMMING} is absent: the trimming suite is left out", file=sys.stderr)
    for shape in growth.SHAPES:
        for size in (1_000, 7_000):
            text = growth.hostile(shape, size)
            yield f"{shape}@{size}", text, None
            yield f"{shape}@{size}#t", text, CONTEXTS[1]
    rng = random.Random(5)
    pieces = [piece for piece, _ in growth.SHAPES.values() if piece] + [
        "\n", "\n\n", "Thanks!", "Dear Bob,\n", "Order #123 ships 4/5.", "  - x\n", "1. y\n",
        "$5.00", "3 pm", "Monday"]
    for i in range(300):
        text = "".join(rng.choice(pieces) for _ in range(rng.randint(1, 60)))
        yield f"mix{i}", text, CONTEXTS[i % len(CONTEXTS)]


def dump(out: TextIO) -> int:
    """Write every finding and each text's structure to `out`; return the texts reviewed."""
    reviewer = Reviewer(load_styleguide())
    n = 0
    for tag, text, context in texts():
        for finding in reviewer.review(text, context):
            out.write(f"{tag}\t{finding!r}\n")
        out.write(f"{tag}\tSTRUCTURE\t{reviewer.doc(text, context).structure!r}\n")
        n += 1
    return n


def main() -> int:
    """Dump to the file named on the command line (or stdout)."""
    if len(sys.argv) > 1:
        with open(sys.argv[1], "w", encoding="utf-8") as out:
            n = dump(out)
    else:
        n = dump(sys.stdout)
    print(f"{n} texts reviewed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
