"""How review time grows with hostile input: one shape of text per row, at a few sizes.

Each shape repeats one piece (a URL's dots, hyphenated digits, spaces, brackets, one very long
word, deeply nested lists and quotes, ...) up to each size and reviews it with the full
reviewer. Prints the CPU time per size (process time: the machine is shared, and a review uses
one core) and the growth exponent fitted to them (time ~ size^k, by least squares over the
logs); a shape whose exponent is above 1.2 is flagged. The goal: every shape reviewed in linear
time, 1 MB in under 2 s.

    python benchmarks/growth.py                  # 100 KB, 200 KB, 400 KB, 1 MB
    python benchmarks/growth.py --sizes 50,100   # sizes in KB
    python benchmarks/growth.py --shape url      # one shape
    python benchmarks/growth.py --repeat 3       # the least of three times per size
    python benchmarks/growth.py --ticket         # each as a reply to a ticket (review --ticket)
    python benchmarks/growth.py --draft          # each as the model's draft for a ticket

A reply under `draft review --ticket` may be any size; a model's draft is at most
`llm.max_tokens` long (350 by default: about 2 KB), so `--draft`, which adds the rules that read
only the model's drafts, measures a size no draft reaches.

The `{{` shape is the template-syntax rule's (HYG002); it is measured here with the rest. A
shape that takes over 10 s at one size is not tried at the larger ones (a dash in the table).
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drafter.review.context import ReviewContext
from drafter.review.reviewer import Reviewer
from drafter.styleguide import load_styleguide

# name -> (a piece repeated to the size, what it is)
SHAPES: dict[str, tuple[str | None, str]] = {
    "url": ("http://a.a.a.a" + ".a" * 20, "a URL of dots, repeated"),
    "url-dots": (".a", "one URL that never ends: http://a.a.a.a..."),
    "hyphens": ("4-", "4-4-4-4-..."),
    "spaces": (" ", "a run of spaces"),
    "newlines": ("\n", "a run of line breaks"),
    "blank-lines": ("a\n\n", "one-word paragraphs"),
    "dots": ("...", "a run of full stops"),
    "words-dots": ("a. ", "one-letter sentences"),
    "brackets": ("[", "open square brackets"),
    "parens": ("(", "open parentheses"),
    "braces": ("{{", "open template tags (HYG002)"),
    "at": ("@", "at signs"),
    "at-words": ("a@", "a@a@a@..."),
    "digits": ("4", "one long number"),
    "word": ("a", "one long word"),
    "words": ("word ", "one long sentence of words"),
    "list": ("- ", "a deeply nested list on one line"),
    "list-lines": ("- a\n", "a long list"),
    "indent-list": (None, "a list whose items go deeper and deeper"),
    "quotes": (">", "a deeply nested quote"),
    "quote-lines": ("> a\n", "a long quoted passage"),
    "dquotes": ('"', "double quotation marks"),
    "backticks": ("`", "backticks"),
    "hash": ("# ", "a deep heading"),
    "colons": (":", "colons"),
    "commas": ("a, ", "a long list of words and commas"),
    "apostrophes": ("'", "apostrophes"),
    "letters-digits": ("a1", "letters and digits"),
    "sorry": ("Sorry. ", "short sentences that each find something"),
    "hedges": ("I think maybe ", "one sentence of findings"),
    "promises": ("We'll follow up. I'll look into this. ", "promises with no time (OWN005)"),
    "placeholders": ("[Name] XXX TODO ", "placeholders and notes"),
    "emails": ("a@b.co ", "email addresses"),
    "links": ("see www.a.com ", "links in prose"),
    "greetings": ("Hi Jane,\n", "greeting lines"),
    "sign-offs": ("Best regards,\nSam\n", "sign-off lines"),
    # Claims GRD001 reads (the review is of a model's draft with a ticket, so it runs).
    "money": ("$1,0 ", "amounts of money"),
    "number-runs": ("1,2.", "one number of separators: 1,2.1,2..."),
    "number-words": ("twenty-one ", "numbers in words"),
    "durations": ("1-2 business days ", "durations"),
    "times": ("1:11 ", "times of day"),
    "dates": ("1/1/2024 March 3 ", "dates"),
    "phones": ("call +1 555 0100 ", "phone numbers"),
    "ids": ("AB-1234-", "one long id: AB-1234-AB-1234-..."),
    "mixed": ("Hi Jane,\n\nWe apologize for any inconvenience. I think ASAP! "
              "Visit www.a.com or a@b.co.\n\n- one\n  - two\n> quoted\n`code` "
              "[Name] \"said\" 1/2\n\nBest regards,\nSam\n", "a realistic reply, repeated"),
}

# The shapes of the hostile-input issue, and those like them: no finding for most of their
# characters, so all their time is the reviewer's passes (tests/test_review_growth.py reviews a
# megabyte of each). The rest find something every few characters, and take the time of their
# findings.
PASSES = ("url", "url-dots", "hyphens", "spaces", "newlines", "dots", "brackets", "parens", "at",
          "at-words", "digits", "word", "words", "list", "indent-list", "quotes", "quote-lines",
          "dquotes", "backticks", "hash", "colons", "apostrophes", "letters-digits",
          "number-runs", "ids")
# The shapes of GRD001's claims are reviewed as a reply to a ticket (as `draft review --ticket`
# gives it), so that the rules that need one (GRD001, SAF007) run; `--ticket` reviews every
# shape so, `--draft` as the model's draft for the ticket.
CLAIMS = frozenset({"money", "number-runs", "number-words", "durations", "times", "dates",
                    "phones", "ids"})
CONTEXT = ReviewContext(ticket_text="Order 48213 for $30, sent 3/3/2025.",
                        customer_text="Where is order 48213? I paid $30 on 3/3/2025.",
                        customer_name="Jane Doe", channel="email")
DRAFT = replace(CONTEXT, model_draft=True)


def context_for(shape: str, ticket: bool = False, draft: bool = False) -> ReviewContext | None:
    """The review context a shape is measured in."""
    if draft:
        return DRAFT
    return CONTEXT if ticket or shape in CLAIMS else None


GIVE_UP = 10.0  # seconds: a shape that takes longer at one size is not tried at the next


def hostile(shape: str, size: int) -> str:
    """`size` characters of `shape`."""
    if shape == "indent-list":
        lines, n = [], 0
        depth = 0
        while n < size:
            line = "  " * depth + "- a\n"
            lines.append(line)
            n += len(line)
            depth += 1
        return "".join(lines)[:size]
    piece = SHAPES[shape][0]
    assert piece is not None
    if shape == "url-dots":
        return ("http://a" + piece * size)[:size]
    return (piece * (size // len(piece) + 1))[:size]


def exponent(sizes: list[int], times: list[float]) -> float:
    """The least-squares slope of log(time) over log(size)."""
    xs = [math.log(s) for s in sizes]
    ys = [math.log(max(t, 1e-4)) for t in times]
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    den = sum((x - mx) ** 2 for x in xs)
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den if den else 0.0


def main() -> int:
    """Print the table; exit 1 if a shape grows faster than size^1.2 or takes over 2 s at 1 MB."""
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="100,200,400,1000", help="sizes in KB, comma-separated")
    ap.add_argument("--shape", action="append", choices=sorted(SHAPES),
                    help="only these shapes (repeatable)")
    ap.add_argument("--ticket", action="store_true",
                    help="review every shape as a reply to a ticket (GRD001 and SAF007 run)")
    ap.add_argument("--repeat", type=int, default=1,
                    help="review each size this many times and keep the least time (a shared "
                    "machine's noise only ever adds)")
    ap.add_argument("--draft", action="store_true",
                    help="review every shape as the model's draft for a ticket (the model-draft "
                    "rules run too; no draft is this long)")
    args = ap.parse_args()
    sizes = [int(float(s) * 1000) for s in args.sizes.split(",")]
    reviewer = Reviewer(load_styleguide())
    reviewer.review("Warm-up.", CONTEXT)
    # Text that is not plainly English loads the language model, once per process (about
    # 0.8 s): loaded here, it is no shape's time (it was one-word paragraphs', the first such).
    reviewer.language("Das Paket kommt morgen an, vielen Dank für Ihre Geduld.")
    print(f"{'shape':<15}" + "".join(f"{s // 1000:>8} KB" for s in sizes) + "  exponent")
    bad = False
    for shape in args.shape or SHAPES:
        times: list[float] = []
        for size in sizes:
            if times and times[-1] > GIVE_UP:
                break  # the next size would take too long: what is measured tells enough
            text = hostile(shape, size)
            best = math.inf
            for _ in range(args.repeat):
                t0 = time.process_time()
                reviewer.review(text, context_for(shape, args.ticket, args.draft))
                best = min(best, time.process_time() - t0)
            times.append(best)
        k = exponent(sizes[:len(times)], times)
        slow = len(times) < len(sizes) or (max(sizes) >= 1_000_000 and times[-1] > 2.0)
        flag = "  <-- superlinear" if k > 1.2 else ""
        flag += "  <-- over 2 s" if slow else ""
        bad = bad or bool(flag)
        cells = [f"{t:>10.3f}s" for t in times] + [f"{'-':>11}"] * (len(sizes) - len(times))
        print(f"{shape:<15}" + "".join(cells) + f"  {k:8.2f}{flag}", flush=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
