"""The connector interface every helpdesk implements, ticket names, and internal notes."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from drafter.errors import EXIT_LLM, DrafterError, InputError
from drafter.tickets.model import Ticket

if TYPE_CHECKING:
    from drafter.helpdesk.config import HelpdeskConfig

LOCAL = "local"
_NAME = re.compile(r"(?:([a-z][a-z0-9_-]{0,30}):)?([A-Za-z0-9][A-Za-z0-9._-]{0,63})")
# The last line of every note drafter posts: which customer message the draft answers.
NOTE_MARKER = "drafter-note-for: "


class HelpdeskError(DrafterError):
    """Something the user can fix: a ticket that is not there, a missing right, a bad token."""


class HelpdeskUnavailable(DrafterError):
    """The helpdesk failed (errors, timeouts, dropped connections) after its retries."""

    exit_code = EXIT_LLM


@dataclass(frozen=True)
class TicketName:
    """A ticket's name with its source: `local:7` (the store) or `rt:123` (a helpdesk)."""

    source: str
    number: str

    def __str__(self) -> str:
        return f"{self.source}:{self.number}"

    @property
    def is_local(self) -> bool:
        """Whether the ticket lives in drafter's own store."""
        return self.source == LOCAL


def parse_ticket_name(text: str, helpdesk: str | None) -> TicketName:
    """Read `local:7`, `rt:123` or a bare `123` (the configured `helpdesk`, else the store)."""
    match = _NAME.fullmatch(text.strip())
    if match is None:
        raise InputError(f"{text!r} is not a ticket name",
                         hint="give a number (123), or a source and a number: local:7, rt:123")
    source, number = match.group(1), match.group(2)
    if source is None:
        source = helpdesk or LOCAL
    if source == LOCAL and not number.isdigit():
        raise InputError(f"{text!r}: tickets in the store are numbered",
                         hint="see the ticket ids with `draft tickets list`")
    if source != LOCAL and source != helpdesk:
        raise InputError(
            f"{text!r} names the helpdesk {source!r}, but "
            + (f"the configured helpdesk is {helpdesk!r}" if helpdesk else "no helpdesk is configured"),
            hint="set [helpdesk] kind and url in drafter.toml (see docs/helpdesk.md)")
    return TicketName(source, number)


@dataclass(frozen=True)
class Listed:
    """One ticket of a helpdesk listing, with what the helpdesk said of it there (`record`, the
    connector's own data, which its `fetch_listed` may use instead of asking again)."""

    number: str
    subject: str | None
    status: str
    updated: str | None  # ISO 8601
    record: object = field(default=None, compare=False, repr=False)


@dataclass(frozen=True)
class Check:
    """One line of `draft helpdesk check`: what was checked, whether it holds, what to do."""

    what: str
    ok: bool
    detail: str = ""


@dataclass(frozen=True)
class NoteResult:
    """What posting a note did: `posted` False means the same note was there already."""

    ticket: str
    posted: bool
    note_id: str | None = None


class Connector(ABC):
    """A helpdesk: read tickets, list them, add internal notes, check the rights drafter needs.

    There is deliberately no way to reply to a customer: a connector only ever adds notes that
    the team sees (RT: a comment). Subclasses are registered by `kind` (built in) or through
    the `drafter.helpdesks` entry point group (plugins); both are built with a HelpdeskConfig.
    """

    kind: ClassVar[str]

    def __init__(self, config: HelpdeskConfig) -> None:
        self.config = config

    @abstractmethod
    def fetch(self, number: str) -> Ticket:
        """Return the ticket with every message and internal note, oldest first.

        Customer messages have `from_customer`; notes have `internal`; `name` is `kind:number`.
        Raise HelpdeskError for a ticket that is not there (or deleted, or merged).
        """

    def fetch_listed(self, listed: Listed) -> Ticket:
        """Fetch a ticket that `list_tickets` yielded (as `fetch`; a connector whose listing
        says part of what `fetch` would ask may use it and send fewer requests)."""
        return self.fetch(listed.number)

    @abstractmethod
    def list_tickets(self, scope: str | None = None, since: datetime | None = None,
                     status: str | None = None) -> Iterator[Listed]:
        """Yield the tickets in `scope` (RT: a queue) updated after `since`, oldest first."""

    @abstractmethod
    def add_note(self, number: str, text: str) -> str | None:
        """Add `text` to the ticket as an internal note; return the note's id if known."""

    @abstractmethod
    def check(self) -> list[Check]:
        """Check the URL, the credentials and the rights to read tickets and add notes."""

    def may_add_note(self, number: str) -> bool | None:
        """Whether notes may be added to the ticket (None: cannot tell before trying); asked
        before drafting, so a missing right costs no model call."""
        return None

    def close(self) -> None:  # noqa: B027 - optional: a connector without connections has none
        """Release connections."""

    def __enter__(self) -> Connector:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def name(self, number: str) -> str:
        """The ticket's full name, e.g. `rt:123`."""
        return f"{self.kind}:{number}"

    def post_note(self, ticket: Ticket, text: str, *, force: bool = False) -> NoteResult:
        """Add `text` as an internal note unless a note for the same latest customer message is
        there already (`force` adds it anyway); the note ends with a line saying which."""
        assert ticket.name is not None
        if not force and self.has_note(ticket):
            return NoteResult(ticket.name, posted=False)
        number = ticket.name.split(":", 1)[1]
        return NoteResult(ticket.name, posted=True, note_id=self.add_note(
            number, f"{text.rstrip()}\n\n{note_marker(ticket)}\n"))

    def has_note(self, ticket: Ticket) -> bool:
        """Whether `ticket` holds drafter's note for its latest customer message already."""
        marker = note_marker(ticket)
        return any(m.internal and marker in m.body for m in ticket.messages)


def note_marker(ticket: Ticket) -> str:
    """The line that ties a note to the ticket's latest customer message."""
    latest = ticket.latest_customer_message
    if latest is None:
        raise HelpdeskError(f"{ticket.name} has no message from the customer to answer",
                            hint="drafter drafts replies to customers' messages")
    return NOTE_MARKER + (latest.message_id or latest.date or "")
