"""The embedded retriever: an incremental index of the project's knowledge in the SQLite
store, searched with FTS5 and ranked by BM25."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.knowledge.model import Passage
from drafter.knowledge.query import fts_query, glossary
from drafter.knowledge.sources import (
    PAST_REPLIES,
    KnowledgeConfig,
    content_hash,
    past_reply_passages,
    read_passages,
    source_files,
)
from drafter.store import Store
from drafter.store.knowledge import PassageRow


@dataclass
class IndexReport:
    """What one `index` run changed: source names added, changed, removed, and left alone."""

    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    passages: int = 0  # passages (re)read in this run
    seconds: float = 0.0

    @property
    def touched(self) -> bool:
        """Whether anything changed."""
        return bool(self.added or self.changed or self.removed)

    def to_dict(self) -> dict[str, Any]:
        """The report as plain JSON-ready data."""
        return {"added": self.added, "changed": self.changed, "removed": self.removed,
                "unchanged": self.unchanged, "passages": self.passages,
                "seconds": round(self.seconds, 4)}


def to_row(p: Passage) -> PassageRow:
    """A passage as the store keeps it."""
    data: dict[str, Any] = {"source": p.source}
    if p.variables:
        data["variables"] = list(p.variables)
    return PassageRow(p.id, p.kind, p.source, p.heading, p.text, p.context, data)


def from_row(row: PassageRow) -> Passage:
    """A stored passage as a `Passage`."""
    return Passage(id=row.passage_id, kind=row.kind, source=row.data.get("source", row.source),
                   heading=row.heading, text=row.text, score=row.score, context=row.context,
                   variables=tuple(row.data.get("variables", ())))


class FtsRetriever:
    """The default retriever: the project's passages in the store's FTS5 index."""

    def __init__(self, config: KnowledgeConfig, store: Store) -> None:
        self.config = config
        self.store = store
        self.project = store.kb_project(str(config.root))
        self.terms = glossary(config.terms)

    def search(self, query: str, limit: int) -> list[Passage]:
        """The `limit` passages most relevant to `query` (untrusted text), best first."""
        match = fts_query(query, terms_table=self.terms)
        if match is None or limit <= 0:
            return []
        return [from_row(r) for r in self.store.kb_search(self.project, match, limit)]

    def passages(self) -> list[Passage]:
        """Every indexed passage of the project."""
        return [from_row(r) for r in self.store.kb_passages(self.project)]

    def stats(self) -> dict[str, Any]:
        """What the index holds (by kind) and when it was last brought up to date."""
        return self.store.kb_stats(self.project)

    def index(self, progress: Callable[[str, str], None] | None = None) -> IndexReport:
        """Bring the index up to date: only sources whose size or time changed are read, and
        only those whose content hash changed are re-indexed; removed sources drop out.
        `progress` hears (what, name) per changed source: added, changed, removed."""
        started = time.perf_counter()
        report = IndexReport()
        known = self.store.kb_sources(self.project)
        seen: set[str] = set()
        options = self.config.source_options
        for source in source_files(self.config):
            seen.add(source.name)
            try:
                st = os.stat(source.path)
            except OSError:
                continue  # gone since the walk: dropped below like any removed file
            old = known.get(source.name)
            if old is not None and (old.mtime_ns, old.size) == (st.st_mtime_ns, st.st_size):
                report.unchanged += 1
                continue
            raw = _read(source.path)
            digest = content_hash(raw)
            if old is not None and old.hash == digest:
                self.store.kb_touch(old.id, st.st_mtime_ns, st.st_size)
                report.unchanged += 1
                continue
            passages = read_passages(source, raw, options)
            self.store.kb_replace(self.project, source.name, source.kind, st.st_mtime_ns,
                                  st.st_size, digest, [to_row(p) for p in passages])
            report.passages += len(passages)
            what = "changed" if old is not None else "added"
            getattr(report, what).append(source.name)
            if progress is not None:
                progress(what, source.name)
        if self.config.past_replies:
            seen.add(PAST_REPLIES)
            self._past_replies(known, report, progress)
        gone = sorted(name for name in known if name not in seen)
        if gone:
            self.store.kb_drop(self.project, gone)
            report.removed.extend(gone)
            if progress is not None:
                for name in gone:
                    progress("removed", name)
        self.store.kb_indexed(self.project)
        report.seconds = time.perf_counter() - started
        return report

    def _past_replies(self, known: dict[str, Any], report: IndexReport,
                      progress: Callable[[str, str], None] | None) -> None:
        signature = self.store.past_replies_signature()
        old = known.get(PAST_REPLIES)
        if old is not None and old.hash == signature:
            report.unchanged += 1
            return
        passages = past_reply_passages(self.store.past_replies())
        self.store.kb_replace(self.project, PAST_REPLIES, "past_reply", None, None, signature,
                              [to_row(p) for p in passages])
        report.passages += len(passages)
        what = "changed" if old is not None else "added"
        getattr(report, what).append(PAST_REPLIES)
        if progress is not None:
            progress(what, PAST_REPLIES)


def _read(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read()
