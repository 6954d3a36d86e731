"""The on-disk cache (drafter.cache): what it serves equals what is computed afresh, a change is
never served stale, and a damaged, foreign or unwritable cache only costs time."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from drafter import cache
from drafter.errors import ConfigError
from drafter.styleguide import load_file

PATTERNS = [
    (r"(?P<word>[^\W_]+)(?:'[^\W_]+)*", 0),
    (r"(?i)\bsorry\b(?!\s+for)", 0),
    (r"(?:we|I)\s+(?:do\s+)?apologi[sz]e", re.IGNORECASE),
    (r"^[ \t]*>.*$", re.MULTILINE),
    (r"```.*?(?:```|\Z)", re.DOTALL),
    (r"(?-i:\bTODO\b)|note to self", re.IGNORECASE),
    (r"“[^”\n]{1,300}”", 0),
]


@pytest.fixture()
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh cache folder for this test, with the in-memory entries forgotten."""
    folder = tmp_path / "cache"
    monkeypatch.setenv("DRAFTER_CACHE_DIR", str(folder))
    monkeypatch.delenv("DRAFTER_NO_CACHE", raising=False)
    _forget()
    yield folder
    _forget()


def _forget() -> None:
    """Make the next look-up read the files again, as a new process would."""
    for store in (cache._regexes, cache._derived):
        store.memo = {}
        store.added = {}
        store.index = None
        store.data = b""


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


REGEX_CACHE = pytest.mark.skipif(not cache._REGEX_HEADER or not cache._check_regex_parts(),
                                 reason="this Python's regex internals are not cached")


@REGEX_CACHE
def test_regexes_from_the_cache_are_the_regexes_re_compiles(cache_dir: Path) -> None:
    fresh = [cache.regex(p, f) for p, f in PATTERNS]
    cache._regexes.flush()
    assert list(cache_dir.iterdir()) == [cache_dir / cache._regexes.name]
    _forget()
    # Served from the file now: building one anew would fail.
    original = cache._parts
    try:
        cache._parts = None  # type: ignore[assignment]
        served = [cache.regex(p, f) for p, f in PATTERNS]
    finally:
        cache._parts = original
    for (p, f), a, b in zip(PATTERNS, fresh, served, strict=True):
        assert a == b == re.compile(p, f)
        assert (b.pattern, b.flags, b.groups, b.groupindex) == (
            re.compile(p, f).pattern, re.compile(p, f).flags, re.compile(p, f).groups,
            re.compile(p, f).groupindex)
    m = served[0].match("o'clock x")
    assert m is not None and m.group("word") == "o"


def test_a_bad_pattern_raises_as_re_compile_does(cache_dir: Path) -> None:
    with pytest.raises(re.error):
        cache.regex("(unclosed")
    with pytest.raises(re.error):
        cache.regex("(unclosed")  # nothing was cached for it


