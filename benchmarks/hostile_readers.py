"""How reading time grows with hostile input (issue 16): mail charsets, nested HTML, JSON ticket
files, YAML aliases. For each shape: the time at 1 MB and the growth exponent (time ~ size^k;
linear is 1, a regression shows as k above 1.2).

Sizes double from 4 KB until 1 MB, or until one run takes over --budget seconds; then the 1 MB
time is extrapolated from the exponent (marked ~). Compare two checkouts in the same run:

    PYTHONPATH=/tmp/base python benchmarks/hostile_readers.py   # before
    PYTHONPATH=$PWD python benchmarks/hostile_readers.py        # after
"""

from __future__ import annotations

import argparse
import json
import math
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MB = 1024 * 1024


def _mail(body: bytes, ctype: str) -> bytes:
    return b"From: jane@example.com\nSubject: hi\nContent-Type: " + ctype.encode() + b"\n\n" + body


def _repeat(unit: bytes, size: int) -> bytes:
    return unit * max(1, size // len(unit))


def _parse(data: bytes) -> Any:
    from drafter.tickets.email import parse_email

    return parse_email(data, max_bytes=20 * MB)


def _json_tickets(size: int) -> Path:
    count = max(1, size // 64)
    folder = Path(tempfile.mkdtemp())
    path = folder / "t.json"
    path.write_text(json.dumps([{"id": i, "messages": [{"text": f"my order {i} is late"}]}
                                for i in range(count)]))
    return path


def _import(path: Path) -> Any:
    from drafter.store import Store
    from drafter.tickets.importers import read_paths

    with Store(path.parent / f"s{time.perf_counter_ns()}.db") as store:
        return store.import_found(read_paths([path], 20 * MB))


def _yaml_aliases(size: int) -> str:
    # One list of n items, aliased n times: about 10n bytes, n^2 values once aliases expand.
    n = size // 10
    items = ", ".join("x" for _ in range(n))
    return f"base: &b [{items}]\nall:\n" + "".join("  - *b\n" for _ in range(n))


def _parse_yaml(text: str) -> Any:
    from drafter.lint.structured import ParseError, parse_yaml

    try:
        return parse_yaml(text)
    except ParseError as exc:  # refused: the point of the fix
        return exc


SHAPES: dict[str, tuple[Callable[[int], Any], Callable[[Any], Any]]] = {
    # Letters only: all of it is punycode's "extended" part, decoded by insertions (quadratic).
    "charset=punycode": (lambda n: _mail(_repeat(b"abcdefghij", n), "text/plain; charset=punycode"),
                         _parse),
    # One label: idna hands it to punycode, then fails (the body was dropped after the wait).
    "charset=idna": (lambda n: _mail(b"xn--" + _repeat(b"abcdefghij", n), "text/plain; charset=idna"),
                     _parse),
    "nested <ul><li>": (lambda n: _mail(_repeat(b"<ul><li>x", n), "text/html"), _parse),
    "HTML paragraphs": (lambda n: _mail(_repeat(b"<p>Where is my <b>order</b>?</p>", n),
                                        "text/html"), _parse),
    "JSON tickets": (_json_tickets, _import),
    "YAML aliases": (_yaml_aliases, _parse_yaml),
}


def measure(make: Callable[[int], Any], run: Callable[[Any], Any], budget: float
            ) -> tuple[float, bool, float]:
    """(time at 1 MB, whether it was extrapolated, growth exponent)."""
    points: list[tuple[int, float]] = []
    size = 4 * 1024
    while size <= MB:
        data = make(size)
        started = time.perf_counter()
        run(data)
        points.append((size, time.perf_counter() - started))
        if points[-1][1] > budget:
            break
        size *= 2
    (s1, t1), (s2, t2) = points[-2], points[-1]
    exponent = math.log(max(t2, 1e-6) / max(t1, 1e-6)) / math.log(s2 / s1)
    if s2 == MB:
        return t2, False, exponent
    return t2 * (MB / s2) ** exponent, True, exponent


def main() -> None:
    """Print each shape's time at 1 MB and its growth exponent."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=5.0,
                        help="stop doubling once a run takes this many seconds")
    args = parser.parse_args()
    import drafter

    print(f"drafter from {Path(drafter.__file__).parent}")
    print(f"{'shape':<20} {'1 MB':>10} {'exponent':>9}")
    for name, (make, run) in SHAPES.items():
        seconds, extrapolated, exponent = measure(make, run, args.budget)
        shown = f"{'~' if extrapolated else ''}{seconds:.2f} s"
        print(f"{name:<20} {shown:>10} {exponent:>9.2f}")


if __name__ == "__main__":
    main()
