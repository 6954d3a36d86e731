"""What the reviewer knows about the situation a reply answers (signals from the ticket)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# The channels the reviewer knows; on social media no greeting or sign-off is expected and the
# platform's words and link wrappers are its own.
from drafter.tickets.model import CHANNELS

__all__ = ["CHANNELS", "ReviewContext"]


@dataclass(frozen=True)
class ReviewContext:
    """Situation signals; None means unknown, and rules that need an unknown signal stay silent."""

    channel: str | None = None  # one of CHANNELS
    customer_name: str | None = None
    customer_text: str | None = None  # the customer's latest words, for quoting checks
    upset: bool | None = None
    reports_problem: bool | None = None
    asks_question: bool | None = None
    is_template: bool = False  # a canned response: declared placeholders are legitimate
    variables: frozenset[str] = field(default_factory=frozenset)  # declared template variables
    body_only: bool = False  # the text has no greeting/sign-off by design (drafter adds them)
    # The template languages whose slots are legitimate here (a canned response's `lint.templates`);
    # empty for a draft or a sent reply, where every unfilled slot is an error.
    templates: frozenset[str] = field(default_factory=frozenset)
    slot_pattern: re.Pattern[str] | None = None  # the team's own slot (`lint.slot_pattern`)
    # The prompt's own words (instructions and data delimiters, never the customer's text nor
    # reference material), for catching a draft that echoes its prompt.
    prompt: str | None = None
    model_draft: bool = False  # the text is a model's draft body (drafter adds greeting/sign-off)
    # Every message of the ticket and its subject, for rules that flag what a reply adds
    # (a phone number or address the ticket never gave); None when there is no ticket.
    ticket_text: str | None = None
    # What the team itself said in the ticket (its messages) and the thread's sender lines; the
    # rest of ticket_text came from the customer or someone else. None when not known.
    team_text: str | None = None
    # The team's own contact details as configured: addresses, domains, signature.
    team_contacts: tuple[str, ...] = ()
    # The texts of the knowledge passages the model was given (reference material), for rules
    # that flag what a draft states beyond the ticket and the team's knowledge.
    reference: tuple[str, ...] = ()
