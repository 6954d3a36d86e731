"""Tickets: the model and its sources (email, mbox, JSON, IMAP), which only read; quote trimming."""

from drafter.tickets.model import Attachment, Message, Ticket

__all__ = ["Attachment", "Message", "Ticket"]
