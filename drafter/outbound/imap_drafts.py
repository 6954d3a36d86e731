"""Appending a reply to the IMAP account's Drafts mailbox, for a person to review and send."""

from __future__ import annotations

import re
from email.message import EmailMessage
from email.policy import SMTP

from imapclient import DRAFT, SEEN
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError

from drafter.config import Settings
from drafter.tickets.imap import MailboxError, Session, account_from, server_text

_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


# The special-use flag of a Drafts folder (RFC 6154).
DRAFTS_FLAG = rb"\Drafts"


def save_draft(settings: Settings, message: EmailMessage) -> str:
    """Append `message` to the account's Drafts mailbox with the \\Draft flag; return its URL.

    Nothing is sent: the reply waits in Drafts for a person to review and send it from their
    mail client. The configured `imap.drafts` mailbox is used; when it does not exist and was
    left at its default, the server's \\Drafts special-use mailbox is. Mailboxes are never
    created. The URL is RFC 5092 style, with ;UID= when the server reports it (UIDPLUS).
    """
    account = account_from(settings)
    wanted = settings["imap.drafts"] or "Drafts"
    explicit = settings.origins.get("imap.drafts", "default") != "default"
    raw = message.as_bytes(policy=SMTP)  # CRLF line ends, as IMAP requires
    with Session(account) as session:
        shown = wanted
        answer, refusal = _append(session, wanted, raw)
        if refusal is not None:
            special = session.call("listing the mailboxes", session.client.find_special_folder,
                                   DRAFTS_FLAG)
            if special is not None and special != wanted and not explicit:
                shown = special
                answer, refusal = _append(session, special, raw)
            if refusal is not None:
                hint = (f"set `imap.drafts = \"{special}\"`, the server's drafts mailbox"
                        if special else "set `imap.drafts` to an existing mailbox: drafter never "
                        "creates mailboxes")
                raise MailboxError(f"{session.where}: cannot save the draft in {wanted!r}: "
                                   f"{refusal}", hint=hint)
    url = account.url(shown)
    found = _APPENDUID.search(answer)
    if found:
        url += f";UIDVALIDITY={int(found.group(1))}/;UID={int(found.group(2))}"
    return url


def _append(session: Session, mailbox: str, raw: bytes) -> tuple[bytes, str | None]:
    """APPEND with \\Draft and \\Seen; return the server's answer, or why it refused."""
    try:
        answer = session.client.append(mailbox, raw, flags=(DRAFT, SEEN))
    except IMAPClientAbortError as exc:
        raise session.lost("saving the draft", exc) from None
    except IMAPClientError as exc:  # a missing mailbox: the caller may try the special one
        return b"", server_text(exc)
    except OSError as exc:
        raise session.lost("saving the draft", exc) from None
    return answer if isinstance(answer, bytes) else str(answer).encode(), None
