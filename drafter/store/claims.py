"""Claims on tickets: which run is drafting which ticket, so that runs at the same time share
the work: none drafts a ticket that another is drafting, or finished after it began."""

from __future__ import annotations

import os
import secrets
import socket
import time

from drafter.store.database import Database

CLAIM_SECONDS = 60.0  # a claim's life; a live run renews its claims well before then


def new_owner() -> str:
    """Return a name for one run's claims: host, process id and a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(4)}"


def _lapsed(owner: str, expires_at: float) -> bool:
    """Whether a claim's run is gone: the claim expired, or its process on this host ended."""
    if expires_at < time.time():
        return True
    host, _, rest = owner.partition(":")
    pid = rest.partition(":")[0]
    if os.name != "posix" or host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)  # signal 0 only asks whether the process exists
    except ProcessLookupError:
        return True
    except PermissionError:
        return False
    return False


class Claims(Database):
    """The claims repository: one row per ticket, the run drafting it or that last finished it."""

    def claim(self, ticket_id: int, owner: str, since: float) -> str:
        """Claim a ticket for `owner`; return "claimed", "taken" (another live run is drafting
        it) or "done" (a run finished it at or after `since`, when this run was planned)."""
        with self.transaction(immediate=True):
            row = self.db.execute("SELECT owner, expires_at, finished_at FROM claims "
                                  "WHERE ticket_id = ?", (ticket_id,)).fetchone()
            if row is not None:
                if row["finished_at"] is not None and row["finished_at"] >= since:
                    return "done"
                if row["finished_at"] is None and row["owner"] != owner \
                        and not _lapsed(row["owner"], row["expires_at"]):
                    return "taken"
            self.db.execute("INSERT OR REPLACE INTO claims (ticket_id, owner, expires_at) "
                            "VALUES (?, ?, ?)", (ticket_id, owner, time.time() + CLAIM_SECONDS))
        return "claimed"

    def finish_claim(self, ticket_id: int, owner: str) -> None:
        """Mark `owner`'s claim on a ticket finished (its outcome is stored)."""
        with self.transaction():
            self.db.execute("UPDATE claims SET finished_at = ? WHERE ticket_id = ? AND owner = ?",
                            (time.time(), ticket_id, owner))

    def renew_claims(self, owner: str) -> None:
        """Push back the expiry of every unfinished claim of `owner`."""
        with self.transaction():
            self.db.execute("UPDATE claims SET expires_at = ? WHERE owner = ? AND finished_at IS NULL",
                            (time.time() + CLAIM_SECONDS, owner))

    def release_claims(self, owner: str, ticket_id: int | None = None) -> None:
        """Drop `owner`'s unfinished claim on `ticket_id`, or all of them (the ticket is free)."""
        sql = "DELETE FROM claims WHERE owner = ? AND finished_at IS NULL"
        with self.transaction():
            if ticket_id is None:
                self.db.execute(sql, (owner,))
            else:
                self.db.execute(sql + " AND ticket_id = ?", (owner, ticket_id))
