"""Helpdesk connectors: read tickets where they live, add drafts back as internal notes.

    from drafter.helpdesk import open_connector
    with open_connector(app.settings) as helpdesk:      # [helpdesk] in drafter.toml
        ticket = helpdesk.fetch("123")
        helpdesk.post_note(ticket, "the draft ...")     # an internal note, never a reply

docs/helpdesk.md describes the settings and how to add a connector as a plugin.
"""

from drafter.helpdesk.base import (
    Check,
    Connector,
    HelpdeskError,
    HelpdeskUnavailable,
    Listed,
    NoteResult,
    TicketName,
    parse_ticket_name,
)
from drafter.helpdesk.config import ENTRY_POINT_GROUP, HelpdeskConfig, helpdesk_config, open_connector

__all__ = ["ENTRY_POINT_GROUP", "Check", "Connector", "HelpdeskConfig", "HelpdeskError",
           "HelpdeskUnavailable", "Listed", "NoteResult", "TicketName", "helpdesk_config",
           "open_connector", "parse_ticket_name"]
