"""Importing .eml, .mbox and drafter's JSON tickets; tickets from stdin."""

from __future__ import annotations

import json
import mailbox
from pathlib import Path

import pytest
from tickets_fixtures import eml

from drafter.errors import InputError
from drafter.store import Store
from drafter.tickets.importers import read_paths, ticket_from_input, tickets_from_json

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "tickets"


@pytest.fixture
def store(tmp_path: Path):
    """A real SQLite ticket store in a temporary folder."""
    with Store(tmp_path / "data" / "tickets.db") as opened:
        yield opened



def write(path: Path, data: bytes | str) -> Path:
    path.write_bytes(data.encode() if isinstance(data, str) else data)
    return path


def test_examples_import_with_ticket_1_the_damaged_order(store: Store) -> None:
    files = sorted(EXAMPLES.iterdir())
    report = store.import_found(read_paths(files))
    assert report.failed == []
    assert report.new_tickets == 5
    first = store.get(1)
    assert "broken" in (first.subject or "").lower()
    latest = first.latest_customer_message
    assert latest is not None and "?" in latest.latest
    assert [a.filename for a in latest.attachments] == ["box-photo.png"]
    assert "wrote:" not in latest.latest and "Sent from my iPhone" not in latest.latest
    refund = next(t for t in store.list() if t.messages == 3 and t.channel == "email")
    thread = store.get(refund.id)
    assert [m.from_customer for m in thread.messages] == [True, False, True]
    again = store.import_found(read_paths(files))
    assert (again.new_tickets, again.new_messages) == (0, 0)
    assert again.duplicates == report.new_messages


