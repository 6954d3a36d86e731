"""The SQLite ticket store: tickets and their messages, threaded by Message-ID and References."""

from __future__ import annotations

import builtins
import hashlib
import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from drafter.errors import ConfigError, InputError
from drafter.tickets.model import Attachment, Message, Ticket

STATUSES = ("open", "pending", "closed")

# Each entry upgrades the schema by one version (PRAGMA user_version); a store of an older
# version is migrated in place when opened. Add new versions here, never edit a past entry.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE tickets (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        subject TEXT,
        customer_name TEXT,
        customer_address TEXT,
        channel TEXT NOT NULL DEFAULT 'email',
        status TEXT NOT NULL DEFAULT 'open',
        tags TEXT NOT NULL DEFAULT '[]',
        external_id TEXT UNIQUE,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
    );
    CREATE TABLE messages (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        message_id TEXT NOT NULL UNIQUE,
        in_reply_to TEXT,
        refs TEXT NOT NULL DEFAULT '[]',
        sender_name TEXT,
        sender_address TEXT,
        recipients TEXT NOT NULL DEFAULT '[]',
        subject TEXT,
        date TEXT,
        sort_key REAL,
        body TEXT NOT NULL,
        latest TEXT NOT NULL,
        from_customer INTEGER NOT NULL,
        attachments TEXT NOT NULL DEFAULT '[]',
        imported_at TEXT NOT NULL
    );
    CREATE INDEX messages_ticket ON messages(ticket_id);
    CREATE INDEX messages_in_reply_to ON messages(in_reply_to);
    CREATE TABLE message_refs (
        message INTEGER NOT NULL REFERENCES messages(id) ON DELETE CASCADE,
        ref TEXT NOT NULL
    );
    CREATE INDEX message_refs_ref ON message_refs(ref);
    """,
    # 2: stored drafts (one per ticket, the latest run's) and Batch API jobs.
    """
    CREATE TABLE drafts (
        ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id) ON DELETE CASCADE,
        status TEXT NOT NULL CHECK (status IN ('done', 'failed')),
        reason TEXT,
        draft TEXT,
        body TEXT,
        findings TEXT NOT NULL DEFAULT '[]',
        usage TEXT NOT NULL DEFAULT '{}',
        cost REAL,
        model TEXT,
        prompt_version TEXT,
        rounds INTEGER NOT NULL DEFAULT 0,
        kept_round INTEGER,
        via TEXT NOT NULL DEFAULT 'concurrent',
        job_id TEXT,
        created_at TEXT NOT NULL
    );
    CREATE INDEX drafts_status ON drafts(status);
    CREATE TABLE batch_jobs (
        id TEXT PRIMARY KEY,
        round INTEGER NOT NULL DEFAULT 0,
        parent TEXT,
        status TEXT NOT NULL,
        model TEXT,
        prompt_version TEXT,
        base_url TEXT,
        input_file_id TEXT,
        output_file_id TEXT,
        error_file_id TEXT,
        counts TEXT NOT NULL DEFAULT '{}',
        note TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        collected_at TEXT
    );
    CREATE TABLE batch_items (
        job_id TEXT NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
        ticket_id INTEGER NOT NULL REFERENCES tickets(id) ON DELETE CASCADE,
        channel TEXT NOT NULL,
        rounds TEXT NOT NULL DEFAULT '[]',
        PRIMARY KEY (job_id, ticket_id)
    );
    CREATE INDEX batch_items_ticket ON batch_items(ticket_id);
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass
class ImportReport:
    """What one import did: counts, the tickets it touched, and the files that failed."""

    new_tickets: int = 0
    new_messages: int = 0
    duplicates: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)

    def add(self, other: ImportReport) -> None:
        """Add another report's counts to this one."""
        self.new_tickets += other.new_tickets
        self.new_messages += other.new_messages
        self.duplicates += other.duplicates
        self.ticket_ids.extend(t for t in other.ticket_ids if t not in self.ticket_ids)
        self.failed.extend(other.failed)

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

    def to_dict(self) -> dict[str, Any]:
        """Return the summary as JSON-ready data."""
        return dict(self.__dict__)


