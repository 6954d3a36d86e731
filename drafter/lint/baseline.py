"""Baselines: accepted findings, keyed by file, code and flagged text (not by line numbers)."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from drafter.errors import InputError

# Version 2 records a gathered finding ("3 findings of hedging in one sentence") as one entry;
# a version 1 baseline, written before findings were gathered, holds its parts one by one and
# is read as it is: `consume_all` lets those entries hide the gathered finding.
BASELINE_VERSION = 2
READABLE_VERSIONS = (1, 2)


def fingerprint(code: str, snippet: str) -> str:
    """Hash of a finding's code and flagged text, whitespace- and case-insensitive."""
    norm = re.sub(r"\s+", " ", snippet).strip().lower()
    return hashlib.sha256(f"{code}\0{norm}".encode()).hexdigest()[:16]


def _key_path(path: Path, base: Path) -> str:
    """The path of a linted file as stored in a baseline: relative to the baseline's folder."""
    return Path(os.path.relpath(path.resolve(), base.resolve())).as_posix()


class Baseline:
    """A multiset of (path, code, fingerprint): each entry hides one matching finding."""

    def __init__(self, base: Path, entries: Counter[tuple[str, str, str]] | None = None) -> None:
        self.base = base
        self.entries: Counter[tuple[str, str, str]] = entries or Counter()

    def key(self, path: Path, code: str, snippet: str) -> tuple[str, str, str]:
        """Return the entry key of a finding."""
        return _key_path(path, self.base), code, fingerprint(code, snippet)

    def add(self, path: Path, code: str, snippet: str) -> None:
        """Record one finding."""
        self.entries[self.key(path, code, snippet)] += 1

    def consume(self, path: Path, code: str, snippet: str) -> bool:
        """Return True (and use up the entry) if the baseline holds this finding."""
        k = self.key(path, code, snippet)
        if self.entries[k] > 0:
            self.entries[k] -= 1
            return True
        return False

    def consume_all(self, path: Path, code: str, snippets: list[str]) -> bool:
        """Return True (and use up the entries) if the baseline holds every one of `snippets`
        (the parts of a gathered finding, as a version 1 baseline recorded them)."""
        keys = Counter(self.key(path, code, s) for s in snippets)
        if any(self.entries[k] < n for k, n in keys.items()):
            return False
        self.entries.subtract(keys)
        return True

    def to_json(self) -> dict[str, Any]:
        """Return the baseline as JSON-ready data, in a stable order."""
        rows = [{"path": p, "code": c, "hash": h, "count": n}
                for (p, c, h), n in sorted(self.entries.items()) if n > 0]
        return {"version": BASELINE_VERSION, "tool": "drafter", "findings": rows}

    def write(self, path: Path) -> None:
        """Write the baseline to `path`."""
        path.write_text(json.dumps(self.to_json(), indent=2) + "\n", encoding="utf-8")

    @classmethod
    def new(cls, path: Path) -> Baseline:
        """An empty baseline that will be written to `path`."""
        return cls(path.parent)

    @classmethod
    def load(cls, path: Path) -> Baseline:
        """Read a baseline file; a missing or malformed one is an InputError."""
        try:
            shown = path.resolve().relative_to(Path.cwd().resolve()).as_posix()
        except ValueError:
            shown = path.as_posix()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise InputError(f"baseline {shown} does not exist",
                             hint=f"create it with `draft lint PATH --write-baseline {shown}`"
                             ) from None
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InputError(f"baseline {shown} cannot be read: {exc}",
                             hint="write it again with --write-baseline") from None
        if not isinstance(data, dict) or data.get("version") not in READABLE_VERSIONS \
                or not isinstance(data.get("findings"), list):
            raise InputError(f"baseline {shown} is not a drafter baseline (version "
                             f"{BASELINE_VERSION})", hint="write it again with --write-baseline")
        entries: Counter[tuple[str, str, str]] = Counter()
        for i, row in enumerate(data["findings"]):
            try:
                entries[(str(row["path"]), str(row["code"]), str(row["hash"]))] += \
                    int(row.get("count", 1))
            except (KeyError, TypeError, ValueError, AttributeError):
                raise InputError(f"baseline {shown}: entry {i + 1} is malformed",
                                 hint="write it again with --write-baseline") from None
        return cls(path.parent, entries)

    @classmethod
    def of(cls, path: Path, findings: Iterable[tuple[Path, str, str]]) -> Baseline:
        """Build the baseline for `findings` (file, code, flagged text) to be written at `path`."""
        b = cls.new(path)
        for file, code, snippet in findings:
            b.add(file, code, snippet)
        return b
