"""Lint files: read them into units, review each unit, place findings in the source files."""

from __future__ import annotations

import contextlib
import fnmatch
import gc
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from drafter.lint.rules import PARSE_ERROR
from drafter.lint.sources import (
    Resolver,
    SourceFile,
    SourceOptions,
    display_of,
    read_source,
)
from drafter.lint.suppress import prepare
from drafter.review.context import ReviewContext
from drafter.review.finding import SEVERITY_RANK

if TYPE_CHECKING:
    from drafter.lint.baseline import Baseline
    from drafter.review.reviewer import Flag


_Item = tuple[Path, "str | None"]  # a file to lint, with its real path when known


class ReportItems(Protocol):
    """Report items written during a parallel lint, by the process that lints the finding
    (drafter.lint.report's JsonItems and TextItems), kept by id(finding)."""

    def render(self, finding: LintFinding) -> str | None: ...

    def __setitem__(self, key: int, value: str, /) -> None: ...


class ReviewerLike(Protocol):
    """What the linter needs of drafter.review.reviewer.Reviewer."""

    def flags(self, text: str, context: ReviewContext | None = None) -> list[Flag]: ...


@dataclass(frozen=True)
class LintFinding:
    """A finding placed in a file: what `draft lint` reports (see docs/lint.md for the schema)."""

    path: str
    line: int
    column: int
    end_line: int
    end_column: int  # exclusive, like SARIF's endColumn
    code: str
    name: str
    severity: str
    message: str
    suggestion: str | None = None
    fix: str | None = None
    unit: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as JSON-ready data."""
        return {k: getattr(self, k) for k in _FINDING_FIELDS}

    @classmethod
    def from_values(cls, values: Sequence[Any]) -> LintFinding:
        """The finding whose fields (in order) are `values`, as `_values` gives them.

        Frozen dataclasses set each field through object.__setattr__; filling the instance
        dict at once is several times faster for the thousands a worker sends back.
        """
        f = object.__new__(cls)
        f.__dict__.update(zip(_FINDING_FIELDS, values, strict=True))
        return f


_FINDING_FIELDS = tuple(f.name for f in fields(LintFinding))
_values = attrgetter(*_FINDING_FIELDS)  # finding -> tuple of its fields


@dataclass(frozen=True)
class LintOptions:
    """Which findings count, and where: the reviewer's config applied to files."""

    select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    severity: Mapping[str, str] = field(default_factory=dict)
    per_path_ignores: Mapping[str, Sequence[str]] = field(default_factory=dict)
    sources: SourceOptions = field(default_factory=SourceOptions)
    baseline: Baseline | None = None
    cwd: Path | None = None
    review: bool = True  # False when --select names only LNT codes
    keep_accepted: bool = True  # collect LintResult.accepted (for --write-baseline)


