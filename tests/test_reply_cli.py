"""`draft reply`: inputs, outputs and failures, through the CLI."""

from __future__ import annotations

import email
import email.policy
import json
import socket
from pathlib import Path
from typing import Any

import pytest

EML = """From: =?utf-8?q?Jos=C3=A9_Garc=C3=ADa?= <jose@example.com>
To: support@example.com
Subject: Re: RE: Order 4821 never arrived
Message-ID: <m2@example.com>
In-Reply-To: <m1@example.com>
References: <m0@example.com> <m1@example.com>
Date: Mon, 16 Nov 2026 09:30:00 +0100
Content-Type: text/plain; charset=utf-8

Hello, my order 4821 was due last Tuesday and it still hasn't arrived. The tracking page
has said "in transit" for a week. Where is it, and can you send it again?

On Fri, 13 Nov 2026 at 10:00, Support <support@example.com> wrote:
> Your order is on its way.

--
José
""".encode()


def test_dry_run_prints_the_prompt_without_a_model(draft) -> None:
    result = draft(["reply", "--dry-run"], input=EML)
    assert result.code == 0, result
    assert "── system ──" in result.stdout and "── user ──" in result.stdout
    assert "still hasn't arrived" in result.stdout
    assert "Your order is on its way" not in result.stdout  # quoted history was trimmed
    as_json = json.loads(draft(["reply", "--dry-run", "--format", "json"], input=EML).stdout)
    assert [m["role"] for m in as_json["messages"]] == ["system", "user"]


def test_plain_text_on_stdin_works(draft) -> None:
    result = draft(["reply", "--dry-run", "--channel", "chat"], input="Can I change my delivery address?")
    assert result.code == 0, result
    assert "Can I change my delivery address?" in result.stdout
    assert "chat message" in result.stdout


@pytest.mark.parametrize(
    ("data", "expected"),
    [(b"", "empty"), (b"   \n\n", "empty"), (b"\x00\x01\x02\xff\xfe" * 50, "binary")],
    ids=["empty", "blank", "binary"],
)
def test_empty_or_binary_stdin_is_a_clear_error(draft, data: bytes, expected: str) -> None:
    result = draft(["reply", "--dry-run"], input=data)
    assert result.code == 2, result
    assert expected in result.stderr.lower()
    assert "Traceback" not in result.stderr
    assert "draft parse" not in result.stderr  # the hint names no other command


def test_unknown_ticket_is_a_clear_error(draft) -> None:
    result = draft(["reply", "--ticket", "999", "--dry-run"])
    assert result.code == 2
    assert "999" in result.stderr and "draft tickets list" in result.stderr


def test_unreadable_file_is_a_clear_error(draft, tmp_path: Path) -> None:
    result = draft(["reply", str(tmp_path / "missing.eml"), "--dry-run"])
    assert result.code == 2 and "missing.eml" in result.stderr


