"""`draft review`: exit codes, output formats, selection, config, context from the store."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.cli import main

CLEAN = "Your order shipped today and arrives on Friday.\n"
DIRTY = "Hi [Customer Name],\n\nObviously we are gonna fix it!!!\n"


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    """Run `draft` in-process; return (exit code, stdout, stderr)."""
    with pytest.raises(SystemExit) as exc:
        main(argv)
    out, err = capsys.readouterr()
    return int(exc.value.code or 0), out, err


def draft(args: list[str], stdin: str | None = None, cwd: Path | None = None,
          env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the real `draft` in a subprocess (for stdin and TTY behaviour)."""
    return subprocess.run(
        [sys.executable, "-c", "from drafter.cli import main; main()", *args],
        input=stdin, capture_output=True, text=True, cwd=cwd,
        env={**os.environ, **(env or {})}, timeout=60,
    )


@pytest.fixture
def files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "clean.txt").write_text(CLEAN)
    (tmp_path / "dirty.txt").write_text(DIRTY)
    return tmp_path


def test_clean_file_exits_0(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["review", "clean.txt"], capsys)
    assert code == 0
    assert out == ""
    assert "No findings" in err


def test_findings_exit_1_with_path_line_col(files: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["review", "dirty.txt"], capsys)
    assert code == 1
    lines = out.splitlines()
    assert "dirty.txt:1:4: HYG001 Unfilled placeholder “[Customer Name]” [error]" in lines
    assert any(line.startswith("dirty.txt:3:1: TON001 ") for line in lines)
    assert "  suggestion: going to" in lines
    assert "\x1b[" not in out  # no color when not a TTY
    assert "Found" in err


