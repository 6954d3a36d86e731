"""The model client's retry policy and error messages.

Faults such as 429, 5xx, resets and malformed bodies cannot be caused on the real local model
server, so these tests stand up a tiny scripted HTTP server on loopback that plays them; it stands
in for a misbehaving provider, not for the client under test. Happy paths use the real local
server (tests/test_reply_e2e.py) and cassettes recorded from it (tests/test_pipeline.py).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from drafter.errors import LLMError
from drafter.llm.client import ChatClient

OK = {
    "id": "c1", "object": "chat.completion", "created": 0, "model": "scripted",
    "choices": [{"index": 0, "message": {"role": "assistant", "content": "Hello there"},
                 "finish_reason": "stop"}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15},
}
MESSAGES = [{"role": "user", "content": "hi"}]


class Script:
    """A queue of responses for the scripted server, and the requests it saw."""

    def __init__(self) -> None:
        self.actions: list[Any] = []
        self.requests: list[dict[str, Any]] = []


class _Handler(BaseHTTPRequestHandler):
    script: Script

    def log_message(self, *args: Any) -> None:
        pass

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", 0))
        self.script.requests.append(json.loads(self.rfile.read(length) or b"{}"))
        action = self.script.actions.pop(0) if self.script.actions else ("json", 200, OK, {})
        kind = action[0]
        if kind == "reset":
            # SO_LINGER with a zero timeout: close() sends a TCP reset, as a dying proxy does.
            linger = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
            return
        if kind == "sse":  # a streamed answer: its words, then usage if the server sends any
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.end_headers()
            words, usage = action[1], action[2]
            for i, word in enumerate(words):
                chunk = {"id": "c1", "object": "chat.completion.chunk", "created": 0,
                         "model": "scripted", "choices": [{"index": 0, "delta": {"content": word},
                         "finish_reason": "stop" if i == len(words) - 1 else None}]}
                self.wfile.write(f"data: {json.dumps(chunk)}\n\n".encode())
            if usage is not None:
                tail = {"id": "c1", "object": "chat.completion.chunk", "created": 0,
                        "model": "scripted", "choices": [], "usage": usage}
                self.wfile.write(f"data: {json.dumps(tail)}\n\n".encode())
            self.wfile.write(b"data: [DONE]\n\n")
            self.close_connection = True
            return
        if kind == "sleep":
            time.sleep(action[1])
            action = ("json", 200, OK, {})
        _, status, body, headers = action
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        for k, v in headers.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(raw)


@pytest.fixture
def scripted() -> Iterator[tuple[Script, str]]:
    """A scripted OpenAI-like server on a loopback port: (script, base_url)."""
    script = Script()
    handler = type("Handler", (_Handler,), {"script": script})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield script, f"http://127.0.0.1:{server.server_address[1]}/v1"
    finally:
        server.shutdown()
        server.server_close()


def client(base_url: str, retries: list[tuple[int, str, float]] | None = None,
           **kw: Any) -> ChatClient:
    kw.setdefault("backoff_initial", 0.01)
    kw.setdefault("backoff_max", 0.05)
    return ChatClient(base_url, "sk-test-secret", "scripted-model",
                      on_retry=(lambda a, r, w: retries.append((a, r, w))) if retries is not None
                      else None, **kw)


def error(status: int, message: str = "nope", headers: dict[str, str] | None = None) -> tuple:
    return ("json", status, {"error": {"message": message, "type": "x", "code": None}}, headers or {})


def test_success_returns_text_usage_and_latency(scripted) -> None:
    script, url = scripted
    result = client(url).complete(MESSAGES)
    assert result.text == "Hello there" and result.attempts == 1
    assert result.usage.to_dict() == {"prompt_tokens": 12, "completion_tokens": 3,
                                      "cached_tokens": 0, "total_tokens": 15}
    assert result.latency > 0
    assert script.requests[0]["model"] == "scripted-model"
    assert script.requests[0]["messages"] == MESSAGES


def test_429_honours_retry_after(scripted) -> None:
    script, url = scripted
    script.actions = [error(429, "slow down", {"retry-after": "1"})]
    retries: list[tuple[int, str, float]] = []
    started = time.monotonic()
    result = client(url, retries).complete(MESSAGES)
    assert result.text == "Hello there" and result.attempts == 2
    assert len(script.requests) == 2
    assert retries[0][1] == "rate limited (429)" and retries[0][2] >= 1.0
    assert time.monotonic() - started >= 1.0


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retried_with_backoff(scripted, status: int) -> None:
    script, url = scripted
    script.actions = [error(status), error(status)]
    retries: list[tuple[int, str, float]] = []
    result = client(url, retries).complete(MESSAGES)
    assert result.attempts == 3 and len(script.requests) == 3
    assert [r[0] for r in retries] == [1, 2]


@pytest.mark.parametrize(
    ("status", "expected"),
    [(401, "OPENAI_API_KEY"), (404, "--model"), (400, "rejected the request (400)"),
     (403, "denied access")],
)
def test_errors_retrying_cannot_fix_fail_at_once(scripted, status: int, expected: str) -> None:
    script, url = scripted
    script.actions = [error(status, "model `nope` not found")]
    with pytest.raises(LLMError) as info:
        client(url).complete(MESSAGES)
    assert len(script.requests) == 1
    assert expected in str(info.value)
    assert info.value.exit_code == 3


def test_retry_budget_is_bounded_by_attempts(scripted) -> None:
    script, url = scripted
    script.actions = [error(503)] * 10
    with pytest.raises(LLMError, match="failed after 3 attempts: server error 503"):
        client(url, max_attempts=3).complete(MESSAGES)
    assert len(script.requests) == 3


def test_retry_budget_is_bounded_by_total_time(scripted) -> None:
    script, url = scripted
    script.actions = [error(429, headers={"retry-after": "30"})] * 10
    started = time.monotonic()
    with pytest.raises(LLMError, match="rate limited"):
        client(url, max_attempts=10, max_retry_seconds=1.0).complete(MESSAGES)
    # The Retry-After of 30 s is cut to what is left of the 1 s budget.
    assert time.monotonic() - started < 5


def test_slow_response_times_out_and_is_retried(scripted) -> None:
    script, url = scripted
    script.actions = [("sleep", 2.0)]
    retries: list[tuple[int, str, float]] = []
    result = client(url, retries, timeout=0.5).complete(MESSAGES)
    assert result.attempts == 2 and "timed out" in retries[0][1]


@pytest.mark.parametrize(
    "bad",
    [("json", 200, b"{not json", {}),
     ("json", 200, {**OK, "choices": []}, {}),
     ("reset",)],
    ids=["malformed-json", "empty-choices", "connection-reset"],
)
def test_broken_responses_are_retried(scripted, bad: tuple) -> None:
    script, url = scripted
    script.actions = [bad]
    retries: list[tuple[int, str, float]] = []
    result = client(url, retries).complete(MESSAGES)
    assert result.text == "Hello there" and len(script.requests) == 2 and len(retries) == 1


def test_unreachable_endpoint_fails_after_the_budget() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # bound but not listening: connections are refused
        retries: list[tuple[int, str, float]] = []
        with pytest.raises(LLMError) as info:
            client(f"http://127.0.0.1:{port}/v1", retries, max_attempts=3).complete(MESSAGES)
    assert "failed after 3 attempts: cannot connect" in str(info.value)
    assert len(retries) == 2
    assert "sk-test-secret" not in str(info.value)


def test_streaming_asks_for_usage_and_says_unknown_when_none_comes(scripted) -> None:
    script, url = scripted
    # llama.cpp's server streams without usage; OpenAI sends it in a last chunk when asked.
    script.actions = [("sse", ["Hello", " there"], None),
                      ("sse", ["Hi"], {"prompt_tokens": 12, "completion_tokens": 1,
                                       "total_tokens": 13})]
    pieces: list[str] = []
    silent = client(url).complete(MESSAGES, on_token=pieces.append)
    assert silent.text == "Hello there" and pieces == ["Hello", " there"]
    assert script.requests[0]["stream"] is True
    assert script.requests[0]["stream_options"] == {"include_usage": True}
    assert not silent.usage.reported and silent.usage.to_dict() == {}  # unknown, not zeros
    counted = client(url).complete(MESSAGES, on_token=pieces.append)
    assert counted.usage.to_dict()["prompt_tokens"] == 12


def test_reply_streamed_without_counts_says_unknown_not_zero(
        scripted, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    from conftest import run_draft

    script, url = scripted
    script.actions = [("sse", ["Your parcel left our warehouse today. ",
                               "It should reach you by Friday."], None)]
    monkeypatch.setenv("OPENAI_BASE_URL", url)
    monkeypatch.setenv("DRAFTER_MODEL", "scripted")
    result = run_draft(["reply", "--stream", "--max-revisions", "0"],
                       input="Where is my parcel? It was due on Monday.")
    assert result.code == 0, result
    assert "It should reach you by Friday." in result.stdout
    assert "tokens unknown" in result.stderr and "0 prompt + 0 completion" not in result.stderr
