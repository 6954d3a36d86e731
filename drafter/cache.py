"""A per-user cache on disk for work that comes out the same in every run: compiled regular
expressions and parsed style-guide files (see docs/lint.md, "Cache").

It lives in `$DRAFTER_CACHE_DIR`, else `$XDG_CACHE_HOME/drafter`, else `~/.cache/drafter`;
`DRAFTER_NO_CACHE=1` turns it off. Every entry is keyed by its whole input (a pattern's text
and flags, a file's bytes), so nothing changed is ever served stale. A cache file written by
another Python build, or one that cannot be read or decoded, is ignored (and replaced when
this run has something to add); a file is written to a temporary name and renamed into place,
so a reader never sees half of one. Losing the cache only costs time.
"""

from __future__ import annotations

import atexit
import marshal
import os
import re
import sys
import zlib
from typing import Any

# Bump when the layout of an entry changes.
_FORMAT = 1
_MAX_ENTRIES = 4000  # per cache file: old entries go first when there are more
_MAX_BYTES = 64 << 20  # a larger file is ignored (and replaced when written)
# The process that imported this module; a forked worker (another pid) leaves the writing to
# it rather than race it for the same file.
_PID = os.getpid()


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


_MAGIC = b"drafter-cache\x01"


def _hash(key: Any) -> int:
    """A hash of a key that is the same in every process (keys are tuples of strings, bytes
    and numbers, which marshal writes the same way every time)."""
    return zlib.crc32(marshal.dumps(key, 2))


class _Store:
    """One cache file, read entry by entry as they are asked for; written at exit if this run
    added entries.

    The file is _MAGIC, the length of the index (8 bytes), the index — marshal of (header,
    {hash of key: [(offset, length, crc32), ...]}) — and then each entry, marshal of (key,
    value). A run reads the index and only the entries it needs; an entry whose bytes do not
    have their checksum is not used.
    """

    def __init__(self, name: str, header: Any) -> None:
        self.name = name
        self.header = header
        self.memo: dict[Any, Any] = {}  # entries looked up or added in this run
        self.added: dict[Any, Any] = {}
        self.index: dict[int, list[tuple[int, int, int]]] | None = None
        self.data = b""

    def path(self) -> str | None:
        folder = cache_dir()
        return None if folder is None else os.path.join(folder, self.name)

    def get(self, key: Any) -> Any:
        """The entry for `key`, or None."""
        found = self.memo.get(key)
        if found is not None:
            return found
        if self.index is None:
            self.index, self.data = self._read()
        try:
            for at, size, crc in self.index.get(_hash(key), ()):
                blob = self.data[at:at + size]
                if zlib.crc32(blob) != crc:
                    continue  # damaged: as if it were not there
                k, value = marshal.loads(blob)
                if k == key:
                    self.memo[key] = value
                    return value
        except Exception:  # a damaged index or entry: as if it were not there
            pass
        return None

    def has(self, key: Any) -> bool:
        """Whether the file's index lists `key` (or this run has it); the entry is not read."""
        if key in self.memo:
            return True
        if self.index is None:
            self.index, self.data = self._read()
        return _hash(key) in self.index

    def put(self, key: Any, value: Any) -> None:
        """Add an entry (written when the process exits)."""
        if not self.added:
            atexit.register(self.flush)
        self.memo[key] = self.added[key] = value

    def _read(self) -> tuple[dict[int, list[tuple[int, int, int]]], bytes]:
        path = self.path()
        if path is None:
            return {}, b""
        try:
            with open(path, "rb") as fh:
                if os.fstat(fh.fileno()).st_size > _MAX_BYTES:
                    return {}, b""  # not one of ours (and not worth reading)
                raw = fh.read()
            if not raw.startswith(_MAGIC):
                return {}, b""
            start = len(_MAGIC) + 8
            size = int.from_bytes(raw[len(_MAGIC):start], "little")
            header, index = marshal.loads(raw[start:start + size])
        except Exception:  # missing, unreadable or damaged: start afresh
            return {}, b""
        if header != self.header or type(index) is not dict:
            return {}, b""
        return index, raw[start + size:]

    def flush(self) -> None:
        """Write the entries added in this run after those already on disk (which may have
        changed since: another run may have written), the oldest going past _MAX_ENTRIES."""
        if not self.added:
            return
        path = self.path()
        added, self.added = self.added, {}
        if path is None or os.getpid() != _PID:
            return  # off, or a forked worker: the parent writes
        try:
            blobs = [(_hash(k), marshal.dumps((k, v))) for k, v in added.items()]
        except ValueError:
            return  # an entry marshal cannot write: nothing cached this time
        fresh = {h for h, _ in blobs}
        index, data = self._read()
        try:
            old = sorted((at, size, crc, h) for h, places in index.items()
                         for at, size, crc in places)
            kept = [(h, data[at:at + size]) for at, size, crc, h in old
                    if zlib.crc32(data[at:at + size]) == crc
                    and (h not in fresh or _key_of(data[at:at + size]) not in added)]
        except Exception:  # a damaged index: keep only this run's entries
            kept = []
        entries = (kept + blobs)[-_MAX_ENTRIES:]
        new_index: dict[int, list[tuple[int, int, int]]] = {}
        at = 0
        for h, blob in entries:
            new_index.setdefault(h, []).append((at, len(blob), zlib.crc32(blob)))
            at += len(blob)
        head = marshal.dumps((self.header, new_index))
        write_atomic(path, b"".join([_MAGIC, len(head).to_bytes(8, "little"), head,
                                     *(blob for _, blob in entries)]))


