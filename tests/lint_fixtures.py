"""Helpers for the lint tests: write files, run the linter with the real reviewer."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from drafter.lint.engine import Linter, LintOptions, LintResult
from drafter.lint.sources import discover
from drafter.review.finding import Finding
from drafter.review.reviewer import Reviewer
from drafter.styleguide import StyleGuide, load_styleguide

# Phrases that real catalogue rules flag, used to place findings precisely:
PLACEHOLDER = "[Customer Name]"  # HYG001 unfilled-placeholder, error
STOCK_APOLOGY = "We apologize for any inconvenience"  # EMP002 canned-apology, warning


@lru_cache(maxsize=1)
def guide() -> StyleGuide:
    """The shipped style guide (loaded once per test session)."""
    return load_styleguide()


def reviewer(select: Sequence[str] = ("HYG001",), ignore: Sequence[str] = ()) -> Reviewer:
    """The real reviewer, limited to `select` so that tests see only the findings they place."""
    return Reviewer(guide(), select=select, ignore=ignore)


def write(root: Path, files: Mapping[str, str | bytes]) -> None:
    """Create `files` (relative path -> content) below `root`."""
    for rel, content in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")


def lint(root: Path, files: Mapping[str, str | bytes] | None = None,
         select: Sequence[str] = ("HYG001",), **options: Any) -> LintResult:
    """Write `files` below `root`, lint the folder and return the result."""
    if files:
        write(root, files)
    opts = LintOptions(cwd=root, **options)
    return Linter(reviewer(select), opts).lint(discover([root]))


def where(result: LintResult, code: str | None = None) -> list[tuple[str, int, int, str]]:
    """(path, line, column, code) of each finding, optionally of one code only."""
    return [(f.path, f.line, f.column, f.code) for f in result.findings
            if code is None or f.code == code]


def placed(path: str, line: int, column: int, end_line: int, end_column: int, code: str,
           name: str, severity: Any, message: str, suggestion: str | None = None,
           fix: str | None = None, unit: str | None = None) -> Finding:
    """A finding placed in a file, as the linter makes them (offsets into the text left 0)."""
    return Finding(code, name, severity, message, 0, 0, line, column, suggestion, fix, path,
                   end_line, end_column, unit)
