"""`draft batch` and its store under pressure: two runs at once share the tickets; a read-only or
full store is named as such before any model call; a disk that fills mid-batch stops the run
with the drafts stored so far intact.

The read-only and full disks are real: a read-only bind mount, and a small tmpfs, each made in
a user and mount namespace of its own (`unshare`), so no root and no fake are needed; the
tests skip where such namespaces are not allowed.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from batch_fixtures import make_tickets

pytest_plugins = ["batch_server_fixtures"]
pytestmark = pytest.mark.local_server

DRAFT = str(Path(sys.executable).with_name("draft"))
BATCH = ["batch", "--all", "--concurrency", "1", "--max-revisions", "0", "--no-progress"]


def batch_env(proxy: Any, store: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DRAFTER_"))}
    env.update(OPENAI_BASE_URL=proxy.base_url, DRAFTER_MODEL="smollm2-135m-instruct",
               DRAFTER_STORE=str(store), DRAFTER_LLM_MAX_TOKENS="8")
    return env


def stored(store: Path) -> list[tuple[int, str]]:
    db = sqlite3.connect(store)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        return db.execute("SELECT ticket_id, status FROM drafts ORDER BY ticket_id").fetchall()
    finally:
        db.close()


def test_two_runs_at_once_share_the_tickets_and_draft_each_once(proxy: Any, tmp_path: Path) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 8, same=True)
    proxy.reset(delay=0.5)
    cmd = [DRAFT, *BATCH, "--concurrency", "2", "--format", "json"]
    runs = [subprocess.Popen(cmd, env=batch_env(proxy, store), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outs = [run.communicate(timeout=600) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outs
    summaries = [json.loads(out) for out, _ in outs]
    assert sum(s["done"] for s in summaries) == 8
    assert all(s["done"] >= 1 for s in summaries), summaries  # both did a share
    # Every ticket was asked of the model once, by one run or the other.
    assert proxy.tally.chat_requests == proxy.tally.answered_ok == 8
    assert stored(store) == [(i, "done") for i in range(1, 9)]
    db = sqlite3.connect(store)
    assert db.execute("SELECT COUNT(*) FROM claims WHERE finished_at IS NULL").fetchone()[0] == 0
    db.close()


def test_a_claim_of_a_run_that_died_lapses(tmp_path: Path) -> None:
    from drafter.store import Store

    store = tmp_path / "s.db"
    make_tickets(store, 1)
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    with Store(store) as opened:
        opened.db.execute("INSERT INTO claims (ticket_id, owner, expires_at) VALUES (1, ?, 9e12)",
                          (f"{socket.gethostname()}:{dead}:00",))
        opened.db.commit()
        assert opened.claim(1, "me:1:aa", since=0.0) == "claimed"  # its process is gone
        opened.db.execute("UPDATE claims SET owner = 'far:1:bb', expires_at = 1")
        opened.db.commit()
        assert opened.claim(1, "me:1:aa", since=0.0) == "claimed"  # its expiry has passed


# --- real read-only and full disks, in a namespace of their own -------------------------------


def namespaces_allowed() -> bool:
    if shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                            "mount -t tmpfs -o size=64k tmpfs /mnt"], capture_output=True)
    return probe.returncode == 0


needs_namespaces = pytest.mark.skipif(not namespaces_allowed(),
                                      reason="user and mount namespaces (unshare) not allowed")


def in_namespace(script: str, env: dict[str, str]) -> subprocess.Popen[str]:
    """Run a shell script as root of a user and mount namespace of its own."""
    return subprocess.Popen(["unshare", "--user", "--map-root-user", "--mount", "sh", "-c", script],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@needs_namespaces
@pytest.mark.parametrize("what", ["file", "folder"])
def test_a_read_only_store_is_named_before_any_model_call(proxy: Any, tmp_path: Path,
                                                          what: str) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    store = folder / "s.db"
    make_tickets(store, 3, same=True)
    target = store if what == "file" else folder
    run = in_namespace(f'mount --bind -o ro "{target}" "{target}" && exec "{DRAFT}" '
                       + " ".join(BATCH), batch_env(proxy, store))
    out, err = run.communicate(timeout=300)
    assert run.returncode == 2, (out, err)
    assert "is read-only (" in err, err
    assert "not a drafter ticket store" not in err and "internal error" not in err
    assert proxy.tally.chat_requests == 0
    assert stored(store) == []


@needs_namespaces
def test_a_full_disk_is_named_before_any_model_call(proxy: Any, tmp_path: Path) -> None:
    make_tickets(tmp_path / "s.db", 3, same=True)
    disk = tmp_path / "disk"
    disk.mkdir()
    store = disk / "s.db"
    script = (f'mount -t tmpfs -o size=2m tmpfs "{disk}" && cp "{tmp_path}/s.db" "{disk}/" && '
              f'(dd if=/dev/zero of="{disk}/fill" bs=64k 2>/dev/null; true) && '
              f'"{DRAFT}" {" ".join(BATCH)}; echo; "{DRAFT}" tickets list')
    run = in_namespace(script, batch_env(proxy, store))
    out, err = run.communicate(timeout=300)
    assert "is full (disk full: " in err, (out, err)
    assert "not a drafter ticket store" not in err and "internal error" not in err
    assert proxy.tally.chat_requests == 0


@needs_namespaces
def test_a_disk_that_fills_mid_batch_stops_the_run_and_keeps_what_was_stored(
        proxy: Any, tmp_path: Path) -> None:
    make_tickets(tmp_path / "s.db", 6, same=True)
    disk, kept = tmp_path / "disk", tmp_path / "kept"
    disk.mkdir()
    kept.mkdir()
    script = (f'mount -t tmpfs -o size=3m tmpfs "{disk}" && cp "{tmp_path}/s.db" "{disk}/" && '
              f'"{DRAFT}" {" ".join(BATCH)}; code=$?; cp "{disk}"/s.db* "{kept}/"; exit $code')
    run = in_namespace(script, batch_env(proxy, disk / "s.db"))

    def fill_the_disk(n: int) -> None:
        if n == 3:  # as the third request arrives, another program fills the disk
            fd = os.open(f"/proc/{run.pid}/root{disk}/fill", os.O_WRONLY | os.O_CREAT)
            try:
                for size in (65536, 4096, 1):  # to the last byte
                    with contextlib.suppress(OSError):
                        while True:
                            os.write(fd, b"\0" * size)
            finally:
                os.close(fd)

    proxy.reset(lambda n: fill_the_disk(n))
    out, err = run.communicate(timeout=300)
    assert run.returncode == 2, (out, err)
    assert "is full (disk full: " in err and "the outcome of ticket 3 is lost" in err, err
    assert "the 2 stored before it are kept" in err and "internal error" not in err
    assert "3 tickets" not in out and "2 drafted" in out
    # The run stopped at the failure: no request after the one whose answer could not be kept.
    assert proxy.tally.chat_requests == 3
    assert stored(kept / "s.db") == [(1, "done"), (2, "done")]
