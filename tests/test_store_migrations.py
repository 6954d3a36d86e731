"""Every schema migration, from an empty database and from every earlier version, data intact."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest

from drafter.errors import ConfigError
from drafter.store import MIGRATIONS, SCHEMA_VERSION, BatchItem, BatchJob, Store, StoredDraft
from drafter.tickets.model import Message, Ticket

# A row of data written right after migration n, as a store of version n holds it; and the
# check that it survives every later migration. A new migration adds an entry to both.
SEEDS: dict[int, str] = {
    1: """
        INSERT INTO tickets (subject, customer_address, created_at, updated_at)
            VALUES ('Old order', 'jane@example.com', '2024-01-08', '2024-01-08');
        INSERT INTO messages (ticket_id, message_id, body, latest, from_customer, imported_at,
                              date, sort_key)
            VALUES (1, '<old@example.com>', 'Where is it?', 'Where is it?', 1, '2024-01-08',
                    '2024-01-08T10:00:00+00:00', 1704708000.0);
        INSERT INTO message_refs (message, ref) VALUES (1, '<root@example.com>');
    """,
    2: """
        INSERT INTO drafts (ticket_id, status, draft, created_at)
            VALUES (1, 'done', 'Hi Jane, it ships today.', '2024-01-09');
        INSERT INTO batch_jobs (id, status, created_at, updated_at)
            VALUES ('batch_old', 'in_progress', '2024-01-09', '2024-01-09');
        INSERT INTO batch_items (job_id, ticket_id, channel) VALUES ('batch_old', 1, 'email');
    """,
    3: """
        INSERT INTO imap_sync_state (account, mailbox, uidvalidity, last_uid, updated_at)
            VALUES ('support@imap.example:993', 'INBOX', 42, 7, '2024-01-09');
    """,
    4: """
        INSERT INTO messages (ticket_id, message_id, body, latest, from_customer, from_team,
                              imported_at, date, sort_key)
            VALUES (1, '<agent@example.com>', 'It ships today.', 'It ships today.', 0, 1,
                    '2024-01-09', '2024-01-09T10:00:00+00:00', 1704794400.0);
    """,
    5: """
        INSERT INTO claims (ticket_id, owner, expires_at) VALUES (1, 'elsewhere:1:ab', 9e12);
    """,
    6: """
        INSERT INTO kb_projects (root) VALUES ('/srv/support');
        INSERT INTO kb_sources (project, path, kind, mtime_ns, size, hash, indexed_at)
            VALUES (1, 'canned/refund.md', 'canned', 1, 20, 'abc', '2024-01-10');
        INSERT INTO kb_passages (source, project, passage_id, kind, heading, text)
            VALUES (1, 1, 'canned/refund.md', 'canned', 'Refund', 'Your refund is on its way.');
    """,
    7: """
        UPDATE tickets SET language = 'de' WHERE id = 1;
    """,
}


def _check_1(store: Store) -> None:
    ticket = store.get(1)
    assert (ticket.subject, ticket.customer_address) == ("Old order", "jane@example.com")
    assert ticket.messages[0].message_id == "<old@example.com>"
    # Threading still finds the old message's references.
    assert store.select_ids() == [1]


def _check_2(store: Store) -> None:
    draft = store.get_draft(1)
    assert draft is not None and draft.draft == "Hi Jane, it ships today."
    assert store.batch_job("batch_old").tickets == 1
    assert store.pending_batch_ids() == {1}


def _check_3(store: Store) -> None:
    state = store.sync_state("support@imap.example:993", "INBOX")
    assert state is not None and (state.uidvalidity, state.last_uid) == (42, 7)


def _check_4(store: Store) -> None:
    first, agent = store.get(1).messages
    assert (first.from_team, agent.from_team) == (False, True)


def _check_5(store: Store) -> None:
    # A live claim of another host's run: this run may not take the ticket.
    assert store.claim(1, "here:1:cd", since=0.0) == "taken"


def _check_6(store: Store) -> None:
    # The passage is in the full-text index (kept by the trigger), found by its project.
    project = store.kb_project("/srv/support")
    assert [r.passage_id for r in store.kb_search(project, '"refund"', 5)] == ["canned/refund.md"]


def _check_7(store: Store) -> None:
    assert store.get(1).language == "de"


CHECKS: dict[int, Callable[[Store], None]] = {1: _check_1, 2: _check_2, 3: _check_3,
                                              4: _check_4, 5: _check_5, 6: _check_6,
                                              7: _check_7}


def build(path: Path, version: int) -> None:
    """A database at `version`: the first `version` migrations, each followed by its seed."""
    db = sqlite3.connect(path)
    for number in range(version):
        db.executescript(MIGRATIONS[number])
        db.executescript(SEEDS[number + 1])
        db.execute(f"PRAGMA user_version = {number + 1}")
    db.commit()
    db.close()


def test_every_migration_has_a_seed_and_a_check() -> None:
    assert set(SEEDS) == set(CHECKS) == set(range(1, SCHEMA_VERSION + 1))


@pytest.mark.parametrize("version", range(SCHEMA_VERSION + 1))
def test_a_store_of_every_version_reaches_the_latest_with_its_data(
        tmp_path: Path, version: int) -> None:
    path = tmp_path / "store.db"
    build(path, version)
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        for number in range(1, version + 1):
            CHECKS[number](store)
        # It takes rows of every kind through its own methods.
        new = store.import_ticket(Ticket(messages=[Message(body="New", latest="New",
                                                           message_id="<new@example.com>")]))
        new_id = new.ticket_ids[0]
        store.save_draft(StoredDraft(new_id, "failed", reason="timed out"))
        store.add_batch_job(BatchJob("batch_new", "validating"), [BatchItem(new_id, "email")])
        store.mark_synced("support@imap.example:993", "Sent", 1, 3)
        assert store.get_draft(new_id) is not None and store.batch_job("batch_new").tickets == 1
    with Store(path) as store:  # opening again migrates nothing
        assert store.schema_version == SCHEMA_VERSION


def test_a_version_2_store_that_synced_keeps_its_sync_state(tmp_path: Path) -> None:
    # Before version 3 the sync created its table itself, outside the migrations.
    path = tmp_path / "store.db"
    build(path, 2)
    db = sqlite3.connect(path)
    db.executescript("""
        CREATE TABLE IF NOT EXISTS imap_sync_state (
            account TEXT NOT NULL, mailbox TEXT NOT NULL, uidvalidity INTEGER NOT NULL,
            last_uid INTEGER NOT NULL, updated_at TEXT NOT NULL, PRIMARY KEY (account, mailbox));
    """ + SEEDS[3])
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        _check_3(store)


def test_a_store_newer_than_this_drafter_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "store.db"
    build(path, SCHEMA_VERSION)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError) as err:
        Store(path)
    assert err.value.message == (f"{path}: the ticket store has schema version "
                                 f"{SCHEMA_VERSION + 1}, newer than this drafter knows "
                                 f"({SCHEMA_VERSION})")
    assert "upgrade drafter" in (err.value.hint or "")
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    db.close()
