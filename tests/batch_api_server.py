"""A small Batch API server (test-only, loopback) that stands in for the provider's.

The local llama.cpp server has no Files or Batches endpoints, so this one implements the
documented subset drafter uses — POST /v1/files (multipart, purpose=batch), GET
/v1/files/{id}/content, POST /v1/batches, GET /v1/batches/{id} — and answers each request line
by forwarding its body to the real local model server. Knobs make it misbehave as providers do:
per-line errors, a batch that expires part-way, a batch that fails validation.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from email.parser import BytesParser
from email.policy import HTTP
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlsplit


class BatchAPIServer:
    """The stand-in: `base_url` for drafter; knobs and counts for the tests."""

    def __init__(self, upstream_base_url: str) -> None:
        parts = urlsplit(upstream_base_url)
        assert parts.hostname in ("127.0.0.1", "localhost"), "loopback upstreams only"
        self.upstream = (parts.hostname, parts.port or 80)
        self.files: dict[str, dict[str, Any]] = {}
        self.batches: dict[str, dict[str, Any]] = {}
        self.ids = itertools.count(1)
        self.lock = threading.Lock()
        self.forwarded = 0
        self.downloads = 0
        # Knobs.
        self.line_errors: set[str] = set()  # custom_ids answered with a per-line error
        self.expire_after: int | None = None  # lines run before the batch expires
        self.fail_validation: str | None = None  # message of a validation failure
        self.hold = False  # leave new batches in_progress until released
        owner = self

        class Handler(_Handler):
            server_owner = owner

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def __enter__(self) -> BatchAPIServer:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def new_id(self, prefix: str) -> str:
        with self.lock:
            return f"{prefix}_{next(self.ids):04d}"

    def add_file(self, filename: str, purpose: str, data: bytes) -> dict[str, Any]:
        file = {"id": self.new_id("file"), "object": "file", "bytes": len(data),
                "created_at": int(time.time()), "filename": filename, "purpose": purpose,
                "status": "processed"}
        self.files[file["id"]] = {**file, "data": data}
        return file

    def release(self) -> None:
        """Run the batches held back by `hold`."""
        self.hold = False
        for batch in list(self.batches.values()):
            if batch["status"] == "in_progress" and not batch.get("_running"):
                self._start(batch)

    def create_batch(self, req: dict[str, Any]) -> dict[str, Any]:
        now = int(time.time())
        batch = {
            "id": self.new_id("batch"), "object": "batch", "endpoint": req.get("endpoint"),
            "errors": None, "input_file_id": req.get("input_file_id"),
            "completion_window": req.get("completion_window"), "status": "validating",
            "output_file_id": None, "error_file_id": None, "created_at": now,
            "in_progress_at": None, "expires_at": now + 86400, "finalizing_at": None,
            "completed_at": None, "failed_at": None, "expired_at": None, "cancelling_at": None,
            "cancelled_at": None, "request_counts": {"total": 0, "completed": 0, "failed": 0},
            "metadata": req.get("metadata"),
        }
        self.batches[batch["id"]] = batch
        if self.fail_validation or batch["input_file_id"] not in self.files:
            batch.update(status="failed", failed_at=now, errors={"object": "list", "data": [
                {"code": "invalid_request", "message": self.fail_validation or "input file not found",
                 "param": None, "line": None}]})
            return dict(batch)
        batch.update(status="in_progress", in_progress_at=now)
        if not self.hold:
            self._start(batch)
        return {k: v for k, v in batch.items() if not k.startswith("_")}

    def _start(self, batch: dict[str, Any]) -> None:
        batch["_running"] = True
        threading.Thread(target=self._run, args=(batch,), daemon=True).start()

    def _run(self, batch: dict[str, Any]) -> None:
        lines = [json.loads(x) for x in self.files[batch["input_file_id"]]["data"].splitlines()
                 if x.strip()]
        batch["request_counts"]["total"] = len(lines)
        out: list[str] = []
        errors: list[str] = []
        for n, line in enumerate(lines):
            if self.expire_after is not None and n >= self.expire_after:
                break
            cid = line["custom_id"]
            if cid in self.line_errors:
                errors.append(json.dumps({"id": f"req_{n}", "custom_id": cid, "response": {
                    "status_code": 400, "request_id": f"r{n}", "body": {"error": {
                        "message": "injected per-line error", "type": "invalid_request_error"}}},
                    "error": None}))
                batch["request_counts"]["failed"] += 1
                continue
            status, body = self._forward(line["body"])
            record = {"id": f"req_{n}", "custom_id": cid,
                      "response": {"status_code": status, "request_id": f"r{n}", "body": body},
                      "error": None}
            (out if status == 200 else errors).append(json.dumps(record))
            batch["request_counts"]["completed" if status == 200 else "failed"] += 1
        now = int(time.time())
        if out:
            batch["output_file_id"] = self.add_file("output.jsonl", "batch_output",
                                                    ("\n".join(out) + "\n").encode())["id"]
        if errors:
            batch["error_file_id"] = self.add_file("errors.jsonl", "batch_output",
                                                   ("\n".join(errors) + "\n").encode())["id"]
        if self.expire_after is not None and len(lines) > self.expire_after:
            batch.update(status="expired", expired_at=now)
        else:
            batch.update(status="completed", finalizing_at=now, completed_at=now)

    def _forward(self, body: dict[str, Any]) -> tuple[int, Any]:
        conn = http.client.HTTPConnection(*self.upstream, timeout=600)
        try:
            conn.request("POST", "/v1/chat/completions", body=json.dumps(body).encode(),
                         headers={"content-type": "application/json"})
            resp = conn.getresponse()
            with self.lock:
                self.forwarded += 1
            return resp.status, json.loads(resp.read())
        finally:
            conn.close()


class _Handler(BaseHTTPRequestHandler):
    server_owner: BatchAPIServer
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _json(self, status: int, data: Any) -> None:
        raw = json.dumps({k: v for k, v in data.items() if not k.startswith("_")}).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)

    def _not_found(self) -> None:
        self._json(404, {"error": {"message": f"no such object: {self.path}",
                                   "type": "invalid_request_error"}})

    def do_GET(self) -> None:
        owner = self.server_owner
        parts = self.path.split("?")[0].strip("/").split("/")  # v1, files|batches, id, [content]
        if len(parts) == 4 and parts[1] == "files" and parts[3] == "content" and parts[2] in owner.files:
            data = owner.files[parts[2]]["data"]
            owner.downloads += 1
            self.send_response(200)
            self.send_header("content-type", "application/octet-stream")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
        elif len(parts) == 3 and parts[1] == "batches" and parts[2] in owner.batches:
            self._json(200, owner.batches[parts[2]])
        elif len(parts) == 3 and parts[1] == "files" and parts[2] in owner.files:
            self._json(200, {k: v for k, v in owner.files[parts[2]].items() if k != "data"})
        else:
            self._not_found()

    def do_POST(self) -> None:
        owner = self.server_owner
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        path = self.path.split("?")[0].rstrip("/")
        if path == "/v1/files":
            form = BytesParser(policy=HTTP).parsebytes(
                b"content-type: " + self.headers["content-type"].encode() + b"\r\n\r\n" + body)
            fields: dict[str, tuple[str | None, bytes]] = {}
            for part in form.iter_parts():
                name = part.get_param("name", header="content-disposition")
                fields[str(name)] = (part.get_filename(), part.get_payload(decode=True) or b"")
            if "file" not in fields or fields.get("purpose", (None, b""))[1] != b"batch":
                self._json(400, {"error": {"message": "file and purpose=batch are required",
                                           "type": "invalid_request_error"}})
                return
            self._json(200, owner.add_file(fields["file"][0] or "upload.jsonl", "batch",
                                           fields["file"][1]))
        elif path == "/v1/batches":
            self._json(200, owner.create_batch(json.loads(body)))
        else:
            self._not_found()
