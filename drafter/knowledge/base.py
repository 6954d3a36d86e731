"""`Knowledge`: the configured knowledge of one project with its retriever, the embedded FTS5
index or a team's own (a `drafter.retrievers` entry point, or `module:factory`)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from drafter.errors import ConfigError
from drafter.knowledge.index import FtsRetriever, IndexReport
from drafter.knowledge.model import Passage, Retriever
from drafter.knowledge.sources import (
    KnowledgeConfig,
    past_reply_passages,
    read_passages,
    source_files,
)

ENTRY_POINT_GROUP = "drafter.retrievers"


class Knowledge:
    """One project's knowledge: its sources, its index (when the retriever keeps one in the
    store) and its search. Use it as a context manager; it holds the store open."""

    def __init__(self, config: KnowledgeConfig, store_path: Path) -> None:
        if not config.configured:
            raise ConfigError("no knowledge is configured",
                              hint="add a [knowledge] section to drafter.toml naming canned, "
                              "articles, past_replies or facts (docs/knowledge.md)")
        self.config = config
        self.store_path = store_path
        self._store: Any = None
        self._fts: FtsRetriever | None = None
        self._retriever: Retriever | None = None

    # -- the store and the retriever

    def store(self) -> Any:
        """The store the embedded index lives in (opened once)."""
        if self._store is None:
            from drafter.store import Store

            self._store = Store(self.store_path)
        return self._store

    @property
    def fts(self) -> FtsRetriever:
        """The embedded index (for `draft kb index` and `stats` even with a plugin retriever)."""
        if self._fts is None:
            self._fts = FtsRetriever(self.config, self.store())
        return self._fts

    @property
    def retriever(self) -> Retriever:
        """The configured retriever (`knowledge.retriever`)."""
        if self._retriever is None:
            name = self.config.retriever
            self._retriever = self.fts if name == "fts" else load_retriever(name, self)
        return self._retriever

    def close(self) -> None:
        """Close the store, if open."""
        if self._store is not None:
            self._store.close()
            self._store = None
            self._fts = None
            if self.config.retriever == "fts":
                self._retriever = None

    def __enter__(self) -> Knowledge:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- what commands do

    def index(self, progress: Callable[[str, str], None] | None = None) -> IndexReport:
        """Bring the index up to date (incrementally); a plugin retriever with an `index`
        method of its own is told to do the same afterwards."""
        report = self.fts.index(progress)
        if self.config.retriever != "fts":
            own = getattr(self.retriever, "index", None)
            if callable(own):
                own()
        return report

    def search(self, query: str, limit: int = 5) -> list[Passage]:
        """The `limit` passages most relevant to `query`, best first."""
        return list(self.retriever.search(query, limit))

    def stats(self) -> dict[str, Any]:
        """What the embedded index holds, by kind, and where."""
        out = self.fts.stats()
        out.update(project=str(self.config.root), store=str(self.store_path),
                   retriever=self.config.retriever)
        return out

    def read_passages(self) -> list[Passage]:
        """Every passage of the configured sources, read now (not from the index): what a
        plugin retriever builds its own index from."""
        out: list[Passage] = []
        for source in source_files(self.config):
            out += read_passages(source, source.path.read_bytes(), self.config.source_options)
        if self.config.past_replies:
            out += past_reply_passages(self.store().past_replies())
        return out


def load_retriever(name: str, knowledge: Knowledge) -> Retriever:
    """The retriever a plugin makes: `module:factory`, or the entry point `name` of the group
    `drafter.retrievers`; the factory is called with the `Knowledge` and returns a Retriever."""
    factory: Callable[[Knowledge], Any]
    if ":" in name:
        import importlib

        module_name, _, attr = name.partition(":")
        try:
            factory = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"`knowledge.retriever` {name!r} cannot be loaded: {exc}",
                              hint="name an importable module:factory, or use fts") from None
    else:
        from importlib.metadata import entry_points

        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == name]
        if not found:
            known = sorted(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))
            raise ConfigError(f"`knowledge.retriever` {name!r} is not fts nor an installed "
                              "retriever plugin",
                              hint="known: " + ", ".join(["fts", *known])
                              + f" (entry point group {ENTRY_POINT_GROUP})")
        factory = found[0].load()
    retriever = factory(knowledge)
    if not isinstance(retriever, Retriever):
        raise ConfigError(f"`knowledge.retriever` {name!r} made {type(retriever).__name__}, "
                          "which has no search(query, limit) method",
                          hint="the factory must return a Retriever (docs/knowledge.md)")
    return retriever
