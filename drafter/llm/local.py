"""The embedded default: the bundled SmolLM2 model behind llama.cpp's OpenAI-compatible server."""

from __future__ import annotations

import atexit
import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from drafter.errors import LLMError
from drafter.llm.bundled import INSTALL_HINT, LOCAL_MODEL_NAME, local_available, local_model_path

__all__ = ["INSTALL_HINT", "LOCAL_MODEL_NAME", "LocalPlan", "LocalServer", "local_available",
           "local_model_path", "plan_local", "start_servers"]

# What one server (one request at a time) holds besides the model file's pages, which the
# servers share: measured at n_ctx 4096, 160 MB of anonymous memory idle and 730-760 MB after
# drafting (llama-cpp-python's buffer of logits, n_ctx x the vocabulary's 49,152 floats, fills
# as the context does; the KV cache is most of the rest), rounded up.
SLOT_MEMORY = 2**30
MAX_THREADS = 4  # a 135M model gains nothing measurable past 4 threads on one request


@dataclass(frozen=True)
class LocalPlan:
    """How the local model is served: `slots` servers of `threads` threads, each answering one
    request at a time (llama-cpp-python's server does not batch requests), and why no more."""

    slots: int
    threads: int
    limit: str = ""  # what held the slots below the concurrency asked for ("" if nothing)


