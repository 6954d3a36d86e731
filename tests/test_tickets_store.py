"""The SQLite ticket store: threading, idempotent import, customer roles, schema versions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest
from tickets_fixtures import eml

from drafter.errors import ConfigError, InputError
from drafter.store import SCHEMA_VERSION, Store
from drafter.tickets.email import parse_email
from drafter.tickets.model import message_key


@pytest.fixture
def store(tmp_path: Path):
    """A real SQLite ticket store in a temporary folder."""
    with Store(tmp_path / "data" / "tickets.db") as opened:
        yield opened



def msg(body: str, **kw):
    return parse_email(eml(body, **kw))


def thread() -> list:
    first = msg("My lamp arrived broken.", message_id="<c1@example.com>",
                date="Mon, 08 Jan 2024 10:00:00 +0000")
    agent = msg("Sorry! A new one is on its way.", sender="Sam <support@acme.example>",
                to="jane@example.com", subject="Re: Order 1234", message_id="<a1@acme.example>",
                in_reply_to="<c1@example.com>", references="<c1@example.com>",
                date="Mon, 08 Jan 2024 12:00:00 +0000")
    follow = msg("It has not arrived yet.\n\nOn Mon, 8 Jan 2024, Sam <support@acme.example> "
                 "wrote:\n> Sorry! A new one is on its way.", subject="Re: Order 1234",
                 message_id="<c2@example.com>", in_reply_to="<a1@acme.example>",
                 references="<c1@example.com> <a1@acme.example>",
                 date="Wed, 10 Jan 2024 09:00:00 +0000")
    return [first, agent, follow]


def test_creates_parent_folders_and_schema(tmp_path: Path) -> None:
    path = tmp_path / "a" / "b" / "tickets.db"
    with Store(path) as opened:
        assert opened.schema_version == SCHEMA_VERSION
    assert path.is_file()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_threads_by_in_reply_to_and_references(store: Store) -> None:
    report = store.import_messages(thread())
    assert (report.new_tickets, report.new_messages, report.duplicates) == (1, 3, 0)
    ticket = store.get(report.ticket_ids[0])
    assert [m.message_id for m in ticket.messages] == [
        "<c1@example.com>", "<a1@acme.example>", "<c2@example.com>"]
    assert [m.from_customer for m in ticket.messages] == [True, False, True]
    assert ticket.customer_address == "jane@example.com"
    assert ticket.customer_name == "Jane Doe"
    assert ticket.subject == "Order 1234"
    assert ticket.latest_customer_message is not None
    assert ticket.latest_customer_message.latest == "It has not arrived yet."


def test_threads_across_separate_imports_in_any_order(store: Store) -> None:
    first, agent, follow = thread()
    store.import_messages([follow])  # the newest first: its parents are not stored yet
    store.import_messages([first])
    report = store.import_messages([agent])
    assert report.new_tickets == 0
    assert len(store.list()) == 1
    assert len(store.get(report.ticket_ids[0]).messages) == 3


def test_unrelated_messages_make_separate_tickets(store: Store) -> None:
    report = store.import_messages([
        msg("One", message_id="<x1@example.com>"),
        msg("Two", message_id="<x2@example.com>", sender="Bob <bob@example.com>"),
    ])
    assert report.new_tickets == 2
    assert [t.customer_address for t in store.list()] == ["bob@example.com", "jane@example.com"]


def test_reimport_is_idempotent(store: Store) -> None:
    store.import_messages(thread())
    again = store.import_messages(thread())
    assert (again.new_tickets, again.new_messages, again.duplicates) == (0, 0, 3)
    assert sum(t.messages for t in store.list()) == 3


def test_messages_without_message_id_get_a_stable_content_id(store: Store) -> None:
    a = msg("No id here.", message_id=None)
    b = msg("No id here.", message_id=None)
    assert message_key(a) == message_key(b)
    assert message_key(a).endswith("@drafter.invalid>")
    assert message_key(msg("Different text.", message_id=None)) != message_key(a)
    assert store.import_messages([a]).new_messages == 1
    assert store.import_messages([b]).duplicates == 1


def test_unknown_id_names_it_and_suggests_list(store: Store) -> None:
    with pytest.raises(InputError) as err:
        store.get(42)
    assert "42" in err.value.message
    assert "draft tickets list" in (err.value.hint or "")


def test_list_filters_and_limits(store: Store) -> None:
    store.import_messages([msg(f"Message {i}", message_id=f"<l{i}@example.com>",
                               date=f"Mon, 0{i} Jan 2024 10:00:00 +0000") for i in range(1, 4)])
    assert [t.id for t in store.list()] == [3, 2, 1]  # most recent activity first
    assert len(store.list(limit=2)) == 2
    store.set_status(2, "closed")
    assert [t.id for t in store.list(status="closed")] == [2]
    assert [t.id for t in store.list(status="open")] == [3, 1]
    with pytest.raises(InputError):
        store.set_status(2, "archived")


def test_attachments_and_fields_round_trip(store: Store) -> None:
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = "Jane Doe <jane@example.com>"
    m["To"] = "support@acme.example"
    m["Subject"] = "Photo"
    m["Message-ID"] = "<p1@example.com>"
    m.set_content("See photo.")
    m.add_attachment(b"\x89PNG" + b"x" * 96, maintype="image", subtype="png", filename="a.png")
    report = store.import_messages([parse_email(m.as_bytes())])
    stored = store.get(report.ticket_ids[0]).messages[0]
    assert stored == parse_email(m.as_bytes())  # every field survives the store


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    Store(path).close()
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    with pytest.raises(ConfigError) as err:
        Store(path)
    assert "newer" in err.value.message


def test_not_a_database_is_a_config_error(tmp_path: Path) -> None:
    path = tmp_path / "t.db"
    path.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(ConfigError) as err:
        Store(path)
    assert str(path) in err.value.message
