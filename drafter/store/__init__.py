"""The store: tickets, drafts, Batch API jobs and IMAP sync state in one SQLite database.

    from drafter.store import Store, StoredDraft

    with Store("tickets.db") as store:       # created and migrated to the latest schema
        ticket = store.get(1)
        store.save_draft(StoredDraft(1, "done", draft="Hi Jane, ..."))

Each repository is a module of its own (tickets, drafts, batches, sync_state, claims) over the one
connection that `database.Database` opens; the schema is the one ordered list in `migrations`.
Sources (`drafter.tickets`) only read; what they find is written here.
"""

from __future__ import annotations

from drafter.store.batches import Batches, BatchItem, BatchJob
from drafter.store.claims import Claims
from drafter.store.drafts import StoredDraft
from drafter.store.knowledge import KnowledgeIndex
from drafter.store.migrations import MIGRATIONS, SCHEMA_VERSION
from drafter.store.sync_state import SyncState, SyncStates
from drafter.store.tickets import STATUSES, ImportReport, TicketSummary

__all__ = [
    "MIGRATIONS", "SCHEMA_VERSION", "STATUSES", "BatchItem", "BatchJob", "ImportReport", "Store",
    "StoredDraft", "SyncState", "TicketSummary",
]


class Store(Batches, SyncStates, Claims, KnowledgeIndex):
    """The drafter store at `path`: open it (a context manager), read and write through it."""

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
