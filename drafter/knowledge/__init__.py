"""The team's knowledge: canned responses, help articles, past replies and facts, indexed and
searched so that drafts are grounded in them (docs/knowledge.md).

    from drafter import App

    app = App.from_config()
    kb = app.knowledge()                      # the configured [knowledge], its index refreshed
    for passage in kb.search("parcel arrived damaged", limit=3):
        print(passage.id, passage.heading, passage.score)
"""

from __future__ import annotations

from drafter.knowledge.model import KINDS, Passage, Retriever

__all__ = ["KINDS", "Passage", "Retriever"]
