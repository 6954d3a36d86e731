"""The Zendesk connector against a stand-in server (tests/helpdesk_standins.py).

Zendesk cannot be reached from here, so a stand-in plays the thing under test: a small real
HTTP server that answers with the shapes of Zendesk's documented Support API v2 examples
(tickets, comments with sideloaded users, cursor pagination, search export, API-token auth,
429 with Retry-After, 401/403/404/422, 5xx). These tests prove the connector reads and writes
those documented shapes; they cannot prove what a live Zendesk answers (docs/helpdesk.md).
"""

from __future__ import annotations

import ast
import json
import re
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
from helpdesk_standins import EVERY_REQUEST, Zendesk, settings_flags

from drafter.config import load_settings
from drafter.errors import ConfigError
from drafter.helpdesk import HelpdeskError, HelpdeskUnavailable, open_connector
from drafter.helpdesk.base import NOTE_MARKER
from drafter.helpdesk.zendesk import ZendeskConnector

ENV = "ZENDESK_TEST_TOKEN"
HTML = ('<div class="zd-comment"><p>Hallo,</p><p>mein Paket kam <b>zerdrückt</b> an, die '
        'Tasse ist kaputt.</p><p>Zoë</p></div>')
FOLLOW_UP = ("<p>Es ist Bestellung 4417.</p><p>Am Mo., 7. Dez. 2026 schrieb Johnny Agent:</p>"
             "<blockquote><p>Können Sie mir die Bestellnummer schicken?</p></blockquote>"
             "<p>--<br>Zoë Müller<br>+49 30 1234567</p>")


@pytest.fixture(scope="module")
def zd() -> Iterator[Zendesk]:
    """One stand-in for the module; on the way out, every write it ever received is checked."""
    with Zendesk() as server:
        yield server
    _only_private_comments(EVERY_REQUEST["zendesk"])


def _only_private_comments(seen: list[Any]) -> None:
    """No request ever sent to the stand-in could reach a customer: the only write is a PUT of
    one comment with `public: false` and nothing else of the ticket."""
    writes = [r for r in seen if r.method != "GET"]
    for r in writes:
        assert r.method == "PUT" and re.fullmatch(r"/api/v2/tickets/\d+\.json", r.path), r
        assert r.body == {"ticket": {"comment": {"body": r.body["ticket"]["comment"]["body"],
                                                 "public": False}}}, r.body


