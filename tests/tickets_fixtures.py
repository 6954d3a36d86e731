"""Helpers for the tickets tests: build real RFC 5322 messages."""

from __future__ import annotations

from email.message import EmailMessage


def eml(
    body: str,
    *,
    sender: str = "Jane Doe <jane@example.com>",
    to: str = "Acme Support <support@acme.example>",
    subject: str = "Order 1234",
    date: str | None = "Mon, 08 Jan 2024 10:00:00 +0000",
    message_id: str | None = "<m1@example.com>",
    in_reply_to: str | None = None,
    references: str | None = None,
) -> bytes:
    """Return the bytes of a plain-text message as a mail client would send it."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = to
    msg["Subject"] = subject
    if date:
        msg["Date"] = date
    if message_id:
        msg["Message-ID"] = message_id
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if references:
        msg["References"] = references
    msg.set_content(body)
    return msg.as_bytes()

