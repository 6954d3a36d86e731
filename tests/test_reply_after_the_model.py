"""`draft reply --format eml` and `--save-draft`: when the reply cannot be wrapped as an email or
saved to the mailbox, the model's draft is printed (and, for a stored ticket, stored) first, and
the failure is its own clear error with a non-zero exit."""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import model_env, sample_ticket

from drafter.store import Store

pytest_plugins = ["batch_server_fixtures"]
pytestmark = pytest.mark.local_server


def stored_ticket(store: Path, **changes: Any) -> int:
    ticket = sample_ticket(0, same=True)
    message = ticket.messages[0]
    for key, value in changes.items():
        target = message if key in ("message_id", "sender_address", "sender_name") else ticket
        setattr(target, key, value)
    with Store(store) as opened:
        return int(opened.import_ticket(ticket).ticket_ids[0])


@pytest.mark.parametrize(
    ("changes", "named"),
    [({"customer_address": "not an address", "sender_address": "not an address"},
      "the customer's address 'not an address'"),
     ({"customer_name": "Jane\r\nBcc: x@evil.test"}, "Bcc: x@evil.test"),
     ({"message_id": "<a\r\nb@example.com>"}, "message ids")],
    ids=["not-an-address", "crlf-in-name", "crlf-in-message-id"])
def test_a_reply_that_cannot_be_an_email_is_printed_and_stored_first(
        draft, proxy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        changes: dict[str, str], named: str) -> None:
    store = tmp_path / "s.db"
    ticket_id = stored_ticket(store, **changes)
    model_env(monkeypatch, proxy.base_url, store)
    result = draft(["reply", "--ticket", str(ticket_id), "--format", "eml", "--max-revisions", "0"])
    assert result.code == 2, result
    assert "the reply cannot be written as an email" in result.stderr and named in result.stderr
    assert f"the draft is printed above; it is stored too (draft drafts show {ticket_id})" \
        in result.stderr
    assert "internal error" not in result.stderr
    with Store(store) as opened:
        kept = opened.get_draft(ticket_id)
    assert kept is not None and kept.status == "done" and kept.via == "reply"
    assert kept.draft and result.stdout == kept.draft
    assert proxy.tally.chat_requests == 1


def test_a_draft_that_cannot_be_saved_to_an_unreachable_mailbox_is_printed_first(
        draft, proxy: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    model_env(monkeypatch, proxy.base_url, store)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: the IMAP server is unreachable
        (tmp_path / "drafter.toml").write_text(
            f'[imap]\nhost = "127.0.0.1"\nport = {sock.getsockname()[1]}\nsecurity = "none"\n'
            'user = "support"\npassword_env = "IMAP_PW"\n')
        monkeypatch.chdir(tmp_path)
        monkeypatch.setenv("IMAP_PW", "pw")
        result = draft(["reply", "--save-draft", "--max-revisions", "0", "--no-stream"],
                       input="Where is my parcel? It has not moved for a week.")
    assert result.code == 2, result
    assert result.stdout.strip()  # the draft
    assert "error: the draft could not be saved to the mailbox: cannot connect to the IMAP " \
        "server 127.0.0.1:" in result.stderr
    assert "the draft is printed above" in result.stderr and "internal error" not in result.stderr
