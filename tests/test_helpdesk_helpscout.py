"""The Help Scout connector against a stand-in server (tests/helpdesk_standins.py).

Help Scout cannot be reached from here, so a stand-in plays the thing under test: a small real
HTTP server that answers with the shapes of Help Scout's documented Mailbox API 2.0 examples
(OAuth2 client credentials, conversations, threads newest first, HAL pages with `_links.next`,
301 for a merged conversation, 429 with Retry-After, 401/403/404, 5xx). These tests prove the
connector reads and writes those documented shapes; they cannot prove what the live Help Scout
answers (docs/helpdesk.md).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from helpdesk_standins import EVERY_REQUEST, HelpScout, settings_flags

from drafter.config import load_settings
from drafter.helpdesk import HelpdeskError, HelpdeskUnavailable, open_connector
from drafter.helpdesk.base import NOTE_MARKER
from drafter.helpdesk.helpscout import HelpScoutConnector

ENV = "HELPSCOUT_TEST_SECRET"
ZOE = {"id": 29418, "first": "Zoë", "last": "Müller", "email": "Zoe@Example.de"}
ANA = {"id": 4, "type": "user", "first": "Ana", "last": "Support", "email": "ana@example.com"}
HTML = "<div>Hallo,<br><br>mein Paket kam <b>zerdrückt</b> an.<br><br>Zoë</div>"
FOLLOW_UP = ("<div>Es ist Bestellung 4417.</div><div>Am Mo., 7. Dez. 2026 schrieb Ana Support:"
             "</div><blockquote>Können Sie mir die Bestellnummer schicken?</blockquote>"
             "<div>--<br>Zoë Müller<br>+49 30 1234567</div>")


@pytest.fixture(scope="module")
def hs() -> Iterator[HelpScout]:
    """One stand-in for the module; on the way out, every write it ever received is checked."""
    with HelpScout() as server:
        yield server
    writes = [r for r in EVERY_REQUEST["helpscout"] if r.method != "GET"]
    notes = [r for r in writes if r.path != "/v2/oauth2/token"]
    for r in notes:  # only notes: never a reply thread, never a new conversation
        assert r.method == "POST" and re.fullmatch(r"/v2/conversations/\d+/notes", r.path), r
        assert set(r.body) == {"text"}, r.body
    for r in writes:
        if r.path == "/v2/oauth2/token":
            assert r.auth == "", "the app's secret goes in the token form only, never a header"


@pytest.fixture
def connector(hs: HelpScout, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV, HelpScout.SECRET)

    def make(**over: Any) -> HelpScoutConnector:
        c = open_connector(load_settings(env={}, cwd=Path("/"),
                                         flags=settings_flags(hs, ENV, **over)))
        assert isinstance(c, HelpScoutConnector)
        return c
    return make


@pytest.fixture(scope="module")
def thread(hs: HelpScout) -> int:
    c = hs.conversation("Paket beschädigt", ZOE, tags=("damaged", "vip"), minute=1)
    customer = {**ZOE, "type": "customer"}
    hs.thread(c, "customer", HTML, customer, minute=1,
              attachments=(("foto.png", "image/png", 2048),))
    hs.thread(c, "lineitem", "", ANA, minute=2)
    hs.thread(c, "message", "<p>Können Sie mir die Bestellnummer schicken?</p>", ANA, minute=2)
    hs.thread(c, "note", "<p>Second damaged parcel this week.</p>", ANA, minute=3)
    hs.thread(c, "message", "<p>An unsent draft</p>", ANA, minute=3, state="draft")
    hs.thread(c, "customer", FOLLOW_UP, customer, minute=4,
              attachments=(("Rechnung.pdf", "application/pdf", 9000),))
    return c


def test_fetch_maps_the_conversation(connector: Any, thread: int) -> None:
    with connector() as c:
        ticket = c.fetch(str(thread))
    assert ticket.name == f"helpscout:{thread}"
    assert (ticket.subject, ticket.customer_name, ticket.customer_address) == \
        ("Paket beschädigt", "Zoë Müller", "zoe@example.de")
    assert (ticket.status, ticket.tags, ticket.channel, ticket.language) == \
        ("open", ["damaged", "vip"], "email", None)  # Help Scout keeps no customer language
    m = ticket.messages  # threads come newest first; read oldest first, no line item, no draft
    assert [(x.from_customer, x.from_team, x.internal) for x in m] == [
        (True, False, False), (False, True, False), (False, True, True), (True, False, False)]
    assert m[0].body.startswith("Hallo,\n\nmein Paket kam zerdrückt an.")
    assert [(a.filename, a.content_type, a.size) for a in m[0].attachments] == \
        [("foto.png", "image/png", 2048)]
    assert m[1].sender_name == "Ana Support"
    assert m[3].latest == "Es ist Bestellung 4417."  # the quote and the signature trimmed


def test_every_thread_is_read_across_pages(hs: HelpScout, connector: Any) -> None:
    c = hs.conversation("Long one", ZOE)
    for n in range(60):
        hs.thread(c, "customer" if n % 2 == 0 else "message", f"<p>message {n}</p>",
                  {**ZOE, "type": "customer"} if n % 2 == 0 else ANA, minute=n)
    hs.requests.clear()
    with connector() as conn:
        ticket = conn.fetch(str(c))
    assert [x.body for x in ticket.messages] == [f"message {n}" for n in range(60)]
    pages = [r for r in hs.requests if r.path.endswith("/threads")]
    assert [p.query.get("page") for p in pages] == [None, ["2"], ["3"]]


def test_list_conversations_by_mailbox_since_and_status(hs: HelpScout, connector: Any,
                                                        thread: int) -> None:
    other = hs.conversation("Elsewhere", ZOE, mailbox=86, minute=30)
    closed = hs.conversation("Thanks", ZOE, status="closed", minute=31)
    for n in range(55):
        hs.conversation(f"Many {n}", ZOE, minute=20)
    with connector() as c:
        everything = [x.number for x in c.list_tickets("85")]
        since = [x.number for x in c.list_tickets(
            "85", datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc))]
        open_ = [x.number for x in c.list_tickets("85", status="open")]
    assert str(thread) in everything and str(closed) in everything and str(other) not in everything
    assert len(everything) >= 57  # two pages of 50
    assert str(closed) in since and str(thread) not in since
    assert str(thread) in open_ and str(closed) not in open_


def test_a_note_is_a_note_posted_once(hs: HelpScout, connector: Any, thread: int) -> None:
    with connector() as c:
        done = c.post_note(c.fetch(str(thread)), "Hallo Zoë,\n\ndas tut mir leid.")
        assert done.posted and done.note_id
        again = c.fetch(str(thread))
        assert not c.post_note(again, "Draft two").posted
    note = hs.threads[thread][-1]
    assert note["type"] == "note" and str(note["id"]) == done.note_id
    assert again.messages[-1].internal
    assert NOTE_MARKER + again.latest_customer_message.message_id in again.messages[-1].body


def test_the_access_token_is_renewed_when_refused(hs: HelpScout, connector: Any,
                                                  thread: int) -> None:
    with connector() as c:
        c.fetch(str(thread))
        issued = hs.issued
        hs.revoke()  # as when a token expires early
        assert len(c.fetch(str(thread)).messages) >= 4
    assert hs.issued == issued + 1
    token = [r for r in hs.requests if r.path == "/v2/oauth2/token"][-1]
    assert token.body == {"grant_type": "client_credentials", "client_id": HelpScout.APP_ID,
                          "client_secret": HelpScout.SECRET}


def test_retries_429_with_retry_after_and_5xx(hs: HelpScout, connector: Any, thread: int) -> None:
    retries: list[tuple[str, float]] = []
    with connector() as c:
        c.fetch(str(thread))  # the token first
        hs.fail(429, where="/conversations/", retry_after="1")
        hs.fail(500, where="/threads")
        c.http.on_retry = lambda n, why, wait: retries.append((why, wait))
        assert len(c.fetch(str(thread)).messages) >= 4
    assert [why for why, _ in retries] == ["rate limited (429)", "server error 500"]
    assert retries[0][1] >= 1.0 > retries[1][1]
    with connector(**{"llm.max_attempts": 3}) as c:
        c.fetch(str(thread))
        hs.fail(503, times=3)
        with pytest.raises(HelpdeskUnavailable, match="after 3 attempts: server error 503") as e:
            c.fetch(str(thread))
    assert e.value.exit_code == 3


def test_errors_are_clear(hs: HelpScout, connector: Any, thread: int,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c, pytest.raises(HelpdeskError, match="helpscout:999999: no such"):
        c.fetch("999999")
    hs.moved[777] = thread
    with connector() as c, pytest.raises(HelpdeskError, match=f"into helpscout:{thread}") as e:
        c.fetch("777")
    assert e.value.hint == f"use --ticket helpscout:{thread}"
    hs.fail(403, where=f"/conversations/{thread}")
    with connector() as c, pytest.raises(HelpdeskError, match="may not see this mailbox"):
        c.fetch(str(thread))
    monkeypatch.setenv(ENV, "wrong-app-secret")
    with connector() as c, pytest.raises(HelpdeskError, match="refused the app's credentials") \
            as refused:
        c.fetch(str(thread))
    assert "wrong-app-secret" not in str(refused.value) and ENV in refused.value.hint
    assert refused.value.exit_code == 2


def test_check(hs: HelpScout, connector: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [
            ("URL", True), ("token", True), ("mailbox 85", True), ("read tickets", True),
            ("add internal notes", True)]
    with connector(**{"helpdesk.queue": "99"}) as c:
        assert ("mailbox 99", False) in [(k.what, k.ok) for k in c.check()]
    monkeypatch.setenv(ENV, "bad")
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [("URL", True), ("token", False)]


def test_no_code_path_can_post_a_reply(hs: HelpScout, connector: Any, thread: int) -> None:
    """A write other than a note (or the token request) is refused before it leaves, and no
    literal in the connector's source names Help Scout's reply endpoint."""
    with connector() as c:
        c.fetch(str(thread))
        before = len(hs.requests)
        for method, path in [("POST", f"/conversations/{thread}/reply"),
                             ("POST", "/conversations"),
                             ("PATCH", f"/conversations/{thread}"),
                             ("POST", f"/conversations/{thread}/customer")]:
            with pytest.raises(HelpdeskError, match="only adds internal notes"):
                c._request(method, path, json_body={"text": "to the customer?"})
    assert len(hs.requests) == before
    source = Path(__file__).resolve().parents[1] / "drafter" / "helpdesk" / "helpscout.py"
    literals = [n.value for n in ast.walk(ast.parse(source.read_text()))
                if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [t for t in literals if re.search(r"/reply\b|/customer\b|draft\"", t)]
