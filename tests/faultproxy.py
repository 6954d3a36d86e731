"""A fault-injecting HTTP proxy (test-only, loopback only) in front of the real local model server.

Every request goes to the real llama.cpp server unless the plan says to play a fault instead (or
to spoil the real answer): 429 with or without Retry-After, 5xx, a connection reset before or
during the response, a response slower than the client's timeout, malformed JSON, an empty choice
list, a refused key (401), an unknown model (404, as OpenAI answers it; llama.cpp serves any
model name). Plans are deterministic: a fixed script, every k-th request, or always.
"""

from __future__ import annotations

import contextlib
import http.client
import itertools
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


@dataclass(frozen=True)
class Fault:
    """One fault: `kind` and its details (status and headers, or seconds of delay)."""

    kind: str  # status | reset_before | reset_during | slow | drip | malformed | empty_choices
    #           | not_text | unknown_model
    status: int = 0
    headers: tuple[tuple[str, str], ...] = ()
    seconds: float = 0.0

    @property
    def name(self) -> str:
        return f"{self.status}" if self.kind == "status" else self.kind


def status(code: int, retry_after: str | None = None) -> Fault:
    return Fault("status", code, (("retry-after", retry_after),) if retry_after is not None else ())


RESET_BEFORE = Fault("reset_before")
RESET_DURING = Fault("reset_during")
MALFORMED = Fault("malformed")
EMPTY_CHOICES = Fault("empty_choices")
NOT_TEXT = Fault("not_text")  # the real answer with its message content a list, not a string
UNKNOWN_MODEL = Fault("unknown_model")


def slow(seconds: float) -> Fault:
    return Fault("slow", seconds=seconds)


def drip(seconds: float) -> Fault:
    """Headers at once, then one byte of the body every `seconds`, never finishing."""
    return Fault("drip", seconds=seconds)


Plan = Callable[[int], "Fault | None"]  # 1-based number of the chat request -> fault or None


def script(*faults: Fault | None) -> Plan:
    """The first requests get these faults in order (None: pass through); later ones pass."""
    return lambda n: faults[n - 1] if n <= len(faults) else None


def every(k: int, *faults: Fault) -> Plan:
    """Every k-th request gets the next of `faults` (cycling); the others pass."""
    cycle = itertools.cycle(faults)
    return lambda n: next(cycle) if n % k == 0 else None


def always(fault: Fault) -> Plan:
    return lambda n: fault


@dataclass
class Tally:
    """What the proxy saw and did, for the tests to count."""

    chat_requests: int = 0
    forwarded: int = 0  # chat requests the real server answered
    answered_ok: int = 0  # ... and whose answer went back unspoiled
    injected: list[str] = field(default_factory=list)
    models: list[str] = field(default_factory=list)


class FaultProxy:
    """The proxy: `base_url` for drafter, `plan` to set, `tally` to read, `delay` added to all."""

    def __init__(self, upstream_base_url: str, plan: Plan | None = None, delay: float = 0.0,
                 faulty: Callable[[str], bool] | None = None) -> None:
        parts = urlsplit(upstream_base_url)
        # Which request paths the plan applies to (and the tally counts): chat calls by default.
        self.faulty = faulty or (lambda path: path.endswith("/chat/completions"))
        assert parts.hostname in ("127.0.0.1", "localhost", "::1"), "loopback upstreams only"
        self.upstream = (parts.hostname, parts.port or 80)
        self.plan: Plan = plan or (lambda n: None)
        self.delay = delay
        self.tally = Tally()
        self.lock = threading.Lock()
        proxy = self

        class Handler(_Handler):
            owner = proxy

        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def reset(self, plan: Plan | None = None, delay: float = 0.0) -> None:
        """Start counting afresh with a new plan."""
        with self.lock:
            self.plan = plan or (lambda n: None)
            self.delay = delay
            self.tally = Tally()

    def __enter__(self) -> FaultProxy:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # connections this proxy resets on purpose end in errors; they are the point


