"""`draft tickets sync`: new mail from an IMAP mailbox into the store, once each, resumable."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from drafter.store.tickets import ImportReport
from drafter.tickets.email import DEFAULT_MAX_BYTES

if TYPE_CHECKING:
    from drafter.config import Settings
    from drafter.store import Store

DEFAULT_BATCH_SIZE = 50


@dataclass
class SyncReport:
    """What one sync did: the mailbox, how far it got, and what the store gained."""

    account: str
    mailbox: str
    server: str = ""  # host:port
    user: str = ""
    uidvalidity: int = 0
    last_uid: int = 0
    new_on_server: int = 0
    new_tickets: int = 0
    new_messages: int = 0
    duplicates: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (message URL, reason)
    uidvalidity_changed: bool = False
    # ticket_ids in a set too: a sync of many messages would otherwise be quadratic.
    seen: set[int] = field(default_factory=set, repr=False)

    def add(self, report: ImportReport) -> None:
        """Add what the store did with one message."""
        self.new_tickets += report.new_tickets
        self.new_messages += report.new_messages
        self.duplicates += report.duplicates
        for ticket_id in report.ticket_ids:
            if ticket_id not in self.seen:
                self.seen.add(ticket_id)
                self.ticket_ids.append(ticket_id)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        data = dict(self.__dict__)
        del data["seen"]
        data["failed"] = [{"message": m, "reason": r} for m, r in self.failed]
        return data


def sync(
    settings: Settings,
    store: Store,
    *,
    mailbox: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Import the messages of the `imap.*` account's mailbox that are new since the last sync.

    Each message is stored together with the UID high-water mark, so a sync cut short
    (server gone, interrupted) leaves only whole messages and the next one resumes after the
    last message stored. The store's Message-ID check keeps a message from being stored twice
    even when the server renumbers its UIDs (a new UIDVALIDITY). `progress(done, total)` runs
    after each batch is stored. Messages are read with BODY.PEEK, so they stay unread.
    """
    from drafter.tickets.imap import Mailbox, account_from

    account = account_from(settings)
    box = mailbox or settings["imap.mailbox"] or "INBOX"
    report = SyncReport(account=account.name, mailbox=box,
                        server=f"{account.host}:{account.port}", user=account.user)
    with Mailbox(account, box) as source:
        known = store.sync_state(account.name, box)
        last = 0
        if known is not None:
            if known.uidvalidity == source.uidvalidity:
                last = known.last_uid
            else:
                report.uidvalidity_changed = True
        report.uidvalidity, report.last_uid = source.uidvalidity, last
        uids = source.uids_after(last)
        report.new_on_server = len(uids)
        size = max(1, batch_size)
        for start in range(0, len(uids), size):
            doing = f"fetching messages from {box!r} ({start} of {len(uids)} imported so far)"
            for item in source.fetch(uids[start:start + size], max_bytes, doing):
                if item.failure is not None:
                    report.failed.append((item.where, item.failure))
                report.add(store.mark_synced(account.name, box, source.uidvalidity, item.uid,
                                             item.message))
                report.last_uid = item.uid
            if progress is not None:
                progress(min(start + size, len(uids)), len(uids))
        if not uids and (known is None or report.uidvalidity_changed):
            # Remember UIDVALIDITY even for an empty mailbox.
            store.mark_synced(account.name, box, source.uidvalidity, last)
    return report