def plan_local(concurrency: int, cores: int | None = None, available: int | None = None,
               slot_memory: int = SLOT_MEMORY, load: float | None = None) -> LocalPlan:
    """Size the local model to the machine: at most one slot per two cores (a request on one
    thread took 16-43 s), no more slots than `concurrency` or than `available` bytes of memory
    hold (each slot has its own context, n_ctx 4096, and its buffers: SLOT_MEMORY),
    and the cores other processes leave free (`load`: the 1-minute load average, drafter's own
    included, read when not given) shared out among the slots (up to MAX_THREADS each)."""
    cores = cores or os.cpu_count() or 1
    available = available_memory() if available is None else available
    per_core = max(1, cores // 2)
    by_memory = max(1, available // slot_memory) if available else per_core
    slots = max(1, min(concurrency, per_core, by_memory))
    limit = ""
    if slots < concurrency:  # so slots is the lesser of what the cores and the memory allow
        limit = (f"{cores} core{'s' if cores != 1 else ''}, 2 a slot"
                 if not available or per_core <= by_memory
                 else f"{available // 2**20} MB of free memory, {slot_memory // 2**20} MB a slot")
    # llama.cpp's threads wait for each other at every step: a thread on a core another process
    # keeps busy holds the rest back (measured on 2 busy cores: 0.9 tokens/s on 2 threads, 21
    # on 1; on 2 idle cores 2 threads are 1.6x faster than 1). So only free cores get a thread.
    # The load counts drafter too, which only waits while the server works: one is its own.
    busy = max(0.0, (machine_load() if load is None else load) - 1.0)
    free = max(1, int(cores - busy + 0.5))
    return LocalPlan(slots, max(1, min(MAX_THREADS, cores // slots, free // slots)), limit)


def machine_load() -> float:
    """The 1-minute load average (runnable processes), or 0 where the system does not tell."""
    try:
        return os.getloadavg()[0]
    except (AttributeError, OSError):
        return 0.0


def available_memory() -> int | None:
    """Bytes of memory available to new processes (Linux's MemAvailable), or None if unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as info:
            for line in info:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def free_port() -> int:
    """Return a free TCP port on the loopback interface."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class LocalServer:
    """Start `python -m llama_cpp.server` on a loopback port, wait until it answers, stop it.

    The server dies with drafter: on Linux by a parent-death signal (SIGKILL, so even when
    drafter itself is killed; see drafter/llm/child.py); elsewhere it runs in a process group
    of its own that `stop` kills, at the latest when the interpreter exits.
    """

    def __init__(
        self,
        model_path: Path | None = None,
        port: int | None = None,
        startup_timeout: float = 120.0,
        n_ctx: int = 4096,
        threads: int | None = None,
    ) -> None:
        path = model_path or local_model_path()
        if path is None or importlib.util.find_spec("llama_cpp") is None:
            raise LLMError("the local model is not installed",
                           hint=f"{INSTALL_HINT}, or set OPENAI_BASE_URL / OPENAI_API_KEY")
        self.model_path = path
        self.port = port or free_port()
        self.startup_timeout = startup_timeout
        self.n_ctx = n_ctx
        self.threads = threads or plan_local(1).threads
        self._proc: subprocess.Popen[bytes] | None = None
        self._log = tempfile.TemporaryFile()  # noqa: SIM115 - lives as long as the server

    @property
    def base_url(self) -> str:
        """The server's OpenAI-compatible base URL."""
        return f"http://127.0.0.1:{self.port}/v1"

    def start(self) -> LocalServer:
        """Start the server and block until it answers, or raise LLMError with its log."""
        self.launch()
        return self.wait_ready()

    def launch(self) -> None:
        """Start the server process without waiting for it (see `wait_ready`)."""
        guard = (["-m", "drafter.llm.child", str(os.getpid())]
                 if sys.platform.startswith("linux") else ["-m"])
        cmd = [
            sys.executable, *guard, "llama_cpp.server",
            "--model", str(self.model_path),
            "--model_alias", LOCAL_MODEL_NAME,
            "--host", "127.0.0.1", "--port", str(self.port),
            "--n_ctx", str(self.n_ctx), "--n_threads", str(self.threads),
            "--n_threads_batch", str(self.threads),
            # A request arriving while another streams would cut that one short; drafter sends
            # a server one request at a time, and nothing is to be cut short.
            "--interrupt_requests", "false",
        ]
        self._proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=self._log,
                                      stderr=subprocess.STDOUT, start_new_session=True)
        atexit.register(self.stop)

    def wait_ready(self) -> LocalServer:
        """Block until the launched server answers, or stop it and raise LLMError with its log."""
        assert self._proc is not None, "launch() first"
        deadline = time.monotonic() + self.startup_timeout
        try:
            while time.monotonic() < deadline:
                if self._proc.poll() is not None:
                    raise LLMError(f"the local model server exited at start (code "
                                   f"{self._proc.returncode})", hint="its output ends with: "
                                   + self._tail())
                if self._answers():
                    return self
                time.sleep(0.2)
        except BaseException:  # Ctrl-C while it loads: no need to let it finish
            self.stop(grace=0)
            raise
        self.stop()
        raise LLMError(f"the local model server did not answer within {self.startup_timeout:.0f} s",
                       hint="its output ends with: " + self._tail())

    def _answers(self) -> bool:
        try:
            with urllib.request.urlopen(self.base_url + "/models", timeout=2) as resp:
                json.load(resp)
                return True
        except (OSError, ValueError, urllib.error.URLError):
            return False

    def _tail(self, limit: int = 600) -> str:
        self._log.seek(0)
        text = self._log.read().decode("utf-8", "replace").strip()
        return text[-limit:] or "(nothing)"

    def stop(self, grace: float = 1.0) -> None:
        """Stop the server: terminate it, and kill it if it lingers past `grace` seconds (it
        ignores SIGTERM while it finishes a generation; idle, it exits in about 0.1 s). With
        `grace` 0 it is killed at once: it keeps no state worth a clean exit."""
        atexit.unregister(self.stop)
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            if grace > 0:
                proc.terminate()
            try:
                proc.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        self._log.close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def start_servers(plan: LocalPlan, model_path: Path | None = None) -> list[LocalServer]:
    """Start `plan.slots` servers side by side and wait until all answer (or stop them all)."""
    servers = [LocalServer(model_path, threads=plan.threads) for _ in range(plan.slots)]
    try:
        for server in servers:
            server.launch()
        for server in servers:
            server.wait_ready()
    except BaseException:
        for server in servers:
            server.stop(grace=0)
        raise
    return servers
