"""IMAP sync state in the store: per account and mailbox, its UIDVALIDITY and last imported UID."""

from __future__ import annotations

from dataclasses import dataclass

from drafter.store.database import now
from drafter.store.tickets import ImportReport, Tickets
from drafter.tickets.model import Message


@dataclass(frozen=True)
class SyncState:
    """How far one mailbox has been synced: messages up to `last_uid` under `uidvalidity`."""

    account: str
    mailbox: str
    uidvalidity: int
    last_uid: int
    updated_at: str


class SyncStates(Tickets):
    """The IMAP sync state repository; a synced message is stored with its mark, atomically."""

    def sync_state(self, account: str, mailbox: str) -> SyncState | None:
        """Return how far `mailbox` of `account` has been synced, or None if never."""
        row = self.db.execute("SELECT * FROM imap_sync_state WHERE account = ? AND mailbox = ?",
                              (account, mailbox)).fetchone()
        return SyncState(**dict(row)) if row else None

    def sync_states(self) -> list[SyncState]:
        """Return every synced mailbox's state, by account and mailbox."""
        rows = self.db.execute("SELECT * FROM imap_sync_state ORDER BY account, mailbox")
        return [SyncState(**dict(r)) for r in rows]

    def mark_synced(self, account: str, mailbox: str, uidvalidity: int, uid: int,
                    message: Message | None = None) -> ImportReport:
        """Record that `mailbox` is synced up to `uid`, storing `message` (its UID) with the mark.

        One transaction: the mark never runs ahead of the stored messages, nor behind them.
        """
        with self.transaction():
            self.db.execute(
                "INSERT INTO imap_sync_state (account, mailbox, uidvalidity, last_uid, updated_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, mailbox) DO UPDATE SET"
                " uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid,"
                " updated_at = excluded.updated_at",
                (account, mailbox, uidvalidity, uid, now()))
            return self.import_messages([message]) if message is not None else ImportReport()