def _key_of(blob: bytes) -> Any:
    try:
        return marshal.loads(blob)[0]
    except Exception:
        return None


def write_atomic(path: str, data: bytes) -> bool:
    """Write `data` to `path` by way of a temporary file renamed into place; False on failure."""
    tmp = f"{path}.{os.getpid()}.tmp"
    try:
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.replace(tmp, path)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    except OSError:
        return False
    return True


# ----------------------------------------------------------------------------- regular expressions

try:
    import _sre
    from re import _compiler, _parser  # type: ignore[attr-defined]

    _REGEX_HEADER: Any = (_FORMAT, sys.version, sys.implementation.cache_tag, _sre.MAGIC,
                          _sre.CODESIZE)
except ImportError:  # pragma: no cover - another Python's regex internals
    _REGEX_HEADER = None

_regexes = _Store(f"regex-{sys.implementation.cache_tag}.marshal", _REGEX_HEADER)
# None: not yet checked that the compiler's parts rebuild what re.compile builds.
_regex_ok: bool | None = None


def _parts(pattern: str, flags: int) -> tuple[Any, ...]:
    """What re.compile hands the regex engine for `pattern` (as `re._compiler.compile` does)."""
    p = _parser.parse(pattern, flags)
    code = [int(c) for c in _compiler._code(p, flags)]
    groupindex = dict(p.state.groupdict)
    indexgroup: list[str | None] = [None] * p.state.groups
    for k, i in groupindex.items():
        indexgroup[i] = k
    return int(flags | p.state.flags), code, p.state.groups - 1, groupindex, tuple(indexgroup)


def _check_regex_parts() -> bool:
    """Whether `_parts` rebuilds exactly what re.compile builds, in this Python."""
    try:
        sample = r"(?P<a>x+)\b(?i:y)|(?P<b>[^\W_]{2,})(?=z)"
        return all(_sre.compile(sample, *_parts(sample, f)) == re.compile(sample, f)
                   for f in (0, re.IGNORECASE | re.MULTILINE))
    except Exception:
        return False


def regex(pattern: str, flags: int = 0) -> re.Pattern[str]:
    """`re.compile(pattern, flags)`, the compiled program kept in the cache across runs."""
    global _regex_ok
    flags = int(flags)
    if _REGEX_HEADER is None or type(pattern) is not str or flags & re.DEBUG:
        return re.compile(pattern, flags)
    key = (pattern, flags)
    found = _regexes.get(key)
    if found is not None:
        try:
            return _sre.compile(pattern, *found)
        except Exception:  # a damaged entry: compile it anew
            pass
    if cache_dir() is None:
        return re.compile(pattern, flags)
    if _regex_ok is None:
        _regex_ok = _check_regex_parts()
    if not _regex_ok:
        return re.compile(pattern, flags)
    parts = _parts(pattern, flags)  # raises re.error for a bad pattern, as re.compile does
    compiled: re.Pattern[str] = _sre.compile(pattern, *parts)
    _regexes.put(key, parts)
    return compiled


# The only characters that re.IGNORECASE matches with an ASCII letter although they are not
# ASCII (İ, ı, ſ and the Kelvin sign); see tests/test_lint_speedups.py.
_BRIDGES = (0x130, 0x131, 0x17F, 0x212A)


