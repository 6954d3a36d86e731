"""What retrieval returns and what a search engine must offer: `Passage` and `Retriever`."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

KINDS = ("canned", "article", "past_reply", "fact")


@dataclass(frozen=True)
class Passage:
    """One piece of the team's knowledge: a canned response, an article section, a past reply
    or a fact, with the score the last search gave it (higher is better)."""

    id: str  # e.g. canned/refund-sent.md, articles/shipping.md#returns, facts.toml#refund_window
    kind: str  # one of KINDS
    source: str  # the file it came from (relative to the project), or "store" for past replies
    heading: str | None
    text: str
    score: float = 0.0
    # A past reply: the customer's question it answered (searched, not shown as a fact).
    context: str | None = None
    # A canned response: its declared template variables (the slots a draft fills).
    variables: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        """The passage as plain JSON-ready data."""
        out: dict[str, Any] = {"id": self.id, "kind": self.kind, "source": self.source,
                               "heading": self.heading, "text": self.text,
                               "score": round(self.score, 4)}
        if self.context:
            out["context"] = self.context
        if self.variables:
            out["variables"] = list(self.variables)
        return out


@runtime_checkable
class Retriever(Protocol):
    """A search over the team's knowledge: the embedded full-text index, or a team's own
    engine (docs/knowledge.md)."""

    def search(self, query: str, limit: int) -> list[Passage]:
        """The `limit` passages most relevant to `query`, best first."""
        ...
