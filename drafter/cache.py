"""Work that comes out the same in every run, done once: compiled regular expressions per
process; parsed TOML files (style guide, config) and the guide's phrase patterns read into
regex source kept on disk across runs, as they are the slowest part of a short run (see
docs/lint.md, "Cache").

The folder is `$DRAFTER_CACHE_DIR`, else `$XDG_CACHE_HOME/drafter`, else `~/.cache/drafter`;
`DRAFTER_NO_CACHE=1` turns it off. An entry (`toml-*.cached`) is JSON holding the TOML text it
was parsed from, used only for that very text, so a changed file is never served stale. An
entry that cannot be read or decoded is parsed anew and replaced; entries are written under a
temporary name and renamed into place. Losing the cache only costs time.
"""

from __future__ import annotations

import json
import os
import sys
import zlib
from collections.abc import Callable
from typing import Any, BinaryIO

_MAX_ENTRIES = 256  # TOML entries kept: the oldest go when a new one is written


def cache_dir() -> str | None:
    """The cache folder, or None when the cache is off (DRAFTER_NO_CACHE)."""
    env = os.environ
    if env.get("DRAFTER_NO_CACHE", "") not in ("", "0"):
        return None
    base = env.get("DRAFTER_CACHE_DIR")
    if base:
        return base
    xdg = env.get("XDG_CACHE_HOME")
    return os.path.join(xdg if xdg else os.path.join(os.path.expanduser("~"), ".cache"),
                        "drafter")


class TOMLError(ValueError):
    """A file that is not valid TOML (or not UTF-8): tomllib's message."""


def toml(path: str, raw: bytes) -> dict[str, Any]:
    """The TOML document `raw` (the bytes of the file `path`) parsed, as `tomllib` parses it;
    kept on disk for the same bytes. Raises TOMLError where tomllib (or decoding) fails."""
    try:
        text = raw.decode()
    except UnicodeDecodeError as exc:
        raise TOMLError(str(exc)) from None
    folder = cache_dir()
    entry = None if folder is None else os.path.join(
        folder, f"toml-{zlib.crc32(raw):08x}-{len(raw)}.cached")
    if entry is not None:
        try:
            with open(entry, encoding="utf-8") as fh:
                found = json.load(fh)
            if found["source"] == text:
                return found["data"]
        except (OSError, ValueError, KeyError, TypeError):
            pass  # missing or damaged: parsed anew
    # Imported only when a file is parsed: with the cache, most runs never need it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise TOMLError(str(exc)) from None
    # JSON would give back dates as strings: a file with one is not kept.
    if entry is not None and _plain(data) and write_atomic(
            entry, json.dumps({"source": text, "data": data}).encode()):
        _prune(os.path.dirname(entry))
    return data


def _plain(value: Any) -> bool:
    """Whether JSON gives `value` back as it is (no dates or times)."""
    if isinstance(value, dict):
        return all(_plain(v) for v in value.values())
    if isinstance(value, list):
        return all(_plain(v) for v in value)
    return isinstance(value, (str, int, float, bool))


def _prune(folder: str) -> None:
    """Remove the oldest TOML entries past _MAX_ENTRIES."""
    try:
        entries = [e for e in os.scandir(folder)
                   if e.name.startswith("toml-") and e.name.endswith(".cached")]
        if len(entries) > _MAX_ENTRIES:
            entries.sort(key=lambda e: e.stat().st_mtime)
            for old in entries[:len(entries) - _MAX_ENTRIES]:
                os.unlink(old.path)
    except OSError:
        pass  # another run pruned first


def write_atomic(path: str, data: bytes | Callable[[BinaryIO], object]) -> bool:
    """Write `data` (bytes, or a function that writes to the open file) to `path` by way of a
    temporary file renamed into place; False on failure."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                if isinstance(data, bytes):
                    fh.write(data)
                else:
                    data(fh)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return False
    return True


def remove_others(entry: str, prefix: str) -> None:
    """Remove the files beside `entry` whose names start with `prefix` and end as its name
    does: entries of the same kind made for another version of what they keep."""
    folder, name = os.path.split(entry)
    suffix = os.path.splitext(name)[1]
    try:
        for other in os.scandir(folder):
            if other.name != name and other.name.startswith(prefix) \
                    and other.name.endswith(suffix):
                os.unlink(other.path)
    except OSError:
        pass  # another run removed it first


class KeptTable:
    """The results of a function of a string, kept on disk between runs in one JSON file
    (`<name>-<checksum of the code>.cached`): a change to that code starts a new table, and
    the old one goes at its first save. `get` reads the file at its first call (and again if
    the cache folder changes); `put` adds a result; `save` writes the table once something was
    added. Values are JSON data."""

    def __init__(self, name: str, code: bytes) -> None:
        self.prefix = f"{name}-"
        self.name = f"{name}-{zlib.crc32(code):08x}-{len(code)}.cached"
        self.path: str | None = None
        self.table: dict[str, Any] | None = None
        self.added = False

    def _load(self) -> dict[str, Any]:
        folder = cache_dir()
        path = None if folder is None else os.path.join(folder, self.name)
        if self.table is None or path != self.path:
            self.path, self.table, self.added = path, {}, False
            if path is not None:
                try:
                    with open(path, encoding="utf-8") as fh:
                        found = json.load(fh)
                    if isinstance(found, dict):
                        self.table = found
                except (OSError, ValueError, RecursionError):
                    pass  # missing or damaged: filled anew
        assert self.table is not None
        return self.table

    def get(self, key: str) -> Any:
        """The result kept for `key`, or None."""
        return self._load().get(key)

    def put(self, key: str, value: Any) -> None:
        """Keep `value` for `key` (written by the next `save`)."""
        self._load()[key] = value
        self.added = True

    def save(self) -> None:
        """Write the table if anything was added since it was read (nothing with the cache
        off)."""
        if self.added and self.path is not None and self.table is not None and write_atomic(
                self.path, json.dumps(self.table).encode()):
            remove_others(self.path, self.prefix)  # other code's tables are of no more use
        self.added = False
