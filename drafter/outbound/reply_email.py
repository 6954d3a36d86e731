"""Build a reply email that mail clients thread under the customer's message."""

from __future__ import annotations

import re
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, formatdate, make_msgid

from drafter.errors import InputError
from drafter.tickets.model import Message, Ticket

_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|aw|sv|vs|antw|r|rif|ref|ответ)\s*(?:\[\d+\])?\s*[:：]\s*)+",
                           re.IGNORECASE)


def reply_subject(subject: str | None) -> str:
    """Return "Re: <subject>" without stacking reply prefixes."""
    core = _REPLY_PREFIX.sub("", subject or "").strip()
    return f"Re: {core}" if core else "Re: your message"


def _quote(message: Message) -> str:
    who = message.sender_name or message.sender_address or "you"
    when = ""
    if message.date:
        try:
            from datetime import datetime

            when = f"On {format_datetime(datetime.fromisoformat(message.date))}, "
        except ValueError:
            when = f"On {message.date}, "
    quoted = "\n".join(("> " + line) if line else ">" for line in message.body.splitlines())
    return f"{when}{who} wrote:\n{quoted}"


def build_reply(
    ticket: Ticket,
    text: str,
    *,
    from_address: str,
    from_name: str | None = None,
    quote: bool = False,
) -> EmailMessage:
    """Return a complete reply message to the customer's latest message in `ticket`.

    Raise InputError naming the header when the ticket's address, name or message ids cannot be
    written into one (not an address, a line break in it).
    """
    try:
        return _build(ticket, text, from_address, from_name, quote)
    except ValueError as exc:  # the email package's refusals, header defects included
        raise InputError(f"the reply cannot be written as an email: {exc}",
                         hint="check the ticket's customer address, name and message ids "
                         "(`draft tickets show`), or use --format text") from None


def _build(ticket: Ticket, text: str, from_address: str, from_name: str | None,
           quote: bool) -> EmailMessage:
    latest = ticket.latest_customer_message
    msg = EmailMessage()
    domain = from_address.rpartition("@")[2] or "localhost"
    msg["From"] = Address(display_name=from_name or "", addr_spec=from_address)
    to_addr = (latest.sender_address if latest else None) or ticket.customer_address
    if to_addr:
        try:
            msg["To"] = Address(display_name=ticket.customer_name or "", addr_spec=to_addr)
        except ValueError as exc:
            raise ValueError(f"the customer's address {to_addr!r} or name "
                             f"{ticket.customer_name!r}: {exc}") from None
    msg["Subject"] = reply_subject(ticket.subject or (latest.subject if latest else None))
    msg["Date"] = formatdate(localtime=True)
    msg["Message-ID"] = make_msgid(domain=domain)
    if latest is not None and latest.message_id:
        parent = _angle(latest.message_id)
        refs = [_angle(r) for r in latest.references if r] + [parent]
        try:
            msg["In-Reply-To"] = parent
            msg["References"] = " ".join(dict.fromkeys(refs))
        except ValueError as exc:
            raise ValueError(f"the customer's message ids {refs!r}: {exc}") from None
    body = text.rstrip("\n") + "\n"
    if quote and latest is not None and latest.body.strip():
        body += "\n" + _quote(latest) + "\n"
    # utf-8 lets the library pick 7bit, quoted-printable or base64 for the content.
    msg.set_content(body, charset="utf-8")
    return msg


def _angle(message_id: str) -> str:
    mid = message_id.strip()
    return mid if mid.startswith("<") else f"<{mid}>"


