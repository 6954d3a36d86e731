"""The shared inbox over IMAP, through IMAPClient: the account, a session, a mailbox's new mail.

This module only reads: `Mailbox` returns new messages by UID and stores nothing. The store
records them (`drafter.store.imap_sync`), and `drafter.outbound.imap_drafts` appends drafts.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import ssl
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError, LoginError

from drafter.config import Settings, secret_from_command
from drafter.errors import ConfigError, DrafterError, InputError
from drafter.tickets.email import parse_email
from drafter.tickets.model import Message

RESUME_HINT = "run `draft tickets sync` again: it resumes after the last message it imported"


class MailboxError(DrafterError):
    """The IMAP server could not be reached, refused us, or went away (exit 2)."""


@dataclass(frozen=True)
class Account:
    """Where and how to reach the IMAP account: the `imap.*` settings, checked."""

    host: str
    port: int
    security: str
    verify_certificate: bool
    ca_file: Path | None
    user: str
    password_env: str | None
    password_command: str | None
    timeout: float

    @property
    def name(self) -> str:
        """Return `user@host:port`, the key of this account's sync state."""
        return f"{self.user}@{self.host.lower()}:{self.port}"

    def url(self, mailbox: str) -> str:
        """Return an RFC 5092 IMAP URL of `mailbox` (no password in it, ever)."""
        return (f"imap://{quote(self.user, safe='')}@{self.host}:{self.port}/"
                f"{quote(mailbox, safe='')}")


# --- settings --------------------------------------------------------------------------------


def account_from(settings: Settings) -> Account:
    """Check the `imap.*` settings and return the account they describe."""
    host = (settings["imap.host"] or "").strip()
    if not host:
        raise ConfigError("`imap.host` is not set",
                          hint="add an [imap] section with host, user and password_env to "
                          "drafter.toml (see docs/imap.md)")
    user = settings["imap.user"]
    if not user:
        raise ConfigError("`imap.user` is not set", hint="set [imap] user to the login name")
    security = settings["imap.security"]
    port = settings["imap.port"] or (993 if security == "tls" else 143)
    if not 0 < port < 65536:
        raise ConfigError(f"`imap.port` must be between 1 and 65535, got {port}")
    if security == "none" and not _is_loopback(host):
        raise ConfigError(
            f"`imap.security = \"none\"` would send the password to {host} unencrypted",
            hint="use security = \"tls\" (port 993) or \"starttls\" (port 143); \"none\" is only "
            "accepted for a server on this machine (localhost)",
        )
    ca_file = settings["imap.ca_file"]
    if ca_file is not None and not Path(ca_file).is_file():
        raise ConfigError(f"`imap.ca_file`: {ca_file} does not exist",
                          hint="point it at a PEM file with the CA (or server) certificate")
    if settings["imap.password_env"] and settings["imap.password_command"]:
        raise ConfigError("both `imap.password_env` and `imap.password_command` are set",
                          hint="keep one of them")
    if not settings["imap.password_env"] and not settings["imap.password_command"]:
        raise ConfigError("no IMAP password configured",
                          hint="set `imap.password_env` to the name of an environment variable "
                          "holding it, or `imap.password_command` to a command that prints it")
    return Account(
        host=host, port=port, security=security,
        verify_certificate=bool(settings["imap.verify_certificate"]),
        ca_file=Path(ca_file) if ca_file else None, user=user,
        password_env=settings["imap.password_env"],
        password_command=settings["imap.password_command"],
        timeout=float(settings["imap.timeout"] or 30.0),
    )


def _is_loopback(host: str) -> bool:
    if host.lower() in ("localhost", "localhost.localdomain"):
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def _password(account: Account) -> str:
    """Return the password from the environment variable or the command; never show it."""
    if account.password_env:
        value = os.environ.get(account.password_env)
        if not value:
            raise ConfigError(
                f"the environment variable {account.password_env} (from `imap.password_env`) "
                "is not set or empty",
                hint=f"export {account.password_env} with the IMAP password of {account.user}",
            )
        return value
    assert account.password_command is not None
    return secret_from_command("imap.password_command", account.password_command, "password")


# --- connecting -------------------------------------------------------------------------------


def _warn(message: str) -> None:
    print(f"warning: {message}", file=sys.stderr)