def test_mbox_import_threads_messages(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "support.mbox"
    box = mailbox.mbox(str(path))
    box.add(eml("Where is my order?", message_id="<q1@example.com>"))
    box.add(eml("It shipped today.", sender="Sam <support@acme.example>",
                message_id="<r1@acme.example>", in_reply_to="<q1@example.com>",
                date="Mon, 08 Jan 2024 11:00:00 +0000"))
    box.add(eml("Unrelated question", sender="Bob <bob@example.com>",
                message_id="<b1@example.com>"))
    box.flush()
    box.close()
    report = store.import_found(read_paths([path]))
    assert (report.new_tickets, report.new_messages, report.failed) == (2, 3, [])
    assert sorted(t.messages for t in store.list()) == [1, 2]


def test_mbox_with_a_bad_message_imports_the_rest(tmp_path: Path, store: Store) -> None:
    path = tmp_path / "mixed.mbox"
    box = mailbox.mbox(str(path))
    box.add(eml("Good one", message_id="<g1@example.com>"))
    box.add(b"From: x@example.com\n\n" + b"\x00\x01\x02" * 100)
    box.flush()
    box.close()
    report = store.import_found(read_paths([path]))
    assert report.new_messages == 1
    assert len(report.failed) == 1 and "message 2" in report.failed[0][0]


def test_mbox_body_line_starting_with_from_does_not_split_the_message(
        tmp_path: Path, store: Store) -> None:
    # Written by hand as many real mailboxes are: the body's "From " lines are not escaped.
    first = eml("Hello,\n\nFrom the moment it arrived the lid was cracked.\nFrom what I see, "
                "the box was dropped.\n\nMaria", sender="Maria <maria@example.com>",
                message_id="<m1@example.com>")
    second = eml("Second customer", sender="Bob <bob@example.com>", message_id="<b2@example.com>")
    path = write(tmp_path / "raw.mbox",
                 b"From maria@example.com Mon Jan  8 10:00:00 2024\n" + first.rstrip(b"\n")
                 + b"\n\nFrom bob@example.com Tue Jan  9 10:00:00 2024\n" + second)
    report = store.import_found(read_paths([path]))
    assert (report.new_messages, report.failed) == (2, [])
    maria = next(t for t in store.list() if t.customer_address == "maria@example.com")
    body = store.get(maria.id).messages[0].body
    assert "From the moment it arrived" in body and "the box was dropped" in body


def test_mbox_oversized_message_is_refused_and_the_rest_imported(
        tmp_path: Path, store: Store) -> None:
    path = tmp_path / "big.mbox"
    box = mailbox.mbox(str(path))
    box.add(eml("x" * 5000, message_id="<big@example.com>"))
    box.add(eml("Small one", message_id="<small@example.com>"))
    box.flush()
    box.close()
    report = store.import_found(read_paths([path], max_bytes=2000))
    assert report.new_messages == 1
    assert len(report.failed) == 1
    where, reason = report.failed[0]
    assert "message 1" in where and "too large" in reason


def test_a_failing_file_does_not_stop_the_others(tmp_path: Path, store: Store) -> None:
    good = write(tmp_path / "a.eml", eml("Hello", message_id="<ok@example.com>"))
    empty = write(tmp_path / "b.eml", b"")
    missing = tmp_path / "c.eml"
    broken = write(tmp_path / "d.json", "{not json")
    later = write(tmp_path / "e.eml", eml("Later", message_id="<ok2@example.com>"))
    report = store.import_found(read_paths([good, empty, missing, broken, later]))
    assert report.new_messages == 2
    failed = dict(report.failed)
    assert set(failed) == {str(empty), str(missing), str(broken)}
    assert "empty" in failed[str(empty)]
    assert "no such file" in failed[str(missing)]
    assert f"{broken}:1:2" in failed[str(broken)]


def test_oversize_file_fails_with_a_reason(tmp_path: Path, store: Store) -> None:
    big = write(tmp_path / "big.eml", eml("x" * 3000))
    report = store.import_found(read_paths([big], max_bytes=1000))
    assert report.new_messages == 0
    assert "too large" in report.failed[0][1]


def test_folder_import(tmp_path: Path, store: Store) -> None:
    write(tmp_path / "1.eml", eml("One", message_id="<f1@example.com>"))
    write(tmp_path / "2.eml", eml("Two", message_id="<f2@example.com>", sender="b@example.com"))
    write(tmp_path / "notes.md", "not a message")
    report = store.import_found(read_paths([tmp_path]))
    assert report.new_messages == 2 and report.failed == []


# --- JSON ----------------------------------------------------------------------------------

TICKET = {
    "id": "T-1",
    "subject": "Login",
    "channel": "chat",
    "tags": ["account"],
    "customer": {"name": "Alex Kim", "email": "Alex@Example.com"},
    "messages": [
        {"author": "customer", "text": "I can't log in", "date": "2024-01-15T14:02:10Z"},
        {"author": "agent", "name": "Sam", "text": "Did you reset it?"},
        {"author": "customer", "text": "Yes", "id": "chat-3",
         "attachments": [{"filename": "error.png", "content_type": "image/png", "size": 10}]},
    ],
}


@pytest.mark.parametrize("shape", ["object", "list", "wrapped"])
def test_json_shapes(tmp_path: Path, store: Store, shape: str) -> None:
    data = {"object": TICKET, "list": [TICKET], "wrapped": {"tickets": [TICKET]}}[shape]
    path = write(tmp_path / "t.json", json.dumps(data))
    report = store.import_found(read_paths([path]))
    assert (report.new_tickets, report.new_messages) == (1, 3)
    ticket = store.get(report.ticket_ids[0])
    assert ticket.channel == "chat" and ticket.tags == ["account"]
    assert ticket.customer_address == "alex@example.com"
    assert [m.from_customer for m in ticket.messages] == [True, False, True]
    assert ticket.messages[0].sender_name == "Alex Kim"
    assert ticket.messages[0].date == "2024-01-15T14:02:10+00:00"
    assert ticket.messages[1].sender_name == "Sam"
    assert ticket.messages[2].message_id == "<chat-3>"
    assert ticket.messages[2].attachments[0].filename == "error.png"
    assert store.import_found(read_paths([path])).duplicates == 3


def test_json_new_messages_join_the_same_ticket(tmp_path: Path, store: Store) -> None:
    path = write(tmp_path / "t.json", json.dumps(TICKET))
    store.import_found(read_paths([path]))
    grown = dict(TICKET, messages=[*TICKET["messages"], {"author": "agent", "text": "Fixed."}])
    write(path, json.dumps(grown))
    report = store.import_found(read_paths([path]))
    assert (report.new_tickets, report.new_messages, report.duplicates) == (0, 1, 3)
    assert len(store.get(1).messages) == 4


@pytest.mark.parametrize(
    ("change", "key", "words"),
    [
        ({"messages": []}, "messages", "non-empty list"),
        ({"messages": None}, "messages", "missing"),
        ({"channel": "fax"}, "channel", '"email", "chat"'),
        ({"messsages": []}, "messsages", "did you mean `messages`"),
        ({"customer": "Alex"}, "customer", "object"),
        ({"tags": "a,b"}, "tags", "list of strings"),
        ({"messages": [{"author": "bot", "text": "x"}]}, "messages[0].author", '"customer"'),
        ({"messages": [{"author": "agent"}]}, "messages[0].text", "missing"),
        ({"messages": [{"text": "x", "date": "yesterday"}]}, "messages[0].date", "ISO 8601"),
        ({"messages": [{"text": "x", "attachments": [{"size": 3}]}]},
         "messages[0].attachments[0].filename", "missing"),
    ],
)
def test_json_errors_name_file_and_key(tmp_path: Path, store: Store, change: dict,
                                       key: str, words: str) -> None:
    data = {k: v for k, v in {**TICKET, **change}.items() if v is not None}
    path = write(tmp_path / "bad.json", json.dumps({"tickets": [data]}))
    report = store.import_found(read_paths([path]))
    assert report.new_messages == 0
    file, _ = report.failed[0]
    assert file == str(path)
    with pytest.raises(InputError) as err:
        tickets_from_json({"tickets": [data]}, str(path))
    full = f"{err.value.message} {err.value.hint}"
    assert str(path) in err.value.message
    assert f"tickets[0].{key}" in err.value.message
    assert words in full


def test_invalid_json_names_line_and_column(tmp_path: Path, store: Store) -> None:
    path = write(tmp_path / "bad.json", '{\n  "subject": "x",\n  oops\n}')
    report = store.import_found(read_paths([path]))
    assert report.failed[0][1].startswith(f"{path}:3:3: not valid JSON")


# --- stdin -----------------------------------------------------------------------------------


def test_ticket_from_email_on_stdin() -> None:
    ticket = ticket_from_input(eml("Where is my order?\n\nSent from my iPhone"))
    assert ticket.customer_name == "Jane Doe"
    assert ticket.customer_address == "jane@example.com"
    assert ticket.subject == "Order 1234"
    assert ticket.latest_customer_message is not None
    assert ticket.latest_customer_message.latest == "Where is my order?"


def test_ticket_from_plain_text_on_stdin() -> None:
    ticket = ticket_from_input(b"hi, my parcel never came. order 55\n")
    assert ticket.customer_address is None
    assert ticket.messages[0].latest == "hi, my parcel never came. order 55"


def test_ticket_from_json_on_stdin() -> None:
    ticket = ticket_from_input(json.dumps(TICKET).encode())
    assert ticket.channel == "chat" and len(ticket.messages) == 3


@pytest.mark.parametrize("data", [b"", b"  \n", b"\x00\x01binary\x00"])
def test_ticket_from_bad_stdin(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        ticket_from_input(data)
    assert err.value.message.startswith("stdin:")
    assert err.value.hint
