"""The local model server dies with drafter, even when drafter is killed (Linux: a parent-death
signal). The real server is started (about 3 s), by a real `draft reply`, and killed mid-draft."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from drafter.llm.local import local_available

DRAFT = str(Path(sys.executable).with_name("draft"))


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid`."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Whether `pid` still runs (a zombie waiting for its new parent to reap it does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state not in ("Z", "X")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.skipif(not local_available(), reason="the `local` extra is not installed")
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL], ids=["sigterm", "sigkill"])
def test_killing_draft_reply_takes_the_local_server_with_it(tmp_path: Path, sig: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DRAFTER_"))}
    env.update(DRAFTER_LLM_LOCAL="always", DRAFTER_LLM_MAX_TOKENS="300",
               XDG_DATA_HOME=str(tmp_path))
    proc = subprocess.Popen([DRAFT, "reply", "--no-stream"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(b"My parcel 1234 has not moved for a week. Where is it?")
    proc.stdin.close()
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any(b"drafting with" in line for line in said):  # the server answers now
            assert proc.poll() is None and time.monotonic() < deadline, said
            time.sleep(0.1)
        servers = [c for c in children(proc.pid) if b"llama_cpp.server" in
                   Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(servers) == 1
        proc.send_signal(sig)  # mid-draft: the server is busy generating
        proc.wait(timeout=30)
        deadline = time.monotonic() + 10
        while alive(servers[0]) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not alive(servers[0]), "the local model server outlived drafter"
    finally:
        if proc.poll() is None:
            proc.kill()


# Ctrl-C at a terminal reaches drafter with SIGINT at its default disposition; a test run in
# the background would hand it down ignored, so the child restores it before it starts draft.
_WITH_DEFAULT_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "os.execv(sys.argv[1], sys.argv[1:])")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc lists the children")
@pytest.mark.skipif(not local_available(), reason="the `local` extra is not installed")
def test_ctrl_c_mid_draft_exits_at_once_and_says_so_once(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DRAFTER_"))}
    env.update(DRAFTER_LLM_LOCAL="always", DRAFTER_LLM_MAX_TOKENS="300",
               XDG_DATA_HOME=str(tmp_path))
    proc = subprocess.Popen([sys.executable, "-c", _WITH_DEFAULT_SIGINT, DRAFT, "reply",
                             "--no-stream"], env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    assert proc.stdin is not None and proc.stderr is not None
    proc.stdin.write(b"My parcel 1234 has not moved for a week. Where is it?")
    proc.stdin.close()
    said: list[bytes] = []
    reader = threading.Thread(target=lambda: said.extend(proc.stderr or []), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any(b"drafting with" in line for line in said):  # the server answers now
            assert proc.poll() is None and time.monotonic() < deadline, said
            time.sleep(0.1)
        servers = [c for c in children(proc.pid) if b"llama_cpp.server" in
                   Path(f"/proc/{c}/cmdline").read_bytes()]
        assert len(servers) == 1
        time.sleep(0.5)  # the request is in: the server is generating, deaf to SIGTERM
        sent = time.monotonic()
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        took = time.monotonic() - sent
        reader.join(timeout=5)
        # Before, drafter gave the busy server 3 s to heed SIGTERM (10 s under load).
        assert took < 2.5, f"Ctrl-C took {took:.1f} s"
        assert code == 130
        text = b"".join(said).decode()
        assert text.count("interrupted") == 1 and "Traceback" not in text, text
        assert not alive(servers[0]), "the local model server outlived drafter"
    finally:
        if proc.poll() is None:
            proc.kill()
