"""`draft batch --from helpdesk --post-note` against the real RT 5 (tests/rt_fixtures.py), with
benchmarks/batch_scale.py's canned model server (a real HTTP server answering a fixed draft):
the model is not what is tested here, the helpdesk round trip is."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import model_env
from rt_server import BULK, RT, TOKEN_ENV

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from batch_scale import CannedServer

pytest_plugins = ["rt_fixtures"]
pytestmark = pytest.mark.real_server("rt")


@pytest.fixture(scope="module")
def canned() -> Iterator[CannedServer]:
    server = CannedServer(0.05, 8)
    yield server
    server.stop()


@pytest.fixture
def configured(rt: RT, canned: CannedServer, tmp_path: Path,
               monkeypatch: pytest.MonkeyPatch) -> Path:
    """drafter.toml with [helpdesk] = this RT's Bulk queue, the canned model, a new store."""
    config = tmp_path / "drafter.toml"
    config.write_text(f'[helpdesk]\nkind = "rt"\nurl = "{rt.url}"\ntoken_env = "{TOKEN_ENV}"\n'
                      f'queue = "{BULK}"\n', encoding="utf-8")
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    model_env(monkeypatch, canned.base_url, tmp_path / "store.db", max_tokens=40)
    return tmp_path / "store.db"


def comments(rt: RT, number: str) -> list[str]:
    """The text of every comment on ticket `number`, oldest first."""
    history = rt.history(number)
    ids = [t["id"] for t in history if t["type"] == "Comment"]
    parts = rt.call("GET", f"/ticket/{number}/attachments", fields="TransactionId,Content",
                    per_page=100)["items"]
    return ["".join(a.get("Content") or "" for a in parts if a["TransactionId"] == i) for i in ids]


def test_batch_drafts_the_queue_and_posts_each_note_once(draft: Any, rt: RT, configured: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    asks = [rt.create_ticket(f"Broken item {n}", f"Item {n} arrived broken. Can you help?",
                             queue=BULK) for n in range(5)]
    done = rt.create_ticket("All good", "Thanks, solved.", queue=BULK)
    rt.call("PUT", f"/ticket/{done}", "agent", {"Status": "resolved"})
    result = draft(["batch", "--from", "helpdesk", "--status", "open", "--post-note",
                    "--max-revisions", "0", "--format", "json", "--no-progress"])
    assert result.code == 0, result
    summary = json.loads(result.stdout)
    assert (summary["done"], summary["failed"]) == (5, 0)
    assert "notes: 5 posted, 0 there already" in result.stderr
    for number in asks:
        notes = comments(rt, number)
        assert len(notes) == 1 and "Draft by drafter" in notes[0]
        assert "drafter-note-for: <rt-transaction-" in notes[0]
        assert not [t for t in rt.history(number) if t["type"] == "Correspond"]
    assert comments(rt, done) == []  # not open: not drafted, no note

    # Again: nothing to draft, every note there; no second note anywhere.
    again = draft(["batch", "--from", "helpdesk", "--status", "open", "--post-note",
                   "--no-progress"])
    assert again.code == 0, again
    assert "nothing to do: 5 selected, 5 already drafted" in again.stderr
    assert "notes: 0 posted, 5 there already" in again.stderr
    assert all(len(comments(rt, n)) == 1 for n in asks)

    # The names show in the store's list.
    listed = draft(["tickets", "list"])
    assert f"rt:{asks[0]}" in listed.stdout and "NAME" in listed.stdout


def test_a_run_stopped_before_its_notes_posts_them_when_resumed(
        draft: Any, rt: RT, configured: Path) -> None:
    """Drafted without --post-note (as a run stopped before posting leaves it): the next run
    with --post-note drafts nothing and posts the stored drafts."""
    number = rt.create_ticket("Late parcel", "Where is my parcel? It is a week late.", queue=BULK)
    first = draft(["batch", "--from", "helpdesk", "--status", "open", "--max-revisions", "0",
                   "--no-progress"])
    assert first.code == 0, first
    assert comments(rt, number) == []
    resumed = draft(["batch", "--from", "helpdesk", "--status", "open", "--post-note",
                     "--no-progress"])
    assert resumed.code == 0, resumed
    assert "nothing to do" in resumed.stderr
    notes = comments(rt, number)
    assert len(notes) == 1 and "Draft by drafter" in notes[0]


def test_a_new_customer_message_is_drafted_again_not_answered_by_the_old_draft(
        draft: Any, rt: RT, configured: Path) -> None:
    number = rt.create_ticket("Refund?", "Can I get a refund?", queue=BULK)
    assert draft(["batch", "--from", "helpdesk", "--status", "open", "--max-revisions", "0",
                  "--no-progress"]).code == 0
    rt.reply(number, "Actually, I would rather have a replacement.", "customer")
    later = draft(["batch", "--from", "helpdesk", "--status", "open", "--post-note",
                   "--max-revisions", "0", "--format", "json", "--no-progress"])
    assert later.code == 0, later
    assert json.loads(later.stdout)["done"] == 1  # only the ticket the customer wrote to again
    newest = [t["id"] for t in rt.history(number) if t["type"] == "Correspond"][-1]
    notes = comments(rt, number)
    assert len(notes) == 1 and f"drafter-note-for: <rt-transaction-{newest}@" in notes[0]


def test_a_note_is_not_posted_when_the_customer_wrote_after_the_draft(rt: RT) -> None:
    """The customer writes between the fetch and the post: the poster refuses the old draft."""
    from drafter.config import load_settings
    from drafter.helpdesk import open_connector
    from drafter.helpdesk.poster import Connectors, NoteJob, NotePoster

    settings = load_settings(env={}, cwd=Path("/"), flags={**rt.settings_flags(),
                                                            "helpdesk.queue": BULK})
    number = rt.create_ticket("Size", "Do you have it in XL?", queue=BULK)
    with open_connector(settings) as c:
        ticket = c.fetch(number)
    answered = ticket.latest_customer_message
    assert answered is not None
    rt.reply(number, "Or XXL?", "customer")
    connectors = Connectors(lambda: open_connector(settings))
    poster = NotePoster(connectors, workers=1)
    poster.submit(NoteJob(number=number, text="We have XL.", answers=answered.message_id))
    report = poster.close()
    connectors.close()
    assert report.failed == [(f"rt:{number}", "the customer wrote again since the draft: "
                              "sync and draft it again (--redo)")]
    assert comments(rt, number) == []


def test_helpdesk_options_need_the_helpdesk(draft: Any, configured: Path) -> None:
    for args in (["--all", "--post-note"], ["--all", "--queue", "X"],
                 ["--from", "helpdesk", "--ids", "1"],
                 ["--from", "helpdesk", "--via", "batch-api"]):
        result = draft(["batch", *args])
        assert result.code == 2 and "--from helpdesk" in result.stderr, (args, result)
