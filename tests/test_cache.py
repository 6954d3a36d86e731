"""drafter.cache: parsed TOML kept on disk is what tomllib parses, a change is never served
stale, and a damaged, missing or unwritable cache only costs time; regexes are compiled once
per process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from drafter import cache
from drafter.errors import ConfigError
from drafter.styleguide import load_file

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

TOML = b'id = "tone"\ntitle = "Tone"\nguidance = "Be kind."\n[rules.TON001]\nmax = 1.5\n'


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder for this test."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    monkeypatch.delenv("DRAFTER_NO_CACHE", raising=False)
    return folder


def test_cache_folder_follows_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DRAFTER_NO_CACHE", raising=False)
    monkeypatch.delenv("DRAFTER_CACHE_DIR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", "/x/cache")
    assert cache.cache_dir() == "/x/cache/drafter"
    monkeypatch.delenv("XDG_CACHE_HOME")
    assert cache.cache_dir() == os.path.join(os.path.expanduser("~"), ".cache", "drafter")
    monkeypatch.setenv("DRAFTER_CACHE_DIR", "/elsewhere")
    assert cache.cache_dir() == "/elsewhere"
    monkeypatch.setenv("DRAFTER_NO_CACHE", "1")
    assert cache.cache_dir() is None
    monkeypatch.setenv("DRAFTER_NO_CACHE", "0")
    assert cache.cache_dir() == "/elsewhere"


def _entries(folder: Path) -> list[Path]:
    return sorted(folder.glob("toml-*.cached")) if folder.exists() else []


def test_parsed_toml_is_kept_and_served_as_tomllib_parses_it(cache_dir: Path) -> None:
    expected = tomllib.loads(TOML.decode())
    assert cache.toml("tone.toml", TOML) == expected
    (entry,) = _entries(cache_dir)
    # Served from the entry now: a changed entry shows (for the same bytes only).
    data = json.loads(entry.read_text(encoding="utf-8"))
    data["data"]["title"] = "From the cache"
    entry.write_text(json.dumps(data), encoding="utf-8")
    assert cache.toml("elsewhere.toml", TOML)["title"] == "From the cache"
    assert cache.toml("tone.toml", TOML + b"# more\n") == expected  # other bytes: parsed


@pytest.mark.parametrize("damage", ["", "not json", "{}", '{"source": "other", "data": {}}',
                                    "truncate"])
def test_a_damaged_entry_is_parsed_anew_and_replaced(cache_dir: Path, damage: str) -> None:
    cache.toml("tone.toml", TOML)
    (entry,) = _entries(cache_dir)
    raw = entry.read_text(encoding="utf-8")
    entry.write_text(raw[:len(raw) // 2] if damage == "truncate" else damage, encoding="utf-8")
    assert cache.toml("tone.toml", TOML) == tomllib.loads(TOML.decode())
    assert json.loads(entry.read_text(encoding="utf-8"))["source"] == TOML.decode()


def test_dates_are_not_kept(cache_dir: Path) -> None:
    raw = b'when = 2024-01-01\n'
    assert cache.toml("d.toml", raw) == tomllib.loads(raw.decode())
    assert _entries(cache_dir) == []  # JSON would give the date back as a string


def test_no_cache_writes_nothing(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_NO_CACHE", "1")
    assert cache.toml("tone.toml", TOML) == tomllib.loads(TOML.decode())
    assert not cache_dir.exists()


def test_an_unwritable_cache_folder_costs_nothing_but_time(cache_dir: Path) -> None:
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("a file where the folder should be")
    assert cache.toml("tone.toml", TOML) == tomllib.loads(TOML.decode())
    assert cache_dir.read_text() == "a file where the folder should be"
    assert not cache.write_atomic(str(cache_dir / "x"), b"data")


def test_writes_leave_no_temporary_files(cache_dir: Path) -> None:
    cache.toml("a.toml", TOML)
    cache.toml("b.toml", b"x = 1\n")
    assert [p.suffix for p in cache_dir.iterdir()] == [".cached", ".cached"]


def test_old_entries_go_past_the_limit(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_MAX_ENTRIES", 3)
    for n in range(5):
        cache.toml("n.toml", f"n = {n}\n".encode())
        for i, entry in enumerate(_entries(cache_dir)):  # distinct ages, oldest first
            os.utime(entry, (i, i))
    kept = {json.loads(p.read_text(encoding="utf-8"))["data"]["n"] for p in _entries(cache_dir)}
    assert len(kept) == 3 and 4 in kept


def test_bad_toml_and_bad_utf8_raise_toml_error(cache_dir: Path) -> None:
    with pytest.raises(cache.TOMLError):
        cache.toml("bad.toml", b"x = \n")
    with pytest.raises(cache.TOMLError):
        cache.toml("bad.toml", b"x = '\xff'\n")
    assert _entries(cache_dir) == []


def test_a_changed_style_guide_file_is_parsed_anew(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "tone.toml"
    path.write_text('id = "tone"\ntitle = "Tone"\nguidance = "Be kind."\n', encoding="utf-8")
    assert load_file(path).guidance == "Be kind."
    assert load_file(path).guidance == "Be kind."  # from the cache
    path.write_text('id = "tone"\ntitle = "Tone"\nguidance = "Be kinder."\n', encoding="utf-8")
    assert load_file(path).guidance == "Be kinder."
    path.write_text('id = "tone"\ntitle = "Tone"\nguidance = \n', encoding="utf-8")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_file(path)


def test_lint_reports_the_same_with_a_cold_a_warm_and_no_cache(tmp_path: Path) -> None:
    canned = Path(__file__).resolve().parent.parent / "examples" / "canned"
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}
    env["DRAFTER_CACHE_DIR"] = str(tmp_path / "cache")
    env["NO_COLOR"] = "1"
    draft = [sys.executable, "-m", "drafter", "lint", str(canned), "--format", "json", "-q"]

    def run(**extra: str) -> str:
        out = subprocess.run(draft, env={**env, **extra}, capture_output=True, text=True,
                             cwd=tmp_path, check=False)
        assert out.returncode in (0, 1), out.stderr
        return out.stdout

    cold = run()
    assert any((tmp_path / "cache").iterdir())
    assert run() == cold
    assert run(DRAFTER_NO_CACHE="1") == cold
    assert '"findings": [' in cold


def test_a_kept_table_is_read_back_in_the_next_run_and_named_for_its_code(
        cache_dir: Path) -> None:
    table = cache.KeptTable("squares", b"def square(x): return x * x")
    assert table.get("3") is None
    table.put("3", [9, "nine"])
    table.save()
    (entry,) = cache_dir.iterdir()
    assert entry.name.startswith("squares-") and entry.suffix == ".cached"
    assert cache.KeptTable("squares", b"def square(x): return x * x").get("3") == [9, "nine"]
    # Other code makes another table: a result of the old code is not served, and its table
    # goes when the new one is written.
    other = cache.KeptTable("squares", b"def square(x): return x ** 2")
    assert other.get("3") is None
    other.put("3", 9)
    other.save()
    assert [p.name for p in cache_dir.iterdir()] == [other.name]


@pytest.mark.parametrize("damage", ["", "not json", "[1, 2]"])
def test_a_damaged_kept_table_is_filled_anew(cache_dir: Path, damage: str) -> None:
    table = cache.KeptTable("squares", b"code")
    table.put("2", 4)
    table.save()
    (entry,) = cache_dir.iterdir()
    entry.write_text(damage)
    again = cache.KeptTable("squares", b"code")
    assert again.get("2") is None
    again.put("2", 4)
    again.save()
    assert json.loads(entry.read_text()) == {"2": 4}


def test_a_kept_table_writes_nothing_with_the_cache_off(
        cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_NO_CACHE", "1")
    table = cache.KeptTable("squares", b"code")
    table.put("2", 4)
    table.save()
    assert table.get("2") == 4 and not cache_dir.exists()


def test_phrase_patterns_are_read_once_and_kept_for_the_next_run(tmp_path: Path) -> None:
    # Each run is a fresh process: the second reads no pattern itself, and builds the same
    # reviewer (the same regex source, needed words and first words for every pattern).
    env = {k: v for k, v in os.environ.items() if not k.startswith("DRAFTER_")}
    env["DRAFTER_CACHE_DIR"] = str(tmp_path / "cache")
    script = (
        "import json\n"
        "from drafter.review import matching\n"
        "read = []\n"
        "plain = matching._read_phrase_pattern\n"
        "matching._read_phrase_pattern = lambda p: read.append(p) or plain(p)\n"
        "from drafter.review.reviewer import Reviewer\n"
        "from drafter.styleguide import load_styleguide\n"
        "Reviewer(load_styleguide())\n"
        "kept = matching._KEPT.table\n"
        "def plain_data(found):\n"
        "    source, needs, first = found\n"
        "    return [source, sorted(sorted(ws) for ws in needs), first and sorted(first)]\n"
        "print(json.dumps([len(read), sorted(kept), [plain_data(matching.read_phrase_pattern(p)) "
        "for p in sorted(kept)]]))\n")

    def run() -> tuple[int, list[str], list[str]]:
        out = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                             text=True, check=True)
        read, patterns, results = json.loads(out.stdout)
        return read, patterns, results

    first = run()
    second = run()
    assert first[0] > 100 and first[0] == len(first[1])
    assert second[0] == 0
    assert second[1:] == first[1:]


@pytest.mark.parametrize("bad", [["src", [["a"]]], "abc", ["src", [[1]], None],
                                 ["src", "needs", None], ["src", [], "first"], 7])
def test_a_damaged_kept_phrase_pattern_is_read_anew(cache_dir: Path, bad: object) -> None:
    from drafter.review import matching

    pattern = "we'll {follow~ up|be in touch}"
    expected = matching._read_phrase_pattern(pattern)
    cache_dir.mkdir()
    (cache_dir / matching._KEPT.name).write_text(json.dumps({pattern: bad}))
    matching.read_phrase_pattern.cache_clear()
    try:
        assert matching.read_phrase_pattern(pattern) == expected
    finally:
        matching.read_phrase_pattern.cache_clear()


def test_a_kept_table_nested_too_deeply_is_filled_anew(cache_dir: Path) -> None:
    table = cache.KeptTable("squares", b"code")
    table.put("2", 4)
    table.save()
    (entry,) = cache_dir.iterdir()
    entry.write_text("[" * 100_000 + "]" * 100_000)
    assert cache.KeptTable("squares", b"code").get("2") is None
