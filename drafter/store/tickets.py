"""Tickets and their messages in the store, threaded by Message-ID, In-Reply-To and References."""

from __future__ import annotations

import builtins
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from drafter.errors import InputError
from drafter.store.database import Database, now
from drafter.tickets.model import Attachment, Message, Ticket, message_key

if TYPE_CHECKING:
    from drafter.tickets.importers import Found

STATUSES = ("open", "pending", "closed")


@dataclass
class ImportReport:
    """What one import did: counts, the tickets it touched, and the files that failed."""

    new_tickets: int = 0
    new_messages: int = 0
    duplicates: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
    seen: set[int] = field(init=False, repr=False)  # ticket_ids, for a linear import

    def __post_init__(self) -> None:
        self.seen = set(self.ticket_ids)

    def add(self, other: ImportReport) -> None:
        """Add another report's counts to this one."""
        self.new_tickets += other.new_tickets
        self.new_messages += other.new_messages
        self.duplicates += other.duplicates
        for ticket_id in other.ticket_ids:
            self.touched(ticket_id)
        self.failed.extend(other.failed)

    def touched(self, ticket_id: int) -> None:
        """Record that the import stored a message in this ticket."""
        if ticket_id not in self.seen:
            self.seen.add(ticket_id)
            self.ticket_ids.append(ticket_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "new_tickets": self.new_tickets,
            "new_messages": self.new_messages,
            "duplicates": self.duplicates,
            "ticket_ids": self.ticket_ids,
            "failed": [{"file": f, "reason": r} for f, r in self.failed],
        }


@dataclass(frozen=True)
class TicketSummary:
    """One line of `draft tickets list`."""

    id: int
    subject: str | None
    customer_name: str | None
    customer_address: str | None
    channel: str
    status: str
    messages: int
    last_date: str | None
    updated_at: str
    name: str | None = None  # its helpdesk name (rt:123) when synced from one

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return dict(self.__dict__)


def _timestamp(date: str | None) -> float | None:
    if not date:
        return None
    try:
        parsed = datetime.fromisoformat(date)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.timestamp()


