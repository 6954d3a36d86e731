"""`draft lint` against proselint and write-good on the same canned-response corpus.

Builds the corpus (lint_corpus.py), installs the peers if missing — proselint (PyPI) into its
own venv under benchmarks/_work/venv-proselint, write-good (npm) under benchmarks/_work/node,
never into the project's venv — then times each tool over the same files, output to
/dev/null: the median of ROUNDS runs, the tools taking turns within each round so that load
from elsewhere on the machine falls on all of them alike. Prints wall time, files/s, words/s
and the ratios peer/draft measured in this run.

Then the single-file figure: the median of 20 runs of `draft lint ONE.md` against
`python -c pass`, and which heavy modules that path imports.

Bytecode caching is on, as a user has it: PYTHONDONTWRITEBYTECODE is removed from the
environment of every timed command, and each tool runs once untimed first (writing
__pycache__, and drafter's own cache of compiled regexes and parsed TOML, see docs/lint.md:
the state of any second run). For reference, draft is also timed with that cache switched off
(DRAFTER_NO_CACHE=1), as a first run or a CI job without a kept cache folder starts. The floors
(issues 11 and 12): draft at least 8x faster than proselint and 2.5x faster than write-good on
the same files in the same run; one file linted within 1.25x of the time proselint takes to
check it, the two timed side by side.

`--baseline DIR` also times the drafter checkout in DIR (e.g. `git worktree add /tmp/base
COMMIT`) in the same rounds, with this venv's packages, so a change is measured against the
code before it in the same run.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lint_corpus

HERE = Path(__file__).resolve().parent
WORK = HERE / "_work"
PROSELINT_VENV = WORK / "venv-proselint"
NODE_DIR = WORK / "node"
ROUNDS = 5
SINGLE_RUNS = 20
HEAVY = ("openai", "jinja2", "llama_cpp", "rich", "httpx", "yaml", "tenacity")
LIGHTER = ("click", "tomllib", "json", "difflib", "dataclasses", "multiprocessing")
ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV["NO_COLOR"] = "1"
NO_CACHE = {**ENV, "DRAFTER_NO_CACHE": "1"}


def _run(cmd: Sequence[str], env: dict[str, str] = ENV,
         **kw: object) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(list(cmd), check=False, env=env, **kw)  # type: ignore[call-overload]


def ensure_proselint() -> Path | None:
    """Return the proselint executable, installing it into its own venv if missing."""
    exe = PROSELINT_VENV / "bin" / "proselint"
    if not exe.exists():
        print("installing proselint into", PROSELINT_VENV.relative_to(HERE.parent), flush=True)
        shutil.rmtree(PROSELINT_VENV, ignore_errors=True)
        py = shutil.which("python3") or sys.executable
        ok = _run([py, "-m", "venv", str(PROSELINT_VENV)]).returncode == 0 and _run(
            [str(PROSELINT_VENV / "bin" / "pip"), "install", "-q", "proselint"]).returncode == 0
        if not ok or not exe.exists():
            print("proselint: could not be installed; skipped")
            return None
    return exe


def ensure_write_good() -> Path | None:
    """Return the write-good executable, installing it with npm under _work/node if missing."""
    exe = NODE_DIR / "node_modules" / ".bin" / "write-good"
    if not exe.exists():
        npm = shutil.which("npm")
        if npm is None:
            print("write-good: npm not found; skipped")
            return None
        print("installing write-good into", NODE_DIR.relative_to(HERE.parent), flush=True)
        NODE_DIR.mkdir(parents=True, exist_ok=True)
        if not (NODE_DIR / "package.json").exists():
            (NODE_DIR / "package.json").write_text('{"name": "bench-peers", "private": true}\n')
        _run([npm, "install", "--no-audit", "--no-fund", "--silent", "write-good"],
             cwd=NODE_DIR, stdout=subprocess.DEVNULL)
        if not exe.exists():
            print("write-good: could not be installed; skipped")
            return None
    return exe


def version(cmd: Sequence[str]) -> str:
    """The first line a `--version`-style command prints."""
    out = _run(cmd, capture_output=True)
    text = (out.stdout or out.stderr).decode(errors="replace").strip()
    return text.splitlines()[-1] if text else "?"


def batches(prefix: Sequence[str], files: Sequence[str]) -> list[list[str]]:
    """Split a command over `files` into as few commands as the argument-length limit allows."""
    limit = min(os.sysconf("SC_ARG_MAX") // 2, 1_000_000)
    out: list[list[str]] = []
    cur: list[str] = []
    size = sum(len(a) + 1 for a in prefix)
    for f in files:
        if cur and size + len(f) + 1 > limit:
            out.append([*prefix, *cur])
            cur, size = [], sum(len(a) + 1 for a in prefix)
        cur.append(f)
        size += len(f) + 1
    out.append([*prefix, *cur])
    return out


def wall(cmds: list[list[str]], cwd: Path, env: dict[str, str] = ENV) -> float:
    """Run `cmds` one after another (output to /dev/null) and return the wall time."""
    t0 = time.perf_counter()
    for cmd in cmds:
        _run(cmd, env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - t0


def imports_of(draft: Path, path: Path) -> tuple[set[str], int]:
    """The top-level packages `draft lint PATH` imports, and how many modules in all."""
    out = _run([sys.executable, "-X", "importtime", str(draft), "lint", "-q", str(path)],
               capture_output=True)
    mods = {line.split("|")[-1].strip() for line in out.stderr.decode().splitlines()
            if line.startswith("import time:") and "|" in line}
    return {m.split(".")[0] for m in mods}, len(mods)


def main() -> None:
    """Measure and print."""
    args = sys.argv[1:]
    baseline = Path(args[args.index("--baseline") + 1]).resolve() if "--baseline" in args \
        else None
    draft = Path(sys.executable).with_name("draft")
    files = lint_corpus.build()
    rel = [p.relative_to(WORK).as_posix() for p in files]
    corpus = lint_corpus.CORPUS.relative_to(WORK).as_posix()
    words = lint_corpus.words(files)
    load = os.getloadavg()[0]
    print(f"corpus: {len(files)} files, {words:,} words (wc -w); machine: {os.cpu_count()} "
          f"cores, load average {load:.2f} at start")
    print("bytecode caching on (PYTHONDONTWRITEBYTECODE unset for every timed command; one "
          "untimed warm-up run each)")

    tools: list[tuple[str, list[list[str]]]] = [
        ("draft lint", [[str(draft), "lint", corpus, "--format", "json", "-q"]]),
        ("draft lint -j1", [[str(draft), "lint", corpus, "--format", "json", "-q", "-j", "1"]]),
    ]
    names = {"draft lint": version([str(draft), "--version"])}
    proselint = ensure_proselint()
    if proselint is not None:
        # proselint walks a folder itself, for the same suffixes (.md, .txt): one process.
        tools.append(("proselint", [[str(proselint), "check", corpus]]))
        names["proselint"] = version([str(proselint), "version"])
    write_good = ensure_write_good()
    if write_good is not None:
        tools.append(("write-good", batches([str(write_good)], rel)))
        names["write-good"] = "write-good " + version([str(write_good), "--version"])
    if _run([str(draft), "lint", "--help"], capture_output=True).stdout.find(b"--jobs") < 0:
        tools = [t for t in tools if t[0] != "draft lint -j1"]  # before --jobs existed

    draft_cmd = tools[0][1]
    tools.insert(2, ("draft, no cache", draft_cmd))
    env_of = {"draft, no cache": NO_CACHE}
    if baseline is not None:
        tools.insert(1, ("draft baseline", draft_cmd))
        env_of["draft baseline"] = {**ENV, "PYTHONPATH": str(baseline)}
    for _, cmds in tools:  # warm-up: bytecode caches, drafter's cache, file-system cache
        wall(cmds, WORK)
    times: dict[str, list[float]] = {name: [] for name, _ in tools}
    for _ in range(ROUNDS):
        for name, cmds in tools:
            times[name].append(wall(cmds, WORK, env_of.get(name, ENV)))
    med = {name: statistics.median(ts) for name, ts in times.items()}

    print(f"\n{'tool':<16} {'version':<22} {'procs':>5} {'median s':>9} {'files/s':>9} "
          f"{'words/s':>11}  runs (s)")
    for name, cmds in tools:
        m = med[name]
        print(f"{name:<16} {names.get(name, names['draft lint']):<22} {len(cmds):>5} {m:>9.3f} "
              f"{len(files) / m:>9,.0f} {words / m:>11,.0f}  "
              + " ".join(f"{t:.3f}" for t in times[name]))
    base = med["draft lint"]
    print()
    for peer, goal in (("proselint", 8.0), ("write-good", 2.5)):
        if peer in med:
            ratio = med[peer] / base
            print(f"{peer} / draft lint = {ratio:.2f}x  (goal >= {goal:g}x: "
                  f"{'met' if ratio >= goal else 'NOT met'})")
    if baseline is not None and "draft baseline" in med:
        print(f"draft lint / draft baseline = {base / med['draft baseline']:.2f}x "
              f"(time of this code over the baseline's, same rounds)")
    for other, what in (("draft lint -j1", "one process"), ("draft, no cache", "cache off"),
                        ("draft baseline", "baseline code")):
        if other in med:
            for peer in ("proselint", "write-good"):
                if peer in med:
                    print(f"{peer} / {other} = {med[peer] / med[other]:.2f}x "
                          f"({what}, for reference)")

    one = next(p for p in files if p.suffix == ".md")
    single = [str(draft), "lint", "-q", str(one)]
    bare = [sys.executable, "-c", "pass"]
    peer_single = [str(proselint), "check", str(one)] if proselint is not None else None
    wall([single], WORK)
    if peer_single is not None:
        wall([peer_single], WORK)
    t_single: list[float] = []
    t_cold: list[float] = []
    t_bare: list[float] = []
    t_peer: list[float] = []
    t_base: list[float] = []
    base_env = {**ENV, "PYTHONPATH": str(baseline)} if baseline is not None else None
    for _ in range(SINGLE_RUNS):
        t_bare.append(wall([bare], WORK))
        t_single.append(wall([single], WORK))
        if base_env is not None:
            t_base.append(wall([single], WORK, base_env))
        t_cold.append(wall([single], WORK, NO_CACHE))
        if peer_single is not None:
            t_peer.append(wall([peer_single], WORK))
    s, b = statistics.median(t_single), statistics.median(t_bare)
    c = statistics.median(t_cold)
    tops, n_mods = imports_of(draft, one)
    print(f"\nsingle file: `draft lint {one.relative_to(WORK)}` {s * 1000:.1f} ms, "
          f"`python -c pass` {b * 1000:.1f} ms (medians of {SINGLE_RUNS}, side by side); "
          f"with the cache off {c * 1000:.1f} ms")
    if t_base:
        print(f"single file: baseline code {statistics.median(t_base) * 1000:.1f} ms")
    if t_peer:
        p = statistics.median(t_peer)
        print(f"single file: `proselint check` {p * 1000:.1f} ms; draft / proselint = "
              f"{s / p:.2f}x (floor <= 1.25x: {'met' if s / p <= 1.25 else 'NOT met'})")
    print(f"modules imported on that path: {n_mods}; heavy ones ({', '.join(HEAVY)}): "
          f"{', '.join(m for m in HEAVY if m in tops) or 'none'}; lighter ones it needs: "
          f"{', '.join(m for m in LIGHTER if m in tops) or 'none'}")


if __name__ == "__main__":
    main()
