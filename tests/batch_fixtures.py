"""Helpers for the batch, drafts and fault tests: stores full of tickets, test settings, prompts."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from drafter.store import Store
from drafter.tickets.model import Message, Ticket

ASKS = [
    "My order {n} arrived with a cracked screen. What can I do?",
    "Where is my parcel {n}? The tracking page has not changed for a week.",
    "I was charged twice for invoice {n}. Please refund the second payment.",
    "How do I change the email address on account {n}?",
    "The app logs me out every few minutes since update {n}. Very annoying.",
]
NAMES = ["Maria Lopez", "Tom Baker", "Aiko Tanaka", "Sam Okafor", "Lena Berg"]


def sample_ticket(n: int, same: bool = False, **kw: Any) -> Ticket:
    """Ticket number `n` of a sample inbox; with `same`, every ticket reads exactly alike.

    Alike tickets make alike prompts, which the real local server answers from its prompt cache
    in a second or two instead of re-reading the whole prompt: the tests stay fast.
    """
    k = 0 if same else n
    text = ASKS[k % len(ASKS)].format(n=1000 + k)
    name = NAMES[k % len(NAMES)]
    message = Message(body=text, latest=text, sender_name=name, sender_address=f"c{n}@example.com",
                      subject=f"Help {k}", date=f"2024-01-{1 + k % 28:02d}T10:00:00+00:00",
                      message_id=f"<t{n}@example.com>")
    return Ticket(messages=[message], subject=f"Help {k}", customer_name=name,
                  customer_address=f"c{n}@example.com", **kw)


def make_tickets(path: Path, count: int, *, tags_every: int = 0, status_every: int = 0,
                 same: bool = False) -> list[int]:
    """Create `count` one-message tickets in the store at `path`; return their ids."""
    ids = []
    with Store(path) as store:
        for n in range(count):
            tags = ["billing"] if tags_every and n % tags_every == 0 else []
            status = "pending" if status_every and n % status_every == 0 else "open"
            ids.extend(store.import_ticket(sample_ticket(n, same, status=status, tags=tags)).ticket_ids)
    return ids


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


def real_messages(n: int = 0) -> list[dict[str, str]]:
    """The first-draft messages drafter sends for sample ticket `n` (0: the one every `same`
    ticket reads like), with the default settings, as the CLI renders them."""
    from drafter.app import App
    from drafter.config import load_settings
    from drafter.prompting import Prompts
    from drafter.styleguide import load_styleguide

    return Prompts().reply_messages(load_styleguide(), App(load_settings(env={})).team,
                                    sample_ticket(n), "email")