def _tls_context(account: Account) -> ssl.SSLContext:
    context = ssl.create_default_context()
    if account.ca_file is not None:
        try:
            context.load_verify_locations(cafile=str(account.ca_file))
        except (ssl.SSLError, OSError) as exc:
            raise ConfigError(f"`imap.ca_file`: cannot load {account.ca_file}: {exc}",
                              hint="it must be a PEM file of certificates") from None
    if not account.verify_certificate:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        _warn(f"not verifying the TLS certificate of {account.host} (imap.verify_certificate "
              "= false): anyone on the network path can read the password and the mail")
    return context


class Session:
    """One logged-in IMAP connection; every failure becomes a MailboxError naming the host."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.where = f"{account.host}:{account.port}"
        self.client = self._connect()
        try:
            self._login()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> IMAPClient:
        a = self.account
        try:
            if a.security == "tls":
                return IMAPClient(a.host, a.port, ssl=True, ssl_context=_tls_context(a),
                                  timeout=a.timeout)
            client = IMAPClient(a.host, a.port, ssl=False, timeout=a.timeout)
            if a.security == "starttls":
                if not client.has_capability("STARTTLS"):
                    client.shutdown()
                    raise MailboxError(
                        f"{self.where} does not offer STARTTLS, so the connection cannot be "
                        "encrypted",
                        hint="use security = \"tls\" with the server's TLS port (usually 993)")
                client.starttls(_tls_context(a))
            return client
        except ssl.SSLCertVerificationError as exc:
            raise MailboxError(
                f"{self.where}: refused the server's TLS certificate: "
                f"{exc.verify_message or exc.reason}",
                hint="if the server uses a private CA or a self-signed certificate, set "
                "`imap.ca_file` to it; if the host name is not in the certificate, use one that "
                "is; only on a network you trust, set `imap.verify_certificate = false`",
            ) from None
        except ssl.SSLError as exc:
            raise MailboxError(
                f"{self.where}: TLS handshake failed: {exc.reason or exc}",
                hint="check `imap.port` and `imap.security`: 993 is usually \"tls\", 143 "
                "\"starttls\"",
            ) from None
        except (OSError, IMAPClientError) as exc:
            raise MailboxError(f"cannot connect to the IMAP server {self.where}: {_reason(exc)}",
                               hint="check `imap.host`, `imap.port` and the network") from None

    def _login(self) -> None:
        a = self.account
        password = _password(a)
        try:
            if self.client.has_capability("AUTH=PLAIN"):
                # SASL PLAIN carries a UTF-8 password; LOGIN is limited to ASCII.
                self.client.plain_login(a.user, password)
            elif self.client.has_capability("LOGINDISABLED"):
                # The server refuses passwords on an unencrypted connection: none is sent.
                raise MailboxError(f"{self.where} does not accept a password on an unencrypted "
                                   "connection (LOGINDISABLED)",
                                   hint="use security = \"starttls\" on this port, or \"tls\" "
                                   "on the server's TLS port (usually 993)")
            elif password.isascii():
                self.client.login(a.user, password)
            else:
                raise MailboxError(f"{self.where} only offers LOGIN, which cannot send a "
                                   "non-ASCII password", hint="use an ASCII password")
        except LoginError as exc:
            source = (f"the environment variable {a.password_env} (`imap.password_env`)"
                      if a.password_env else "the output of `imap.password_command`")
            raise MailboxError(
                f"{self.where}: login failed for user {a.user!r}: {server_text(exc)}",
                hint=f"check `imap.user` and the password in {source}",
            ) from None
        except (IMAPClientError, OSError) as exc:
            raise self.lost("logging in", exc) from None
        finally:
            del password

    def lost(self, doing: str, exc: BaseException, hint: str | None = None) -> MailboxError:
        """Return the error for a connection that failed while `doing` something."""
        return MailboxError(f"{self.where}: the connection failed while {doing}: {_reason(exc)}",
                            hint=hint or "check the network and that the server is up, then "
                            "try again")

    def call(self, doing: str, fn: Callable[..., Any], *args: Any, hint: str | None = None,
             **kwargs: Any) -> Any:
        """Run one IMAPClient command; refusals and lost connections raise MailboxError."""
        try:
            return fn(*args, **kwargs)
        except IMAPClientAbortError as exc:
            raise self.lost(doing, exc, hint) from None
        except IMAPClientError as exc:
            raise MailboxError(f"{self.where}: the server refused {doing}: {server_text(exc)}",
                               hint=hint) from None
        except OSError as exc:
            raise self.lost(doing, exc, hint) from None

    def close(self) -> None:
        """Log out politely if the connection still works; never raise."""
        try:
            self.client.logout()
        except (IMAPClientError, OSError, ValueError):
            with contextlib.suppress(IMAPClientError, OSError):
                self.client.shutdown()

    def __enter__(self) -> Session:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _reason(exc: BaseException) -> str:
    if isinstance(exc, TimeoutError):
        return "timed out (see `imap.timeout`)"
    if isinstance(exc, ConnectionRefusedError):
        return "connection refused"
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror
    return str(exc) or type(exc).__name__


def server_text(exc: BaseException) -> str:
    """Return the server's words from an IMAPClient (or imaplib) error, as readable text."""
    text = re.sub(r"^(?:\w+ failed: |command: \w+ => )", "", str(exc))
    if text.startswith(("b'", 'b"')) and text.endswith(text[1]):
        text = text[2:-1]
    return text.strip() or "(no reason given)"


