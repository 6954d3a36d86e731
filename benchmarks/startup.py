"""Start-up time of commands that do not call the model, against a bare `python -c pass`.

Prints the median wall time of N runs of each command, its ratio to the bare interpreter in the
same run, and which heavy modules (openai, jinja2, llama_cpp) each command imported.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
N = 20
HEAVY = ("openai", "jinja2", "llama_cpp", "httpx2", "httpx", "rich", "yaml")

SAMPLE = b"""From: Jane Doe <jane@example.com>
To: support@example.com
Subject: Broken jug
Message-ID: <a1@example.com>

Hi, the glass jug of my coffee machine arrived shattered. Can you send a new one?

On Mon, 2 Nov 2026 at 10:00, Support <support@example.com> wrote:
> Thanks for your order!

--
Jane
"""


def median_wall(cmd: list[str], stdin: bytes | None = None) -> float:
    """Return the median wall time of running `cmd` N times."""
    times = []
    for _ in range(N):
        t0 = time.perf_counter()
        subprocess.run(cmd, input=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                       check=False)
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def imported(args: list[str], stdin: bytes | None) -> list[str]:
    """Return the heavy modules that `draft ARGS` imports."""
    code = ("import sys\nfrom drafter.cli import main\nsys.argv=['draft', *sys.argv[1:]]\n"
            "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
            f"print(','.join(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)")
    out = subprocess.run([sys.executable, "-c", code, *args], input=stdin, capture_output=True,
                         check=False)
    last = (out.stderr.decode().strip().splitlines() or [""])[-1]
    return [m for m in last.split(",") if m in HEAVY]


def main() -> None:
    """Measure and print."""
    draft = str(Path(sys.executable).with_name("draft"))
    with tempfile.TemporaryDirectory() as tmp:
        eml = Path(tmp) / "m.eml"
        eml.write_bytes(SAMPLE)
        canned = Path(tmp) / "c.md"
        canned.write_text("Hi {{ name }},\n\nWe apologize for any inconvenience.\n")
        base = median_wall([sys.executable, "-c", "pass"])
        cases = [
            ("draft --help", [draft, "--help"], None),
            ("draft parse FILE", [draft, "parse", str(eml)], None),
            ("draft parse < stdin", [draft, "parse"], SAMPLE),
            ("draft lint FILE", [draft, "lint", str(canned)], None),
            ("draft rules", [draft, "rules"], None),
        ]
        print(f"baseline `python -c pass`: {base * 1000:.1f} ms (median of {N})")
        print(f"{'command':<22} {'median ms':>10} {'x baseline':>11}  heavy imports")
        for name, cmd, stdin in cases:
            wall = median_wall(cmd, stdin)
            heavy = imported(cmd[1:], stdin)
            print(f"{name:<22} {wall * 1000:>10.1f} {wall / base:>11.2f}  {', '.join(heavy) or 'none'}")


if __name__ == "__main__":
    main()
