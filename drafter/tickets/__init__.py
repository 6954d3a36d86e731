"""Tickets: the model, reading sources (store, email, JSON), quote and signature stripping."""

from drafter.tickets.model import Attachment, Message, Ticket

__all__ = ["Attachment", "Message", "Ticket"]
