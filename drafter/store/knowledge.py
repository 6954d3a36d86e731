"""The knowledge index: per project, the sources read (with their size, time and hash when
read), their passages, and SQLite's FTS5 full-text index over them, ranked by BM25."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from drafter.store.database import Database, now

# BM25 weights of the indexed columns: a heading word counts double, a past reply's question
# (or a fact's keywords) half, the project token nothing.
_WEIGHTS = (2.0, 1.0, 0.5, 0.0)
# The best passages are chosen inside the full-text index (its top-N search), and only they
# are joined with their rows; the caller keeps the project's.
_SEARCH = (
    "SELECT p.passage_id, p.kind, s.path, p.heading, p.text, p.context, p.data, f.score, "
    "p.project FROM (SELECT rowid, bm25(kb_fts, ?, ?, ?, ?) AS score FROM kb_fts "
    "WHERE kb_fts MATCH ? ORDER BY score LIMIT ?) AS f "
    "JOIN kb_passages p ON p.id = f.rowid JOIN kb_sources s ON s.id = p.source ORDER BY f.score")
_OVERFETCH = 4  # a search asks for this many times the passages, and keeps its project's

@dataclass(frozen=True)
class IndexedSource:
    """What the index knows of one source: when and what it was when last read."""

    id: int
    path: str
    kind: str
    mtime_ns: int | None
    size: int | None
    hash: str | None


@dataclass(frozen=True)
class PassageRow:
    """A passage as the index stores it (the knowledge package turns it into a `Passage`)."""

    passage_id: str
    kind: str
    source: str
    heading: str | None
    text: str
    context: str | None
    data: dict[str, Any]
    score: float = 0.0


class KnowledgeIndex(Database):
    """The knowledge index repository: projects, their sources and passages, and search."""

    def kb_project(self, root: str) -> int:
        """The id of the project whose config folder is `root` (created when new)."""
        row = self.db.execute("SELECT id FROM kb_projects WHERE root = ?", (root,)).fetchone()
        if row is not None:
            return int(row[0])
        with self.transaction():
            cur = self.db.execute("INSERT INTO kb_projects (root) VALUES (?)", (root,))
        return int(cur.lastrowid or 0)

    def kb_sources(self, project: int) -> dict[str, IndexedSource]:
        """The project's indexed sources by path."""
        rows = self.db.execute("SELECT id, path, kind, mtime_ns, size, hash FROM kb_sources "
                               "WHERE project = ?", (project,)).fetchall()
        return {r["path"]: IndexedSource(r["id"], r["path"], r["kind"], r["mtime_ns"], r["size"],
                                         r["hash"]) for r in rows}

    def kb_touch(self, source_id: int, mtime_ns: int | None, size: int | None) -> None:
        """Record that a source's time or size changed while its content did not."""
        with self.transaction():
            self.db.execute("UPDATE kb_sources SET mtime_ns = ?, size = ? WHERE id = ?",
                            (mtime_ns, size, source_id))

    def kb_replace(self, project: int, path: str, kind: str, mtime_ns: int | None,
                   size: int | None, content_hash: str | None,
                   passages: Iterable[PassageRow]) -> None:
        """Store (or replace) a source and its passages, in one transaction."""
        with self.transaction():
            row = self.db.execute("SELECT id FROM kb_sources WHERE project = ? AND path = ?",
                                  (project, path)).fetchone()
            if row is None:
                cur = self.db.execute(
                    "INSERT INTO kb_sources (project, path, kind, mtime_ns, size, hash, "
                    "indexed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (project, path, kind, mtime_ns, size, content_hash, now()))
                source_id = int(cur.lastrowid or 0)
            else:
                source_id = int(row[0])
                self.db.execute("DELETE FROM kb_passages WHERE source = ?", (source_id,))
                self.db.execute("UPDATE kb_sources SET kind = ?, mtime_ns = ?, size = ?, hash = ?,"
                                " indexed_at = ? WHERE id = ?",
                                (kind, mtime_ns, size, content_hash, now(), source_id))
            self.db.executemany(
                "INSERT INTO kb_passages (source, project, passage_id, kind, heading, text, "
                "context, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [(source_id, project, p.passage_id, p.kind, p.heading, p.text, p.context,
                  json.dumps(p.data)) for p in passages])

    def kb_drop(self, project: int, paths: Sequence[str]) -> None:
        """Remove sources (and their passages) from the project's index."""
        with self.transaction():
            for path in paths:
                row = self.db.execute("SELECT id FROM kb_sources WHERE project = ? AND path = ?",
                                      (project, path)).fetchone()
                if row is not None:
                    # Passages first, each through the trigger that keeps the FTS index in step.
                    self.db.execute("DELETE FROM kb_passages WHERE source = ?", (row[0],))
                    self.db.execute("DELETE FROM kb_sources WHERE id = ?", (row[0],))

    def kb_indexed(self, project: int) -> None:
        """Record when the project's index was last brought up to date."""
        with self.transaction():
            self.db.execute("UPDATE kb_projects SET indexed_at = ? WHERE id = ?", (now(), project))

    def kb_search(self, project: int, match: str, limit: int) -> list[PassageRow]:
        """The project's passages matching the FTS5 expression `match`, best BM25 score first
        (the score is BM25's, negated: higher is better)."""
        try:
            # Most stores hold one project: the best passages of all are that project's, and the
            # search needs no filter (which costs a few milliseconds at 5,000 passages).
            fetch = limit * _OVERFETCH
            rows = self.db.execute(_SEARCH, (*_WEIGHTS, match, fetch)).fetchall()
            mine = [r for r in rows if r[8] == project]
            if len(mine) < limit and len(rows) == fetch:  # others' passages crowded it out
                scoped = f"project:kbproject{int(project)} AND ({match})"
                mine = self.db.execute(_SEARCH, (*_WEIGHTS, scoped, limit)).fetchall()
        except sqlite3.OperationalError as exc:
            raise self.fault(exc, "the knowledge search failed") from None
        return [PassageRow(r[0], r[1], "store" if r[2].startswith("store:") else r[2], r[3],
                           r[4], r[5], json.loads(r[6]), -float(r[7])) for r in mine[:limit]]

    def kb_passages(self, project: int) -> list[PassageRow]:
        """Every passage of the project, in source order."""
        rows = self.db.execute(
            "SELECT p.passage_id, p.kind, s.path, p.heading, p.text, p.context, p.data "
            "FROM kb_passages p JOIN kb_sources s ON s.id = p.source WHERE p.project = ? "
            "ORDER BY s.path, p.id", (project,)).fetchall()
        return [PassageRow(r[0], r[1], "store" if r[2].startswith("store:") else r[2], r[3],
                           r[4], r[5], json.loads(r[6])) for r in rows]

    def kb_stats(self, project: int) -> dict[str, Any]:
        """What the project's index holds: sources and passages by kind, when last indexed."""
        by_kind: dict[str, dict[str, int]] = {}
        for kind, sources in self.db.execute(
                "SELECT kind, COUNT(*) FROM kb_sources WHERE project = ? GROUP BY kind",
                (project,)):
            by_kind.setdefault(kind, {"sources": 0, "passages": 0})["sources"] = sources
        for kind, passages in self.db.execute(
                "SELECT kind, COUNT(*) FROM kb_passages WHERE project = ? GROUP BY kind",
                (project,)):
            by_kind.setdefault(kind, {"sources": 0, "passages": 0})["passages"] = passages
        row = self.db.execute("SELECT indexed_at FROM kb_projects WHERE id = ?",
                              (project,)).fetchone()
        return {"kinds": by_kind, "indexed_at": row[0] if row else None}

    def past_replies_signature(self) -> str:
        """What changes whenever a team reply is added to or removed from the store."""
        row = self.db.execute(
            "SELECT COUNT(*), COALESCE(MAX(id), 0), COALESCE(SUM(id), 0) FROM messages "
            "WHERE from_customer = 0 OR from_team = 1").fetchone()
        return f"{row[0]}:{row[1]}:{row[2]}"

    def past_replies(self) -> list[sqlite3.Row]:
        """The team's replies in the store, each with its ticket's subject and the customer's
        latest message before it (the question it answered)."""
        return self.db.execute(
            """
            SELECT m.id, m.ticket_id, m.latest, t.subject,
                   (SELECT q.latest FROM messages q
                     WHERE q.ticket_id = m.ticket_id AND q.from_customer = 1 AND q.from_team = 0
                       AND (COALESCE(q.sort_key, 0), q.id) < (COALESCE(m.sort_key, 0), m.id)
                     ORDER BY COALESCE(q.sort_key, 0) DESC, q.id DESC LIMIT 1) AS question
              FROM messages m JOIN tickets t ON t.id = m.ticket_id
             WHERE m.from_customer = 0 OR m.from_team = 1
             ORDER BY m.ticket_id, m.id
            """).fetchall()
