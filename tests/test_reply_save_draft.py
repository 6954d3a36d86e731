"""`draft reply --save-draft`: the reply lands in the real IMAP server's Drafts folder."""

from __future__ import annotations

from email import message_from_bytes, policy
from pathlib import Path
from typing import Any

import pytest
from imap_fixtures import Dovecot, dovecot_fixture  # noqa: F401  (provides `dovecot`)
from test_reply_cli import EML


def test_save_draft_appends_a_threaded_draft(draft, cassette: Any, dovecot: Dovecot,
                                             tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    imap = dovecot.settings_flags()
    lines = ["[imap]"] + [f"{k.split('.', 1)[1]} = {v!r}" if isinstance(v, str)
                          else f"{k.split('.', 1)[1]} = {v}" for k, v in imap.items()]
    (tmp_path / "drafter.toml").write_text("\n".join(lines).replace("'", '"') + "\n")
    monkeypatch.chdir(tmp_path)
    result = draft(["reply", "--save-draft", "--max-revisions", "0", "--no-stream"], input=EML)
    assert result.code == 0, result
    assert "saved as a draft: imap://support@localhost:" in result.stderr
    client = dovecot.client()
    try:
        assert client.select("Drafts", readonly=True)[0] == "OK"
        _, data = client.uid("FETCH", "1:*", "(FLAGS BODY.PEEK[])")
    finally:
        client.logout()
    saved = [part for part in data if isinstance(part, tuple)]
    assert len(saved) == 1
    flags, raw = saved[0]
    assert b"\\Draft" in flags
    msg = message_from_bytes(raw, policy=policy.default)
    assert msg["In-Reply-To"] == "<m2@example.com>"
    assert msg["Subject"] == "Re: Order 4821 never arrived"
    body = msg.get_content().replace("\r\n", "\n")
    assert body == result.stdout  # the draft on stdout is the draft in the mailbox