def test_unreachable_endpoint_is_exit_3_after_the_retry_budget(
        draft, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRAFTER_DEBUG")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))  # bound, not listening: connections are refused
        monkeypatch.setenv("OPENAI_BASE_URL", f"http://127.0.0.1:{sock.getsockname()[1]}/v1")
        monkeypatch.setenv("DRAFTER_MODEL", "any")
        monkeypatch.setenv("DRAFTER_LLM_MAX_ATTEMPTS", "2")
        result = draft(["reply"], input=EML)
    assert result.code == 3, result
    assert "failed after 2 attempts: cannot connect" in result.stderr
    assert "retry 1" in result.stderr
    assert "Traceback" not in result.stderr and result.stdout == ""


def test_no_model_anywhere_lists_the_three_ways(draft, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_LLM_LOCAL", "never")
    result = draft(["reply"], input=EML)
    assert result.code == 2
    for way in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "drafter[local]"):
        assert way in result.stderr


def test_json_output_has_draft_findings_usage_rounds_timings(draft, cassette: Any) -> None:
    result = draft(["reply", "--format", "json", "--max-revisions", "1"], input=EML)
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["draft"].startswith("Hi José,\n\n")
    assert data["model"] == "smollm2-135m-instruct"
    assert data["usage"]["total_tokens"] > 0
    assert data["revisions"] == len(data["rounds"]) - 1 <= 1
    assert all(f.keys() >= {"code", "severity", "message", "line", "column"} for f in data["findings"])
    assert data["timings"]["model"] > 0
    assert "review:" in result.stderr  # findings and progress on stderr, not in the JSON
    # The bundled model answers in JSON parts, assembled into the body.
    assert not data["body"].lstrip().startswith("{"), data["body"]
    # A round that ran into llm.max_tokens loses its unfinished sentence, and says so.
    cut = any(r["cut_off"] for r in data["rounds"])
    assert ("unfinished last sentence was dropped" in result.stderr) == cut
    if data["rounds"][data["kept_round"]]["cut_off"]:
        assert data["body"].rstrip()[-1] in ".!?:\"”)", data["body"][-80:]


def test_eml_output_is_a_threaded_reply(draft, cassette: Any) -> None:
    result = draft(["reply", "--format", "eml", "--max-revisions", "0", "--quote"], input=EML)
    assert result.code == 0, result
    msg = email.message_from_bytes(result.stdout_bytes, policy=email.policy.default)
    assert msg["Subject"] == "Re: Order 4821 never arrived"
    assert msg["In-Reply-To"] == "<m2@example.com>"
    assert msg["References"].split() == ["<m0@example.com>", "<m1@example.com>", "<m2@example.com>"]
    assert msg["To"].addresses[0].addr_spec == "jose@example.com"
    assert msg["Message-ID"] and msg["Date"]
    assert msg.get_content_charset() == "utf-8"
    body = msg.get_content()
    assert body.startswith("Hi José,")
    assert "> Hello, my order 4821" in body  # --quote puts the customer's message below
    # The piped email is stored as a ticket, and the draft as its draft.
    assert "stored as the draft of ticket 1" in result.stderr
    listed = draft(["drafts", "list", "--format", "json"])
    assert [d["ticket"] for d in json.loads(listed.stdout)] == [1]
    shown = json.loads(draft(["drafts", "show", "1", "--format", "json"]).stdout)
    assert shown["via"] == "reply" and shown["draft"].startswith("Hi José,")
    assert "Order 4821 never arrived" in draft(["tickets", "list"]).stdout


def test_reply_to_a_stored_ticket(draft, cassette: Any, tmp_path: Path,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_STORE", str(tmp_path / "t.db"))
    (tmp_path / "m.eml").write_bytes(EML)
    assert draft(["tickets", "import", str(tmp_path / "m.eml")]).code == 0
    result = draft(["reply", "--ticket", "1", "--max-revisions", "0", "--no-stream"])
    assert result.code == 0, result
    assert result.stdout.startswith("Hi José,\n\n")
    assert result.stdout.endswith("Best regards,\nThe Support Team\n")
    # A plain `draft reply --ticket N` stores its draft (not only with --format eml).
    listed = json.loads(draft(["drafts", "list", "--format", "json"]).stdout)
    assert [(d["ticket"], d["status"]) for d in listed] == [(1, "done")]
    assert "draft drafts show 1" in result.stderr


def test_an_unset_team_is_warned_about_on_stderr_once(draft, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    result = draft(["reply", "--dry-run", "--format", "json"], input=EML)
    assert result.code == 0, result
    json.loads(result.stdout)  # stdout stays parseable: the warning is on stderr
    assert result.stderr.count("warning: [team] is not set up") == 1
    assert "team.name ('the Support Team')" in result.stderr
    assert "team.from_address" not in result.stderr  # no mail is written
    assert "[team] in drafter.toml" in result.stderr and "DRAFTER_TEAM_NAME" in result.stderr
    eml = draft(["reply", "--dry-run", "--format", "eml"], input=EML)
    assert "team.from_address ('support@example.com')" in eml.stderr

    config = tmp_path / "drafter.toml"
    config.write_text('[team]\nname = "Acme Support"\nproduct = "Acme Router"\n'
                      'from_address = "help@acme.test"\n')
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    set_up = draft(["reply", "--dry-run", "--format", "eml"], input=EML)
    assert set_up.code == 0 and "warning" not in set_up.stderr
    assert "Acme Support" in set_up.stdout
