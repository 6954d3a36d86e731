"""A stand-in model server for timing and progress tests: it answers every chat completion with
one canned reply after a fixed latency, and counts the requests it serves at once.

It stands in for a slow model, not for drafter: the batch, its progress and its client are real.
(The real local server takes both cores; a test about what drafter shows while it waits needs
only the waiting.)
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

REPLY = ("Your parcel left our warehouse this morning and should reach you by Friday. "
         "I will check the tracking again tomorrow and write to you if it has not moved.")


class StandIn:
    """The server on a loopback port: `base_url`, and `served`, `most_at_once` after a run."""

    def __init__(self, latency: float = 0.0, usage: bool = True,
                 one_at_a_time: bool = False) -> None:
        self.latency = latency
        self.usage = usage
        # As llama-cpp-python's server: one request is answered, the others wait their turn.
        self._turn = threading.Lock() if one_at_a_time else None
        self.served = 0
        self.now = 0  # requests being served
        self.most_at_once = 0
        self._lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def do_GET(self) -> None:
                self._send({"object": "list", "data": [{"id": "stand-in", "object": "model"}]})

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("content-length", 0)))
                if outer._turn is not None:
                    outer._turn.acquire()
                with outer._lock:
                    outer.now += 1
                    outer.most_at_once = max(outer.most_at_once, outer.now)
                try:
                    time.sleep(outer.latency)
                finally:
                    with outer._lock:
                        outer.now -= 1
                        outer.served += 1
                    if outer._turn is not None:
                        outer._turn.release()
                body: dict[str, Any] = {
                    "id": "c", "object": "chat.completion", "created": 0, "model": "stand-in",
                    "choices": [{"index": 0, "finish_reason": "stop",
                                 "message": {"role": "assistant", "content": REPLY}}]}
                if outer.usage:
                    body["usage"] = {"prompt_tokens": 1500, "completion_tokens": 40,
                                     "total_tokens": 1540}
                self._send(body)

            def _send(self, data: Any) -> None:
                raw = json.dumps(data).encode()
                self.send_response(200)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StandIn:
        self._thread.start()
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._server.shutdown()
        self._server.server_close()
