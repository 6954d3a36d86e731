"""The `Ticket` model: a thread of messages between a customer and the team."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field, replace
from typing import Any

# The channels a ticket can come from: email, live chat, social media (posts and direct
# messages). drafter drafts replies for the first two (prompts/partials has their templates).
CHANNELS = ("email", "chat", "social")
DRAFT_CHANNELS = ("email", "chat")


def reply_channel(ticket: Ticket, default: str) -> str:
    """The channel to draft a reply to `ticket` on: its own where drafter drafts for it, else
    `default`."""
    return ticket.channel if ticket.channel in DRAFT_CHANNELS else default


@dataclass(frozen=True)
class Attachment:
    """An attachment, listed for context; its content never goes to the model."""

    filename: str
    content_type: str
    size: int


@dataclass
class Message:
    """One message of a thread. `latest` is the author's new words, quotes and signature removed."""

    body: str
    latest: str
    sender_name: str | None = None
    sender_address: str | None = None
    to: list[str] = field(default_factory=list)
    subject: str | None = None
    date: str | None = None  # ISO 8601
    message_id: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    from_customer: bool = True
    from_team: bool = False  # the source itself says the team wrote it (a helpdesk's author role)
    attachments: list[Attachment] = field(default_factory=list)
    internal: bool = False  # a team's internal note (a helpdesk comment): never the customer's

    def to_dict(self) -> dict[str, Any]:
        """Return the message as plain JSON-ready data."""
        return asdict(self)


@dataclass
class Ticket:
    """A customer's request: the thread so far and what is known about the customer."""

    messages: list[Message]
    id: int | None = None
    subject: str | None = None
    customer_name: str | None = None
    customer_address: str | None = None
    channel: str = "email"
    status: str = "open"
    tags: list[str] = field(default_factory=list)
    name: str | None = None  # its name in a helpdesk, e.g. "rt:123"; None for the store's own
    language: str | None = None  # the customer's language as the helpdesk has it, e.g. "de"

    @property
    def latest_customer_message(self) -> Message | None:
        """Return the customer's most recent message, if any."""
        return next((m for m in reversed(self.messages) if m.from_customer), None)

    @property
    def customer_first_name(self) -> str | None:
        """Return the customer's first name, for the greeting, if known."""
        if not self.customer_name:
            return None
        name = self.customer_name.strip().strip('"')
        if "," in name:  # "Doe, Jane"
            name = name.split(",", 1)[1].strip()
        first = name.split()[0] if name.split() else ""
        return first if first and "@" not in first else None

    def to_dict(self) -> dict[str, Any]:
        """Return the ticket as plain JSON-ready data."""
        return asdict(self)


def public_thread(ticket: Ticket) -> Ticket:
    """Return `ticket` without its internal notes: the conversation the customer saw."""
    if not any(m.internal for m in ticket.messages):
        return ticket
    return replace(ticket, messages=[m for m in ticket.messages if not m.internal])


def author_role(message: Message, team_addresses: Iterable[str] = (),
                team_domains: Iterable[str] = ()) -> str:
    """Who wrote `message`: "customer", "team" (by the source's author role or the team's own
    addresses and domains), or "other" (anyone else, however they thread in)."""
    if message.from_customer:
        return "customer"
    address = (message.sender_address or "").strip().lower()
    domain = address.rpartition("@")[2]
    if message.from_team or (address and address in team_addresses):
        return "team"
    if address and any(domain == d or domain.endswith("." + d) for d in team_domains):
        return "team"
    return "other"


def content_id(*parts: str | None) -> str:
    """Return a stable Message-ID-like id for a message that has none, from its content."""
    import hashlib  # here, not at the top: `draft lint` imports this module but never needs it

    digest = hashlib.sha256("\x1f".join(p or "" for p in parts).encode("utf-8")).hexdigest()
    return f"<{digest[:32]}@drafter.invalid>"


def message_key(message: Message) -> str:
    """Return the key a message is deduplicated by: its Message-ID, else a hash of its content."""
    if message.message_id:
        return message.message_id.strip()
    return content_id(message.sender_address, message.date, message.subject, message.body)
