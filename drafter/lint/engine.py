"""Lint files: read them into units, review each unit, place findings in the source files."""

from __future__ import annotations

import gc
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from drafter.lint.rules import PARSE_ERROR
from drafter.lint.sources import Resolver, SourceFile, SourceOptions, display_of, read_source
from drafter.lint.suppress import prepare
from drafter.review.context import ReviewContext
from drafter.review.finding import SEVERITY_RANK, Finding, new_finding
from drafter.review.selection import RuleSelection

if TYPE_CHECKING:
    from drafter.lint.baseline import Baseline
    from drafter.review.reviewer import Coverage


_Item = tuple[Path, "str | None"]  # a file to lint, with its real path when known


class ReviewerLike(Protocol):
    """What the linter needs of drafter.review.reviewer.Reviewer."""

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]: ...


@dataclass(frozen=True)
class LintOptions:
    """Which findings count, and where: the reviewer's config applied to files."""

    # Applied here to the linter's own LNT codes, and its per-path ignores to every code (the
    # reviewer applies select, ignore and severity to its rules).
    selection: RuleSelection = field(default_factory=RuleSelection)
    sources: SourceOptions = field(default_factory=SourceOptions)
    baseline: Baseline | None = None
    cwd: Path | None = None
    review: bool = True  # False when the selection names only LNT codes
    keep_accepted: bool = True  # collect LintResult.accepted (for --write-baseline)
    # What the review of a text leaves unchecked in its language (the reviewer's coverage_of);
    # None: not reported.
    coverage: Callable[[str], Coverage] | None = None


@dataclass
class LintResult:
    """What a lint run found: findings to show, and the counts behind the summary."""

    findings: list[Finding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file checked, as displayed
    unreadable: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, why): not responses
    suppressed: int = 0  # hidden by inline comments
    baselined: int = 0  # hidden by the baseline
    # Every finding that a baseline may hold: (file, code, flagged text).
    accepted: list[tuple[Path, str, str]] = field(default_factory=list)
    # Per file and language, what its review left unchecked (only where something was).
    coverage: list[tuple[str, Coverage]] = field(default_factory=list)

    def add(self, other: LintResult) -> None:
        """Append `other`, the result of the files after these."""
        self.findings += other.findings
        self.files += other.files
        self.unreadable += other.unreadable
        self.skipped += other.skipped
        self.suppressed += other.suppressed
        self.baselined += other.baselined
        self.accepted += other.accepted
        self.coverage += other.coverage

    def exit_code(self, fail_on: str) -> int:
        """2 if a file was unreadable, else 1 if a finding is at or above `fail_on`, else 0."""
        if self.unreadable:
            return 2
        rank = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[f.severity] >= rank for f in self.findings) else 0


