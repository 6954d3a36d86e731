"""What one lint pass costs in machine instructions (callgrind), against a baseline checkout.

Wall time on a shared machine moves by 15-50% between runs, far more than most changes to the
reviewer; the count of instructions a run executes does not (about ±0.5% here). This script
lints every `--every`-th file of benchmarks/lint_corpus.py's corpus in one process under
`valgrind --tool=callgrind`, once with no pass and once with one, and prints the difference: the
instructions of one first (cold) lint pass, the start-up and the reviewer's build left out. With
`--baseline DIR` (a checkout of another commit, e.g. `git worktree add /tmp/base COMMIT`), DIR is
measured the same way and the ratio printed.

    .venv/bin/python benchmarks/instructions.py --baseline /tmp/base

Two things keep the count steady: a fixed hash seed (set and dict order changes which work is
done), and drafter's cache folder warm for the checkout measured. A run of each checkout outside
valgrind comes first, because the kept phrase-pattern table is named by matching.py's source:
a checkout with another matching.py reads the patterns anew and removes the other's table.

Instruction counts say nothing of waiting or of how work spreads over cores (see
lint_vs_peers.py for those); use them to compare two versions of the same code path. A one-off
cost counts in full: a file that needs the language model (numpy and py3langid, about 1,000 M
instructions) is paid for once per process, whatever the number of files.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import lint_corpus  # noqa: E402

# The program measured: lint FILES (one per line in a file) PASSES times with CHECKOUT's drafter.
RUNNER = """
import sys
from pathlib import Path
checkout, listing, passes = sys.argv[1], sys.argv[2], int(sys.argv[3])
sys.path.insert(0, checkout)
import drafter
assert drafter.__file__.startswith(checkout), drafter.__file__
from drafter.app import App
from drafter.lint.engine import Linter, LintOptions
files = [Path(p) for p in Path(listing).read_text().split("\\n") if p]
linter = Linter(App().reviewer(), LintOptions())
for _ in range(passes):
    linter.lint(files)
"""
_COLLECTED = re.compile(r"Collected : (\d+)")


def instructions(checkout: Path, listing: Path, passes: int) -> int:
    """The instructions a run of RUNNER executes."""
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
         "-c", RUNNER, str(checkout), str(listing), str(passes)],
        capture_output=True, text=True, env=env, check=False)
    found = _COLLECTED.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run of {checkout} failed:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def one_pass(checkout: Path, listing: Path) -> int:
    """The instructions of one cold lint pass with `checkout`'s drafter."""
    subprocess.run([sys.executable, "-c", RUNNER, str(checkout), str(listing), "1"],
                   capture_output=True, check=True)  # warms drafter's cache for this checkout
    return instructions(checkout, listing, 1) - instructions(checkout, listing, 0)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another drafter checkout to compare with")
    parser.add_argument("--every", type=int, default=7,
                        help="lint every N-th file of the corpus (default 7: 286 files)")
    args = parser.parse_args()
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt-get install valgrind); nothing measured")
        return 0
    files = lint_corpus.build()[::args.every]
    listing = lint_corpus.CORPUS.parent / "instructions-files.txt"
    listing.write_text("\n".join(str(f) for f in files))
    here = one_pass(HERE.parent, listing)
    print(f"this checkout: {here / 1e6:,.0f} M instructions for one lint pass over "
          f"{len(files)} files ({here / len(files) / 1e6:.2f} M a file)")
    if args.baseline is not None:
        base = one_pass(args.baseline.resolve(), listing)
        print(f"baseline {args.baseline}: {base / 1e6:,.0f} M instructions "
              f"({base / len(files) / 1e6:.2f} M a file)")
        print(f"this checkout / baseline = {here / base:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
