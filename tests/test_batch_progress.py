"""What `draft batch` shows while it waits for a slow model: a status line redrawn every second
on a terminal (elapsed time, finished and failed tickets, the requests in flight, retries, an
ETA once a ticket is done), and plain lines when stderr is not a terminal. The model is a
stand-in that answers after a fixed latency (tests/standin_server.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from batch_fixtures import make_tickets, model_env
from standin_server import StandIn


def test_the_progress_line_is_redrawn_every_second_while_a_ticket_is_drafted(
        draft, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 2)
    with StandIn(latency=2.6) as server:
        model_env(monkeypatch, server.base_url, store)
        monkeypatch.setenv("DRAFTER_MODEL", "stand-in")
        result = draft(["batch", "--all", "--progress", "--concurrency", "1",
                        "--max-revisions", "0"])
    assert result.code == 0, result
    frames = [f for f in result.stderr.split("\r\x1b[2K") if "in flight" in f]
    # While the first ticket waits for the model, time moves on the line: 0:01, 0:02.
    first = [f for f in frames if f.split(" ", 1)[1].startswith("0/2")]
    clocks = {re.search(r"· (\d:\d\d)(?: ·|$)", f).group(1) for f in first}  # type: ignore[union-attr]
    assert {"0:01", "0:02"} <= clocks, first
    assert all("1 in flight" in f and "left" not in f for f in first)  # no ETA before one is done
    later = [f for f in frames if f.split(" ", 1)[1].startswith("1/2")]
    assert later and all("left" in f for f in later)  # an ETA once one ticket is done
    assert any("2/2 · 2 done · 0 failed · 0 in flight" in f for f in frames)
    assert "\r" not in result.stdout


def test_without_a_terminal_each_ticket_is_a_plain_line(
        draft, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 2)
    with StandIn(latency=0.2) as server:
        model_env(monkeypatch, server.base_url, store)
        monkeypatch.setenv("DRAFTER_MODEL", "stand-in")
        result = draft(["batch", "--all", "--no-progress", "--max-revisions", "0"])
    assert result.code == 0, result
    assert "\r" not in result.stderr and "\x1b" not in result.stderr
    assert "ticket 1: drafted (" in result.stderr and "ticket 2: drafted (" in result.stderr
