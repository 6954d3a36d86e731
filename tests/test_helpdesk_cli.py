"""`draft reply --ticket rt:N [--post-note]` and `draft helpdesk check` through the CLI, against
the real RT 5 (tests/rt_fixtures.py) and, where a draft is written, the real local model."""

from __future__ import annotations

import json
import socket
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import model_env
from rt_server import QUEUE, RT, TOKEN_ENV

pytest_plugins = ["rt_fixtures", "batch_server_fixtures"]
pytestmark = pytest.mark.real_server("rt")

ASK = """Hello,

my lamp arrived with a cracked shade. Can you send a new shade before Saturday?

Zoë

On Mon, 7 Dec 2026 at 10:00, Support <support@drafter.test> wrote:
> Your order has shipped.
"""
SECRET_NOTE = "Internal: this customer had two refunds this year, check with Kim first."


@pytest.fixture
def configured(rt: RT, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A drafter.toml whose [helpdesk] is this RT, with the token in the environment."""
    config = tmp_path / "drafter.toml"
    config.write_text(f'[helpdesk]\nkind = "rt"\nurl = "{rt.url}"\ntoken_env = "{TOKEN_ENV}"\n'
                      f'queue = "{QUEUE}"\n', encoding="utf-8")
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    return config


@pytest.fixture(scope="module")
def asked(rt_server: RT) -> str:
    """A ticket: the customer asks, the team comments internally."""
    number = rt_server.create_ticket("Cracked lamp shade", ASK)
    rt_server.comment(number, SECRET_NOTE)
    return number


def no_secret(rt: RT, *texts: str) -> None:
    for token in rt.tokens.values():
        assert all(token not in text and token.split("-")[-1] not in text for text in texts)


def test_dry_run_reads_the_ticket_from_rt_without_its_internal_notes(
        draft: Any, rt: RT, asked: str, configured: Path) -> None:
    for name in (f"rt:{asked}", asked):  # a bare number means the configured helpdesk
        result = draft(["reply", "--ticket", name, "--dry-run"])
        assert result.code == 0, result
        assert "Can you send a new shade before Saturday?" in result.stdout
        assert "Your order has shipped" not in result.stdout  # quoted history trimmed
        assert "two refunds" not in result.stdout  # an internal note never reaches the model
        assert "<subject>Cracked lamp shade</subject>" in result.stdout  # inside the data block
        no_secret(rt, result.stdout, result.stderr)


def test_reply_drafts_and_posts_the_note_once(draft: Any, rt: RT, asked: str, configured: Path,
                                              local_server: Any, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    model_env(monkeypatch, local_server.base_url, tmp_path / "store.db", max_tokens=40)
    number = rt.create_ticket("Cracked lamp shade (2)", ASK)
    result = draft(["reply", "--ticket", f"rt:{number}", "--post-note", "--format", "json",
                    "--max-revisions", "0"])
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["ticket"] == f"rt:{number}"
    assert data["note"] == {"ticket": f"rt:{number}", "posted": True}
    assert "internal note" in result.stderr
    history = rt.history(number)
    assert [t["type"] for t in history if t["creator"] == "agent"] == ["Comment"]
    note = rt.call("GET", f"/ticket/{number}/attachments", fields="TransactionId,Content",
                   per_page=100)["items"]
    comment_id = next(t["id"] for t in history if t["type"] == "Comment")
    text = "".join(a.get("Content") or "" for a in note if a["TransactionId"] == comment_id)
    assert data["draft"].strip()[:40] in text
    assert "Draft by drafter" in text and "not sent" in text
    no_secret(rt, result.stdout, result.stderr, text)

    # Again, with no model reachable: the note is there, so no model is called at all.
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{s.getsockname()[1]}/v1")
    again = draft(["reply", "--ticket", f"rt:{number}", "--post-note"])
    assert again.code == 0, again
    assert "is there already; --force adds another" in again.stderr
    assert [t["type"] for t in rt.history(number)].count("Comment") == 1

    model_env(monkeypatch, local_server.base_url, tmp_path / "store.db", max_tokens=40)
    forced = draft(["reply", "--ticket", number, "--post-note", "--force", "--max-revisions", "0"])
    assert forced.code == 0, forced
    assert [t["type"] for t in rt.history(number)].count("Comment") == 2
    assert not any(t["type"] == "Correspond" for t in rt.history(number))


def test_helpdesk_check(draft: Any, rt: RT, asked: str, configured: Path,
                        monkeypatch: pytest.MonkeyPatch) -> None:
    result = draft(["helpdesk", "check"])
    assert result.code == 0, result
    assert "ok      add internal notes: CommentOnTicket" in result.stdout
    monkeypatch.setenv(TOKEN_ENV, rt.tokens["reader"])
    result = draft(["helpdesk", "check", "--format", "json"])
    assert result.code == 2, result
    data = json.loads(result.stdout)
    assert not data["ok"]
    assert data["checks"][-1] == {"what": "add internal notes", "ok": False,
                                  "detail": "CommentOnTicket is missing: grant it on the queue"}
    no_secret(rt, result.stdout, result.stderr)
    text = draft(["helpdesk", "check"])
    assert "MISSING add internal notes" in text.stdout


@pytest.mark.parametrize(("args", "code", "says"), [
    (["reply", "--ticket", "rt:99999", "--dry-run"], 2, "rt:99999: no such ticket in RT"),
    (["reply", "--ticket", "local:1", "--post-note"], 2, "--post-note needs a ticket in the helpdesk"),
    (["reply", "--ticket", "zendesk:4", "--dry-run"], 2, "the configured helpdesk is 'rt'"),
])
def test_mistakes_are_clear_errors(draft: Any, rt: RT, configured: Path, args: list[str],
                                   code: int, says: str) -> None:
    result = draft(args)
    assert result.code == code, result
    assert says in result.stderr and "Traceback" not in result.stderr


def test_a_ticket_without_a_customer_message(draft: Any, rt: RT, configured: Path) -> None:
    number = rt.create_ticket("Call back", "Customer phoned about a refund.", user="agent")
    result = draft(["reply", "--ticket", number, "--post-note"])
    assert result.code == 2, result
    assert f"rt:{number} has no message from the customer to answer" in result.stderr


def test_a_missing_right_and_a_bad_token(draft: Any, rt: RT, asked: str, configured: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(TOKEN_ENV, "1-31-0123456789abcdef")
    result = draft(["reply", "--ticket", asked, "--dry-run"])
    assert result.code == 2, result
    assert "refused the token (401)" in result.stderr and TOKEN_ENV in result.stderr
    assert "0123456789abcdef" not in result.stderr
    # Found before drafting: no model is configured here, and none is needed to say so.
    monkeypatch.setenv(TOKEN_ENV, rt.tokens["reader"])
    result = draft(["reply", "--ticket", asked, "--post-note", "--max-revisions", "0"])
    assert result.code == 2, result
    assert f"rt:{asked}: the token's user may not add internal notes" in result.stderr
    assert "draft helpdesk check" in result.stderr


def test_a_helpdesk_that_stays_down_exits_3(draft: Any, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    config = tmp_path / "drafter.toml"
    config.write_text(f'[helpdesk]\nkind = "rt"\nurl = "http://127.0.0.1:{port}"\n'
                      f'token_env = "{TOKEN_ENV}"\n[llm]\nmax_attempts = 2\nbackoff_initial = 0.01\n',
                      encoding="utf-8")
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    monkeypatch.setenv(TOKEN_ENV, "1-2-abc")
    result = draft(["reply", "--ticket", "5", "--dry-run"])
    assert result.code == 3, result
    assert "failed after 2 attempts: cannot connect" in result.stderr
    check = draft(["helpdesk", "check"])
    assert check.code == 3, check


def test_sync_copies_tickets_once_keeping_their_names(draft: Any, rt: RT, configured: Path,
                                                      tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    # RT keeps whole seconds: `since` is the second before this test's ticket, and every
    # earlier test's ticket was last updated in that second or before, so it is not "newer".
    time.sleep(1.1)
    since = (datetime.now(timezone.utc) - timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%S")
    number = rt.create_ticket("Wrong colour", "I ordered the green lamp and got a red one.")
    time.sleep(1.1)  # RT keeps whole seconds: the comment must be an update newer than the message
    rt.comment(number, SECRET_NOTE)
    store = str(tmp_path / "synced.db")
    sync = ["tickets", "--store", store, "sync", "--from", "helpdesk", "--since", since,
            "--format", "json"]
    first = draft(sync)
    assert first.code == 0, first
    report = json.loads(first.stdout)
    assert (report["new_tickets"], report["new_messages"]) == (1, 1)
    local = report["ticket_ids"][0]
    shown = json.loads(draft(["tickets", "--store", store, "show", str(local), "--format", "json"]).stdout)
    assert shown["name"] == f"rt:{number}"
    assert [m["latest"] for m in shown["messages"]] == ["I ordered the green lamp and got a red one."]
    assert "two refunds" not in json.dumps(shown)  # internal notes stay in the helpdesk

    # Its last update (the comment) is newer than its newest stored message: read again,
    # nothing stored twice.
    again = json.loads(draft(sync).stdout)
    assert (again["new_tickets"], again["new_messages"], again["duplicates"]) == (0, 0, 1)
    time.sleep(1.1)  # whole seconds again: the reply is newer than everything stored
    rt.reply(number, "Any news?", "customer")
    later = json.loads(draft(sync).stdout)
    assert (later["new_tickets"], later["new_messages"], later["ticket_ids"]) == (0, 1, [local])
    monkeypatch.setenv("DRAFTER_STORE", store)  # offline: the synced copy in the store
    offline = draft(["reply", "--ticket", f"local:{local}", "--dry-run"])
    assert offline.code == 0 and "got a red one" in offline.stdout and "Any news?" in offline.stdout
    future = (datetime.now(timezone.utc) + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S")
    none = json.loads(draft([*sync[:-4], "--since", future, "--format", "json"]).stdout)
    assert none["ticket_ids"] == []
