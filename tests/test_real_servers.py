"""The real-server plugin (tests/real_servers.py) on small pytest runs of its own, and the set-up
script that `make test`, `make demo` and .ci/run share."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from real_servers import ENABLE, REQUIRE_ENV

pytest_plugins = ["pytester"]
REPO = Path(__file__).resolve().parents[1]

TESTS = """
import pytest

@pytest.mark.real_server("dovecot")
def test_imap_without_server():
    pytest.skip("dovecot is not installed")

@pytest.fixture
def dovecot():
    pytest.skip("dovecot is not installed")

def test_imap_through_the_fixture(dovecot):
    pass

@pytest.mark.real_server("spam-corpus")
@pytest.mark.skipif(True, reason="corpus not fetched")
def test_corpus():
    pass

@pytest.mark.real_server("dovecot")
def test_imap_with_server():
    pass

def test_plain_skip():
    pytest.skip("not a real-server test")
"""


def run(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, require: bool,
        *args: str) -> pytest.RunResult:
    """Run TESTS with the plugin, with or without REQUIRE_ENV=1."""
    if require:
        monkeypatch.setenv(REQUIRE_ENV, "1")
    else:
        monkeypatch.delenv(REQUIRE_ENV, raising=False)
    pytester.makepyfile(test_sample=TESTS)
    return pytester.runpytest("-p", "real_servers", *args)


def test_skips_are_named_with_the_command_that_enables_them(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, False)
    result.assert_outcomes(passed=1, skipped=4)
    assert result.ret == 0
    result.stdout.fnmatch_lines([
        "*real-server tests skipped*",
        "2 tests need the Dovecot IMAP server*",
        "  test_sample.py::test_imap_without_server (dovecot is not installed)",
        "  and 1 more (-v lists them)",
        "1 test needs the SpamAssassin public corpus*",
        "  test_sample.py::test_corpus (corpus not fetched)",
        f"`{ENABLE}` installs what they need*",
    ])
    section = result.stdout.str().split("real-server tests skipped")[1].split("short test summary")[0]
    assert "test_plain_skip" not in section


def test_verbose_lists_every_skipped_real_server_test(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, False, "-v")
    result.stdout.fnmatch_lines(["2 tests need the Dovecot IMAP server*",
                                 "  test_sample.py::test_imap_without_server (*",
                                 "  test_sample.py::test_imap_through_the_fixture (*"])


def test_required_real_servers_turn_their_skips_into_failures(
        pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    result = run(pytester, monkeypatch, True)
    # A skip in the test fails it; a skip while setting it up (a fixture, skipif) is an error.
    result.assert_outcomes(passed=1, skipped=1, failed=1, errors=2)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines([
        f"{REQUIRE_ENV}=1, but this test skipped: dovecot is not installed",
        f"It needs the Dovecot IMAP server (Debian: dovecot-imapd, openssl); `{ENABLE}` installs it.",
        f"*real-server tests failed ({REQUIRE_ENV}=1)*",
    ])


def test_no_report_when_nothing_real_skipped(pytester: pytest.Pytester,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(REQUIRE_ENV, "1")
    pytester.makepyfile("""
        import pytest

        @pytest.mark.real_server("dovecot")
        def test_ran():
            pass

        def test_plain_skip():
            pytest.skip("not a real-server test")
    """)
    result = pytester.runpytest("-p", "real_servers")
    result.assert_outcomes(passed=1, skipped=1)
    assert "real-server" not in result.stdout.str()


def test_an_unknown_server_name_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("""
        import pytest

        @pytest.mark.real_server("postfix")
        def test_mail():
            pass
    """)
    result = pytester.runpytest("-p", "real_servers")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*test_mail: real_server takes one of dovecot, spam-corpus, "
                                 "local-model, rt, not ('postfix',)"])


@pytest.mark.parametrize("target", ["test", "demo"])
def test_make_test_and_demo_set_up_through_the_script(target: str) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    # Run as a make of its own, not as a sub-make of `make test` (which would print
    # "Entering directory" lines first).
    env = {k: v for k, v in os.environ.items() if k not in ("MAKEFLAGS", "MAKELEVEL", "MFLAGS")}
    plan = subprocess.run(["make", "--no-print-directory", "-n", target], cwd=REPO, env=env,
                          capture_output=True, text=True, check=True).stdout.splitlines()
    assert plan[0].endswith("scripts/setup.sh")


def test_ci_sets_up_strictly_and_requires_real_servers() -> None:
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "scripts/setup.sh --strict" in ci
    assert f"export {REQUIRE_ENV}=1" in ci


@pytest.mark.parametrize("script", ["scripts/setup.sh", ".ci/run", "benchmarks/fetch_spam_corpus.sh"])
def test_shell_scripts_parse(script: str) -> None:
    subprocess.run(["bash", "-n", str(REPO / script)], check=True)
