"""What the JSON helpdesks share: a message body read as email is, dates, a note as HTML, and
the one guard every write passes through."""

from __future__ import annotations

import html
import re
from datetime import datetime, timezone

from drafter.helpdesk.base import HelpdeskError
from drafter.tickets.htmltext import html_to_text
from drafter.tickets.trim import trim


def read_body(html_body: str | None, plain: str | None = None) -> tuple[str, str]:
    """A message's text and its latest words: HTML to text (else the plain text), then quotes
    and signature trimmed, as an email is read."""
    body = html_to_text(html_body) if html_body and html_body.strip() else plain or ""
    body = body.replace("\r\n", "\n").strip("\n")
    return body, (trim(body).latest if body.strip() else "")


def iso(value: str | None) -> str | None:
    """A helpdesk's timestamp (`2026-12-07T10:00:00Z`) as ISO 8601 with an offset, or None."""
    if not value:
        return None
    try:
        when = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return (when if when.tzinfo else when.replace(tzinfo=timezone.utc)).isoformat()


def utc(when: datetime) -> str:
    """`when` as `2026-12-07T10:00:00Z` (a naive time is taken as UTC)."""
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc)
    return when.strftime("%Y-%m-%dT%H:%M:%SZ")


def note_html(text: str) -> str:
    """A plain-text note as HTML that keeps its lines (for helpdesks that take HTML notes)."""
    return "<p>" + "<br>\n".join(html.escape(line) for line in text.rstrip().split("\n")) + "</p>"


class WriteGuard:
    """The writes a connector may send, as (method, path pattern); anything else, a reply to
    the customer above all, is refused before it leaves."""

    def __init__(self, kind: str, *allowed: tuple[str, str]) -> None:
        self.kind = kind
        self.allowed = [(method, re.compile(pattern)) for method, pattern in allowed]

    def check(self, method: str, path: str) -> None:
        """Raise HelpdeskError unless `method path` is one of the allowed writes."""
        if method == "GET":
            return
        if not any(m == method and p.fullmatch(path) for m, p in self.allowed):
            raise HelpdeskError(f"drafter never sends {method} {path} to {self.kind}: it only "
                                "adds internal notes")