def test_json_output_is_the_findings(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(["review", "dirty.txt", "--format", "json"], capsys)
    assert code == 1
    data = json.loads(out)
    assert {d["code"] for d in data} >= {"HYG001", "TON001", "TON003", "TON005"}
    first = data[0]
    assert set(first) == {"code", "name", "severity", "message", "start", "end", "line",
                          "column", "suggestion", "fix"}
    assert DIRTY[first["start"]:first["end"]] == "[Customer Name]"


def test_fail_on_threshold(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "info.txt").write_text("Send a photo, e.g. of the label.\n")
    assert run(["review", "info.txt"], capsys)[0] == 0  # info is below the default (warning)
    assert run(["review", "info.txt", "--fail-on", "info"], capsys)[0] == 1
    assert run(["review", "dirty.txt", "--fail-on", "error"], capsys)[0] == 1
    assert run(["review", "dirty.txt", "--fail-on", "error", "--ignore", "HYG"], capsys)[0] == 0


def test_select_and_ignore_comma_separated_and_repeated(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(["review", "dirty.txt", "--format", "json", "--select", "TON001,HYG"],
                    capsys)
    assert {d["code"] for d in json.loads(out)} == {"TON001", "HYG001"}
    _, out, _ = run(["review", "dirty.txt", "--format", "json", "--ignore", "TON",
                     "--ignore", "HYG001"], capsys)
    assert json.loads(out) == []


def test_unknown_rule_code_is_a_usage_error(files: Path,
                                            capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(["review", "dirty.txt", "--select", "TON0001"], capsys)
    assert code == 2
    assert out == ""
    assert "TON0001" in err and "hint" in err


def test_config_select_ignore_severity_and_fail_on(
        files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "drafter.toml").write_text(
        '[review]\nignore = ["HYG001"]\nfail_on = "error"\n'
        '[review.severity]\nTON001 = "error"\n')
    code, out, _ = run(["review", "dirty.txt", "--format", "json"], capsys)
    data = json.loads(out)
    assert "HYG001" not in {d["code"] for d in data}
    assert next(d for d in data if d["code"] == "TON001")["severity"] == "error"
    assert code == 1
    (files / "drafter.toml").write_text('[review]\nselect = ["TON005"]\nfail_on = "error"\n')
    code, out, _ = run(["review", "dirty.txt", "--format", "json"], capsys)
    assert {d["code"] for d in json.loads(out)} == {"TON005"}
    assert code == 0  # TON005 is info, below fail_on = error
    code, out, _ = run(["review", "dirty.txt", "--format", "json", "--select", "HYG001"],
                       capsys)
    assert {d["code"] for d in json.loads(out)} == {"HYG001"}  # the flag replaces the config


def test_bad_severity_in_config_exits_2(files: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (files / "drafter.toml").write_text('[review.severity]\nTON001 = "fatal"\n')
    code, _, err = run(["review", "dirty.txt"], capsys)
    assert code == 2
    assert "fatal" in err


def test_missing_file_and_bad_encoding_exit_2(files: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run(["review", "nope.txt"], capsys)
    assert code == 2 and "nope.txt" in err
    (files / "latin1.txt").write_bytes("Gr\xfc\xdfe".encode("latin-1"))
    code, _, err = run(["review", "latin1.txt"], capsys)
    assert code == 2 and "UTF-8" in err
    code, _, err = run(["review", "."], capsys)
    assert code == 2 and "draft lint" in err


def test_channel_and_customer_name_context(files: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    (files / "mail.txt").write_text("Dear customer,\n\nYour order shipped today.\n")
    _, out, _ = run(["review", "mail.txt", "--format", "json"], capsys)
    assert json.loads(out) == []  # channel and name unknown: those rules stay silent
    _, out, _ = run(["review", "mail.txt", "--format", "json", "--channel", "email",
                     "--customer-name", "Jane Doe"], capsys)
    assert {d["code"] for d in json.loads(out)} == {"PER001", "HYG005"}
    _, out, _ = run(["review", "mail.txt", "--format", "json", "--channel", "email",
                     "--body-only"], capsys)
    assert json.loads(out) == []


def test_stdin_is_the_default_and_path_is_dash(tmp_path: Path) -> None:
    proc = draft(["review"], stdin=DIRTY, cwd=tmp_path)
    assert proc.returncode == 1
    assert proc.stdout.startswith("-:1:4: HYG001 ")
    proc = draft(["review", "-", "--format", "json"], stdin=CLEAN, cwd=tmp_path)
    assert proc.returncode == 0
    assert json.loads(proc.stdout) == []


def test_crlf_input_positions(tmp_path: Path) -> None:
    proc = draft(["review", "--format", "json"], stdin="Hi,\r\n\r\nObviously not.\r\n",
                 cwd=tmp_path)
    data = json.loads(proc.stdout)
    assert [(d["code"], d["line"], d["column"]) for d in data] == [("TON001", 3, 1)]


def test_ticket_context_from_the_store(files: Path, capsys: pytest.CaptureFixture[str],
                                       monkeypatch: pytest.MonkeyPatch) -> None:
    store_mod = pytest.importorskip("drafter.store")
    from drafter.tickets.model import Message, Ticket

    db = files / "tickets.db"
    monkeypatch.setenv("DRAFTER_STORE", str(db))
    body = "My blender arrived broken!!! How do I return the blender?"
    store = store_mod.Store(db)
    try:
        store.import_ticket(Ticket(messages=[Message(body=body, latest=body,
                                                     sender_name="Jane Doe")],
                                   customer_name="Jane Doe", channel="email"))
        ticket_id = store.list()[0].id
    finally:
        store.close()
    (files / "reply.txt").write_text("Dear customer,\n\nWe value your business.\n")
    code, out, err = run(["review", "reply.txt", "--ticket", str(ticket_id), "--format",
                          "json"], capsys)
    codes = {d["code"] for d in json.loads(out)}
    # Upset, a problem, a question, the name and the channel all come from the ticket.
    assert {"PER001", "EMP001", "EMP002", "DIR005", "HYG005"} <= codes, err
    assert code == 1
    code, _, err = run(["review", "reply.txt", "--ticket", "999"], capsys)
    assert code == 2 and "999" in err


def test_review_does_not_import_heavy_modules(tmp_path: Path) -> None:
    code = ("import sys\nfrom drafter.cli import main\n"
            "try:\n    main(['review', '-', '--format', 'json'])\nexcept SystemExit:\n    pass\n"
            "bad = [m for m in ('jinja2', 'openai', 'yaml', 'rich', 'llama_cpp') "
            "if m in sys.modules]\nprint(bad, file=sys.stderr)\n")
    proc = subprocess.run([sys.executable, "-c", code], input=DIRTY, capture_output=True,
                          text=True, cwd=tmp_path, timeout=60)
    assert proc.stderr.strip().splitlines()[-1] == "[]"


def test_explain_shows_how_the_reply_was_read(draft, tmp_path: Path) -> None:
    post = "@acme_help Hi! Please DM us your order number: https://t.co/abc123 ^KJ 1/2\n"
    (tmp_path / "post.txt").write_text(post, encoding="utf-8")
    text = draft(["review", str(tmp_path / "post.txt"), "--channel", "social", "--explain"])
    assert text.code == 0, text
    kinds = [line.split()[1] for line in text.stdout.splitlines()[1:] if line.strip()]
    assert kinds[:2] == ["handle", "greeting"] and kinds[-2:] == ["signature", "counter"]
    as_json = json.loads(draft(["review", str(tmp_path / "post.txt"), "--channel", "social",
                                "--explain", "--format", "json"]).stdout)
    assert as_json["findings"] == []
    parts = {p["kind"]: post[p["start"]:p["end"]] for p in as_json["parse"]}
    assert parts["handle"] == "@acme_help" and parts["signature"] == "^KJ"
    # Without --explain the JSON output stays a list of findings; on email the same post is
    # judged by email's norms ("DM" is an acronym there).
    plain = json.loads(draft(["review", str(tmp_path / "post.txt"), "--format", "json"]).stdout)
    assert isinstance(plain, list) and "PLN002" in {f["code"] for f in plain}