def content_id(*parts: str | None) -> str:
    """Return a stable Message-ID-like id for a message that has none, from its content."""
    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return f"<{digest[:32]}@drafter.invalid>"


def message_key(message: Message) -> str:
    """Return the id a message is stored under: its Message-ID, else a hash of its content."""
    if message.message_id:
        return message.message_id.strip()
    return content_id(message.sender_address, message.date, message.subject, message.body)


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


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class TicketStore:
    """Tickets and messages in one SQLite file (WAL mode; schema versioned by user_version)."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=10.0)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(
                f"cannot open the ticket store {self.path}: {exc}",
                hint="set `store.path` (or DRAFTER_STORE) to a writable file",
            ) from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL keeps every commit atomic and survives a killed process; only a
            # power cut may lose the last commits. It spares a batch an fsync per stored draft.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise ConfigError(
                f"{self.path} is not a drafter ticket store: {exc}",
                hint="point `store.path` (or DRAFTER_STORE) at another file",
            ) from None

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def __enter__(self) -> TicketStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _migrate(self) -> None:
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path}: the ticket store has schema version {version}, newer than this "
                f"drafter knows ({SCHEMA_VERSION})",
                hint="upgrade drafter, or point `store.path` at another file",
            )
        for number in range(version, SCHEMA_VERSION):
            with self.db:
                self.db.executescript(MIGRATIONS[number])
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        """Return the schema version of the open database."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    # --- import ---------------------------------------------------------------------------

    def import_messages(self, messages: Iterable[Message]) -> ImportReport:
        """Store messages, threading each into a ticket by In-Reply-To / References; idempotent."""
        report = ImportReport()
        batch = list(enumerate(messages))
        # Oldest first, so a reply finds its parent when both come in the same batch.
        batch.sort(key=lambda item: (_timestamp(item[1].date) or float("inf"), item[0]))
        with self.db:
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
        if ticket_id not in report.ticket_ids:
            report.ticket_ids.append(ticket_id)

    def import_ticket(self, ticket: Ticket, external_id: str | None = None) -> ImportReport:
        """Store a ticket with its messages as given (roles included); idempotent by message id."""
        report = ImportReport()
        with self.db:
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
                    date: str | None) -> int:
        now = _now()
        cur = self.db.execute(
            "INSERT INTO tickets (subject, customer_name, customer_address, channel, status, tags,"
            " external_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (subject, name, address.lower() if address else None, channel, status,
             json.dumps(list(tags)), external_id, date or now, now),
        )
        return int(cur.lastrowid or 0)

    def _insert_message(self, ticket_id: int, key: str, message: Message,
                        from_customer: bool) -> None:
        now = _now()
        cur = self.db.execute(
            "INSERT INTO messages (ticket_id, message_id, in_reply_to, refs, sender_name,"
            " sender_address, recipients, subject, date, sort_key, body, latest, from_customer,"
            " attachments, imported_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                ticket_id, key, message.in_reply_to, json.dumps(message.references),
                message.sender_name, message.sender_address, json.dumps(message.to),
                message.subject, message.date, _timestamp(message.date), message.body,
                message.latest, int(from_customer),
                json.dumps([a.__dict__ for a in message.attachments]), now,
            ),
        )
        self.db.executemany(
            "INSERT INTO message_refs (message, ref) VALUES (?, ?)",
            [(cur.lastrowid, ref) for ref in dict.fromkeys(message.references) if ref],
        )
        self.db.execute("UPDATE tickets SET updated_at = ? WHERE id = ?", (now, ticket_id))

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
            )
            for r in self.db.execute(sql, params).fetchall()
        ]

    def set_status(self, ticket_id: int, status: str) -> None:
        """Set a ticket's status (open, pending, closed)."""
        if status not in STATUSES:
            raise InputError(f"unknown status {status!r}", hint="use one of " + ", ".join(STATUSES))
        self.get(ticket_id)  # raises for an unknown id
        with self.db:
            self.db.execute("UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?",
                            (status, _now(), ticket_id))

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

    def missing_ids(self, ids: Sequence[int]) -> builtins.list[int]:
        """Return those of `ids` that name no ticket."""
        known = {int(r[0]) for r in self.db.execute("SELECT id FROM tickets")}
        return [i for i in ids if i not in known]

    # --- drafts -----------------------------------------------------------------------------

    def save_draft(self, draft: StoredDraft) -> None:
        """Store (or replace) the draft of one ticket, in one transaction."""
        with self.db:
            self._write_draft(draft)

    def _write_draft(self, d: StoredDraft) -> None:
        self.db.execute(
            "INSERT OR REPLACE INTO drafts (ticket_id, status, reason, draft, body, findings, usage,"
            " cost, model, prompt_version, rounds, kept_round, via, job_id, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (d.ticket_id, d.status, d.reason, d.draft, d.body,
             json.dumps(d.findings, ensure_ascii=False), json.dumps(d.usage), d.cost, d.model,
             d.prompt_version, d.rounds, d.kept_round, d.via, d.job_id, d.created_at or _now()),
        )

    def get_draft(self, ticket_id: int) -> StoredDraft | None:
        """Return the stored draft of a ticket, or None."""
        row = self.db.execute("SELECT * FROM drafts WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return _draft_from_row(row) if row else None

    def list_drafts(self, status: str | None = None, limit: int | None = None) -> builtins.list[StoredDraft]:
        """Return stored drafts, newest first."""
        sql = "SELECT * FROM drafts"
        params: builtins.list[Any] = []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY created_at DESC, ticket_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_draft_from_row(r) for r in self.db.execute(sql, params)]

    def done_ids(self) -> set[int]:
        """Return the ids of tickets with a finished (not failed) draft."""
        return {int(r[0]) for r in self.db.execute("SELECT ticket_id FROM drafts WHERE status = 'done'")}

    # --- Batch API jobs ---------------------------------------------------------------------

    def add_batch_job(self, job: BatchJob, items: Sequence[BatchItem]) -> None:
        """Record a submitted Batch API job and the tickets it carries, in one transaction."""
        with self.db:
            self._insert_job(job, items)

    def _insert_job(self, job: BatchJob, items: Sequence[BatchItem]) -> None:
        now = _now()
        self.db.execute(
            "INSERT INTO batch_jobs (id, round, parent, status, model, prompt_version, base_url,"
            " input_file_id, output_file_id, error_file_id, counts, note, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (job.id, job.round, job.parent, job.status, job.model, job.prompt_version, job.base_url,
             job.input_file_id, job.output_file_id, job.error_file_id, json.dumps(job.counts),
             job.note, job.created_at or now, now),
        )
        self.db.executemany(
            "INSERT INTO batch_items (job_id, ticket_id, channel, rounds) VALUES (?, ?, ?, ?)",
            [(job.id, i.ticket_id, i.channel, json.dumps(i.rounds, ensure_ascii=False)) for i in items],
        )

    def update_batch_job(self, job_id: str, *, status: str, counts: dict[str, int] | None = None,
                         output_file_id: str | None = None, error_file_id: str | None = None,
                         note: str | None = None) -> None:
        """Record what the provider last said about a job."""
        with self.db:
            self.db.execute(
                "UPDATE batch_jobs SET status = ?, counts = COALESCE(?, counts),"
                " output_file_id = COALESCE(?, output_file_id),"
                " error_file_id = COALESCE(?, error_file_id), note = COALESCE(?, note),"
                " updated_at = ? WHERE id = ?",
                (status, json.dumps(counts) if counts is not None else None, output_file_id,
                 error_file_id, note, _now(), job_id),
            )

    def finish_batch_job(self, job_id: str, drafts: Sequence[StoredDraft],
                         follow_up: tuple[BatchJob, Sequence[BatchItem]] | None = None) -> None:
        """Store a collected job's drafts and failures, its follow-up job, and mark it collected.

        All in one transaction: a job is either collected with every result, or not at all.
        """
        with self.db:
            row = self.db.execute("SELECT collected_at FROM batch_jobs WHERE id = ?",
                                  (job_id,)).fetchone()
            if row is None or row["collected_at"] is not None:
                raise InputError(f"batch job {job_id} is unknown or already collected")
            for d in drafts:
                self._write_draft(d)
            if follow_up is not None:
                self._insert_job(*follow_up)
            self.db.execute("UPDATE batch_jobs SET collected_at = ?, updated_at = ? WHERE id = ?",
                            (_now(), _now(), job_id))

    def batch_jobs(self, uncollected_only: bool = False) -> builtins.list[BatchJob]:
        """Return recorded Batch API jobs, newest first."""
        sql = "SELECT * FROM batch_jobs"
        if uncollected_only:
            sql += " WHERE collected_at IS NULL"
        rows = self.db.execute(sql + " ORDER BY created_at DESC, rowid DESC").fetchall()
        return [_job_from_row(r, self._item_count(r["id"])) for r in rows]

    def batch_job(self, job_id: str) -> BatchJob:
        """Return one recorded job, or raise InputError."""
        row = self.db.execute("SELECT * FROM batch_jobs WHERE id = ?", (job_id,)).fetchone()
        if row is None:
            raise InputError(f"no batch job {job_id} in the store {self.path}",
                             hint="see the recorded jobs with `draft batch status`")
        return _job_from_row(row, self._item_count(job_id))

    def _item_count(self, job_id: str) -> int:
        return int(self.db.execute("SELECT COUNT(*) FROM batch_items WHERE job_id = ?",
                                   (job_id,)).fetchone()[0])

    def batch_items(self, job_id: str) -> builtins.list[BatchItem]:
        """Return the tickets a job carries, with the rounds each had before it."""
        rows = self.db.execute("SELECT * FROM batch_items WHERE job_id = ? ORDER BY ticket_id",
                               (job_id,)).fetchall()
        return [BatchItem(int(r["ticket_id"]), r["channel"], json.loads(r["rounds"])) for r in rows]

    def pending_batch_ids(self) -> set[int]:
        """Return tickets carried by a job that is not collected yet."""
        return {int(r[0]) for r in self.db.execute(
            "SELECT i.ticket_id FROM batch_items i JOIN batch_jobs j ON j.id = i.job_id"
            " WHERE j.collected_at IS NULL")}


