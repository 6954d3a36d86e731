"""Canned-start: when one canned response is a clear best match for a ticket, the draft starts
from it, its declared variables filled from the ticket (customer name, order number, agent)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from drafter.knowledge.model import Passage
from drafter.knowledge.query import terms
from drafter.review.rules.hygiene import PlaceholderFinder, placeholder_name
from drafter.tickets.model import Ticket

# "Clear", measured on the grounding benchmark's 54 tickets (benchmarks/grounding, figures in
# docs/knowledge.md): the best canned response is among the TOP passages of any kind, scores at
# least CLEAR_MARGIN times the next canned response among the candidates (BM25 scores of one
# query: a ratio, as their scale grows with the query's length), and shares MIN_COVERAGE of the
# customer's searched words (a response in the customer's language that is about something
# else only shares the language's common words).
CLEAR_MARGIN = 2.0
TOP = 2
MIN_COVERAGE = 0.2
_PREFIX = 5  # words compared by their first letters: "refunded" is "refund", "Lieferung" "liefe"

_FINDER = PlaceholderFinder(["name", "order", "number", "agent"])
_ORDER = re.compile(
    r"(?i)\b(?:order|bestellung|auftrag|pedido|commande|ordine)\b(?:\s+(?:number|no\.?|nr\.?|"
    r"n[úu]mero|nummer|id))?\s*[:#]?\s*(#?[A-Z]{0,4}-?\d[\d-]{2,}\d)\b")
_HASH_NUMBER = re.compile(r"(?<![\w#])#(\d{4,})\b")


@dataclass(frozen=True)
class CannedStart:
    """The canned response a draft starts from: its passage, its text with the variables the
    ticket fills filled in, and which ones those were."""

    passage: Passage
    text: str
    filled: Mapping[str, str] = field(default_factory=dict)
    margin: float = 0.0  # the best canned score over the next one's

    @property
    def id(self) -> str:
        """The canned response's passage id."""
        return self.passage.id


@dataclass(frozen=True)
class Grounding:
    """What a draft is grounded in: the passages given as reference, and the canned response
    it starts from (not repeated among the reference)."""

    reference: tuple[Passage, ...] = ()
    start: CannedStart | None = None

    @property
    def passages(self) -> list[Passage]:
        """Every passage the model is given, the canned start first."""
        return [*([self.start.passage] if self.start is not None else []), *self.reference]

    @property
    def texts(self) -> tuple[str, ...]:
        """The passages' texts (what the unsupported-fact rule counts as known)."""
        return tuple(p.text for p in self.passages)

    def __bool__(self) -> bool:
        return bool(self.reference or self.start)


def coverage(query: str, passage: Passage) -> float:
    """The share of `query`'s searched words that `passage` has (compared by their start)."""
    wanted = {w[:_PREFIX] for w in terms(query)}
    if not wanted:
        return 0.0
    text = " ".join(filter(None, (passage.heading, passage.text, passage.context))).lower()
    have = {w[:_PREFIX] for w in re.findall(r"\w+", text)}
    return len(wanted & have) / len(wanted)


def clear_best(passages: Sequence[Passage], query: str, margin: float = CLEAR_MARGIN,
               top: int = TOP, min_coverage: float = MIN_COVERAGE) -> tuple[Passage, float] | None:
    """The canned response that clearly answers `query` best among `passages` (the search's
    candidates, best first), with its score ratio over the next canned response; None when no
    canned response is clear."""
    canned = [(i, p) for i, p in enumerate(passages) if p.kind == "canned"]
    if not canned or canned[0][0] >= top:
        return None
    best = canned[0][1]
    runner = canned[1][1].score if len(canned) > 1 else 0.0
    ratio = best.score / runner if runner > 0 else float("inf")
    if best.score <= 0 or ratio < margin or coverage(query, best) < min_coverage:
        return None
    return best, ratio


def ticket_values(ticket: Ticket, agent: str | None = None) -> dict[str, str]:
    """What a ticket says that canned variables ask for: the customer's first name, the order
    number and the agent's name (each only when known)."""
    values: dict[str, str] = {}
    if ticket.customer_first_name:
        values["name"] = ticket.customer_first_name
    texts = [ticket.subject or "", *(m.latest for m in ticket.messages if m.from_customer)]
    for text in texts:
        found = _ORDER.search(text) or _HASH_NUMBER.search(text)
        if found:
            values["order"] = found.group(1)
            break
    if agent:
        values["agent"] = agent
    return values


def _role(variable: str) -> str | None:
    """Which ticket value a variable name asks for: name, order or agent (None: none)."""
    words = set(re.split(r"[^a-z]+", re.sub(r"([a-z])([A-Z])", r"\1_\2", variable).lower()))
    if words & {"agent", "assignee", "signature", "sender"} or "current_user" in variable:
        return "agent"
    if "order" in words and words & {"id", "number", "no", "nr", "order"}:
        return "order"
    if words & {"name", "firstname", "first"} and not words & {"product", "company", "shop",
                                                                 "item", "store", "last"}:
        return "name"
    return None


def fill(text: str, values: Mapping[str, str]) -> tuple[str, dict[str, str]]:
    """`text` with each placeholder whose variable the `values` answer replaced by the value;
    and what was filled (variable -> value). Other placeholders stay for the model."""
    out: list[str] = []
    filled: dict[str, str] = {}
    at = 0
    for p in _FINDER.find(text):
        name = placeholder_name(p)
        role = _role(name) if name else None
        if role is None or role not in values or p.style not in ("jinja", "helpscout", "brace",
                                                                  "bracket", "angle", "percent"):
            continue
        out.append(text[at:p.start])
        out.append(values[role])
        filled[str(name)] = values[role]
        at = p.end
    out.append(text[at:])
    return "".join(out), filled


def canned_start(ticket: Ticket, passages: Sequence[Passage], query: str,
                 agent: str | None = None) -> CannedStart | None:
    """The canned response to start the draft from, filled from `ticket`; None when none of
    `passages` (what the search for `query` found, best first) is a clear best match."""
    best = clear_best(passages, query)
    if best is None:
        return None
    passage, ratio = best
    text, filled = fill(passage.text, ticket_values(ticket, agent))
    return CannedStart(passage, text, filled, ratio)