class Tickets(Database):
    """The tickets repository: import, read, list, select and set the status of tickets."""

    # --- import ---------------------------------------------------------------------------

    def import_found(self, found: Iterable[Found]) -> ImportReport:
        """Store what the readers found (each file's emails, JSON tickets and failures)."""
        report = ImportReport()
        for item in found:
            report.failed.extend(item.failed)
            if item.messages:
                report.add(self.import_messages(item.messages))
            with self.transaction():  # a file's tickets in one commit, not one each
                for external_id, ticket in item.tickets:
                    report.add(self.import_ticket(ticket, external_id))
        return report

    def import_messages(self, messages: Iterable[Message]) -> ImportReport:
        """Store messages, threading each into a ticket by In-Reply-To / References; idempotent."""
        report = ImportReport()
        batch = list(enumerate(messages))
        # Oldest first, so a reply finds its parent when both come in the same batch.
        batch.sort(key=lambda item: (_timestamp(item[1].date) or float("inf"), item[0]))
        with self.transaction():
            for _, message in batch:
                self._import_one(message, report)
        return report

    def _import_one(self, message: Message, report: ImportReport) -> None:
        key = message_key(message)
        if self._known(key):
            report.duplicates += 1
            return
        ticket_id = self._find_thread(key, message)
        if ticket_id is None:
            ticket_id = self._new_ticket(
                subject=message.subject, name=message.sender_name,
                address=message.sender_address, channel="email", status="open", tags=[],
                external_id=None, date=message.date,
            )
            report.new_tickets += 1
            from_customer = True
        else:
            row = self.db.execute("SELECT customer_address FROM tickets WHERE id = ?",
                                  (ticket_id,)).fetchone()
            customer = (row["customer_address"] or "").lower()
            from_customer = bool(customer) and (message.sender_address or "").lower() == customer
        self._insert_message(ticket_id, key, message, from_customer)
        report.new_messages += 1
        report.touched(ticket_id)

    def import_ticket(self, ticket: Ticket, external_id: str | None = None) -> ImportReport:
        """Store a ticket with its messages as given (roles included); idempotent by message id."""
        report = ImportReport()
        with self.transaction():
            ticket_id = None
            if external_id is not None:
                row = self.db.execute("SELECT id FROM tickets WHERE external_id = ?",
                                      (external_id,)).fetchone()
                ticket_id = row["id"] if row else None
            keys = [message_key(m) for m in ticket.messages]
            if ticket_id is None:
                for key in keys:
                    row = self.db.execute("SELECT ticket_id FROM messages WHERE message_id = ?",
                                          (key,)).fetchone()
                    if row:
                        ticket_id = row["ticket_id"]
                        break
            if ticket_id is None:
                first = ticket.messages[0] if ticket.messages else None
                ticket_id = self._new_ticket(
                    subject=ticket.subject or (first.subject if first else None),
                    name=ticket.customer_name, address=ticket.customer_address,
                    channel=ticket.channel, status=ticket.status, tags=ticket.tags,
                    external_id=external_id, date=first.date if first else None,
                    language=ticket.language,
                )
                report.new_tickets += 1
            for key, message in zip(keys, ticket.messages, strict=True):
                if self._known(key):
                    report.duplicates += 1
                    continue
                self._insert_message(ticket_id, key, message, message.from_customer)
                report.new_messages += 1
            report.ticket_ids.append(ticket_id)
        return report

    def _known(self, key: str) -> bool:
        return self.db.execute("SELECT 1 FROM messages WHERE message_id = ?",
                               (key,)).fetchone() is not None

    def _find_thread(self, key: str, message: Message) -> int | None:
        parents = [message.in_reply_to, *reversed(message.references)]
        for parent in parents:
            if not parent:
                continue
            row = self.db.execute("SELECT ticket_id FROM messages WHERE message_id = ?",
                                  (parent.strip(),)).fetchone()
            if row:
                return int(row["ticket_id"])
        # A reply stored before the message it answers (files imported out of order).
        row = self.db.execute(
            "SELECT ticket_id FROM messages WHERE in_reply_to = ? UNION "
            "SELECT m.ticket_id FROM message_refs r JOIN messages m ON m.id = r.message "
            "WHERE r.ref = ? LIMIT 1",
            (key, key),
        ).fetchone()
        return int(row[0]) if row else None

    def _new_ticket(self, *, subject: str | None, name: str | None, address: str | None,
                    channel: str, status: str, tags: Sequence[str], external_id: str | None,
                    date: str | None, language: str | None = None) -> int:
        stamp = now()
        cur = self.db.execute(
            "INSERT INTO tickets (subject, customer_name, customer_address, channel, status, tags,"
            " external_id, created_at, updated_at, language) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (subject, name, address.lower() if address else None, channel, status,
             json.dumps(list(tags)), external_id, date or stamp, stamp, language),
        )
        return int(cur.lastrowid or 0)

    def _insert_message(self, ticket_id: int, key: str, message: Message,
                        from_customer: bool) -> None:
        stamp = now()
        cur = self.db.execute(
            "INSERT INTO messages (ticket_id, message_id, in_reply_to, refs, sender_name,"
            " sender_address, recipients, subject, date, sort_key, body, latest, from_customer,"
            " from_team, attachments, imported_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id, key, message.in_reply_to, json.dumps(message.references),
                message.sender_name, message.sender_address, json.dumps(message.to),
                message.subject, message.date, _timestamp(message.date), message.body,
                message.latest, int(from_customer), int(message.from_team and not from_customer),
                json.dumps([a.__dict__ for a in message.attachments]), stamp,
            ),
        )
        self.db.executemany(
            "INSERT INTO message_refs (message, ref) VALUES (?, ?)",
            [(cur.lastrowid, ref) for ref in dict.fromkeys(message.references) if ref],
        )
        self.db.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (stamp, ticket_id))

    # --- read -----------------------------------------------------------------------------

    def get(self, ticket_id: int) -> Ticket:
        """Return a ticket with its thread, oldest message first."""
        row = self.db.execute("SELECT * FROM tickets WHERE id = ?", (ticket_id,)).fetchone()
        if row is None:
            raise InputError(
                f"no ticket with id {ticket_id} in the store {self.path}",
                hint="see the ticket ids with `draft tickets list`",
            )
        rows = self.db.execute(
            "SELECT * FROM messages WHERE ticket_id = ? ORDER BY sort_key IS NULL, sort_key, id",
            (ticket_id,),
        ).fetchall()
        return Ticket(
            messages=[_message_from_row(r) for r in rows],
            id=int(row["id"]),
            subject=row["subject"],
            customer_name=row["customer_name"],
            customer_address=row["customer_address"],
            channel=row["channel"],
            status=row["status"],
            tags=json.loads(row["tags"]),
            name=row["external_id"] if ":" in (row["external_id"] or "") else None,
            language=row["language"],
        )

    def list(self, status: str | None = None, limit: int | None = None) -> list[TicketSummary]:
        """Return ticket summaries, most recent activity first."""
        sql = (
            "SELECT t.*, COUNT(m.id) AS n, MAX(m.sort_key) AS last_key, (SELECT date FROM "
            "messages WHERE ticket_id = t.id ORDER BY sort_key DESC, id DESC LIMIT 1) AS last_date"
            " FROM tickets t LEFT JOIN messages m ON m.ticket_id = t.id"
        )
        params: list[Any] = []
        if status:
            sql += " WHERE t.status = ?"
            params.append(status)
        sql += " GROUP BY t.id ORDER BY last_key IS NULL, last_key DESC, t.id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [
            TicketSummary(
                id=int(r["id"]), subject=r["subject"], customer_name=r["customer_name"],
                customer_address=r["customer_address"], channel=r["channel"], status=r["status"],
                messages=int(r["n"]), last_date=r["last_date"], updated_at=r["updated_at"],
                name=r["external_id"] if ":" in (r["external_id"] or "") else None,
            )
            for r in self.db.execute(sql, params).fetchall()
        ]

    def set_status(self, ticket_id: int, status: str) -> None:
        """Set a ticket's status (open, pending, closed)."""
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}", hint="use one of " + ", ".join(STATUSES))
        self.get(ticket_id)  # raises for an unknown id
        with self.transaction():
            self.db.execute("UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?",
                            (status, now(), ticket_id))

    # --- selection for batches --------------------------------------------------------------

    def select_ids(self, ids: Sequence[int] | None = None, status: str | None = None,
                   tags: Sequence[str] = ()) -> builtins.list[int]:
        """Return the ids of tickets matching every given filter, in id order (ids only: cheap)."""
        sql = "SELECT id, tags FROM tickets WHERE 1 = 1"
        params: builtins.list[Any] = []
        if status:
            sql += " AND status = ?"
            params.append(status)
        rows = self.db.execute(sql + " ORDER BY id", params).fetchall()
        wanted = set(ids) if ids is not None else None
        want_tags = {t.lower() for t in tags}
        out = []
        for row in rows:
            if wanted is not None and row["id"] not in wanted:
                continue
            if want_tags and not want_tags <= {t.lower() for t in json.loads(row["tags"])}:
                continue
            out.append(int(row["id"]))
        return out

    def synced_from(self, source: str) -> dict[str, tuple[int, float | None]]:
        """For tickets synced from helpdesk `source` (external ids `source:N`): external id ->
        (ticket id, the time in epoch seconds of its newest stored message)."""
        rows = self.db.execute(
            "SELECT t.external_id, t.id, MAX(m.sort_key) FROM tickets t LEFT JOIN messages m"
            " ON m.ticket_id = t.id WHERE substr(t.external_id, 1, ?) = ? GROUP BY t.id",
            (len(source) + 1, source + ":"))
        return {r[0]: (int(r[1]), r[2]) for r in rows}

    def follow_helpdesk(self, ticket_id: int, ticket: Ticket) -> None:
        """Keep a synced ticket's status, tags and customer language as its helpdesk has them."""
        if ticket.status not in STATUSES:
            raise InputError(f"unknown status {ticket.status!r}",
                             hint="use one of " + ", ".join(STATUSES))
        with self.transaction():
            self.db.execute("UPDATE tickets SET status = ?, tags = ?, language = ?, updated_at = ?"
                            " WHERE id = ?", (ticket.status, json.dumps(list(ticket.tags)),
                                              ticket.language, now(), ticket_id))

    def missing_ids(self, ids: Sequence[int]) -> builtins.list[int]:
        """Return those of `ids` that name no ticket."""
        known = {int(r[0]) for r in self.db.execute("SELECT id FROM tickets")}
        return [i for i in ids if i not in known]


def _message_from_row(row: sqlite3.Row) -> Message:
    return Message(
        body=row["body"],
        latest=row["latest"],
        sender_name=row["sender_name"],
        sender_address=row["sender_address"],
        to=json.loads(row["recipients"]),
        subject=row["subject"],
        date=row["date"],
        message_id=row["message_id"],
        in_reply_to=row["in_reply_to"],
        references=json.loads(row["refs"]),
        from_customer=bool(row["from_customer"]),
        from_team=bool(row["from_team"]),
        attachments=[Attachment(**a) for a in json.loads(row["attachments"])],
    )
