"""Batch API jobs in the store: what was submitted, what the provider said, what was collected."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from drafter.config import redact
from drafter.errors import InputError
from drafter.store.database import now
from drafter.store.drafts import Drafts, StoredDraft


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


class Batches(Drafts):
    """The Batch API jobs repository; a collected job's results are stored as drafts."""

    def add_batch_job(self, job: BatchJob, items: Sequence[BatchItem]) -> None:
        """Record a submitted Batch API job and the tickets it carries, in one transaction."""
        stamp = now()
        with self.transaction():
            self.db.execute(
                "INSERT INTO batch_jobs (id, round, parent, status, model, prompt_version,"
                " base_url, input_file_id, output_file_id, error_file_id, counts, note,"
                " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (job.id, job.round, job.parent, job.status, job.model, job.prompt_version,
                 job.base_url and redact(job.base_url), job.input_file_id, job.output_file_id,
                 job.error_file_id, json.dumps(job.counts), job.note and redact(job.note),
                 job.created_at or stamp, stamp),
            )
            self.db.executemany(
                "INSERT INTO batch_items (job_id, ticket_id, channel, rounds) VALUES (?, ?, ?, ?)",
                [(job.id, i.ticket_id, i.channel, json.dumps(i.rounds, ensure_ascii=False))
                 for i in items],
            )

    def update_batch_job(self, job_id: str, *, status: str, counts: dict[str, int] | None = None,
                         output_file_id: str | None = None, error_file_id: str | None = None,
                         note: str | None = None) -> None:
        """Record what the provider last said about a job."""
        with self.transaction():
            self.db.execute(
                "UPDATE batch_jobs SET status = ?, counts = COALESCE(?, counts),"
                " output_file_id = COALESCE(?, output_file_id),"
                " error_file_id = COALESCE(?, error_file_id), note = COALESCE(?, note),"
                " updated_at = ? WHERE id = ?",
                (status, json.dumps(counts) if counts is not None else None, output_file_id,
                 error_file_id, note and redact(note), now(), job_id),
            )

    def finish_batch_job(self, job_id: str, drafts: Sequence[StoredDraft],
                         follow_up: tuple[BatchJob, Sequence[BatchItem]] | None = None) -> None:
        """Store a collected job's drafts and failures, its follow-up job, and mark it collected.

        All in one transaction: a job is either collected with every result, or not at all.
        """
        with self.transaction():
            row = self.db.execute("SELECT collected_at FROM batch_jobs WHERE id = ?",
                                  (job_id,)).fetchone()
            if row is None or row["collected_at"] is not None:
                raise InputError(f"batch job {job_id} is unknown or already collected")
            for d in drafts:
                self.save_draft(d)
            if follow_up is not None:
                self.add_batch_job(*follow_up)
            self.db.execute("UPDATE batch_jobs SET collected_at = ?, updated_at = ? WHERE id = ?",
                            (now(), now(), job_id))

    def batch_jobs(self, uncollected_only: bool = False) -> list[BatchJob]:
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

    def batch_items(self, job_id: str) -> list[BatchItem]:
        """Return the tickets a job carries, with the rounds each had before it."""
        rows = self.db.execute("SELECT * FROM batch_items WHERE job_id = ? ORDER BY ticket_id",
                               (job_id,)).fetchall()
        return [BatchItem(int(r["ticket_id"]), r["channel"], json.loads(r["rounds"])) for r in rows]

    def pending_batch_ids(self) -> set[int]:
        """Return tickets carried by a job that is not collected yet."""
        return {int(r[0]) for r in self.db.execute(
            "SELECT i.ticket_id FROM batch_items i JOIN batch_jobs j ON j.id = i.job_id"
            " WHERE j.collected_at IS NULL")}


def _job_from_row(row: sqlite3.Row, tickets: int) -> BatchJob:
    return BatchJob(
        id=row["id"], status=row["status"], round=int(row["round"]), parent=row["parent"],
        model=row["model"], prompt_version=row["prompt_version"], base_url=row["base_url"],
        input_file_id=row["input_file_id"], output_file_id=row["output_file_id"],
        error_file_id=row["error_file_id"], counts=json.loads(row["counts"]), note=row["note"],
        created_at=row["created_at"], updated_at=row["updated_at"],
        collected_at=row["collected_at"], tickets=tickets,
    )