class _Handler(BaseHTTPRequestHandler):
    owner: FaultProxy
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._serve(b"")

    def do_POST(self) -> None:
        self._serve(self.rfile.read(int(self.headers.get("content-length", 0))))

    def _serve(self, body: bytes) -> None:
        if not self.owner.faulty(self.path):
            self._forward_plain(body)
            return
        proxy = self.owner
        with proxy.lock:
            proxy.tally.chat_requests += 1
            n = proxy.tally.chat_requests
            fault = proxy.plan(n)
            if fault is not None:
                proxy.tally.injected.append(fault.name)
            with contextlib.suppress(ValueError, AttributeError):
                proxy.tally.models.append(json.loads(body).get("model", ""))
            delay = proxy.delay
        if delay:
            time.sleep(delay)
        if fault is None:
            status, headers, payload = self._upstream(body)
            self._send(status, headers, payload)
            with proxy.lock:
                proxy.tally.answered_ok += status == 200
            return
        kind = fault.kind
        if kind == "status":
            self._send_json(fault.status, {"error": {"message": f"injected {fault.status}",
                                                     "type": "server_error", "code": None}},
                            dict(fault.headers))
        elif kind == "unknown_model":
            model = json.loads(body).get("model", "")
            self._send_json(404, {"error": {"message": f"The model `{model}` does not exist or you "
                                            "do not have access to it.",
                                            "type": "invalid_request_error",
                                            "code": "model_not_found"}}, {})
        elif kind == "reset_before":
            self._reset()
        elif kind == "slow":
            time.sleep(fault.seconds)  # the client has given up by now; answer nothing
            self._reset()
        elif kind == "drip":
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", "100000")
            self.end_headers()
            try:  # every read the client makes returns within its read timeout
                for _ in range(600):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(fault.seconds)
            except OSError:
                pass  # the client gave up, as it should
            self.close_connection = True
        else:
            status, headers, payload = self._upstream(body)
            if kind == "reset_during":
                # Headers and the first part of the real answer go out, then the connection dies.
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in ("content-length", "transfer-encoding", "connection"):
                        self.send_header(k, v)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload[: max(1, len(payload) // 2)])
                self.wfile.flush()
                time.sleep(0.05)
                self._reset()
            elif kind == "malformed":
                self._send(200, headers, payload[: len(payload) // 2])
            elif kind == "empty_choices":
                data = json.loads(payload)
                data["choices"] = []
                self._send(200, headers, json.dumps(data).encode())
            elif kind == "not_text":
                data = json.loads(payload)
                data["choices"][0]["message"]["content"] = [{"type": "text", "text": "hi"}]
                self._send(200, headers, json.dumps(data).encode())
            else:
                raise AssertionError(kind)

    def _upstream(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        conn = http.client.HTTPConnection(*self.owner.upstream, timeout=600)
        try:
            headers = {k: v for k, v in self.headers.items()
                       if k.lower() not in ("host", "connection", "accept-encoding")}
            conn.request(self.command, self.path, body=body or None, headers=headers)
            resp = conn.getresponse()
            payload = resp.read()
            if self.owner.faulty(self.path):
                with self.owner.lock:
                    self.owner.tally.forwarded += 1
            return resp.status, resp.getheaders(), payload
        finally:
            conn.close()

    def _forward_plain(self, body: bytes) -> None:
        status, headers, payload = self._upstream(body)
        self._send(status, headers, payload)

    def _send(self, status: int, headers: list[tuple[str, str]], payload: bytes) -> None:
        self.send_response(status)
        for k, v in headers:
            if k.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                self.send_header(k, v)
        self.send_header("content-length", str(len(payload)))
        self.end_headers()
        with contextlib.suppress(OSError):
            self.wfile.write(payload)

    def _send_json(self, status: int, data: Any, headers: dict[str, str]) -> None:
        raw = json.dumps(data).encode()
        self._send(status, [("content-type", "application/json"), *headers.items()], raw)

    def _reset(self) -> None:
        # SO_LINGER with a zero timeout: close() sends a TCP reset, as a dying proxy does.
        linger = (1).to_bytes(4, "little") + (0).to_bytes(4, "little")
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            self.connection.close()
        except OSError:
            pass
        self.close_connection = True


def serve(upstream_base_url: str, plan: Plan | None = None) -> Iterator[FaultProxy]:
    """Run a proxy for the duration of a `with` (as a generator for pytest fixtures)."""
    with FaultProxy(upstream_base_url, plan) as proxy:
        yield proxy