@pytest.fixture
def connector(zd: Zendesk, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv(ENV, Zendesk.TOKEN)

    def make(**over: Any) -> ZendeskConnector:
        c = open_connector(load_settings(env={}, cwd=Path("/"),
                                         flags=settings_flags(zd, ENV, **over)))
        assert isinstance(c, ZendeskConnector)
        return c
    return make


@pytest.fixture(scope="module")
def thread(zd: Zendesk) -> int:
    """A ticket as it happens: the customer writes (HTML, a photo), the agent replies and adds a
    private comment, the customer answers (quoting the reply, a signature, a PDF)."""
    zoe = zd.user("Zoë Müller", "Zoe@Example.de", locale="de")
    t = zd.ticket("Paket beschädigt", zoe, tags=("damaged", "vip"), minute=1)
    zd.comment(t, zoe, HTML, attachments=(("foto.png", "image/png", 2048),), minute=1)
    zd.comment(t, 35436, "<p>Können Sie mir die Bestellnummer schicken?</p>", minute=2)
    zd.comment(t, 35436, "<p>Second damaged parcel from this carrier.</p>", public=False,
               minute=3)
    zd.comment(t, zoe, FOLLOW_UP, attachments=(("Rechnung.pdf", "application/pdf", 9000),),
               minute=4)
    return t


def test_fetch_maps_the_ticket(connector: Any, thread: int) -> None:
    with connector() as c:
        ticket = c.fetch(str(thread))
    assert ticket.name == f"zendesk:{thread}"
    assert (ticket.subject, ticket.customer_name, ticket.customer_address) == \
        ("Paket beschädigt", "Zoë Müller", "zoe@example.de")
    assert (ticket.language, ticket.status, ticket.tags, ticket.channel) == \
        ("de", "open", ["damaged", "vip"], "email")
    m = ticket.messages
    assert [(x.from_customer, x.from_team, x.internal) for x in m] == [
        (True, False, False), (False, True, False), (False, True, True), (True, False, False)]
    assert m[0].body.startswith("Hallo,\n\nmein Paket kam zerdrückt an")
    assert [(a.filename, a.content_type, a.size) for a in m[0].attachments] == \
        [("foto.png", "image/png", 2048)]
    assert m[3].latest == "Es ist Bestellung 4417."  # the quote and the signature trimmed
    assert [a.filename for a in m[3].attachments] == ["Rechnung.pdf"]
    assert m[1].sender_name == "Johnny Agent" and m[0].date == "2026-12-07T08:01:00+00:00"
    assert ticket.latest_customer_message is m[3]


def test_every_comment_is_read_across_cursor_pages(zd: Zendesk, connector: Any) -> None:
    kim = zd.user("Kim", "kim@example.com")
    t = zd.ticket("Long one", kim)
    for n in range(230):
        zd.comment(t, kim if n % 2 == 0 else 35436, f"<p>message {n}</p>", minute=n % 60)
    zd.requests.clear()
    with connector() as c:
        ticket = c.fetch(str(t))
    assert [x.body for x in ticket.messages] == [f"message {n}" for n in range(230)]
    pages = [r for r in zd.requests if r.path.endswith("/comments.json")]
    assert len(pages) == 3 and pages[1].query["page[after]"] == ["100"]
    assert pages[2].query["include"] == ["users"]  # the next link keeps the query


def test_list_tickets_by_group_since_and_status(zd: Zendesk, connector: Any, thread: int) -> None:
    ann = zd.user("Ann", "ann@example.com")
    billing = zd.ticket("Invoice", ann, group="Billing", minute=30)
    solved = zd.ticket("Thanks", ann, status="solved", minute=31)
    with connector() as c:
        everything = list(c.list_tickets("Support"))
        since = list(c.list_tickets("Support", datetime(2026, 12, 7, 8, 30, tzinfo=timezone.utc)))
        open_ = list(c.list_tickets("Support", status="open"))
        closed = list(c.list_tickets(None, status="closed"))
    numbers = [x.number for x in everything]
    assert str(thread) in numbers and str(billing) not in numbers and str(solved) in numbers
    assert [x.updated for x in everything] == sorted(x.updated or "" for x in everything)
    assert str(solved) in [x.number for x in since] and str(thread) not in [x.number for x in since]
    assert str(solved) not in [x.number for x in open_] and str(thread) in [x.number for x in open_]
    assert str(solved) in [x.number for x in closed] and all(x.status == "closed" for x in closed)


def test_list_follows_the_cursor(zd: Zendesk, connector: Any) -> None:
    bo = zd.user("Bo", "bo@example.com")
    made = [zd.ticket(f"Many {n}", bo, group="Billing") for n in range(105)]
    with connector() as c:
        listed = [x.number for x in c.list_tickets("Billing")]
    assert sorted(map(int, listed))[-105:] == made


def test_a_note_is_a_private_comment_posted_once(zd: Zendesk, connector: Any, thread: int) -> None:
    with connector() as c:
        ticket = c.fetch(str(thread))
        done = c.post_note(ticket, "Hallo Zoë,\n\ndas tut mir leid. <Entwurf>")
        assert done.posted and done.note_id
        again = c.fetch(str(thread))
        assert not c.post_note(again, "Draft two").posted
        assert c.post_note(again, "Draft three", force=True).posted
    note = zd.comments[thread][-2]
    assert note["public"] is False and note["author_id"] == 35436
    noted = again.messages[-1]
    assert noted.internal and not noted.from_customer
    assert noted.body.startswith("Hallo Zoë,\n\ndas tut mir leid. <Entwurf>")
    assert noted.body.rstrip().endswith(NOTE_MARKER + again.latest_customer_message.message_id)


def test_retries_429_with_retry_after_and_5xx(zd: Zendesk, connector: Any, thread: int) -> None:
    zd.fail(429, where="/tickets/", retry_after="1")
    zd.fail(503, where="/comments")
    retries: list[tuple[str, float]] = []
    with connector() as c:
        c.http.on_retry = lambda n, why, wait: retries.append((why, wait))
        assert len(c.fetch(str(thread)).messages) >= 4
    assert [why for why, _ in retries] == ["rate limited (429)", "server error 503"]
    assert retries[0][1] >= 1.0 > retries[1][1]
    zd.fail(500, times=3)
    with connector(**{"llm.max_attempts": 3}) as c, \
            pytest.raises(HelpdeskUnavailable, match="after 3 attempts: server error 500") as e:
        c.fetch(str(thread))
    assert e.value.exit_code == 3


def test_errors_are_clear(zd: Zendesk, connector: Any, thread: int,
                          monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c, pytest.raises(HelpdeskError, match="zendesk:999999: no such ticket"):
        c.fetch("999999")
    zd.fail(403, where=f"/tickets/{thread}.json")
    with connector() as c, pytest.raises(HelpdeskError, match="may not see this ticket"):
        c.fetch(str(thread))
    monkeypatch.setenv(ENV, "wrong-secret-token")
    with connector() as c, pytest.raises(HelpdeskError, match="refused the token") as refused:
        c.fetch(str(thread))
    assert "wrong-secret-token" not in str(refused.value) and ENV in refused.value.hint
    assert refused.value.exit_code == 2
    monkeypatch.setenv(ENV, "zd-enduser-token")
    with connector(**{"helpdesk.user": "lisa@example.zendesk.com"}) as c, \
            pytest.raises(HelpdeskError, match="may not add comments"):
        c.add_note(str(thread), "A draft")
    monkeypatch.setenv(ENV, Zendesk.TOKEN)
    with connector(**{"helpdesk.user": None}) as c, \
            pytest.raises(ConfigError, match=r"`helpdesk\.user` is not set"):
        c.fetch(str(thread))
    kim = zd.user("Kim", "kim2@example.com")
    closed = zd.ticket("Done", kim, status="closed")
    zd.comment(closed, kim, "<p>Thanks</p>")
    with connector() as c, pytest.raises(HelpdeskError, match="refused the note \\(422\\)"):
        c.add_note(str(closed), "A draft")


def test_merged_ticket_names_the_one_to_use(zd: Zendesk, connector: Any) -> None:
    kim = zd.user("Kim", "kim3@example.com")
    kept = zd.ticket("Kept", kim)
    merged = zd.ticket("Merged", kim, status="closed", tags=("closed_by_merge",))
    zd.comment(merged, kim, "<p>Help?</p>")
    zd.comment(merged, 35436, f"<p>This request was closed and merged into request #{kept} "
               "\"Kept\".</p>", public=False)
    with connector() as c, pytest.raises(HelpdeskError, match=f"merged into zendesk:{kept}") as e:
        c.fetch(str(merged))
    assert e.value.hint == f"use --ticket zendesk:{kept}"


def test_check(zd: Zendesk, connector: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [
            ("URL", True), ("token", True), ("group Support", True), ("read tickets", True),
            ("add internal notes", True)]
    with connector(**{"helpdesk.queue": "Nope"}) as c:
        assert ("group Nope", False) in [(k.what, k.ok) for k in c.check()]
    monkeypatch.setenv(ENV, "zd-enduser-token")
    with connector(**{"helpdesk.user": "lisa@example.zendesk.com"}) as c:
        checks = c.check()
    assert [(k.what, k.ok) for k in checks][-2:] == [("read tickets", False),
                                                     ("add internal notes", False)]
    monkeypatch.setenv(ENV, "bad")
    with connector() as c:
        assert [(k.what, k.ok) for k in c.check()] == [("URL", True), ("token", False)]


def test_no_code_path_can_post_a_public_reply(zd: Zendesk, connector: Any, thread: int) -> None:
    """A write other than the private comment is refused before it leaves, and no literal in
    the connector's source asks for a public comment or Zendesk's reply endpoints."""
    before = len(zd.requests)
    with connector() as c:
        for method, path in [("PUT", f"/tickets/{thread}/comments.json"),
                             ("POST", "/tickets.json"), ("PUT", "/tickets/update_many.json"),
                             ("POST", f"/tickets/{thread}/comments.json")]:
            with pytest.raises(HelpdeskError, match="only adds internal notes"):
                c._request(method, path, json_body={"ticket": {"comment": {"public": True}}})
    assert len(zd.requests) == before
    source = (Path(__file__).resolve().parents[1] / "drafter" / "helpdesk" / "zendesk.py")
    tree = ast.parse(source.read_text())
    assert not [n for n in ast.walk(tree) if isinstance(n, ast.Dict) and any(
        isinstance(k, ast.Constant) and k.value == "public" and
        not (isinstance(v, ast.Constant) and v.value is False)
        for k, v in zip(n.keys, n.values, strict=True))]


def test_batch_from_zendesk_posts_private_comments(zd: Zendesk, draft: Any, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """`draft batch --from helpdesk --post-note` with benchmarks/batch_scale.py's canned model:
    each open ticket of the group gets one private comment; the language and tags are stored."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
    from batch_fixtures import model_env
    from batch_scale import CannedServer

    group = {"id": 360009, "name": "Batch"}
    zd.groups.append(group)
    ana = zd.user("Ana Lima", "ana@example.br", locale="pt-BR")
    made = []
    for n in range(3):
        t = zd.ticket(f"Pedido {n}", ana, group="Batch", tags=("pedido",), minute=40 + n)
        zd.comment(t, ana, f"<p>Meu pedido {n} não chegou. Podem ajudar?</p>", minute=40 + n)
        made.append(t)
    config = tmp_path / "drafter.toml"
    config.write_text(f'[helpdesk]\nkind = "zendesk"\nurl = "{zd.url}"\ntoken_env = "{ENV}"\n'
                      f'user = "{Zendesk.EMAIL}"\nqueue = "Batch"\n', encoding="utf-8")
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    monkeypatch.setenv(ENV, Zendesk.TOKEN)
    server = CannedServer(0.01, 4)
    try:
        model_env(monkeypatch, server.base_url, tmp_path / "store.db", max_tokens=40)
        result = draft(["batch", "--from", "helpdesk", "--status", "open", "--post-note",
                        "--max-revisions", "0", "--no-progress"])
    finally:
        server.stop()
    assert result.code == 0, result
    assert "notes: 3 posted, 0 there already" in result.stderr
    for t in made:
        notes = [c for c in zd.comments[t] if not c["public"]]
        assert len(notes) == 1 and "Draft by drafter" in notes[0]["body"]
    shown = json.loads(draft(["tickets", "show", "1", "--format", "json"]).stdout)
    assert (shown["name"], shown["language"], shown["tags"]) == \
        (f"zendesk:{made[0]}", "pt-BR", ["pedido"])
    assert "zendesk:" in draft(["tickets", "list"]).stdout