@dataclass
class LintResult:
    """What a lint run found: findings to show, and the counts behind the summary."""

    findings: list[LintFinding] = field(default_factory=list)
    files: list[str] = field(default_factory=list)  # every file checked, as displayed
    unreadable: list[str] = field(default_factory=list)
    suppressed: int = 0  # hidden by inline comments
    baselined: int = 0  # hidden by the baseline
    # Every finding that a baseline may hold: (file, code, flagged text).
    accepted: list[tuple[Path, str, str]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """Return the number of shown findings per severity."""
        out = {"error": 0, "warning": 0, "info": 0}
        for f in self.findings:
            out[f.severity] += 1
        return out

    def exit_code(self, fail_on: str) -> int:
        """2 if a file was unreadable, else 1 if a finding is at or above `fail_on`, else 0."""
        if self.unreadable:
            return 2
        rank = SEVERITY_RANK[fail_on]
        return 1 if any(SEVERITY_RANK[f.severity] >= rank for f in self.findings) else 0


def entry_matches(entry: str, code: str, name: str) -> bool:
    """Whether a select/ignore entry (a code, a code prefix, a rule name or ALL) names a rule."""
    e = entry.strip()
    return e.upper() == "ALL" or code.startswith(e.upper()) or e.lower() == name


def _matches(code: str, name: str, entries: Sequence[str]) -> bool:
    return any(entry_matches(e, code, name) for e in entries)


def path_matches(display: str, pattern: str) -> bool:
    """Whether a file (as displayed) matches a per-path glob (`*` also crosses folders)."""
    name = display.rsplit("/", 1)[-1]
    pattern = pattern.removeprefix("./")
    return (fnmatch.fnmatchcase(display, pattern) or fnmatch.fnmatchcase(name, pattern)
            or (pattern.startswith("**/") and fnmatch.fnmatchcase(display, pattern[3:]))
            or fnmatch.fnmatchcase(display, pattern.rstrip("/") + "/*"))


class Linter:
    """Lint files with one reviewer and one set of options."""

    def __init__(self, reviewer: ReviewerLike, options: LintOptions = LintOptions()) -> None:
        self.reviewer = reviewer
        self.options = options

    def severity_of(self, code: str, default: str) -> str:
        """The severity of `code` after overrides (longest matching prefix wins)."""
        best = ""
        for key in self.options.severity:
            if code.startswith(key) and len(key) > len(best):
                best = key
        return self.options.severity[best] if best else default

    def wanted(self, code: str, name: str, display: str) -> bool:
        """Whether findings of rule `code` in the file `display` are reported at all.

        select/ignore are applied here to the linter's own LNT codes only (the reviewer applies
        them to its rules); per-path ignores apply to every code. LNT001 is always reported.
        """
        if code == PARSE_ERROR:
            return True
        o = self.options
        if code.startswith("LNT"):
            if o.select and not _matches(code, name, o.select):
                return False
            if _matches(code, name, o.ignore):
                return False
        return not any(path_matches(display, pat) and _matches(code, name, codes)
                       for pat, codes in o.per_path_ignores.items())

    def lint(self, files: Sequence[Path], jobs: int = 1,
             report: ReportItems | None = None,
             real_paths: Sequence[str] | None = None) -> LintResult:
        """Lint `files` (already discovered) and return the result.

        `jobs` > 1 lints in that many processes (0: one per CPU core, for runs large enough to
        gain from it); the result is the same as in one process. `report`, if given, gets each
        finding's report item written by the process that linted it (so that the report's
        writing is shared out too); in one process it is not used.
        `real_paths`, if given, are the files' real paths (as `discover_real` finds them):
        then no file is resolved again.
        """
        items: list[_Item] = (list(zip(files, real_paths, strict=True)) if real_paths is not None
                              else [(f, None) for f in files])
        workers = _workers(jobs, len(items))
        if workers > 1:
            # Each chunk is sorted, and the chunks are joined in the order of the files.
            return self._lint_parallel(items, workers, report)
        return _sorted(self._lint_files(items))

    def _lint_files(self, items: Sequence[_Item]) -> LintResult:
        result = LintResult()
        resolve = Resolver()
        real_cwd = os.path.realpath(self.options.cwd if self.options.cwd is not None
                                    else Path.cwd())
        for path, real in items:
            display = display_of(path, resolve(path) if real is None else real, real_cwd)
            self._file(read_source(path, display, self.options.sources), result)
        return result

    def _lint_parallel(self, items: Sequence[_Item], workers: int,
                       report: ReportItems | None = None) -> LintResult:
        """Lint in this process and `workers` - 1 forked ones, which take chunks of the files
        in turn from a shared pipe of tickets until none is left: the work balances itself,
        and no process sits idle while the others lint (on 2 cores, 2 processes, not 3)."""
        from drafter.review import checks

        chunks = _chunks(items, workers)
        parts: dict[int, LintResult] = {}
        warm = checks.regexes_cached()
        if not warm:
            # The first chunk is linted here: that compiles the phrase regexes the library
            # needs once, before the workers are forked, instead of once in every worker.
            parts[0] = self._chunk(chunks[0], report)
        tickets, feed = os.pipe()
        try:
            # Written at once, before any process reads: small enough for the pipe's buffer.
            os.write(feed, b"".join(i.to_bytes(2, "little")
                                    for i in range(len(parts), len(chunks))))
        finally:
            os.close(feed)
        children: list[_Worker] = []
        # Objects that exist now stay out of the workers' garbage collections, which would
        # otherwise walk (and so copy) every page inherited from this process.
        gc.freeze()
        try:
            for _ in range(workers - 1):
                try:
                    children.append(_Worker.fork(self, chunks, tickets,
                                                 report.render if report is not None else None))
                except OSError:  # no process or pipe to be had: lint with those there are
                    break
            while (idx := _ticket(tickets)) is not None:
                parts[idx] = self._chunk(chunks[idx], report)
                for child in children:
                    child.receive(parts, report, block=False)
            for child in children:
                child.receive(parts, report, block=True)
        finally:
            os.close(tickets)
            for child in children:
                child.stop()
            gc.unfreeze()
        result = LintResult()
        for idx, chunk in enumerate(chunks):
            # A chunk whose worker died before sending it back is linted here.
            part = parts.get(idx) or self._chunk(chunk, report)
            result.findings += part.findings
            result.files += part.files
            result.unreadable += part.unreadable
            result.suppressed += part.suppressed
            result.baselined += part.baselined
            result.accepted += part.accepted
        if not warm:
            # So that the next run finds them all in the cache (the workers' is not kept).
            checks.compile_all_for_cache()
        return result

    def _chunk(self, items: Sequence[_Item], report: ReportItems | None) -> LintResult:
        part = _sorted(self._lint_files(items))
        if report is not None:
            render = report.render
            for f in part.findings:
                text = render(f)
                if text is not None:
                    report[id(f)] = text
        return part

    def _file(self, sf: SourceFile, result: LintResult) -> None:
        result.files.append(sf.display)
        if sf.unreadable:
            result.unreadable.append(sf.display)
        baseline = self.options.baseline
        keep = self.options.keep_accepted
        for p in sf.problems:
            if not self.wanted(p.code, p.name, sf.display):
                continue
            severity = p.severity if p.code == PARSE_ERROR else self.severity_of(p.code, p.severity)
            if p.code != PARSE_ERROR and (keep or baseline is not None):
                snippet = sf.source.line_text(p.line) if sf.source else ""
                if keep:
                    result.accepted.append((sf.path, p.code, snippet))
                if baseline is not None and baseline.consume(sf.path, p.code, snippet):
                    result.baselined += 1
                    continue
            result.findings.append(LintFinding(
                sf.display, p.line, p.column, p.end_line, p.end_column, p.code, p.name,
                severity, p.message, None, p.fix, p.unit))
        if sf.source is None or not self.options.review:
            return
        o = self.options
        # Most runs have no per-path ignores or severity overrides, most texts no inline
        # directives: then each finding needs no look at them.
        filtered = bool(o.select or o.ignore or o.per_path_ignores)
        for unit in sf.units:
            prepared = prepare(unit)
            sup = prepared.suppressions
            directives = bool(sup.events or sup.next_lines)
            offsets = prepared.offsets
            for start, end, code, name, severity, message, suggestion, fix in \
                    self.reviewer.flags(prepared.text, unit.context):
                if filtered and not self.wanted(code, name, sf.display):
                    continue
                if directives and sup.suppressed(code, name, prepared.origin[start]):
                    result.suppressed += 1
                    continue
                if keep or baseline is not None:
                    snippet = prepared.text[start:end]
                    if keep:
                        result.accepted.append((sf.path, code, snippet))
                    if baseline is not None and baseline.consume(sf.path, code, snippet):
                        result.baselined += 1
                        continue
                at = offsets[start]
                line, col = sf.source.position(at)
                end_line, end_col = sf.source.position(offsets[end - 1] + 1) if end > start \
                    else (line, col)
                result.findings.append(LintFinding.from_values((
                    sf.display, line, col, end_line, end_col, code, name,
                    self.severity_of(code, severity) if o.severity else severity, message,
                    suggestion, fix, unit.name)))


def _sorted(result: LintResult) -> LintResult:
    """`result` with its findings in the order of its files, then by place and code."""
    order = {p: i for i, p in enumerate(result.files)}
    result.findings.sort(key=lambda f: (order.get(f.path, 0), f.line, f.column, f.code))
    return result


_T = TypeVar("_T")
_PARALLEL_MIN_FILES = 64  # below this, starting workers costs more than it saves


def _workers(jobs: int, n_files: int) -> int:
    """How many worker processes to lint `n_files` with (1: lint in this process)."""
    # Workers are forked (they inherit the built reviewer): only where fork exists.
    if jobs == 1 or n_files < 2 or not hasattr(os, "fork"):
        return 1
    if jobs <= 0:
        if n_files < _PARALLEL_MIN_FILES:
            return 1
        try:
            cores = len(os.sched_getaffinity(0))
        except AttributeError:  # pragma: no cover - not on Linux
            cores = os.cpu_count() or 1
        # One per core, busy or not: the scheduler shares a busy machine out per process, so
        # on 2 cores kept busy by 2 to 4 other processes 2 workers still beat 1 (2.1 vs 2.7 s,
        # 3.5 vs 5.2 s on the benchmark corpus).
        jobs = cores
    return max(1, min(jobs, n_files))


# Their tickets, 2 bytes each, are written to a pipe at once before anyone reads: 4,000 bytes
# fit even a pipe of one page, which Linux gives a user over its pipe-user-pages-soft limit.
_MAX_CHUNKS = 2000


def _chunks(files: Sequence[_T], workers: int) -> list[list[_T]]:
    """The files in chunks for the workers: up to 64 files, smaller towards the end (a quarter
    of what is left per worker), so that the workers finish at about the same time; in a run
    too large for that many chunks (_MAX_CHUNKS), chunks of one size."""
    out = []
    i = 0
    while i < len(files):
        size = max(4, min(64, (len(files) - i) // (workers * 4)))
        out.append(list(files[i:i + size]))
        i += size
    if len(out) <= _MAX_CHUNKS:
        return out
    size = -(-len(files) // _MAX_CHUNKS)
    return [list(files[i:i + size]) for i in range(0, len(files), size)]


def _ticket(fd: int) -> int | None:
    """The next chunk to lint from the pipe of tickets (None: all are taken)."""
    got = os.read(fd, 2)
    if len(got) == 1:  # not seen: a pipe hands out the 2 bytes of a ticket together
        got += os.read(fd, 1)
    return int.from_bytes(got, "little") if got else None


class _Worker:
    """A forked process that lints chunks and sends each back through a pipe as it is done."""

    def __init__(self, pid: int, fd: int) -> None:
        self.pid = pid
        self.fd = fd
        self.buffer = bytearray()
        self.running = True

    @classmethod
    def fork(cls, linter: Linter, chunks: Sequence[Sequence[_Item]], tickets: int,
             render: Callable[[LintFinding], str | None] | None) -> _Worker:
        """Start a worker that takes tickets from `tickets` until none is left."""
        import pickle
        import signal

        fd, out = os.pipe()
        if hasattr(fcntl := _fcntl(), "F_SETPIPE_SZ"):
            # A worker writes a chunk's findings (100 KB and more) at once, and the main
            # process reads only between its own chunks: with Linux's default of 64 KiB the
            # worker would wait for it.
            # Over the limit a user may set (/proc/sys/fs/pipe-max-size): the default stays.
            with contextlib.suppress(OSError):
                fcntl.fcntl(out, fcntl.F_SETPIPE_SZ, 1 << 20)
        try:
            pid = os.fork()
        except OSError:
            os.close(fd)
            os.close(out)
            raise
        if pid == 0:  # the worker: it never returns, and leaves no trace on stderr
            status = 1
            try:
                os.close(fd)
                # Ctrl-C reaches the whole process group: the main process handles it.
                signal.signal(signal.SIGINT, signal.SIG_IGN)
                while (idx := _ticket(tickets)) is not None:
                    part = _sorted(linter._lint_files(chunks[idx]))
                    data = pickle.dumps((
                        # Plain tuples and strings: pickled and unpickled far faster than
                        # dataclasses and Paths.
                        idx, [_values(f) for f in part.findings],
                        [render(f) for f in part.findings] if render is not None else None,
                        part.files, part.unreadable, part.suppressed, part.baselined,
                        [(str(p), c, t) for p, c, t in part.accepted]), pickle.HIGHEST_PROTOCOL)
                    _write_all(out, len(data).to_bytes(4, "little") + data)
                status = 0
            finally:
                os._exit(status)
        os.close(out)
        os.set_blocking(fd, False)
        return cls(pid, fd)

    def receive(self, parts: dict[int, LintResult], report: ReportItems | None,
                block: bool) -> None:
        """Take the chunks this worker has sent back into `parts` (`block`: wait for all)."""
        import pickle

        if not self.running:
            return
        if block:
            os.set_blocking(self.fd, True)
        while True:
            try:
                got = os.read(self.fd, 1 << 20)
            except BlockingIOError:
                break
            if not got:
                self.stop()
                break
            self.buffer += got
        buf = self.buffer
        at = 0
        while len(buf) - at >= 4:
            size = int.from_bytes(buf[at:at + 4], "little")
            if len(buf) - at - 4 < size:
                break
            (idx, values, texts, files, unreadable, suppressed, baselined, accepted
             ) = pickle.loads(buf[at + 4:at + 4 + size])
            at += 4 + size
            found = list(map(LintFinding.from_values, values))
            if report is not None and texts is not None:
                for f, text in zip(found, texts, strict=True):
                    if text is not None:
                        report[id(f)] = text
            parts[idx] = LintResult(found, files, unreadable, suppressed, baselined,
                                    [(Path(p), c, t) for p, c, t in accepted])
        del buf[:at]

    def stop(self) -> None:
        """Wait for the worker to end (ending it first if it still runs)."""
        if self.running:
            import signal

            self.running = False
            os.close(self.fd)
            # At its end already (EOF seen), unless stopped early; not reaped yet, so its pid is
            # still its own.
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)


def _fcntl() -> Any:
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        return None
    return fcntl


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view):]
