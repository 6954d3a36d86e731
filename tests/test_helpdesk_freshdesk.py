"""The Freshdesk connector against a stand-in server (tests/helpdesk_standins.py).

Freshdesk cannot be reached from here, so a stand-in plays the thing under test: a small real
HTTP server that answers with the shapes of Freshdesk's documented API v2 examples (tickets
with the requester, conversations, contacts, agents, `page`/`per_page` with the `Link` header,
API-key basic auth, 429 with Retry-After, 401/403/404, 5xx). These tests prove the connector
reads and writes those documented shapes; they cannot prove what a live Freshdesk answers
(docs/helpdesk.md).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from helpdesk_standins import EVERY_REQUEST, Freshdesk, settings_flags

from drafter.config import load_settings
from drafter.helpdesk import HelpdeskError, HelpdeskUnavailable, open_connector
from drafter.helpdesk.base import NOTE_MARKER
from drafter.helpdesk.freshdesk import FreshdeskConnector

ENV = "FRESHDESK_TEST_KEY"
HTML = "<div><p>Bonjour,</p><p>mon colis est arrivé <b>écrasé</b>.</p><p>Zoé</p></div>"
FOLLOW_UP = ("<div>C'est la commande 4417.</div><div>Le lun. 7 déc. 2026, Rachel Agent a écrit :"
             "</div><blockquote>Pouvez-vous m'envoyer le numéro de commande ?</blockquote>"
             "<div>--<br>Zoé Martin<br>+33 1 23 45 67 89</div>")


@pytest.fixture(scope="module")
def fd() -> Iterator[Freshdesk]:
    """One stand-in for the module; on the way out, every write it ever received is checked."""
    with Freshdesk() as server:
        yield server
    writes = [r for r in EVERY_REQUEST["freshdesk"] if r.method != "GET"]
    for r in writes:  # only private notes: never /reply, never a public note
        assert r.method == "POST" and re.fullmatch(r"/api/v2/tickets/\d+/notes", r.path), r
        assert r.body["private"] is True and set(r.body) == {"body", "private"}, r.body


@pytest.fixture
def connector(fd: Freshdesk, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV, Freshdesk.KEY)

    def make(**over: Any) -> FreshdeskConnector:
        c = open_connector(load_settings(env={}, cwd=Path("/"),
                                         flags=settings_flags(fd, ENV, **over)))
        assert isinstance(c, FreshdeskConnector)
        return c
    return make


@pytest.fixture(scope="module")
def thread(fd: Freshdesk) -> int:
    zoe = fd.contact("Zoé Martin", "Zoe@Example.fr", language="fr")
    t = fd.ticket("Colis abîmé", zoe, HTML, tags=("damaged",), minute=1,
                  attachments=(("photo.jpg", "image/jpeg", 4096),))
    fd.conversation(t, "<div>Pouvez-vous m'envoyer le numéro de commande ?</div>", user=43000,
                    incoming=False, minute=2)
    fd.conversation(t, "<div>Second damaged parcel this week.</div>", user=43000,
                    incoming=False, private=True, minute=3)
    fd.conversation(t, FOLLOW_UP, user=zoe, incoming=True, minute=4,
                    attachments=(("facture.pdf", "application/pdf", 9000),))
    return t


def test_fetch_maps_the_ticket(connector: Any, thread: int) -> None:
    with connector() as c:
        ticket = c.fetch(str(thread))
    assert ticket.name == f"freshdesk:{thread}"
    assert (ticket.subject, ticket.customer_name, ticket.customer_address, ticket.language) == \
        ("Colis abîmé", "Zoé Martin", "zoe@example.fr", "fr")
    assert (ticket.status, ticket.tags, ticket.channel) == ("open", ["damaged"], "email")
    m = ticket.messages
    assert [(x.from_customer, x.from_team, x.internal) for x in m] == [
        (True, False, False), (False, True, False), (False, True, True), (True, False, False)]
    assert m[0].body.startswith("Bonjour,\n\nmon colis est arrivé écrasé.")
    assert [(a.filename, a.content_type, a.size) for a in m[0].attachments] == \
        [("photo.jpg", "image/jpeg", 4096)]
    assert m[1].sender_name == "Rachel Agent"
    assert m[3].latest == "C'est la commande 4417."  # the quote and the signature trimmed
    assert [a.filename for a in m[3].attachments] == ["facture.pdf"]


def test_every_conversation_is_read_across_pages(fd: Freshdesk, connector: Any) -> None:
    kim = fd.contact("Kim", "kim@example.com")
    t = fd.ticket("Long one", kim, "<p>start</p>")
    for n in range(230):
        fd.conversation(t, f"<p>message {n}</p>", user=kim if n % 2 else 43000,
                        incoming=bool(n % 2), minute=n % 60)
    fd.requests.clear()
    with connector() as c:
        ticket = c.fetch(str(t))
    assert [x.body for x in ticket.messages] == ["start"] + [f"message {n}" for n in range(230)]
    pages = [r for r in fd.requests if r.path.endswith("/conversations")]
    assert [p.query.get("page") for p in pages] == [["1"], ["2"], ["3"]]
    assert len([r for r in fd.requests if r.path.startswith("/api/v2/agents/")]) == 1  # cached


def test_list_tickets_by_group_since_and_status(fd: Freshdesk, connector: Any, thread: int) -> None:
    ann = fd.contact("Ann", "ann@example.com")
    billing = fd.ticket("Invoice", ann, "<p>?</p>", group=5001, minute=30)
    resolved = fd.ticket("Thanks", ann, "<p>!</p>", status=4, minute=31)
    for n in range(120):
        fd.ticket(f"Many {n}", ann, "<p>.</p>", group=5001, minute=20)
    with connector() as c:
        support = [x.number for x in c.list_tickets("5000")]
        since = [x.number for x in c.list_tickets(
            "5000", datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc))]
        open_ = [x.number for x in c.list_tickets("5000", status="open")]
        everything = list(c.list_tickets(None))
    assert str(thread) in support and str(billing) not in support and str(resolved) in support
    assert str(resolved) in since and str(thread) not in since
    assert str(thread) in open_ and str(resolved) not in open_
    assert len(everything) >= 123 and str(billing) in [x.number for x in everything]
    assert [x.updated for x in everything] == sorted(x.updated or "" for x in everything)


def test_a_note_is_a_private_note_posted_once(fd: Freshdesk, connector: Any, thread: int) -> None:
    with connector() as c:
        ticket = c.fetch(str(thread))
        done = c.post_note(ticket, "Bonjour Zoé,\n\n<désolée> pour le colis.")
        assert done.posted and done.note_id
        again = c.fetch(str(thread))
        assert not c.post_note(again, "Draft two").posted
    note = fd.conversations[thread][-1]
    assert note["private"] is True and note["incoming"] is False
    assert "&lt;désolée&gt;" in note["body"]  # sent as HTML, escaped
    noted = again.messages[-1]
    assert noted.internal and noted.body.startswith("Bonjour Zoé,\n\n<désolée> pour le colis.")
    assert NOTE_MARKER + again.latest_customer_message.message_id in noted.body


def test_retries_429_with_retry_after_and_5xx(fd: Freshdesk, connector: Any, thread: int) -> None:
    fd.fail(429, where="/tickets/", retry_after="1")
    fd.fail(502, where="/conversations")
    retries: list[tuple[str, float]] = []
    with connector() as c:
        c.http.on_retry = lambda n, why, wait: retries.append((why, wait))
        assert len(c.fetch(str(thread)).messages) >= 4
    assert [why for why, _ in retries] == ["rate limited (429)", "server error 502"]
    assert retries[0][1] >= 1.0 > retries[1][1]
    fd.fail(503, times=3)
    with connector(**{"llm.max_attempts": 3}) as c, \
            pytest.raises(HelpdeskUnavailable, match="after 3 attempts: server error 503") as e:
        c.fetch(str(thread))
    assert e.value.exit_code == 3


def test_errors_are_clear(fd: Freshdesk, connector: Any, thread: int,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c, pytest.raises(HelpdeskError, match="freshdesk:999999: no such ticket"):
        c.fetch("999999")
    fd.fail(403, where=f"/tickets/{thread}")
    with connector() as c, pytest.raises(HelpdeskError, match="may not see this ticket"):
        c.fetch(str(thread))
    fd.fail(403, where="/notes")
    with connector() as c, pytest.raises(HelpdeskError, match="may not add notes"):
        c.add_note(str(thread), "A draft")
    deleted = fd.ticket("Gone", fd.contact("X", "x@example.com"), "<p>x</p>")
    fd.tickets[deleted]["deleted"] = True
    with connector() as c, pytest.raises(HelpdeskError, match="is deleted"):
        c.fetch(str(deleted))
    monkeypatch.setenv(ENV, "wrong-secret-key")
    with connector() as c, pytest.raises(HelpdeskError, match="refused the token") as refused:
        c.fetch(str(thread))
    assert "wrong-secret-key" not in str(refused.value) and refused.value.exit_code == 2


def test_check(fd: Freshdesk, connector: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [
            ("URL", True), ("token", True), ("group 5000", True), ("read tickets", True),
            ("add internal notes", True)]
    with connector(**{"helpdesk.queue": "999"}) as c:
        assert ("group 999", False) in [(k.what, k.ok) for k in c.check()]
    monkeypatch.setenv(ENV, "bad")
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [("URL", True), ("token", False)]


def test_no_code_path_can_post_a_reply(fd: Freshdesk, connector: Any, thread: int) -> None:
    """A write other than the private note is refused before it leaves, and no literal in the
    connector's source names Freshdesk's reply endpoints or a public note."""
    before = len(fd.requests)
    with connector() as c:
        for method, path in [("POST", f"/tickets/{thread}/reply"), ("POST", "/tickets"),
                             ("PUT", f"/tickets/{thread}"), ("POST", f"/tickets/{thread}/forward"),
                             ("POST", "/tickets/outbound_email")]:
            with pytest.raises(HelpdeskError, match="only adds internal notes"):
                c._request(method, path, json_body={"body": "to the customer?"})
    assert len(fd.requests) == before
    source = Path(__file__).resolve().parents[1] / "drafter" / "helpdesk" / "freshdesk.py"
    tree = ast.parse(source.read_text())
    literals = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                and isinstance(n.value, str)]
    assert not [t for t in literals if re.search(r"/(reply|forward|outbound_email)\b", t)]
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "private" and
        not (isinstance(v, ast.Constant) and v.value is True)
        for k, v in zip(n.keys, n.values, strict=True))]
