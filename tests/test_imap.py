"""The shared inbox over IMAP, against a real Dovecot: sync, threading, drafts, failures, TLS."""

from __future__ import annotations

import json
import re
import sqlite3
import sys
from collections.abc import Iterator
from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from imap_fixtures import (  # dovecot_fixture provides the `dovecot` fixture
    PASSWORD,
    PASSWORD_ENV,
    USER,
    Dovecot,
    dovecot_fixture,  # noqa: F401
    running_dovecot,
    wire_name,
)

from drafter.config import Settings, load_settings
from drafter.errors import ConfigError
from drafter.outbound.imap_drafts import save_draft
from drafter.outbound.reply_email import build_reply
from drafter.store import Store
from drafter.store.imap_sync import sync
from drafter.tickets.imap import MailboxError


def mail(n: int, *, sender: str = "Jane Doe <jane@customer.example>", subject: str | None = None,
         in_reply_to: str | None = None, body: str | None = None, size: int = 0) -> bytes:
    """A customer email numbered `n` (Message-ID <n@customer.example>)."""
    headers = [
        f"From: {sender}",
        "To: support@team.example",
        f"Subject: {subject or f'Problem {n}'}",
        f"Date: Mon, 8 Jan 2024 10:{n:02d}:00 +0000",
        f"Message-ID: <{n}@customer.example>",
    ]
    if in_reply_to:
        headers += [f"In-Reply-To: {in_reply_to}", f"References: {in_reply_to}"]
    text = body or f"Hello, message number {n} here.\nMy export fails with error {n}00.\n"
    text += "x" * size
    return ("\r\n".join(headers) + "\r\n\r\n" + text.replace("\n", "\r\n")).encode()


def settings_for(d: Dovecot, tmp_path: Path, **over: Any) -> Settings:
    return load_settings(cwd=tmp_path, env={}, flags=d.settings_flags(**over))


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    with Store(tmp_path / "tickets.db") as s:
        yield s


def count(store: Store, table: str = "messages") -> int:
    return int(store.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])


# --- sync -------------------------------------------------------------------------------------


def test_sync_imports_new_mail_into_tickets_and_leaves_it_unread(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2, sender="Bob <bob@other.example>"))
    report = sync(settings_for(dovecot, tmp_path), store)
    assert (report.new_on_server, report.new_tickets, report.new_messages) == (2, 2, 2)
    assert report.last_uid == 2 and report.failed == [] and not report.uidvalidity_changed
    ticket = store.get(report.ticket_ids[0])
    assert ticket.customer_address == "jane@customer.example"
    assert ticket.subject == "Problem 1"
    assert ticket.messages[0].message_id == "<1@customer.example>"
    assert "error 100" in ticket.messages[0].latest
    # Fetched with BODY.PEEK: the team still sees the mail as unread in its client.
    imap = dovecot.client()
    imap.select("INBOX", readonly=True)
    _, data = imap.uid("FETCH", "1:*", "(FLAGS)")
    imap.logout()
    assert data and all(b"\\Seen" not in d for d in data)


def test_second_sync_imports_nothing_and_fetches_nothing(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.deliver(mail(1))
    first = sync(settings, store)
    second = sync(settings, store)
    assert first.new_messages == 1
    assert (second.new_on_server, second.new_messages, second.duplicates) == (0, 0, 0)
    assert count(store) == 1 and count(store, "tickets") == 1
    state = store.sync_states()
    assert [(s.mailbox, s.last_uid) for s in state] == [("INBOX", 1)]
    assert state[0].uidvalidity == first.uidvalidity


def test_customer_reply_lands_in_the_same_ticket(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2, sender="Bob <bob@other.example>"))
    first = sync(settings, store)
    jane_ticket = first.ticket_ids[0]
    dovecot.deliver(mail(3, subject="Re: Problem 1", in_reply_to="<1@customer.example>",
                         body="Still broken after the update.\n"))
    later = sync(settings, store)
    assert (later.new_tickets, later.new_messages, later.ticket_ids) == (0, 1, [jane_ticket])
    ticket = store.get(jane_ticket)
    assert [m.message_id for m in ticket.messages] == ["<1@customer.example>",
                                                       "<3@customer.example>"]
    assert ticket.latest_customer_message is not None
    assert "Still broken" in ticket.latest_customer_message.latest
    assert len(store.get(first.ticket_ids[1]).messages) == 1  # Bob's ticket untouched