@dataclass
class StoredDraft:
    """A ticket's stored draft (status done) or the reason drafting it failed (status failed)."""

    ticket_id: int
    status: str  # done | failed
    reason: str | None = None
    draft: str | None = None
    body: str | None = None
    findings: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    cost: float | None = None
    model: str | None = None
    prompt_version: str | None = None
    rounds: int = 0
    kept_round: int | None = None
    via: str = "concurrent"
    job_id: str | None = None
    created_at: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the draft as JSON-ready data."""
        return dict(self.__dict__)


@dataclass
class BatchItem:
    """One ticket in a Batch API job: its channel and the rounds it had in earlier jobs."""

    ticket_id: int
    channel: str
    rounds: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class BatchJob:
    """A Batch API job as recorded in the store."""

    id: str
    status: str
    round: int = 0
    parent: str | None = None
    model: str | None = None
    prompt_version: str | None = None
    base_url: str | None = None
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    note: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    collected_at: str | None = None
    tickets: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Return the job as JSON-ready data."""
        return dict(self.__dict__)


def _draft_from_row(row: sqlite3.Row) -> StoredDraft:
    return StoredDraft(
        ticket_id=int(row["ticket_id"]), status=row["status"], reason=row["reason"],
        draft=row["draft"], body=row["body"], findings=json.loads(row["findings"]),
        usage=json.loads(row["usage"]), cost=row["cost"], model=row["model"],
        prompt_version=row["prompt_version"], rounds=int(row["rounds"]),
        kept_round=row["kept_round"], via=row["via"], job_id=row["job_id"],
        created_at=row["created_at"],
    )


def _job_from_row(row: sqlite3.Row, tickets: int) -> BatchJob:
    return BatchJob(
        id=row["id"], status=row["status"], round=int(row["round"]), parent=row["parent"],
        model=row["model"], prompt_version=row["prompt_version"], base_url=row["base_url"],
        input_file_id=row["input_file_id"], output_file_id=row["output_file_id"],
        error_file_id=row["error_file_id"], counts=json.loads(row["counts"]), note=row["note"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        collected_at=row["collected_at"], tickets=tickets,
    )


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
        attachments=[Attachment(**a) for a in json.loads(row["attachments"])],
    )