@REGEX_CACHE
@pytest.mark.parametrize("damage", [b"", b"not marshal at all", "truncate", "foreign"])
def test_a_damaged_or_foreign_cache_file_is_ignored_and_replaced(cache_dir: Path,
                                                                 damage: bytes | str) -> None:
    cache.regex(*PATTERNS[0])
    cache._regexes.flush()
    path = cache_dir / cache._regexes.name
    data = path.read_bytes()
    if damage == "truncate":
        path.write_bytes(data[: len(data) // 2])
    elif damage == "foreign":  # another Python build wrote it, with other programs
        path.unlink()
        other = cache._Store(cache._regexes.name, ("other", "python"))
        other.put(PATTERNS[0], (0, [1, 2, 3], 0, {}, ()))
        other.flush()
    else:
        assert isinstance(damage, bytes)
        path.write_bytes(damage)
    _forget()
    for p, f in PATTERNS:
        assert cache.regex(p, f) == re.compile(p, f)
    cache._regexes.flush()
    _forget()
    original = cache._parts
    try:
        cache._parts = None  # type: ignore[assignment]
        for p, f in PATTERNS:  # all served from the rewritten file
            assert cache.regex(p, f) == re.compile(p, f)
    finally:
        cache._parts = original


@REGEX_CACHE
def test_a_damaged_entry_is_compiled_anew(cache_dir: Path) -> None:
    p, f = PATTERNS[1]
    cache.regex(p, f)
    cache._regexes.flush()
    _forget()
    cache._regexes.put((p, f), (0, [1, 2, 3], 0, {}, ()))  # code the regex engine refuses
    cache._regexes.flush()
    _forget()
    assert cache.regex(p, f) == re.compile(p, f)
    # A damaged byte inside an entry: that entry is missed, the others still served.
    path = cache_dir / cache._regexes.name
    raw = bytearray(path.read_bytes())
    raw[-3] ^= 0xFF
    path.write_bytes(bytes(raw))
    _forget()
    for p, f in PATTERNS:
        assert cache.regex(p, f) == re.compile(p, f)


def test_a_damaged_index_is_ignored(cache_dir: Path) -> None:
    cache.store("kind", "a", 1)
    cache._derived.flush()
    path = cache_dir / cache._derived.name
    raw = path.read_bytes()
    start = len(cache._MAGIC) + 8
    size = int.from_bytes(raw[len(cache._MAGIC):start], "little")
    import marshal

    header, index = marshal.loads(raw[start:start + size])
    bad = marshal.dumps((header, {h: [("x",)] for h in index}))
    path.write_bytes(cache._MAGIC + len(bad).to_bytes(8, "little") + bad + raw[start + size:])
    _forget()
    assert cache.lookup("kind", "a") is None
    cache.store("kind", "b", 2)
    cache._derived.flush()
    _forget()
    assert cache.lookup("kind", "b") == 2


def test_old_entries_go_first_past_the_limit(cache_dir: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(cache, "_MAX_ENTRIES", 3)
    for n in range(5):
        cache.store("kind", n, n * 10)
        cache._derived.flush()
    _forget()
    assert [cache.lookup("kind", n) for n in range(5)] == [None, None, 20, 30, 40]


def test_no_cache_writes_nothing(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRAFTER_NO_CACHE", "1")
    for p, f in PATTERNS:
        assert cache.regex(p, f) == re.compile(p, f)
    cache.store("kind", "key", "value")
    cache._regexes.flush()
    cache._derived.flush()
    assert not cache_dir.exists()
    assert cache.lookup("kind", "key") is None


def test_an_unwritable_cache_folder_costs_nothing_but_time(cache_dir: Path) -> None:
    cache_dir.parent.mkdir(parents=True, exist_ok=True)
    cache_dir.write_text("a file where the folder should be")
    assert cache.regex(*PATTERNS[2]) == re.compile(*PATTERNS[2])
    cache._regexes.flush()  # no exception
    assert cache_dir.read_text() == "a file where the folder should be"
    assert not cache.write_atomic(str(cache_dir / "x"), b"data")


@REGEX_CACHE
def test_writes_leave_no_temporary_files(cache_dir: Path) -> None:
    for p, f in PATTERNS:
        cache.regex(p, f)
    cache.store("kind", ("a", 1), [1, 2])
    cache._regexes.flush()
    cache._derived.flush()
    assert sorted(p.name for p in cache_dir.iterdir()) == sorted(
        [cache._regexes.name, cache._derived.name])
    _forget()
    assert cache.lookup("kind", ("a", 1)) == [1, 2]


def test_values_marshal_cannot_write_are_not_cached(cache_dir: Path) -> None:
    import datetime

    cache.store("kind", "when", {"at": datetime.date(2024, 1, 1)})
    assert cache.lookup("kind", "when") is None
    cache._derived.flush()
    assert not cache_dir.exists()


def test_a_changed_style_guide_file_is_parsed_anew(cache_dir: Path, tmp_path: Path) -> None:
    path = tmp_path / "tone.toml"
    path.write_text('id = "tone"\ntitle = "Tone"\nguidance = "Be kind."\n', encoding="utf-8")
    assert load_file(path).guidance == "Be kind."
    cache._derived.flush()
    _forget()
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


def test_the_all_regexes_cached_mark_follows_the_phrase_lists(cache_dir: Path) -> None:
    from drafter.review import checks
    from drafter.review.reviewer import Reviewer
    from drafter.styleguide import load_styleguide

    Reviewer(load_styleguide())
    checks.compile_all_for_cache()  # as after a run whose workers compiled their own
    for store in (cache._regexes, cache._derived):
        store.flush()
    _forget()
    assert cache.lookup("regexes-cached", checks._phrases_key()) is True
    assert checks.regexes_cached()
    # A phrase list no run has compiled yet: its regexes are not in the cache, nor the mark.
    checks.compile_phrases(["a phrase no style guide has, 7f3a"])
    assert cache.lookup("regexes-cached", checks._phrases_key()) is None
    assert not checks.regexes_cached()