def test_new_uidvalidity_rechecks_everything_but_stores_nothing_twice(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2))
    first = sync(settings, store)
    # As if the server had renumbered the mailbox (restored from backup, recreated).
    store.mark_synced(first.account, "INBOX", uidvalidity=1, uid=99)
    report = sync(settings, store)
    assert report.uidvalidity_changed
    assert (report.new_on_server, report.new_messages, report.duplicates) == (2, 0, 2)
    assert count(store) == 2
    assert sync(settings, store).new_on_server == 0  # the new UIDVALIDITY is remembered


def test_oversized_message_is_reported_once_and_does_not_block_the_rest(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.deliver(mail(1, size=20_000))
    dovecot.deliver(mail(2))
    report = sync(settings, store, max_bytes=10_000)
    assert report.new_messages == 1 and len(report.failed) == 1
    where, reason = report.failed[0]
    assert where.endswith(";UID=1") and "10000 byte limit" in reason
    assert store.get(report.ticket_ids[0]).messages[0].message_id == "<2@customer.example>"
    assert sync(settings, store, max_bytes=10_000).failed == []


def test_sync_reads_another_mailbox(dovecot: Dovecot, store: Store,
                                    tmp_path: Path) -> None:
    dovecot.deliver(mail(1), mailbox="Sent")
    dovecot.deliver(mail(2))
    report = sync(settings_for(dovecot, tmp_path, **{"imap.mailbox": "Sent"}), store)
    assert report.mailbox == "Sent" and report.new_messages == 1
    assert store.get(report.ticket_ids[0]).messages[0].message_id == "<1@customer.example>"


def test_missing_mailbox_is_a_clear_error(dovecot: Dovecot, store: Store,
                                          tmp_path: Path) -> None:
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.mailbox": "Support Queue"}), store)
    assert "opening the mailbox 'Support Queue'" in caught.value.message
    assert "imap.mailbox" in (caught.value.hint or "")


# --- the server going away --------------------------------------------------------------------


def test_server_gone_mid_sync_keeps_whole_messages_and_the_next_sync_resumes(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    for n in range(1, 6):
        dovecot.deliver(mail(n))
    calls: list[tuple[int, int]] = []

    def kill_after_first_batch(done: int, total: int) -> None:
        calls.append((done, total))
        dovecot.stop()  # SIGTERM to the master: the open IMAP session is cut

    with pytest.raises(MailboxError) as caught:
        sync(settings, store, batch_size=2, progress=kill_after_first_batch)
    assert calls == [(2, 5)]
    error = caught.value
    assert error.exit_code == 2
    assert error.message.startswith(f"localhost:{dovecot.imaps_port}: the connection failed "
                                    "while fetching messages from 'INBOX' (2 of 5 imported")
    assert "again" in (error.hint or "")
    # Only whole messages were stored, and the high-water mark is where the store is.
    rows = store.db.execute("SELECT message_id, body FROM messages ORDER BY id").fetchall()
    assert [r["message_id"] for r in rows] == ["<1@customer.example>", "<2@customer.example>"]
    assert all(r["body"].endswith(f"error {n}00.") for n, r in enumerate(rows, start=1))
    assert [s.last_uid for s in store.sync_states()] == [2]

    dovecot.start()
    resumed = sync(settings, store, batch_size=2)
    assert (resumed.new_on_server, resumed.new_messages, resumed.duplicates) == (3, 3, 0)
    ids = [r[0] for r in store.db.execute("SELECT message_id FROM messages ORDER BY id")]
    assert ids == [f"<{n}@customer.example>" for n in range(1, 6)]
    assert sync(settings, store).new_on_server == 0


def test_a_message_the_store_rejects_leaves_the_mark_before_it(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    for n in (1, 2, 3):
        dovecot.deliver(mail(n))
    # A real SQLite failure in the middle of storing message 2 (after its ticket was created).
    with store.db:
        store.db.execute(
            "CREATE TRIGGER refuse_2 BEFORE INSERT ON messages "
            "WHEN NEW.message_id = '<2@customer.example>' "
            "BEGIN SELECT RAISE(ABORT, 'disk full'); END")
    with pytest.raises(sqlite3.IntegrityError, match="disk full"):
        sync(settings, store)
    ids = [r[0] for r in store.db.execute("SELECT message_id FROM messages")]
    assert ids == ["<1@customer.example>"]
    assert count(store, "tickets") == 1  # message 2's new ticket was rolled back with it
    assert [s.last_uid for s in store.sync_states()] == [1]
    with store.db:
        store.db.execute("DROP TRIGGER refuse_2")
    report = sync(settings, store)
    assert (report.new_on_server, report.new_messages, report.duplicates) == (2, 2, 0)


def test_server_not_running_is_a_clear_error(dovecot: Dovecot, store: Store,
                                             tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.stop()
    with pytest.raises(MailboxError) as caught:
        sync(settings, store)
    assert caught.value.message == (f"cannot connect to the IMAP server localhost:"
                                    f"{dovecot.imaps_port}: connection refused")
    assert count(store) == 0


# --- login ------------------------------------------------------------------------------------


def test_wrong_password_names_user_host_and_where_the_password_came_from(
        dovecot: Dovecot, store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "not-the-password-1234")
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path), store)
    text = str(caught.value)
    assert caught.value.message.startswith(
        f"localhost:{dovecot.imaps_port}: login failed for user '{USER}'")
    assert "Authentication failed" in caught.value.message
    assert PASSWORD_ENV in (caught.value.hint or "")
    assert "not-the-password-1234" not in text and PASSWORD not in text


def test_password_from_a_command_run_without_a_shell(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    secret_file = tmp_path / "secret file.txt"
    secret_file.write_text(PASSWORD + "\n", encoding="utf-8")
    command = (f"{sys.executable} -c 'import sys; print(open(sys.argv[1], encoding=\"utf-8\")"
               f".read().strip())' '{secret_file}'")
    dovecot.deliver(mail(1))
    report = sync(settings_for(dovecot, tmp_path, **{"imap.password_env": None,
                                                      "imap.password_command": command}), store)
    assert report.new_messages == 1


def test_failing_password_command_shows_its_error_not_its_output(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    command = (f"{sys.executable} -c 'import sys; print(\"half-a-secret\"); "
               f"sys.exit(\"vault is locked\")'")
    with pytest.raises(ConfigError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.password_env": None,
                                                "imap.password_command": command}), store)
    assert "exited with 1: vault is locked" in caught.value.message
    assert "half-a-secret" not in str(caught.value)


def test_unset_password_variable_is_a_config_error(
        dovecot: Dovecot, store: Store, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(PASSWORD_ENV)
    with pytest.raises(ConfigError, match=f"environment variable {PASSWORD_ENV} .* not set"):
        sync(settings_for(dovecot, tmp_path), store)


# --- TLS --------------------------------------------------------------------------------------


def test_untrusted_self_signed_certificate_is_refused(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    dovecot.deliver(mail(1))
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.ca_file": None}), store)
    assert "refused the server's TLS certificate: self-signed certificate" \
        in caught.value.message
    assert "imap.ca_file" in (caught.value.hint or "")
    assert count(store) == 0


def test_host_name_not_in_the_certificate_is_refused(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    if "127.0.0.2" not in dovecot.hosts:
        pytest.skip("cannot listen on 127.0.0.2 here")
    dovecot.deliver(mail(1))
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.host": "127.0.0.2"}), store)
    assert "IP address mismatch" in caught.value.message
    assert count(store) == 0


def test_explicit_opt_out_accepts_the_certificate_with_a_warning(
        dovecot: Dovecot, store: Store, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    host = "127.0.0.2" if "127.0.0.2" in dovecot.hosts else "127.0.0.1"
    dovecot.deliver(mail(1))
    report = sync(settings_for(dovecot, tmp_path, **{
        "imap.host": host, "imap.ca_file": None, "imap.verify_certificate": False}), store)
    assert report.new_messages == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert f"warning: not verifying the TLS certificate of {host}" in captured.err


def test_trusted_certificate_gives_no_warning(
        dovecot: Dovecot, store: Store, tmp_path: Path,
        capsys: pytest.CaptureFixture[str]) -> None:
    sync(settings_for(dovecot, tmp_path), store)
    assert capsys.readouterr().err == ""


def test_starttls(dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    dovecot.deliver(mail(1))
    report = sync(settings_for(dovecot, tmp_path, **{
        "imap.security": "starttls", "imap.port": dovecot.imap_port}), store)
    assert report.new_messages == 1


def test_unencrypted_connection_sends_no_password_when_the_server_forbids_it(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    if "127.0.0.2" not in dovecot.hosts:
        pytest.skip("cannot listen on 127.0.0.2 here")
    # Dovecot trusts a client on its own address; from 127.0.0.1 to 127.0.0.2 it does not,
    # and answers LOGINDISABLED, as a server elsewhere on the network would.
    plain = {"imap.security": "none", "imap.port": dovecot.imap_port}
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.host": "127.0.0.2", **plain}), store)
    assert "does not accept a password on an unencrypted connection" in caught.value.message
    assert "starttls" in (caught.value.hint or "")
    assert "method=" not in dovecot.log.read_text()  # no login attempt reached the server
    # A server that accepts it (like a local mail bridge) is used unencrypted on loopback.
    dovecot.deliver(mail(1))
    report = sync(settings_for(dovecot, tmp_path, **{"imap.host": "127.0.0.1", **plain}), store)
    assert report.new_messages == 1


def test_implicit_tls_against_a_starttls_port_is_a_clear_error(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    with pytest.raises(MailboxError) as caught:
        sync(settings_for(dovecot, tmp_path, **{"imap.port": dovecot.imap_port}), store)
    assert "TLS handshake failed" in caught.value.message
    assert "imap.security" in (caught.value.hint or "")


# --- drafts -----------------------------------------------------------------------------------


def _read_drafts(d: Dovecot, mailbox: str) -> list[tuple[bytes, bytes]]:
    """(FLAGS line, raw message) of every message in `mailbox`, read with plain imaplib."""
    imap = d.client()
    try:
        typ, _ = imap.select(wire_name(mailbox), readonly=True)
        assert typ == "OK"
        _, data = imap.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    finally:
        imap.logout()
    return [(part[0], part[1]) for part in data if isinstance(part, tuple)]


def test_save_draft_puts_a_threaded_reply_in_drafts(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path)
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2, subject="Re: Problem 1", in_reply_to="<1@customer.example>"))
    ticket = store.get(sync(settings, store).ticket_ids[0])
    reply = build_reply(ticket, "Hi Jane,\n\nThe export works again.\n",
                        from_address="support@team.example", from_name="Support")
    url = save_draft(settings, reply)
    assert re.fullmatch(rf"imap://{USER}@localhost:{dovecot.imaps_port}/Drafts"
                        r";UIDVALIDITY=\d+/;UID=1", url)
    drafts = _read_drafts(dovecot, "Drafts")
    assert len(drafts) == 1
    flags, raw = drafts[0]
    assert b"\\Draft" in flags and b"\\Seen" in flags
    saved = message_from_bytes(raw, policy=policy.default)
    assert saved["In-Reply-To"] == "<2@customer.example>"
    assert saved["References"].split() == ["<1@customer.example>", "<2@customer.example>"]
    assert saved["Subject"] == "Re: Problem 1"
    assert saved["To"] == "Jane Doe <jane@customer.example>"
    assert saved["Message-ID"] == reply["Message-ID"]
    assert saved.get_content().replace("\r\n", "\n").startswith(
        "Hi Jane,\n\nThe export works again.\n")
    assert b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b"")
    # Nothing else moved: the inbox still holds just the customer's two messages.
    assert len(_read_drafts(dovecot, "INBOX")) == 2


def test_explicitly_named_missing_drafts_mailbox_is_an_error_and_not_created(
        dovecot: Dovecot, store: Store, tmp_path: Path) -> None:
    settings = settings_for(dovecot, tmp_path, **{"imap.drafts": "Entwürfe"})
    dovecot.deliver(mail(1))
    ticket = store.get(sync(settings, store).ticket_ids[0])
    with pytest.raises(MailboxError) as caught:
        save_draft(settings, build_reply(ticket, "Hello.", from_address="s@team.example"))
    assert "cannot save the draft in 'Entwürfe'" in caught.value.message
    assert 'imap.drafts = "Drafts"' in (caught.value.hint or "")
    imap = dovecot.client()
    _, boxes = imap.list()
    imap.logout()
    assert not any(b"Entw" in b for b in boxes)


@pytest.mark.real_server("dovecot")  # starts its own server, not through the `dovecot` fixture
def test_default_drafts_name_falls_back_to_the_special_use_mailbox(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with running_dovecot(drafts="Entwürfe") as d:
        settings = settings_for(d, tmp_path)
        assert settings.origins["imap.drafts"] == "default"
        d.deliver(mail(1))
        ticket = store.get(sync(settings, store).ticket_ids[0])
        url = save_draft(settings, build_reply(ticket, "Hello.", from_address="s@team.example"))
        assert "/Entw%C3%BCrfe;UIDVALIDITY=" in url
        drafts = _read_drafts(d, "Entwürfe")
        assert len(drafts) == 1 and b"\\Draft" in drafts[0][0]
        # Named explicitly, the same mailbox is used directly (modified UTF-7 on the wire).
        explicit = settings_for(d, tmp_path, **{"imap.drafts": "Entwürfe"})
        save_draft(explicit, build_reply(ticket, "Hello again.", from_address="s@team.example"))
        assert len(_read_drafts(d, "Entwürfe")) == 2


# --- config -----------------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "expected"), [
    ({"imap.host": None}, "`imap.host` is not set"),
    ({"imap.user": None}, "`imap.user` is not set"),
    ({"imap.password_env": None}, "no IMAP password configured"),
    ({"imap.password_command": "pass show imap"}, "both `imap.password_env` and"),
    ({"imap.security": "none", "imap.host": "imap.example.com"}, "unencrypted"),
    ({"imap.ca_file": "/nonexistent/ca.pem"}, "/nonexistent/ca.pem does not exist"),
])
def test_config_errors_need_no_server(tmp_path: Path, store: Store,
                                      flags: dict[str, Any], expected: str) -> None:
    base = {"imap.host": "localhost", "imap.user": USER, "imap.password_env": PASSWORD_ENV,
            "imap.ca_file": None}
    base.update(flags)
    with pytest.raises(ConfigError, match=re.escape(expected)):
        sync(load_settings(cwd=tmp_path, env={}, flags=base), store)


def test_plaintext_is_allowed_to_loopback_only(tmp_path: Path, store: Store) -> None:
    from drafter.tickets.imap import account_from

    for host in ("localhost", "127.0.0.1", "::1"):
        account = account_from(load_settings(cwd=tmp_path, env={}, flags={
            "imap.host": host, "imap.user": "u", "imap.password_env": "X",
            "imap.security": "none"}))
        assert account.port == 143
    tls = account_from(load_settings(cwd=tmp_path, env={}, flags={
        "imap.host": "imap.example.com", "imap.user": "u", "imap.password_env": "X"}))
    assert (tls.port, tls.security, tls.verify_certificate) == (993, "tls", True)


def test_config_file_section(tmp_path: Path) -> None:
    (tmp_path / "drafter.toml").write_text(
        '[imap]\nhost = "imap.example.com"\nuser = "support@example.com"\n'
        'password_env = "SUPPORT_IMAP_PASSWORD"\nsecurity = "starttls"\n', encoding="utf-8")
    settings = load_settings(cwd=tmp_path, env={})
    assert settings["imap.security"] == "starttls" and settings["imap.mailbox"] == "INBOX"
    (tmp_path / "drafter.toml").write_text('[imap]\npasword_env = "X"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="unknown key `pasword_env` in \\[imap\\]"):
        load_settings(cwd=tmp_path, env={})


@pytest.mark.real_server("dovecot")  # starts its own server, not through the `dovecot` fixture
def test_mailbox_with_a_non_ascii_name_is_synced(
        store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # Its name travels in modified UTF-7 (RFC 3501 5.1.3); the URLs and the state keep Unicode.
    monkeypatch.setenv(PASSWORD_ENV, PASSWORD)
    with running_dovecot(drafts="Entwürfe & Co") as d:
        d.deliver(mail(1), mailbox="Entwürfe & Co")
        d.deliver(mail(2))
        settings = settings_for(d, tmp_path, **{"imap.mailbox": "Entwürfe & Co"})
        report = sync(settings, store)
        assert (report.mailbox, report.new_messages) == ("Entwürfe & Co", 1)
        assert store.get(report.ticket_ids[0]).messages[0].message_id == "<1@customer.example>"
        assert [(s.mailbox, s.last_uid) for s in store.sync_states()] == [("Entwürfe & Co", 1)]
        assert sync(settings, store).new_on_server == 0


# --- the command line -------------------------------------------------------------------------


def _config(d: Dovecot, tmp_path: Path, **over: Any) -> Path:
    values = {k.split(".", 1)[1]: v for k, v in d.settings_flags(**over).items()}
    lines = ["[imap]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items() if v is not None]
    path = tmp_path / "drafter.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_cli_sync_text_and_json(dovecot: Dovecot, tmp_path: Path, draft: Any) -> None:
    config, db = _config(dovecot, tmp_path), tmp_path / "cli.db"
    dovecot.deliver(mail(1))
    dovecot.deliver(mail(2, in_reply_to="<1@customer.example>"))
    result = draft(["--config", str(config), "tickets", "--store", str(db), "sync"])
    assert result.code == 0, result
    assert result.stdout == (f"1 new ticket, 2 new messages, 0 duplicates skipped "
                             f"(INBOX on localhost:{dovecot.imaps_port} as {USER})\n")
    assert f"store: {db}" in result.stderr
    again = draft(["--config", str(config), "tickets", "--store", str(db), "sync",
                   "--format", "json"])
    assert again.code == 0, again
    data = json.loads(again.stdout)
    assert (data["new_messages"], data["new_on_server"], data["last_uid"]) == (0, 0, 2)
    assert data["store"] == str(db)
    with sqlite3.connect(db) as con:
        assert con.execute("SELECT COUNT(*) FROM messages").fetchone()[0] == 2


def test_cli_wrong_password_exits_2_without_showing_it(
        dovecot: Dovecot, tmp_path: Path, draft: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(PASSWORD_ENV, "wrong-password-5678")
    config = _config(dovecot, tmp_path)
    result = draft(["--config", str(config), "tickets", "--store", str(tmp_path / "x.db"),
                    "sync"])
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr.startswith(f"error: localhost:{dovecot.imaps_port}: login failed for "
                                    f"user '{USER}'")
    assert f"hint: check `imap.user` and the password in the environment variable {PASSWORD_ENV}" \
        in result.stderr
    assert "wrong-password-5678" not in result.stdout + result.stderr


def test_cli_without_imap_config_exits_2(tmp_path: Path, draft: Any,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    result = draft(["tickets", "--store", str(tmp_path / "x.db"), "sync"])
    assert result.code == 2
    assert "error: `imap.host` is not set" in result.stderr
    assert "docs/imap.md" in result.stderr
