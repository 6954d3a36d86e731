"""The RT connector against a real Request Tracker 5 (tests/rt_fixtures.py): tickets made through
REST 2 and RT's mail gateway with real MIME content, read back, listed, and noted on."""

from __future__ import annotations

import ast
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from faultproxy import RESET_BEFORE, FaultProxy, always, script, status
from rt_server import CUSTOMER, QUEUE, RT, TOKEN_ENV

from drafter.config import load_settings
from drafter.helpdesk import HelpdeskError, HelpdeskUnavailable, open_connector
from drafter.helpdesk.base import NOTE_MARKER
from drafter.helpdesk.http import HttpClient
from drafter.helpdesk.rt import RTConnector

pytest_plugins = ["rt_fixtures"]  # one RT per session, shared with the other helpdesk tests
pytestmark = pytest.mark.real_server("rt")

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "tickets"
HTML = ("<html><body><p>Hello,</p><p>My parcel arrived <b>crushed</b>: the mug is broken, "
        "café everywhere.</p><p>Zoë</p></body></html>")
FOLLOW_UP = """It is order 4417, and the box is in the photo.

On Mon, 7 Dec 2026 at 10:00, Sam Agent <support@drafter.test> wrote:
> Hi Zoë, I'm sorry! Could you send me the order number?
>
> Sam

--
Zoë Müller
+49 30 1234567
"""
PNG = bytes.fromhex("89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489")


def connector(rt: RT, **over: Any) -> RTConnector:
    """drafter's RT connector for this server, as the agent unless TOKEN_ENV says otherwise."""
    c = open_connector(load_settings(env={}, cwd=Path("/"), flags={**rt.settings_flags(), **over}))
    assert isinstance(c, RTConnector)
    return c


@pytest.fixture(scope="module")
def thread(rt_server: RT) -> str:
    """A ticket as it happens: the customer writes (HTML, a photo), the team replies and
    comments, the customer answers (quoting the reply, a signature, a PDF)."""
    rt = rt_server
    number = rt.create_ticket("Colis abîmé — commande 4417", HTML, "text/html",
                              attachments=[("photo-colis.png", "image/png", PNG)])
    rt.reply(number, "Hi Zoë, I'm sorry! Could you send me the order number?\n\nSam", "agent")
    rt.comment(number, "Internal: second damaged parcel from this carrier this week.")
    rt.reply(number, FOLLOW_UP, "customer",
             attachments=[("Rechnung-4417.pdf", "application/pdf", b"%PDF-1.4 ...")])
    return number


def test_fetch_reads_every_message_and_comment_in_order(rt: RT, thread: str) -> None:
    with connector(rt) as c:
        ticket = c.fetch(thread)
    assert ticket.name == f"rt:{thread}"
    assert ticket.subject == "Colis abîmé — commande 4417"
    assert (ticket.customer_name, ticket.customer_address) == (CUSTOMER[1], CUSTOMER[0])
    assert ticket.status == "open"  # RT's `open`, after the team's reply
    who = [(m.from_customer, m.internal, m.sender_address) for m in ticket.messages]
    assert who == [(True, False, CUSTOMER[0]), (False, False, "agent@drafter.test"),
                   (False, True, "agent@drafter.test"), (True, False, CUSTOMER[0])]
    first, reply, comment, follow_up = ticket.messages
    # HTML read as text; the reply to the customer and the comment as written.
    assert "My parcel arrived crushed: the mug is broken, café everywhere." in first.latest
    assert "<b>" not in first.body
    assert reply.latest.startswith("Hi Zoë, I'm sorry!")
    assert comment.latest == "Internal: second damaged parcel from this carrier this week."
    # Quoted history and the signature trimmed, the whole body kept.
    assert follow_up.latest == "It is order 4417, and the box is in the photo."
    assert "wrote:" in follow_up.body and "+49 30" in follow_up.body
    assert [(a.filename, a.content_type) for a in first.attachments] == [
        ("photo-colis.png", "image/png")]
    assert first.attachments[0].size == len(PNG)
    assert [(a.filename, a.content_type) for a in follow_up.attachments] == [
        ("Rechnung-4417.pdf", "application/pdf")]
    assert first.subject == ticket.subject and first.sender_name == CUSTOMER[1]
    dates = [m.date for m in ticket.messages]
    assert all(dates) and dates == sorted(dates)  # type: ignore[type-var]
    assert ticket.latest_customer_message is follow_up


