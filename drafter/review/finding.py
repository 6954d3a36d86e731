"""The reviewer's output: one `Finding` per problem, with a span into the reviewed text."""

from __future__ import annotations

from dataclasses import dataclass, fields
from operator import attrgetter
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


def at_or_above(severity: str, threshold: str) -> bool:
    """Return whether `severity` is at or above `threshold`."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True)
class Finding:
    """One problem: which rule, how bad, what and where, and a fix where one exists.

    The reviewer places it in the reviewed text (`start`/`end`, `line`/`column`); the linter
    places it in a file as well: `path`, `line`/`column` to `end_line`/`end_column` there, and
    the `unit` (the canned response) it is in.
    """

    code: str
    name: str
    severity: Severity
    message: str
    start: int  # character offsets into the reviewed text, end exclusive
    end: int
    line: int  # 1-based
    column: int  # 1-based, in characters
    suggestion: str | None = None  # replacement text for [start, end)
    fix: str | None = None  # short "what to do" title
    path: str | None = None  # the file, as displayed (linter only)
    end_line: int | None = None  # where the span ends in the file (linter only)
    end_column: int | None = None  # exclusive, like SARIF's endColumn
    unit: str | None = None  # the canned response's name, where it has one (linter only)
    # The spans of the findings gathered into this one ("4 hedges in one sentence"): a
    # baseline written before findings were gathered still hides it (lint/baseline.py).
    parts: tuple[tuple[int, int], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """The finding as JSON-ready data: the 10 keys of `draft review --format json`, or for
        a finding in a file the 12 of `draft lint --format json` (docs/lint.md)."""
        if self.path is None:
            return {"code": self.code, "name": self.name, "severity": self.severity,
                    "message": self.message, "start": self.start, "end": self.end,
                    "line": self.line, "column": self.column, "suggestion": self.suggestion,
                    "fix": self.fix}
        return {"path": self.path, "line": self.line, "column": self.column,
                "end_line": self.end_line, "end_column": self.end_column, "code": self.code,
                "name": self.name, "severity": self.severity, "message": self.message,
                "suggestion": self.suggestion, "fix": self.fix, "unit": self.unit}

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled as its values (findings come back from the lint workers by the thousand):
        # half the size and a quarter of the time of pickling its attribute dict.
        return new_finding, _values(self)


_values = attrgetter(*(f.name for f in fields(Finding)))


def new_finding(code: str, name: str, severity: Severity, message: str, start: int, end: int,
                line: int, column: int, suggestion: str | None, fix: str | None,
                path: str | None = None, end_line: int | None = None,
                end_column: int | None = None, unit: str | None = None,
                parts: tuple[tuple[int, int], ...] | None = None) -> Finding:
    """`Finding(...)`, made the way the reviewer and the linter make thousands: a frozen
    dataclass sets each field through object.__setattr__, this sets its dict at once (same
    object, same fields)."""
    f = object.__new__(Finding)
    object.__setattr__(f, "__dict__", {
        "code": code, "name": name, "severity": severity, "message": message, "start": start,
        "end": end, "line": line, "column": column, "suggestion": suggestion, "fix": fix,
        "path": path, "end_line": end_line, "end_column": end_column, "unit": unit,
        "parts": parts})
    return f


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of character `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    last_nl = text.rfind("\n", 0, offset)
    return line, offset - last_nl
