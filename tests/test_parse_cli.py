"""`draft parse`: output for people and programs, exit codes, and a fast start."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from tickets_fixtures import eml

REPO = Path(__file__).resolve().parents[1]
DAMAGED = REPO / "examples" / "tickets" / "01-damaged-order.eml"


def test_parse_file_shows_sender_subject_attachments_and_latest(draft) -> None:
    result = draft(["parse", str(DAMAGED)])
    assert result.code == 0, result
    out = result.stdout
    assert "Maria Lopez <maria.lopez@example.com>" in out
    assert "Order #48213 arrived broken" in out
    assert "box-photo.png (image/png" in out
    assert "glass shade is shattered" in out
    assert "wrote:" not in out and "Sent from my iPhone" not in out
    assert "removed" in result.stderr  # the note about elided parts goes to stderr


def test_parse_stdin_json(draft) -> None:
    body = "Refund please.\n\n-- \nJane\n\nOn Mon, 8 Jan 2024, Acme <s@acme.example> wrote:\n> Hi"
    result = draft(["parse", "--format", "json"], input=eml(body))
    assert result.code == 0, result
    data = json.loads(result.stdout)
    assert data["latest"] == "Refund please."
    assert data["sender_address"] == "jane@example.com"
    assert data["message_id"] == "<m1@example.com>"
    assert data["elided"]["signature"].startswith("--")
    assert "> Hi" in data["elided"]["history"]
    assert "Refund please." in data["body"]


def test_parse_plain_text(draft) -> None:
    result = draft(["parse", "-"], input=b"my order never came")
    assert result.code == 0
    assert "my order never came" in result.stdout
    assert "(unknown)" in result.stdout


def test_parse_empty_stdin_exits_2_with_hint(draft) -> None:
    result = draft(["parse"], input=b"")
    assert result.code == 2
    assert "empty" in result.stderr and "hint:" in result.stderr
    assert "Traceback" not in result.stderr
    assert result.stdout == ""


def test_parse_binary_exits_2(draft) -> None:
    result = draft(["parse"], input=b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR" * 10)
    assert result.code == 2
    assert "binary" in result.stderr


def test_parse_missing_file_exits_2(draft, tmp_path: Path) -> None:
    result = draft(["parse", str(tmp_path / "nope.eml")])
    assert result.code == 2
    assert "nope.eml" in result.stderr


def test_parse_oversize_exits_2(draft, tmp_path: Path) -> None:
    big = tmp_path / "big.eml"
    big.write_bytes(eml("x" * (1024 * 1024 + 10)))
    result = draft(["parse", "--max-size", "1", str(big)])
    assert result.code == 2
    assert "too large" in result.stderr


def test_parse_imports_no_heavy_modules() -> None:
    code = (
        "import sys\n"
        "from drafter.cli import main\n"
        f"sys.argv = ['draft', 'parse', {str(DAMAGED)!r}]\n"
        "try:\n    main()\nexcept SystemExit:\n    pass\n"
        "heavy = [m for m in ('openai', 'jinja2', 'llama_cpp', 'rich', 'httpx', 'tenacity')"
        " if m in sys.modules]\n"
        "print('HEAVY', heavy, file=sys.stderr)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=60, check=False)
    assert "HEAVY []" in proc.stderr, proc.stderr
    assert "Maria Lopez" in proc.stdout


def test_installed_draft_parse_subprocess() -> None:
    exe = Path(sys.executable).with_name("draft")
    proc = subprocess.run([str(exe), "parse", "--format", "json"], input=DAMAGED.read_bytes(),
                          capture_output=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["attachments"][0]["filename"] == "box-photo.png"


def test_parse_mbox_shows_the_first_message(draft, tmp_path: Path) -> None:
    path = tmp_path / "box.mbox"
    path.write_bytes(
        b"From a@example.com Mon Jan  8 10:00:00 2024\n"
        + eml("First message").replace(b"\r\n", b"\n")
        + b"\nFrom b@example.com Mon Jan  8 11:00:00 2024\n"
        + eml("Second message", sender="b@example.com").replace(b"\r\n", b"\n")
    )
    result = draft(["parse", "--format", "json", str(path)])
    assert result.code == 0, result
    assert json.loads(result.stdout)["body"] == "First message"
    assert "mbox" in result.stderr