class Linter:
    """Lint files with one reviewer and one set of options."""

    def __init__(self, reviewer: ReviewerLike, options: LintOptions = LintOptions()) -> None:
        self.reviewer = reviewer
        self.options = options

    def lint(self, files: Sequence[Path], jobs: int = 1,
             real_paths: Sequence[str] | None = None) -> LintResult:
        """Lint `files` (already discovered) and return the result.

        `jobs` > 1 lints in that many processes (0: one per CPU core, for runs large enough to
        gain from it) where processes start by fork; the result is the same as in one process.
        `real_paths`, if given, are the files' real paths (as `discover_real` finds them):
        then no file is resolved again.
        """
        items: list[_Item] = (list(zip(files, real_paths, strict=True)) if real_paths is not None
                              else [(f, None) for f in files])
        workers = _workers(jobs, len(items))
        if workers > 1:
            return self._lint_parallel(_chunks(items, workers), workers)
        return self.lint_chunk(items)

    def lint_chunk(self, items: Sequence[_Item]) -> LintResult:
        """Lint `items` in this process: findings in the order of the files, then by place."""
        result = LintResult()
        resolve = Resolver()
        real_cwd = os.path.realpath(self.options.cwd if self.options.cwd is not None
                                    else Path.cwd())
        for path, real in items:
            display = display_of(path, resolve(path) if real is None else real, real_cwd)
            self._file(read_source(path, display, self.options.sources), result)
        order = {p: i for i, p in enumerate(result.files)}
        result.findings.sort(key=lambda f: (order.get(f.path or "", 0), f.line, f.column,
                                            f.code))
        return result

    def _lint_parallel(self, chunks: list[list[_Item]], workers: int) -> LintResult:
        """Lint the first chunk here, then the others in `workers` forked processes; a chunk
        that a worker could not finish (it died, or none could start) is linted here."""
        from concurrent.futures import ProcessPoolExecutor
        from concurrent.futures.process import BrokenProcessPool
        from multiprocessing import get_context

        # First, in this process: what the rules build on first use (compiled phrase lists)
        # is built once, before the workers are forked, instead of once in each.
        parts: list[LintResult | None] = [self.lint_chunk(chunks[0])]
        parts += [None] * (len(chunks) - 1)
        # What exists now stays out of the workers' garbage collections, which would otherwise
        # walk (and so copy) every page they share with this process (see gc.freeze).
        gc.freeze()
        try:
            pool = ProcessPoolExecutor(workers, mp_context=get_context("fork"),
                                       initializer=_start_worker, initargs=(self,))
            try:
                futures = [pool.submit(_lint_in_worker, chunk) for chunk in chunks[1:]]
                for i, future in enumerate(futures, 1):
                    parts[i] = future.result()
            finally:
                pool.shutdown(cancel_futures=True)
        except (BrokenProcessPool, OSError):
            pass  # a worker died, or none could start: what is left is linted here
        finally:
            gc.unfreeze()
        result = LintResult()
        for chunk, part in zip(chunks, parts, strict=True):
            result.add(part if part is not None else self.lint_chunk(chunk))
        return result

    def _file(self, sf: SourceFile, result: LintResult) -> None:
        if sf.skipped is not None:
            result.skipped.append((sf.display, sf.skipped))
            return
        result.files.append(sf.display)
        if sf.unreadable:
            result.unreadable.append(sf.display)
        sel = self.options.selection
        baseline = self.options.baseline
        keep = self.options.keep_accepted
        for p in sf.problems:
            if p.code != PARSE_ERROR:  # always reported, as it is
                if not sel.selected(p.code, p.name) or sel.ignored_in(sf.display, p.code, p.name):
                    continue
                if keep or baseline is not None:
                    snippet = sf.source.line_text(p.line) if sf.source else ""
                    if keep:
                        result.accepted.append((sf.path, p.code, snippet))
                    if baseline is not None and baseline.consume(sf.path, p.code, snippet):
                        result.baselined += 1
                        continue
                severity = sel.severity_of(p.code, p.name, p.severity)
                if severity != p.severity:
                    p = replace(p, severity=severity)
            result.findings.append(p)
        if sf.source is None or not self.options.review:
            return
        per_path = bool(sel.per_path_ignores)
        noted: set[str] = set()
        for unit in sf.units:
            prepared = prepare(unit)
            if self.options.coverage is not None:
                covered = self.options.coverage(prepared.text)
                if covered.rules and covered.language not in noted:
                    noted.add(covered.language)
                    result.coverage.append((sf.display, covered))
            sup = prepared.suppressions
            directives = bool(sup.events or sup.next_lines)
            offsets = prepared.offsets
            for f in self.reviewer.review(prepared.text, unit.context):
                start, end, code = f.start, f.end, f.code
                if per_path and sel.ignored_in(sf.display, code, f.name):
                    continue
                if directives and sup.suppressed(code, f.name, prepared.origin[start]):
                    result.suppressed += 1
                    continue
                if keep or baseline is not None:
                    snippet = prepared.text[start:end]
                    if keep:
                        result.accepted.append((sf.path, code, snippet))
                    if baseline is not None and (
                            baseline.consume(sf.path, code, snippet)
                            or (f.parts is not None and baseline.consume_all(
                                sf.path, code, [prepared.text[a:b] for a, b in f.parts]))):
                        result.baselined += 1
                        continue
                line, col = sf.source.position(offsets[start])
                end_line, end_col = sf.source.position(offsets[end - 1] + 1) if end > start \
                    else (line, col)
                result.findings.append(new_finding(
                    code, f.name, f.severity, f.message, start, end, line, col, f.suggestion,
                    f.fix, sf.display, end_line, end_col, unit.name, f.parts))


_PARALLEL_MIN_FILES = 64  # below this, starting workers costs more than it saves


def _workers(jobs: int, n_files: int) -> int:
    """How many worker processes to lint `n_files` with (1: lint in this process)."""
    if jobs == 1 or n_files < 2 or (jobs <= 0 and n_files < _PARALLEL_MIN_FILES):
        return 1
    import multiprocessing

    # Workers are forked (they inherit the built reviewer): only where fork is the default
    # way to start a process, as it is on Linux (not macOS or Windows).
    if multiprocessing.get_start_method() != "fork":
        return 1
    if jobs <= 0:
        jobs = (len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity")
                else os.cpu_count() or 1)
    return max(1, min(jobs, n_files))


def _chunks(files: Sequence[_Item], workers: int) -> list[list[_Item]]:
    """The files in chunks for the workers: up to 64 files, smaller towards the end (a quarter
    of what is left per worker), so that the workers finish at about the same time."""
    out = []
    i = 0
    while i < len(files):
        size = max(4, min(64, (len(files) - i) // (workers * 4)))
        out.append(list(files[i:i + size]))
        i += size
    return out


_worker_linter: Linter | None = None  # the linter a worker process was forked with


def _start_worker(linter: Linter) -> None:
    """Keep the forked linter for `_lint_in_worker`; leave Ctrl-C to the main process."""
    import signal

    global _worker_linter
    _worker_linter = linter
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _lint_in_worker(items: Sequence[_Item]) -> LintResult:
    assert _worker_linter is not None, "called outside a worker started by _start_worker"
    return _worker_linter.lint_chunk(items)