def _ascii_safe(items: Any) -> bool:
    """Whether no part of a parsed regex names one of the _BRIDGES (as a character or range)."""
    for op, av in items:
        name = str(op)
        if name in ("LITERAL", "NOT_LITERAL"):
            if av in _BRIDGES:
                return False
        elif name.startswith("RANGE"):
            if any(av[0] <= b <= av[1] for b in _BRIDGES):
                return False
        elif name == "IN":
            if not _ascii_safe(av):
                return False
        elif not _ascii_safe_value(av):
            return False
    return True


def _ascii_safe_value(value: Any) -> bool:
    if isinstance(value, _parser.SubPattern):
        return _ascii_safe(value.data)
    if isinstance(value, (tuple, list)):
        return all(_ascii_safe_value(v) for v in value)
    return True


def ascii_twin(pattern: str, flags: int = 0) -> re.Pattern[str] | None:
    r"""`pattern` compiled with re.ASCII, when on ASCII text without the separators \x1c-\x1f
    (which only Unicode's \s matches) that finds exactly what the pattern finds, faster: \w,
    \b, \d and letters in any case are looked up in a table. None when the pattern names a
    character that re.IGNORECASE matches with an ASCII one (İ, ı, ſ, Kelvin sign)."""
    flags = int(flags)
    if _REGEX_HEADER is None or flags & (re.ASCII | re.LOCALE):
        return None
    key = (_VERSION, pattern, flags)
    safe = lookup("ascii-safe", key)
    if safe is None:
        try:
            safe = _ascii_safe(_parser.parse(pattern, flags).data)
        except Exception:  # unknown: no twin
            safe = False
        if _VERSION is not None:
            store("ascii-safe", key, safe)
    if not safe:
        return None
    try:
        return regex(pattern, (flags & ~re.UNICODE) | re.ASCII)
    except (re.error, ValueError):  # an inline (?u) flag, say
        return None


def holds_regex(pattern: str, flags: int = 0) -> bool:
    """Whether the cache holds the program of `pattern` (by its index: nothing is read)."""
    return cache_dir() is not None and _regexes.has((pattern, int(flags)))


def holds_twin(pattern: str, flags: int = 0) -> bool:
    """Whether `ascii_twin(pattern, flags)` would compile nothing (see holds_regex)."""
    flags = int(flags)
    safe = lookup("ascii-safe", (_VERSION, pattern, flags))
    if safe is None:
        return False
    return not safe or holds_regex(pattern, (flags & ~re.UNICODE) | re.ASCII)


def writable() -> bool:
    """Whether the cache is on and its folder can be written (created if need be)."""
    folder = cache_dir()
    if folder is None:
        return False
    try:
        os.makedirs(folder, mode=0o700, exist_ok=True)
    except OSError:
        return False
    return os.access(folder, os.W_OK)


# ------------------------------------------------------------------------------- derived data


_derived = _Store(f"derived-{sys.implementation.cache_tag}.marshal",
                  (_FORMAT, sys.version))


def lookup(kind: str, key: Any) -> Any:
    """A cached value of `kind` for `key` (None if there is none); keys and values are plain
    data that `marshal` can write."""
    if cache_dir() is None:
        return None
    return _derived.get((kind, key))


def store(kind: str, key: Any, value: Any) -> None:
    """Cache `value` of `kind` for `key` (written when the process exits); a value `marshal`
    cannot write (a TOML date, say) is not cached."""
    if cache_dir() is None:
        return
    try:
        marshal.dumps((key, value))
    except ValueError:
        return
    _derived.put((kind, key), value)


class TOMLError(ValueError):
    """A file that is not valid TOML (or not UTF-8): tomllib's message."""


def toml(path: str, raw: bytes) -> dict[str, Any]:
    """The TOML document `raw` (the bytes of the file `path`) parsed, as `tomllib` parses it;
    cached by the path and the bytes. Raises TOMLError where tomllib (or decoding) fails."""
    key = (path, raw)
    data = lookup("toml", key)
    if type(data) is dict:
        return data
    # Imported only when a file is parsed: with the cache, most runs never need it.
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib
    try:
        data = tomllib.loads(raw.decode())
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise TOMLError(str(exc)) from None
    store("toml", key, data)
    return data


def source_version(path: str) -> int | None:
    """A fingerprint of a source file, for keys of values computed by its code (so that a
    changed drafter computes them anew); None if the file cannot be read."""
    try:
        with open(path, "rb") as fh:
            return zlib.crc32(fh.read())
    except OSError:
        return None


_VERSION = source_version(__file__)  # keys what this module's code works out
CODE_VERSION = _VERSION
