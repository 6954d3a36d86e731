"""Schema version 2 (stored drafts, Batch API jobs), in-place migration, and `draft drafts`."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from batch_fixtures import make_tickets

from drafter.errors import InputError
from drafter.store import (
    MIGRATIONS,
    SCHEMA_VERSION,
    BatchItem,
    BatchJob,
    Store,
    StoredDraft,
)

FINDING = {"code": "EMP001", "name": "no-empathy", "severity": "warning",
           "message": "The customer is upset; acknowledge it.", "start": 0, "end": 5, "line": 1,
           "column": 1, "suggestion": None, "fix": None}


def done(ticket_id: int, **kw) -> StoredDraft:
    base = dict(ticket_id=ticket_id, status="done", draft="Hi Maria,\n\nSorted.\n", body="Sorted.",
                findings=[FINDING], usage={"prompt_tokens": 1500, "cached_tokens": 1200,
                                           "completion_tokens": 20, "total_tokens": 1520},
                cost=0.0012, model="m", prompt_version="abc123", rounds=2, kept_round=1)
    base.update(kw)
    return StoredDraft(**base)


def test_a_version_1_store_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    db = sqlite3.connect(path)
    db.executescript(MIGRATIONS[0])
    db.execute("PRAGMA user_version = 1")
    db.execute("INSERT INTO tickets (subject, created_at, updated_at) VALUES ('Old', 'x', 'x')")
    db.commit()
    db.close()
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION
        assert store.get(1).subject == "Old"  # the v1 data survived
        store.save_draft(done(1))
        assert store.get_draft(1).findings == [FINDING]
    # Opening again does not migrate twice.
    with Store(path) as store:
        assert store.schema_version == SCHEMA_VERSION and store.get_draft(1) is not None


def test_a_draft_replaces_the_earlier_one_and_failures_keep_their_reason(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_tickets(path, 3)
    with Store(path) as store:
        store.save_draft(StoredDraft(1, "failed", reason="server error 503 after 4 attempts"))
        assert store.done_ids() == set()
        store.save_draft(done(1))
        store.save_draft(StoredDraft(2, "failed", reason="timed out"))
        assert store.done_ids() == {1}
        assert [d.ticket_id for d in store.list_drafts()] in ([2, 1], [1, 2])
        assert store.get_draft(1).status == "done" and store.get_draft(3) is None
        assert [d.ticket_id for d in store.list_drafts(status="failed")] == [2]


def test_a_draft_for_an_unknown_ticket_is_refused(tmp_path: Path) -> None:
    with Store(tmp_path / "s.db") as store, pytest.raises(sqlite3.IntegrityError):
        store.save_draft(done(99))


def test_selecting_tickets_by_ids_status_and_tag(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_tickets(path, 10, tags_every=3, status_every=2)
    with Store(path) as store:
        assert store.select_ids() == list(range(1, 11))
        assert store.select_ids(ids=[2, 5, 11]) == [2, 5]
        assert store.select_ids(status="pending") == [1, 3, 5, 7, 9]
        assert store.select_ids(tags=["Billing"]) == [1, 4, 7, 10]
        assert store.select_ids(status="pending", tags=["billing"]) == [1, 7]
        assert store.missing_ids([1, 11, 12]) == [11, 12]


def test_collecting_a_batch_job_is_one_transaction_and_happens_once(tmp_path: Path) -> None:
    path = tmp_path / "s.db"
    make_tickets(path, 2)
    with Store(path) as store:
        store.add_batch_job(BatchJob("batch_1", "validating", model="m"),
                            [BatchItem(1, "email"), BatchItem(2, "email")])
        assert store.pending_batch_ids() == {1, 2}
        follow = (BatchJob("batch_2", "validating", round=1, parent="batch_1"),
                  [BatchItem(2, "email", [{"index": 0, "body": "x"}])])
        store.finish_batch_job("batch_1", [done(1, via="batch-api", job_id="batch_1")], follow)
        assert store.pending_batch_ids() == {2}
        assert store.batch_items("batch_2")[0].rounds == [{"index": 0, "body": "x"}]
        with pytest.raises(InputError, match="already collected"):
            store.finish_batch_job("batch_1", [done(2)])
        # The refused second collection wrote nothing.
        assert store.get_draft(2) is None
        jobs = store.batch_jobs()
        assert {j.id for j in jobs} == {"batch_1", "batch_2"}
        assert [j.id for j in store.batch_jobs(uncollected_only=True)] == ["batch_2"]


def test_drafts_list_and_show(draft, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "s.db"
    monkeypatch.setenv("DRAFTER_STORE", str(path))
    make_tickets(path, 3)
    with Store(path) as store:
        store.save_draft(done(1))
        store.save_draft(StoredDraft(2, "failed", reason="the model service failed after 4 attempts"))

    listed = draft(["drafts", "list"])
    assert listed.code == 0, listed
    lines = listed.stdout.splitlines()
    assert lines[0].split()[:3] == ["TICKET", "STATUS", "E/W/I"]
    row1 = next(line for line in lines if line.split()[:2] == ["1", "done"])
    assert "0/1/0" in row1 and "1520" in row1 and "$0.0012" in row1
    assert any("failed after 4 attempts" in line for line in lines)

    data = json.loads(draft(["drafts", "list", "--format", "json"]).stdout)
    one = next(d for d in data if d["ticket"] == 1)
    assert one["codes"] == ["EMP001"] and one["findings_by_severity"]["warning"] == 1
    assert [d["ticket"] for d in json.loads(
        draft(["drafts", "list", "--status", "failed", "--format", "json"]).stdout)] == [2]

    shown = draft(["drafts", "show", "1"])
    assert shown.code == 0
    assert "Hi Maria,\n\nSorted.\n" in shown.stdout
    assert "1:1: EMP001 [warning] The customer is upset" in shown.stdout
    assert "1500 prompt (1200 cached) + 20 completion tokens" in shown.stdout
    assert "\x1b[" not in shown.stdout  # not a terminal: no color

    full = json.loads(draft(["drafts", "show", "1", "--format", "json"]).stdout)
    assert full["draft"] == "Hi Maria,\n\nSorted.\n" and full["findings"] == [FINDING]
    assert "failed: the model service" in draft(["drafts", "show", "2"]).stdout

    missing = draft(["drafts", "show", "3"])
    assert missing.code == 2 and "no stored draft for ticket 3" in missing.stderr
    assert "draft batch --ids 3" in missing.stderr


def test_drafts_list_on_an_empty_store_says_so(draft, tmp_path: Path) -> None:
    result = draft(["drafts", "--store", str(tmp_path / "e.db"), "list"])
    assert result.code == 0 and result.stdout == "" and "no stored drafts" in result.stderr
