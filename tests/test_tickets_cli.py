"""`draft tickets import | list | show`: counts, exit codes, JSON output, the store path."""

from __future__ import annotations

import json
from pathlib import Path

from tickets_fixtures import eml

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = sorted((REPO / "examples" / "tickets").iterdir())


def test_import_list_show_in_the_default_store(draft, tmp_path: Path) -> None:
    result = draft(["tickets", "import", *map(str, EXAMPLES)])
    assert result.code == 0, result
    assert result.stdout.strip() == "5 new tickets, 9 new messages, 0 duplicates skipped"
    # conftest points XDG_DATA_HOME into tmp_path: the default store lives there.
    assert (tmp_path / "xdg-data" / "drafter" / "drafter.db").is_file()

    again = draft(["tickets", "import", *map(str, EXAMPLES)])
    assert again.stdout.strip() == "0 new tickets, 0 new messages, 9 duplicates skipped"

    listed = draft(["tickets", "list"])
    assert listed.code == 0
    lines = listed.stdout.splitlines()
    assert lines[0].split() == ["ID", "STATUS", "MSGS", "LAST", "CUSTOMER", "SUBJECT"]
    assert len(lines) == 6

    rows = json.loads(draft(["tickets", "list", "--format", "json"]).stdout)
    assert {r["id"] for r in rows} == {1, 2, 3, 4, 5}
    assert next(r for r in rows if r["id"] == 1)["customer_name"] == "Maria Lopez"

    shown = draft(["tickets", "show", "1"])
    assert shown.code == 0
    assert "Maria Lopez" in shown.stdout and "shattered" in shown.stdout
    # Times keep their zone, so a thread written from two zones reads in order.
    assert "--- 2024-01-09 08:41 +0100 · Maria Lopez (customer)" in shown.stdout
    assert "wrote:" not in shown.stdout
    assert "wrote:" in draft(["tickets", "show", "1", "--full"]).stdout

    data = json.loads(draft(["tickets", "show", "4", "--format", "json"]).stdout)
    assert [m["from_customer"] for m in data["messages"]] == [True, False, True]


def test_import_reports_failed_files_and_exits_2(draft, tmp_path: Path) -> None:
    good = tmp_path / "good.eml"
    good.write_bytes(eml("Hello"))
    bad = tmp_path / "bad.json"
    bad.write_text('{"messages": [{"author": "robot", "text": "x"}]}')
    result = draft(["tickets", "import", str(bad), str(good)])
    assert result.code == 2
    assert "1 new ticket, 1 new message, 0 duplicates skipped, 1 failed file" in result.stdout
    assert f"{bad}: `messages[0].author`" in result.stderr
    listed = json.loads(draft(["tickets", "list", "--format", "json"]).stdout)
    assert len(listed) == 1


def test_import_json_output(draft, tmp_path: Path) -> None:
    store = tmp_path / "custom" / "t.db"
    path = tmp_path / "a.eml"
    path.write_bytes(eml("Hi"))
    result = draft(["tickets", "--store", str(store), "import", "--format", "json", str(path),
                    str(tmp_path / "missing.eml")])
    assert result.code == 2
    data = json.loads(result.stdout)
    assert data["new_tickets"] == 1 and data["new_messages"] == 1
    assert data["failed"][0]["file"].endswith("missing.eml")
    assert data["store"] == str(store)


def test_store_path_from_environment(draft, tmp_path: Path, monkeypatch) -> None:
    store = tmp_path / "env" / "store.db"
    monkeypatch.setenv("DRAFTER_STORE", str(store))
    path = tmp_path / "a.eml"
    path.write_bytes(eml("Hi"))
    assert draft(["tickets", "import", str(path)]).code == 0
    assert store.is_file()


def test_store_path_from_config_file(draft, tmp_path: Path, monkeypatch) -> None:
    config = tmp_path / "drafter.toml"
    config.write_text('[store]\npath = "data/tickets.db"\n')
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "a.eml"
    path.write_bytes(eml("Hi"))
    assert draft(["tickets", "import", str(path)]).code == 0
    assert (tmp_path / "data" / "tickets.db").is_file()


def test_show_unknown_id_exits_2_with_hint(draft) -> None:
    result = draft(["tickets", "show", "99"])
    assert result.code == 2
    assert "no ticket with id 99" in result.stderr
    assert "draft tickets list" in result.stderr


def test_list_empty_store(draft) -> None:
    result = draft(["tickets", "list"])
    assert result.code == 0
    assert result.stdout == ""
    assert "no tickets" in result.stderr
    assert json.loads(draft(["tickets", "list", "--format", "json"]).stdout) == []


def test_list_status_filter(draft, tmp_path: Path) -> None:
    path = tmp_path / "a.eml"
    path.write_bytes(eml("Hi"))
    draft(["tickets", "import", str(path)])
    assert json.loads(draft(["tickets", "list", "--status", "closed", "--format", "json"])
                      .stdout) == []
    assert draft(["tickets", "list", "--status", "bogus"]).code == 2


def test_import_needs_files(draft) -> None:
    assert draft(["tickets", "import"]).code == 2
