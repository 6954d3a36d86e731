"""The RT fixtures (a pytest plugin, loaded with `pytest_plugins`, so there is one RT per
session): `rt_server` starts it (tests/rt_server.py), `rt` hands it to a test with the agent's
token in TOKEN_ENV."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from rt_server import RT, TOKEN_ENV, running_rt


@pytest.fixture(scope="session")
def rt_server() -> Iterator[RT]:
    """One RT 5 for the whole test session (starting it takes 10-40 s)."""
    with running_rt() as rt:
        yield rt


@pytest.fixture
def rt(rt_server: RT, monkeypatch: pytest.MonkeyPatch) -> RT:
    """The session's RT, with the agent's token in TOKEN_ENV for this test."""
    monkeypatch.setenv(TOKEN_ENV, rt_server.tokens["agent"])
    return rt_server