def test_an_email_through_rts_mail_gateway_is_read_as_email_is(rt: RT) -> None:
    raw = (EXAMPLES / "01-damaged-order.eml").read_bytes()
    raw = raw.replace(b"Message-ID: <CAF3xk9v2Lr8@mail.example.com>",
                      f"Message-ID: <gateway-{time.time_ns()}@mail.example.com>".encode())
    rt.mail(raw)
    with connector(rt) as c:
        number = max(int(t.number) for t in c.list_tickets(QUEUE))
        ticket = c.fetch(str(number))
    assert ticket.subject == "Order #48213 arrived broken - AGAIN"
    assert ticket.customer_address == "maria.lopez@example.com"
    (message,) = ticket.messages
    assert message.from_customer and not message.internal
    assert message.latest.startswith("Hello,\n\nI am honestly fed up.")
    assert "189 €" in message.latest
    assert "Sent from my iPhone" not in message.latest and "Good news" not in message.latest
    assert [a.filename for a in message.attachments] == ["box-photo.png"]


def test_list_tickets_by_queue_since_and_status(rt: RT, thread: str) -> None:
    with connector(rt) as c:
        listed = {t.number: t for t in c.list_tickets(QUEUE)}
        assert thread in listed and listed[thread].subject == "Colis abîmé — commande 4417"
        assert listed[thread].status == "open"
        later = datetime.now(timezone.utc) + timedelta(hours=1)
        assert list(c.list_tickets(QUEUE, since=later)) == []
        earlier = datetime.now(timezone.utc) - timedelta(hours=1)
        assert thread in {t.number for t in c.list_tickets(QUEUE, since=earlier, status="open")}
        assert thread not in {t.number for t in c.list_tickets(QUEUE, status="closed")}
        assert list(c.list_tickets("No Such Queue")) == []


