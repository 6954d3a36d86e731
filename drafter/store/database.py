"""The SQLite connection every repository of the store shares: opening, migrating, transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from drafter.errors import ConfigError
from drafter.store.migrations import MIGRATIONS, SCHEMA_VERSION


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
        except (OSError, sqlite3.Error) as exc:
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
            raise ConfigError(
                f"{self.path} is not a drafter ticket store: {exc}",
                hint="point `store.path` (or DRAFTER_STORE) at another file",
            ) from None
        except BaseException:
            self.db.close()
            raise

    def close(self) -> None:
        """Close the database connection."""
        self.db.close()

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
    def transaction(self) -> Iterator[None]:
        """Commit every write in the block together, or none if it raises.

        Blocks nest: only the outermost one commits, so a write method that opens its own
        transaction can be combined with others into one (a synced message and its mark).
        """
        self._depth += 1
        try:
            if self._depth > 1:
                yield
            else:
                with self.db:
                    yield
        finally:
            self._depth -= 1
