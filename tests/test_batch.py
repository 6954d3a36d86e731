"""`draft batch` on the real local model server (through the fault proxy, which counts requests):
choosing tickets, storing each result at once, resuming, --redo, failures and exit codes,
interrupting and killing, --max-cost and --dry-run."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from batch_fixtures import make_tickets, model_env
from faultproxy import always, script, status

from drafter.store import Store

pytest_plugins = ["batch_server_fixtures"]
pytestmark = pytest.mark.local_server
DRAFT = str(Path(sys.executable).with_name("draft"))


def stored(path: Path) -> dict[int, str]:
    with Store(path) as store:
        return {d.ticket_id: d.status for d in store.list_drafts()}


def test_choosing_tickets_is_required_and_checked(draft, tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 3)
    monkeypatch.setenv("DRAFTER_STORE", str(store))
    bare = draft(["batch"])
    assert bare.code == 2 and "choose tickets" in bare.stderr
    unknown = draft(["batch", "--ids", "2,9"])
    assert unknown.code == 2 and "no ticket with id 9" in unknown.stderr
    bad = draft(["batch", "--ids", "1,x"])
    assert bad.code == 2 and "`x` is not a ticket id" in bad.stderr
    assert "status" in draft(["batch", "--help"]).stdout  # the group's help lists subcommands


def test_a_batch_stores_each_draft_resumes_and_redoes(draft, proxy, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 6, tags_every=2, same=True)  # tickets 1, 3, 5 are tagged billing
    model_env(monkeypatch, proxy.base_url, store)
    first = draft(["batch", "--tag", "billing", "--max-revisions", "0", "--concurrency", "2",
                   "--format", "json"])
    assert first.code == 0, first
    summary = json.loads(first.stdout)
    assert (summary["selected"], summary["done"], summary["failed"]) == (3, 3, 0)
    assert stored(store) == {1: "done", 3: "done", 5: "done"}
    assert proxy.tally.chat_requests == 3
    # Findings are counted by rule, tokens summed over the tickets, the local model is free.
    with Store(store) as opened:
        drafts = opened.list_drafts()
    by_rule: dict[str, int] = {}
    for d in drafts:
        for f in d.findings:
            by_rule[f["code"]] = by_rule.get(f["code"], 0) + 1
    assert summary["findings_by_rule"] == by_rule
    # (The bundled model's short prompt for these tickets is some 450 tokens.)
    assert summary["usage"]["total_tokens"] == sum(d.usage["total_tokens"] for d in drafts) > 900
    assert summary["cost"] == 0.0
    assert all(d.prompt_version and len(d.prompt_version) == 12 and d.model for d in drafts)
    # Log lines, not a progress bar, when stderr is not a terminal.
    assert "ticket 1: drafted (" in first.stderr and "\r" not in first.stderr

    # The same command again: everything is done, nothing is sent.
    proxy.reset()
    again = draft(["batch", "--tag", "billing"])
    assert again.code == 0 and "3 already drafted" in again.stderr
    assert proxy.tally.chat_requests == 0

    # A wider selection drafts only what is missing; --redo drafts again.
    wider = draft(["batch", "--ids", "1-4", "--max-revisions", "0", "--format", "json"])
    assert json.loads(wider.stdout)["skipped"] == 2 and proxy.tally.chat_requests == 2
    proxy.reset()
    redo = draft(["batch", "--ids", "1", "--redo", "--max-revisions", "0", "--format", "json"])
    assert json.loads(redo.stdout)["done"] == 1 and proxy.tally.chat_requests == 1
    assert stored(store) == {1: "done", 2: "done", 3: "done", 4: "done", 5: "done"}

    shown = draft(["drafts", "show", "3", "--format", "json"])
    data = json.loads(shown.stdout)
    assert data["draft"].startswith("Hi Maria,") and data["via"] == "concurrent"


def test_revision_rounds_run_through_the_batch_one_request_each(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 3, same=True)
    model_env(monkeypatch, proxy.base_url, store, max_tokens=60)
    monkeypatch.setenv("DRAFTER_DRAFT_REVISE_ON", "info")  # SmolLM2's drafts always have some
    result = draft(["batch", "--all", "--max-revisions", "1", "--concurrency", "2",
                    "--format", "json"])
    assert result.code == 0, result
    with Store(store) as opened:
        drafts = opened.list_drafts()
    assert len(drafts) == 3 and all(d.rounds in (1, 2) for d in drafts)
    assert any(d.rounds == 2 for d in drafts)  # revised: the first drafts had warnings
    assert proxy.tally.chat_requests == sum(d.rounds for d in drafts)  # no request lost or doubled
    assert json.loads(result.stdout)["usage"]["total_tokens"] == sum(
        d.usage["total_tokens"] for d in drafts)


def test_a_ticket_that_keeps_failing_is_recorded_and_the_others_go_on(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 3, same=True)
    model_env(monkeypatch, proxy.base_url, store, attempts=3)
    # One worker: ticket 1 meets three 503s (its whole budget); tickets 2 and 3 pass.
    proxy.reset(script(status(503), status(503), status(503)))
    result = draft(["batch", "--all", "--concurrency", "1", "--max-revisions", "0"])
    assert result.code == 3, result
    assert "ticket 1: failed: the model service at" in result.stderr
    assert "failed after 3 attempts: server error 503" in result.stdout
    assert "3 tickets: 2 drafted, 1 failed" in result.stdout
    assert stored(store) == {1: "failed", 2: "done", 3: "done"}
    assert draft(["drafts", "show", "1"]).stdout.startswith("ticket 1 · failed")

    # The next run retries only the failed ticket and ends clean.
    proxy.reset()
    again = draft(["batch", "--all", "--max-revisions", "0"])
    assert again.code == 0, again
    assert proxy.tally.chat_requests == 1 and stored(store) == {1: "done", 2: "done", 3: "done"}


def test_fail_on_exits_1_when_a_stored_draft_has_such_findings(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 1, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    result = draft(["batch", "--all", "--max-revisions", "0", "--fail-on", "info",
                    "--format", "json"])
    summary = json.loads(result.stdout)
    with Store(store) as opened:
        findings = opened.get_draft(1).findings
    assert summary["blocking"] == (1 if findings else 0)
    assert result.code == (1 if findings else 0)


def test_dry_run_estimates_without_calling_the_model(draft, proxy, tmp_path: Path,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 4, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    config = tmp_path / "drafter.toml"
    config.write_text('[prices."smollm2-135m-instruct"]\ninput = 1000\noutput = 2000\n')
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    dry = draft(["batch", "--all", "--dry-run", "--format", "json"])
    assert dry.code == 0, dry
    estimate = json.loads(dry.stdout)
    assert proxy.tally.chat_requests == 0 and stored(store) == {}
    assert estimate["tickets"] == 4 and estimate["completion_tokens_max"] == 4 * 16
    # Compare with what the real model counts for the same prompts.
    real = draft(["batch", "--ids", "1", "--max-revisions", "0", "--format", "json"])
    actual = json.loads(real.stdout)["usage"]["prompt_tokens"] * 4
    assert 0.75 * actual <= estimate["prompt_tokens_estimate"] <= 1.25 * actual
    # $1000 and $2000 per million tokens: 1.5k prompt tokens cost about $1.5 a ticket.
    expected = (estimate["prompt_tokens_estimate"] * 1000 + 4 * 16 * 2000) / 1e6
    assert estimate["cost_estimate_max"] == pytest.approx(expected, rel=1e-6)
    batch_api = json.loads(draft(["batch", "--ids", "2-4", "--dry-run", "--via", "batch-api",
                                  "--format", "json"]).stdout)
    assert batch_api["tickets"] == 3 and batch_api["cost_estimate_max"] == pytest.approx(
        3 / 4 * expected * 0.5, rel=0.02)
    text = draft(["batch", "--all", "--dry-run"])
    assert "3 tickets to draft" in text.stdout and "1 already drafted" in text.stdout
    assert "no model called" in text.stdout


def test_max_cost_stops_starting_requests_and_says_so(draft, proxy, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 10, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    config = tmp_path / "drafter.toml"
    config.write_text('[prices."smollm2-135m-instruct"]\ninput = 1000\ncached_input = 500\n'
                      'output = 2000\n')
    monkeypatch.setenv("DRAFTER_CONFIG", str(config))
    result = draft(["batch", "--all", "--max-cost", "5", "--concurrency", "1",
                    "--max-revisions", "0", "--format", "json"])
    assert result.code == 0, result
    summary = json.loads(result.stdout)
    assert 1 <= summary["done"] < 10 and summary["not_started"] == 10 - summary["done"]
    assert summary["stopped"].startswith("--max-cost 5 reached")
    assert "stopping: --max-cost 5 reached" in result.stderr
    assert 0 < summary["cost"] <= 5
    assert proxy.tally.chat_requests == summary["done"] == len(stored(store))
    with Store(store) as opened:
        assert sum(d.cost for d in opened.list_drafts()) == pytest.approx(summary["cost"])

    no_price = draft(["batch", "--all", "--max-cost", "5", "--model", "gpt-unknown"])
    assert no_price.code == 2 and 'add [prices."gpt-unknown"]' in no_price.stderr


# A command started from a background job of a shell inherits SIGINT ignored, and Python then
# keeps ignoring it; Ctrl-C at a terminal is the default disposition, so the child gets that.
_WITH_DEFAULT_SIGINT = ("import os, signal, sys; signal.signal(signal.SIGINT, signal.SIG_DFL); "
                        "os.execv(sys.argv[1], sys.argv[1:])")


def _run_until(cmd: list[str], env: dict[str, str], store: Path, at_least: int) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-c", _WITH_DEFAULT_SIGINT, *cmd], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline and proc.poll() is None:
        if store.exists():
            try:
                if len(stored(store)) >= at_least:
                    return proc
            except Exception:
                pass
        time.sleep(0.1)
    raise AssertionError(f"the batch did not get to {at_least} drafts: {proc.communicate()}")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGKILL], ids=["ctrl-c", "kill-9"])
def test_interrupting_or_killing_leaves_the_store_consistent_and_the_next_run_resumes(
        proxy, tmp_path: Path, sig: int) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 8, same=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "DRAFTER_"))}
    env.update(OPENAI_BASE_URL=proxy.base_url, DRAFTER_MODEL="smollm2-135m-instruct",
               DRAFTER_STORE=str(store), DRAFTER_LLM_MAX_TOKENS="8")
    # 1 s a request: the signal must land mid-run even when a loaded machine is slow to see
    # the first two drafts (at 0.3 s the run once finished before it, on a loaded CI).
    proxy.reset(delay=1.0)
    cmd = [DRAFT, "batch", "--all", "--concurrency", "2", "--max-revisions", "0"]
    proc = _run_until(cmd, env, store, at_least=2)
    proc.send_signal(sig)
    out, err = proc.communicate(timeout=60)
    if sig == signal.SIGINT:
        assert proc.returncode == 130, (out, err)
        assert "interrupted:" in err and "run the same command again to resume" in err
        assert err.count("interrupted") == 1, err  # said once, not again by the CLI
        assert "Traceback" not in err
    else:
        assert proc.returncode == -signal.SIGKILL
    db = sqlite3.connect(store)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT ticket_id, status, draft, findings, usage FROM drafts").fetchall()
    db.close()
    first_run = {r[0] for r in rows}
    assert 2 <= len(first_run) < 8
    # Nothing half-written: every stored row is a whole draft.
    assert all(r[1] == "done" and r[2] and json.loads(r[3]) is not None and json.loads(r[4])
               for r in rows)

    proxy.reset()
    resumed = subprocess.run([*cmd, "--format", "json"], env=env, capture_output=True, text=True,
                             timeout=300)
    assert resumed.returncode == 0, resumed.stderr
    summary = json.loads(resumed.stdout)
    assert summary["skipped"] == len(first_run) and summary["done"] == 8 - len(first_run)
    assert proxy.tally.chat_requests == 8 - len(first_run)  # none drafted twice
    assert set(stored(store)) == set(range(1, 9))


def test_progress_bar_on_a_terminal_shows_counts(draft, proxy, tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 2, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    proxy.reset(script(status(502)))
    result = draft(["batch", "--all", "--progress", "--max-revisions", "0"])
    assert result.code == 0, result
    assert "\r\x1b[2K" in result.stderr and "2/2 · 2 done · 0 failed" in result.stderr
    assert "in flight" in result.stderr and "tokens" in result.stderr
    assert "1 retries" in result.stdout


def test_permanent_fault_message_is_not_repeated_for_every_ticket_on_the_cli(
        draft, proxy, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = tmp_path / "s.db"
    make_tickets(store, 5, same=True)
    model_env(monkeypatch, proxy.base_url, store)
    proxy.reset(always(status(403)))
    result = draft(["batch", "--all", "--concurrency", "1"])
    assert result.code == 3 and result.stderr.count("denied access (403)") == 1
    assert proxy.tally.chat_requests == 1
