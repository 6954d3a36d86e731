"""The reviewer's output: one `Finding` per problem, with a span into the reviewed text."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

Severity = Literal["error", "warning", "info"]
SEVERITY_RANK: dict[str, int] = {"info": 0, "warning": 1, "error": 2}


def at_or_above(severity: str, threshold: str) -> bool:
    """Return whether `severity` is at or above `threshold`."""
    return SEVERITY_RANK[severity] >= SEVERITY_RANK[threshold]


@dataclass(frozen=True)
class Finding:
    """One problem in a text: which rule, how bad, what and where, and a fix where one exists."""

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

    def to_dict(self) -> dict[str, Any]:
        """Return the finding as plain JSON-ready data."""
        return asdict(self)


def new_finding(code: str, name: str, severity: Severity, message: str, start: int, end: int,
                line: int, column: int, suggestion: str | None, fix: str | None) -> Finding:
    """`Finding(...)`, made the way the reviewer makes thousands: a frozen dataclass sets each
    field through object.__setattr__, this sets its dict at once (same object, same fields)."""
    f = object.__new__(Finding)
    object.__setattr__(f, "__dict__", {
        "code": code, "name": name, "severity": severity, "message": message, "start": start,
        "end": end, "line": line, "column": column, "suggestion": suggestion, "fix": fix})
    return f


def line_col(text: str, offset: int) -> tuple[int, int]:
    """Return the 1-based line and column of character `offset` in `text`."""
    line = text.count("\n", 0, offset) + 1
    last_nl = text.rfind("\n", 0, offset)
    return line, offset - last_nl
