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
