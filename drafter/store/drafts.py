"""Stored drafts: one per ticket, the latest run's, or the reason drafting it failed."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from drafter.config import redact
from drafter.store.database import Database, now


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


class Drafts(Database):
    """The drafts repository."""

    def save_draft(self, d: StoredDraft) -> None:
        """Store (or replace) the draft of one ticket, in one transaction."""
        with self.transaction():
            self.db.execute(
                "INSERT OR REPLACE INTO drafts (ticket_id, status, reason, draft, body, findings,"
                " usage, cost, model, prompt_version, rounds, kept_round, via, job_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (d.ticket_id, d.status, d.reason and redact(d.reason), d.draft, d.body,
                 json.dumps(d.findings, ensure_ascii=False), json.dumps(d.usage), d.cost, d.model,
                 d.prompt_version, d.rounds, d.kept_round, d.via, d.job_id,
                 d.created_at or now()),
            )

    def get_draft(self, ticket_id: int) -> StoredDraft | None:
        """Return the stored draft of a ticket, or None."""
        row = self.db.execute("SELECT * FROM drafts WHERE ticket_id = ?", (ticket_id,)).fetchone()
        return _draft_from_row(row) if row else None

    def list_drafts(self, status: str | None = None, limit: int | None = None) -> list[StoredDraft]:
        """Return stored drafts, newest first."""
        sql = "SELECT * FROM drafts"
        params: list[Any] = []
        if status:
            sql += " WHERE status = ?"
            params.append(status)
        sql += " ORDER BY created_at DESC, ticket_id DESC"
        if limit is not None:
            sql += " LIMIT ?"
            params.append(limit)
        return [_draft_from_row(r) for r in self.db.execute(sql, params)]

    def stale_ids(self, ids: Iterable[int]) -> set[int]:
        """Those of `ids` whose finished draft is older than a customer message stored since."""
        wanted = set(ids)
        rows = self.db.execute(
            "SELECT d.ticket_id FROM drafts d WHERE d.status = 'done' AND d.created_at < "
            "(SELECT MAX(m.imported_at) FROM messages m WHERE m.ticket_id = d.ticket_id "
            "AND m.from_customer = 1)")
        return {int(r[0]) for r in rows if int(r[0]) in wanted}

    def done_ids(self) -> set[int]:
        """Return the ids of tickets with a finished (not failed) draft."""
        return {int(r[0]) for r in
                self.db.execute("SELECT ticket_id FROM drafts WHERE status = 'done'")}


def _draft_from_row(row: sqlite3.Row) -> StoredDraft:
    return StoredDraft(
        ticket_id=int(row["ticket_id"]), status=row["status"],
        reason=row["reason"] and redact(row["reason"]),  # stores written before masking
        draft=row["draft"], body=row["body"], findings=json.loads(row["findings"]),
        usage=json.loads(row["usage"]), cost=row["cost"], model=row["model"],
        prompt_version=row["prompt_version"], rounds=int(row["rounds"]),
        kept_round=row["kept_round"], via=row["via"], job_id=row["job_id"],
        created_at=row["created_at"],
    )