def test_a_listed_ticket_is_read_in_three_requests_as_fetch_reads_it(
        rt: RT, thread: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """A sync reads each ticket it listed without asking for the ticket's own record again:
    the listing gave its subject, status, requestor and effective id."""
    sent: list[tuple[str, str]] = []
    original = HttpClient.request

    def recording(self: HttpClient, method: str, url: str, **kw: Any) -> Any:
        sent.append((method, re.sub(r"^http://[^/]+/REST/2\.0", "", url)))
        return original(self, method, url, **kw)

    with connector(rt) as c:
        listed = next(t for t in c.list_tickets(QUEUE) if t.number == thread)
        monkeypatch.setattr(HttpClient, "request", recording)
        from_listing = c.fetch_listed(listed)
        read = list(sent)
    with connector(rt) as c:
        fetched = c.fetch(thread)
    assert from_listing == fetched and len(fetched.messages) >= 4
    assert read == [("GET", f"/ticket/{thread}/history"), ("GET", f"/ticket/{thread}/attachments"),
                    ("POST", f"/ticket/{thread}/attachments")], read


def test_a_note_lands_as_a_comment_the_customer_never_sees(rt: RT) -> None:
    number = rt.create_ticket("Where is my refund?", "I returned the lamp two weeks ago.")
    with connector(rt) as c:
        ticket = c.fetch(number)
        assert c.may_add_note(number) is True
        first = c.post_note(ticket, "Hi Zoë,\n\nYour refund left today.\n\nfindings: none")
        assert first.posted and first.ticket == f"rt:{number}"
        again = c.post_note(c.fetch(number), "Hi Zoë, a second draft")
        assert not again.posted
        forced = c.post_note(c.fetch(number), "Hi Zoë, a third draft", force=True)
        assert forced.posted
        noted = c.fetch(number)
    history = rt.history(number)
    assert [t["type"] for t in history if t["creator"] == "agent"] == ["Comment", "Comment"]
    assert not any(t["type"] == "Correspond" for t in history)
    notes = [m for m in noted.messages if m.internal]
    assert len(notes) == 2
    assert notes[0].body.startswith("Hi Zoë,\n\nYour refund left today.")
    assert f"{NOTE_MARKER}<rt-transaction-" in notes[0].body
    # The requestor (no ShowTicketComments) sees the ticket, not the notes.
    assert [t["type"] for t in rt.history(number, user="customer")
            if t["type"] in ("Comment", "Correspond", "Create")] == ["Create"]


def test_a_new_customer_message_gets_a_new_note(rt: RT) -> None:
    number = rt.create_ticket("Lamp flickers", "My lamp flickers.")
    with connector(rt) as c:
        assert c.post_note(c.fetch(number), "Draft one").posted
        rt.reply(number, "It still flickers with a new bulb.", "customer")
        assert c.post_note(c.fetch(number), "Draft two").posted
    assert [t["type"] for t in rt.history(number)].count("Comment") == 2


def test_no_connector_path_sends_anything_but_a_comment(rt: RT, thread: str,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every request of every operation is recorded (the requests still go to RT): the only
    write is POST .../comment; a POST to .../correspond is refused before it leaves."""
    sent: list[tuple[str, str]] = []
    original = HttpClient.request

    def recording(self: HttpClient, method: str, url: str, **kw: Any) -> Any:
        sent.append((method, url))
        return original(self, method, url, **kw)

    monkeypatch.setattr(HttpClient, "request", recording)
    number = rt.create_ticket("Broken handle", "The handle broke off.")
    before = rt.history(number)
    with connector(rt) as c:
        c.check()
        list(c.list_tickets(QUEUE))
        c.post_note(c.fetch(number), "A draft", force=True)
        with pytest.raises(HelpdeskError, match="only adds comments"):
            c._post(f"/ticket/{number}/correspond", {"Content": "sent to the customer?"})
    writes = [(m, re.sub(r"^http://[^/]+/REST/2\.0", "", u)) for m, u in sent if m != "GET"]
    assert writes and all(m == "POST" and re.fullmatch(r"/ticket/\d+/(comment|attachments)", u)
                          for m, u in writes), writes
    assert [u for m, u in writes if u.endswith("/comment")] == [f"/ticket/{number}/comment"]
    added = rt.history(number)[len(before):]
    assert [t["type"] for t in added] == ["Comment"]
    # And no request path in the connector's source names RT's reply endpoint.
    source = (Path(__file__).resolve().parents[1] / "drafter" / "helpdesk" / "rt.py").read_text()
    literals = [n.value for n in ast.walk(ast.parse(source))
                if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [text for text in literals if "/correspond" in text.lower()]


def test_check_says_what_is_there_and_what_is_missing(rt: RT, thread: str,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    with connector(rt) as c:
        checks = c.check()
    assert [(k.what, k.ok) for k in checks] == [
        ("URL", True), ("token", True), (f"queue {QUEUE}", True), ("read tickets", True),
        ("add internal notes", True)]
    monkeypatch.setenv(TOKEN_ENV, rt.tokens["reader"])
    with connector(rt) as c:
        checks = c.check()
    assert [(k.what, k.ok) for k in checks][-1] == ("add internal notes", False)
    assert "CommentOnTicket is missing" in checks[-1].detail
    monkeypatch.setenv(TOKEN_ENV, "1-31-not-a-token")
    with connector(rt) as c:
        checks = c.check()
    assert [(k.what, k.ok) for k in checks] == [("URL", True), ("token", False)]
    with connector(rt, **{"helpdesk.queue": "Nope"}) as c:
        monkeypatch.setenv(TOKEN_ENV, rt.tokens["agent"])
        assert [(k.what, k.ok) for k in c.check()][-1] == ("queue Nope", False)


def test_errors_are_clear(rt: RT, thread: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with connector(rt) as c, pytest.raises(HelpdeskError, match="rt:99999: no such ticket"):
        c.fetch("99999")
    # A ticket the team opened for someone: nothing from the customer to answer.
    number = rt.create_ticket("Callback", "Customer called about a refund.", user="agent")
    with connector(rt) as c:
        ticket = c.fetch(number)
        assert not any(m.from_customer for m in ticket.messages)
        with pytest.raises(HelpdeskError, match=f"rt:{number} has no message from the customer"):
            c.post_note(ticket, "A draft")
    monkeypatch.setenv(TOKEN_ENV, rt.tokens["reader"])
    with connector(rt) as c, pytest.raises(HelpdeskError, match="may not comment") as caught:
        ticket = c.fetch(thread)
        assert c.may_add_note(thread) is False
        c.post_note(ticket, "A draft")
    assert caught.value.exit_code == 2
    monkeypatch.setenv(TOKEN_ENV, "1-31-secret-bad-token")
    with connector(rt) as c, pytest.raises(HelpdeskError, match="refused the token") as refused:
        c.fetch(thread)
    assert "secret-bad-token" not in str(refused.value) and TOKEN_ENV in str(refused.value)


def test_merged_and_deleted_tickets_are_clear_errors(rt: RT) -> None:
    merged, kept, deleted = (rt.create_ticket(f"Ticket {n}", "Hello?") for n in range(3))
    rt.perl(f"""
        my $t = RT::Ticket->new($sys); $t->Load({merged});
        my ($ok, $msg) = $t->MergeInto({kept}); die $msg unless $ok;
        my $d = RT::Ticket->new($sys); $d->Load({deleted});
        ($ok, $msg) = $d->SetStatus('deleted'); die $msg unless $ok;
    """)
    with connector(rt) as c:
        with pytest.raises(HelpdeskError, match=f"rt:{merged} was merged into rt:{kept}") as e:
            c.fetch(merged)
        assert e.value.hint == f"use --ticket rt:{kept}"
        with pytest.raises(HelpdeskError, match=f"rt:{deleted}: no such ticket|rt:{deleted} is deleted"):
            c.fetch(deleted)


def test_retries_follow_the_model_clients_policy(rt: RT, thread: str) -> None:
    """Faults played by tests/faultproxy.py in front of the real RT: 429 with Retry-After, 503,
    a reset connection; then a helpdesk that keeps failing."""
    plan = script(status(429, "1"), status(503), RESET_BEFORE)
    # Faults on the ticket's requests; the connector's sign-in (the web UI, /REST/2.0/rt) passes.
    with FaultProxy(rt.url, plan, faulty=lambda path: path.startswith("/REST/2.0/ticket")) as proxy:
        url = f"http://127.0.0.1:{proxy.server.server_address[1]}"
        fast = {"helpdesk.url": url, "llm.backoff_initial": 0.01, "llm.backoff_max": 0.02}
        retries: list[tuple[str, float]] = []
        with connector(rt, **fast) as c:
            c.http.on_retry = lambda n, why, wait: retries.append((why, wait))
            ticket = c.fetch(thread)
        assert len(ticket.messages) == 4
        assert [why for why, _ in retries] == [
            "rate limited (429)", "server error 503", f"the connection to {url} dropped"]
        assert retries[0][1] >= 1.0 > retries[1][1]  # Retry-After honoured, else backoff
        assert proxy.tally.injected == ["429", "503", "reset_before"]
        proxy.reset(always(status(502)))
        with connector(rt, **fast, **{"llm.max_attempts": 3}) as c, \
                pytest.raises(HelpdeskUnavailable, match="after 3 attempts: server error 502") as e:
            c.fetch(thread)
        assert e.value.exit_code == 3 and proxy.tally.injected == ["502"] * 3


def test_the_token_is_checked_once_then_the_web_session_serves(
        rt: RT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """RT checks a token's bcrypt hash on every request that carries only the token; the
    connector signs in once and RT serves the rest from the session. Shown by revoking the
    token after the sign-in: the connector that signed in still reads and comments, a new one
    is refused. A session RT has lost falls back to the token."""
    thread = rt.create_ticket("Where is my order?", "Hello, where is order 5521?")
    made = tmp_path / "token"
    rt.perl(f"""my $u = RT::User->new($sys); $u->Load('agent');
        my $t = RT::AuthToken->new($sys);
        my ($id, $msg, $string) = $t->Create(Owner => $u->Id, Description => 'revoked');
        die $msg unless $id; open my $f, '>', '{made}' or die; print $f $string;""")
    monkeypatch.setenv(TOKEN_ENV, made.read_text())
    with connector(rt) as c:
        assert len(c.fetch(thread).messages) == 1
        assert any(name.startswith("RT_SID_") for name in c.http.client.cookies)
        rt.perl("my $t = RT::AuthTokens->new($sys); $t->Limit(FIELD => 'Description', "
                "VALUE => 'revoked'); while (my $x = $t->Next) { my ($ok, $m) = $x->Delete; "
                "die $m unless $ok }")
        assert len(c.fetch(thread).messages) == 1
        c.add_note(thread, "A note through the session")  # a POST: RT's CSRF check passes
    with connector(rt) as c, pytest.raises(HelpdeskError, match="refused the token"):
        c.fetch(thread)
    assert rt.history(thread)[-1]["type"] == "Comment"
    monkeypatch.setenv(TOKEN_ENV, rt.tokens["agent"])
    with connector(rt) as c:
        assert len(c.fetch(thread).messages) == 2
        for name in list(c.http.client.cookies):
            c.http.client.cookies.set(name, "0" * 32)  # a session RT does not know
        assert len(c.fetch(thread).messages) == 2


def test_a_helpdesk_that_stays_down_fails_with_exit_3_after_retries(
        rt: RT, monkeypatch: pytest.MonkeyPatch) -> None:
    retries: list[str] = []
    import socket

    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with connector(rt, **{"helpdesk.url": f"http://127.0.0.1:{port}", "llm.max_attempts": 3,
                          "llm.backoff_initial": 0.01, "llm.backoff_max": 0.02}) as c:
        c.http.on_retry = lambda n, why, wait: retries.append(why)
        with pytest.raises(HelpdeskUnavailable, match="failed after 3 attempts: cannot connect") as e:
            c.fetch("1")
    assert e.value.exit_code == 3
    assert len(retries) == 2


@pytest.fixture(scope="module", autouse=True)
def _report_start_time(rt_server: RT) -> Iterator[None]:
    print(f"\nRT started in {rt_server.started_in:.1f} s")
    yield