# --- reading a mailbox ------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """One new message by UID: the message, or why it could not be read (`failure`)."""

    uid: int
    where: str  # its IMAP URL
    message: Message | None = None
    failure: str | None = None


class Mailbox:
    """A mailbox opened read-only in a session of its own: its UIDVALIDITY, its mail by UID."""

    def __init__(self, account: Account, name: str) -> None:
        self.account = account
        self.name = name
        self.session = Session(account)
        try:
            selected = self.session.call(
                f"opening the mailbox {name!r}", self.session.client.select_folder, name,
                readonly=True,
                hint="check `imap.mailbox` (the mailbox names are listed by any mail client)")
            try:
                self.uidvalidity = int(selected[b"UIDVALIDITY"])
            except (KeyError, TypeError, ValueError):
                raise MailboxError(f"{self.session.where}: the server sent no UIDVALIDITY for "
                                   f"{name!r}", hint="this server cannot be synced "
                                   "incrementally") from None
        except BaseException:
            self.session.close()
            raise

    def uids_after(self, last_uid: int) -> list[int]:
        """Return the UIDs above `last_uid`, in order."""
        found = self.session.call("searching for new messages", self.session.client.search,
                                  ["UID", f"{last_uid + 1}:*"])
        # `n:*` also matches the highest UID when it is below n: filter on our side.
        return sorted(u for u in set(found) if u > last_uid)

    def fetch(self, uids: Sequence[int], max_bytes: int, doing: str) -> list[Fetched]:
        """Read the messages `uids` (BODY.PEEK: they stay unread), those within `max_bytes`.

        A message over the limit comes back as a failure, without its body; one expunged
        meanwhile is left out. `doing` says what is going on, for a lost connection's error.
        """
        client = self.session.client
        sizes = {uid: int(data.get(b"RFC822.SIZE", 0)) for uid, data in self.session.call(
            doing, client.fetch, list(uids), ["RFC822.SIZE"], hint=RESUME_HINT).items()}
        wanted = [u for u in uids if u in sizes and sizes[u] <= max_bytes]
        bodies: dict[int, Any] = {}
        if wanted:
            bodies = {uid: data.get(b"BODY[]") for uid, data in self.session.call(
                doing, client.fetch, wanted, ["BODY.PEEK[]"], hint=RESUME_HINT).items()}
        out = []
        for uid in uids:
            where = f"{self.account.url(self.name)};UIDVALIDITY={self.uidvalidity}/;UID={uid}"
            if uid not in sizes:
                continue  # expunged meanwhile
            if sizes[uid] > max_bytes:
                out.append(Fetched(uid, where, failure=f"{sizes[uid]} bytes, more than the "
                                   f"{max_bytes} byte limit; not imported"))
            elif isinstance(bodies.get(uid), bytes):
                try:
                    out.append(Fetched(uid, where, parse_email(bodies[uid], where, max_bytes)))
                except InputError as exc:
                    out.append(Fetched(uid, where, failure=exc.message))
            # else: expunged between the two fetches; nothing to report
        return out

    def close(self) -> None:
        """Log out."""
        self.session.close()

    def __enter__(self) -> Mailbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
