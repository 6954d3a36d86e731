"""The SQLite connection every repository of the store shares: opening, migrating, transactions."""

from __future__ import annotations

import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from drafter.errors import ConfigError
from drafter.store.migrations import MIGRATIONS, SCHEMA_VERSION

# Free space a run needs before it spends anything: a stored draft takes a few KB, and SQLite's
# write-ahead log grows to about 4 MB between checkpoints.
MIN_FREE_BYTES = 1 << 20


def now() -> str:
    """Return the current UTC time as the store writes it (ISO 8601, seconds)."""
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class Database:
    """One SQLite file (WAL mode), migrated to the latest schema version when opened."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._depth = 0  # how many transaction() blocks are open
        try:
            if str(self.path) != ":memory:":
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self.db = sqlite3.connect(str(self.path), timeout=10.0)
        except sqlite3.Error as exc:
            raise self.fault(exc, "cannot open it") from None
        except OSError as exc:
            raise ConfigError(
                f"cannot open the ticket store {self.path}: {exc}",
                hint="set `store.path` (or DRAFTER_STORE) to a writable file",
            ) from None
        self.db.row_factory = sqlite3.Row
        try:
            self.db.execute("PRAGMA foreign_keys = ON")
            self.db.execute("PRAGMA journal_mode = WAL")
            # With WAL, NORMAL keeps every commit atomic and survives a killed process; only a
            # power cut may lose the last commits. It spares a batch an fsync per stored draft.
            self.db.execute("PRAGMA synchronous = NORMAL")
            self._migrate()
        except sqlite3.DatabaseError as exc:
            self.db.close()
            raise self.fault(exc, "cannot open it") from None
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

    def fault(self, exc: sqlite3.Error, doing: str) -> ConfigError:
        """Say what is wrong with the store, from SQLite's error: full, read-only, not a store."""
        code = (getattr(exc, "sqlite_errorcode", None) or 0) & 0xFF  # the primary result code
        where = f"the ticket store {self.path}"
        other = "or set `store.path` (or DRAFTER_STORE) to a file on another disk"
        free = self._disk_free()
        if code == sqlite3.SQLITE_FULL or (
                code in (sqlite3.SQLITE_IOERR, sqlite3.SQLITE_CANTOPEN) and free < MIN_FREE_BYTES):
            return ConfigError(f"{where} is full (disk full: {free // 1024} KB free): {doing}",
                               hint=f"free space on the disk that holds it, {other}")
        folder_read_only = self.path.parent.is_dir() and not os.access(self.path.parent, os.W_OK)
        if code == sqlite3.SQLITE_READONLY or (code == sqlite3.SQLITE_CANTOPEN and folder_read_only):
            which = f"its folder {self.path.parent} is" if folder_read_only else "the file is"
            return ConfigError(f"{where} is read-only ({which}): {doing}",
                               hint="make the file and its folder writable (SQLite writes "
                               f"{self.path.name}-wal and -shm beside it), {other}")
        if code == sqlite3.SQLITE_CANTOPEN:
            return ConfigError(f"cannot open {where}: {exc}", hint=f"check {self.path.parent}, {other}")
        if code in (sqlite3.SQLITE_NOTADB, sqlite3.SQLITE_CORRUPT):
            return ConfigError(f"{self.path} is not a drafter ticket store: {exc}",
                               hint="point `store.path` (or DRAFTER_STORE) at another file")
        return ConfigError(f"{where} failed: {exc}: {doing}", hint=f"check the file, {other}")

    def _disk_free(self) -> int:
        try:
            return shutil.disk_usage(self.path.parent).free
        except OSError:
            return MIN_FREE_BYTES  # unknown: assume enough, and let SQLite's error speak

    def check_writable(self, min_free: int = MIN_FREE_BYTES) -> None:
        """Raise ConfigError unless the store can take writes now: not read-only, not full.

        Runs that pay for model calls check first, so they never spend on an answer they
        could not keep.
        """
        doing = "nothing was sent to the model"
        try:
            # A real write that changes nothing: the schema version, set to what it is.
            self.db.execute(f"PRAGMA user_version = {self.schema_version}")
            pages = self.db.execute("PRAGMA max_page_count").fetchone()[0] - \
                self.db.execute("PRAGMA page_count").fetchone()[0] + \
                self.db.execute("PRAGMA freelist_count").fetchone()[0]
        except sqlite3.Error as exc:
            raise self.fault(exc, doing) from None
        free = min(pages * self.db.execute("PRAGMA page_size").fetchone()[0], self._disk_free())
        if free < min_free:
            raise ConfigError(f"the ticket store {self.path} is full (disk full: {free // 1024} KB "
                              f"free of the {min_free // 1024} KB a run needs): {doing}",
                              hint="free space on the disk that holds it, or set `store.path` "
                              "(or DRAFTER_STORE) to a file on another disk")

    def _migrate(self) -> None:
        version = self.schema_version
        if version > SCHEMA_VERSION:
            raise ConfigError(
                f"{self.path}: the ticket store has schema version {version}, newer than this "
                f"drafter knows ({SCHEMA_VERSION})",
                hint="upgrade drafter, or point `store.path` at another file",
            )
        for number in range(version, SCHEMA_VERSION):
            with self.db:
                self.db.executescript(MIGRATIONS[number])
                self.db.execute(f"PRAGMA user_version = {number + 1}")

    @property
    def schema_version(self) -> int:
        """Return the schema version of the open database."""
        return int(self.db.execute("PRAGMA user_version").fetchone()[0])

    @contextmanager
    def transaction(self, immediate: bool = False) -> Iterator[None]:
        """Commit every write in the block together, or none if it raises.

        Blocks nest: only the outermost one commits, so a write method that opens its own
        transaction can be combined with others into one (a synced message and its mark).
        `immediate` takes the write lock at once (for reads that decide a write). A full disk
        or a read-only file becomes a ConfigError saying so.
        """
        self._depth += 1
        try:
            if self._depth > 1:
                yield
            else:
                with self.db:
                    if immediate:  # take the write lock before reading what the writes depend on
                        self.db.execute("BEGIN IMMEDIATE")
                    yield
        except sqlite3.OperationalError as exc:
            if self._depth > 1:
                raise
            raise self.fault(exc, "this change was not stored") from None
        finally:
            self._depth -= 1
