"""The shared inbox over IMAP: import new mail into the ticket store; save reply drafts."""

from __future__ import annotations

import base64
import contextlib
import imaplib
import ipaddress
import os
import re
import shlex
import ssl
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from typing import Any
from urllib.parse import quote

from drafter.config import Settings
from drafter.errors import ConfigError, DrafterError, InputError
from drafter.tickets.email import DEFAULT_MAX_BYTES, parse_email
from drafter.tickets.store import ImportReport, TicketStore

DEFAULT_BATCH_SIZE = 50
PASSWORD_COMMAND_TIMEOUT = 30.0

STATE_TABLE = """
CREATE TABLE IF NOT EXISTS imap_sync_state (
    account TEXT NOT NULL,
    mailbox TEXT NOT NULL,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (account, mailbox)
)
"""

_RESUME_HINT = "run `draft tickets sync` again: it resumes after the last message it imported"


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


@dataclass
class SyncReport:
    """What one sync did: the mailbox, how far it got, and what the store gained."""

    account: str
    mailbox: str
    server: str = ""  # host:port
    user: str = ""
    uidvalidity: int = 0
    last_uid: int = 0
    new_on_server: int = 0
    new_tickets: int = 0
    new_messages: int = 0
    duplicates: int = 0
    ticket_ids: list[int] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (message URL, reason)
    uidvalidity_changed: bool = False

    def _add(self, report: ImportReport) -> None:
        self.new_tickets += report.new_tickets
        self.new_messages += report.new_messages
        self.duplicates += report.duplicates
        self.ticket_ids.extend(t for t in report.ticket_ids if t not in self.ticket_ids)

    def to_dict(self) -> dict[str, Any]:
        """Return the report as JSON-ready data."""
        return {
            "account": self.account,
            "mailbox": self.mailbox,
            "server": self.server,
            "user": self.user,
            "uidvalidity": self.uidvalidity,
            "last_uid": self.last_uid,
            "new_on_server": self.new_on_server,
            "new_tickets": self.new_tickets,
            "new_messages": self.new_messages,
            "duplicates": self.duplicates,
            "ticket_ids": self.ticket_ids,
            "failed": [{"message": m, "reason": r} for m, r in self.failed],
            "uidvalidity_changed": self.uidvalidity_changed,
        }


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
    try:
        argv = shlex.split(account.password_command)
    except ValueError as exc:
        raise ConfigError(f"`imap.password_command` cannot be split into words: {exc}",
                          hint="check its quotes") from None
    if not argv:
        raise ConfigError("`imap.password_command` is empty")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=PASSWORD_COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise ConfigError(f"`imap.password_command`: program {argv[0]!r} not found",
                          hint="use the full path of the program") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"`imap.password_command` ({argv[0]}) did not finish in "
                          f"{PASSWORD_COMMAND_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise ConfigError(f"`imap.password_command`: cannot run {argv[0]!r}: {exc.strerror}"
                          ) from None
    if done.returncode != 0:
        # Its stderr explains the failure; its stdout could hold the secret, so never shown.
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(
            f"`imap.password_command` ({argv[0]}) exited with {done.returncode}"
            + (f": {why[-1][:200]}" if why else ""),
            hint="run the command yourself to see what it needs",
        )
    value = done.stdout.decode("utf-8", "replace").rstrip("\r\n")
    if not value:
        raise ConfigError(f"`imap.password_command` ({argv[0]}) printed nothing",
                          hint="the command must print the password on its standard output")
    return value


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
        self.imap = self._connect()
        try:
            self._login()
        except BaseException:
            self.close()
            raise

    def _connect(self) -> imaplib.IMAP4:
        a = self.account
        try:
            if a.security == "tls":
                return imaplib.IMAP4_SSL(a.host, a.port, ssl_context=_tls_context(a),
                                         timeout=a.timeout)
            imap = imaplib.IMAP4(a.host, a.port, timeout=a.timeout)
            if a.security == "starttls":
                if "STARTTLS" not in imap.capabilities:
                    imap.shutdown()
                    raise MailboxError(
                        f"{self.where} does not offer STARTTLS, so the connection cannot be "
                        "encrypted",
                        hint="use security = \"tls\" with the server's TLS port (usually 993)")
                imap.starttls(ssl_context=_tls_context(a))
            return imap
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
        except (OSError, imaplib.IMAP4.error) as exc:
            raise MailboxError(f"cannot connect to the IMAP server {self.where}: {_reason(exc)}",
                               hint="check `imap.host`, `imap.port` and the network") from None

    def _login(self) -> None:
        a = self.account
        password = _password(a)
        try:
            capabilities = self.imap.capabilities
            if "AUTH=PLAIN" in capabilities:
                # SASL PLAIN carries a UTF-8 password; LOGIN is limited to ASCII.
                secret = f"\0{a.user}\0{password}".encode()
                self.imap.authenticate("PLAIN", lambda _challenge: secret)
            elif "LOGINDISABLED" in capabilities:
                # The server refuses passwords on an unencrypted connection: none is sent.
                raise MailboxError(f"{self.where} does not accept a password on an unencrypted "
                                   "connection (LOGINDISABLED)",
                                   hint="use security = \"starttls\" on this port, or \"tls\" "
                                   "on the server's TLS port (usually 993)")
            elif password.isascii():
                self.imap.login(a.user, password)
            else:
                raise MailboxError(f"{self.where} only offers LOGIN, which cannot send a "
                                   "non-ASCII password", hint="use an ASCII password")
        except imaplib.IMAP4.abort as exc:
            raise self.lost("logging in", exc) from None
        except imaplib.IMAP4.error as exc:
            source = (f"the environment variable {a.password_env} (`imap.password_env`)"
                      if a.password_env else "the output of `imap.password_command`")
            raise MailboxError(
                f"{self.where}: login failed for user {a.user!r}: {_server_text(exc)}",
                hint=f"check `imap.user` and the password in {source}",
            ) from None
        except OSError as exc:
            raise self.lost("logging in", exc) from None
        finally:
            del password

    def lost(self, doing: str, exc: BaseException, hint: str | None = None) -> MailboxError:
        """Return the error for a connection that failed while `doing` something."""
        return MailboxError(f"{self.where}: the connection failed while {doing}: {_reason(exc)}",
                            hint=hint or "check the network and that the server is up, then "
                            "try again")

    def call(self, doing: str, fn: Callable[..., tuple[str, list[Any]]], *args: Any,
             hint: str | None = None) -> tuple[str, list[Any]]:
        """Run one imaplib command; NO and BAD answers and lost connections raise MailboxError."""
        try:
            typ, data = fn(*args)
        except imaplib.IMAP4.abort as exc:
            raise self.lost(doing, exc, hint) from None
        except imaplib.IMAP4.error as exc:
            raise MailboxError(f"{self.where}: the server refused {doing}: {_server_text(exc)}",
                               hint=hint) from None
        except OSError as exc:
            raise self.lost(doing, exc, hint) from None
        if typ != "OK":
            raise MailboxError(f"{self.where}: the server refused {doing}: "
                               f"{_server_text(data)}", hint=hint)
        return typ, data

    def close(self) -> None:
        """Log out politely if the connection still works; never raise."""
        try:
            if self.imap.state == "SELECTED":
                self.imap.close()
            self.imap.logout()
        except (imaplib.IMAP4.error, OSError, ValueError):
            with contextlib.suppress(OSError):
                self.imap.shutdown()

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
    text = str(exc) or type(exc).__name__
    return text.removeprefix("command: ")


def _server_text(value: Any) -> str:
    """Return the server's words from an imaplib error or response data, as readable text."""
    if isinstance(value, BaseException):
        value = str(value)
        value = re.sub(r"^command: \w+ => ", "", value)
    elif isinstance(value, list):
        value = b" ".join(v for v in value if isinstance(v, bytes))
    if isinstance(value, bytes):
        value = value.decode("utf-8", "replace")
    value = str(value)
    if value.startswith(("b'", 'b"')) and value.endswith(value[1]):
        value = value[2:-1]
    return value.strip() or "(no reason given)"


# --- mailbox names ----------------------------------------------------------------------------


def encode_mailbox(name: str) -> str:
    """Return `name` as an IMAP quoted string, in modified UTF-7 (RFC 3501 5.1.3) if needed."""
    out: list[str] = []
    pending: list[str] = []

    def flush() -> None:
        if pending:
            raw = "".join(pending).encode("utf-16-be")
            out.append("&" + base64.b64encode(raw).decode("ascii").rstrip("=")
                       .replace("/", ",") + "-")
            pending.clear()

    for char in name:
        if " " <= char <= "~":
            flush()
            out.append("&-" if char == "&" else char)
        else:
            pending.append(char)
    flush()
    encoded = "".join(out)
    return '"' + encoded.replace("\\", "\\\\").replace('"', '\\"') + '"'


def decode_mailbox(name: str) -> str:
    """Return a mailbox name as the server sends it (modified UTF-7) in readable Unicode."""

    def one(match: re.Match[str]) -> str:
        chunk = match.group(1)
        if not chunk:
            return "&"
        data = chunk.replace(",", "/")
        try:
            return base64.b64decode(data + "=" * (-len(data) % 4)).decode("utf-16-be")
        except (ValueError, UnicodeDecodeError):
            return match.group(0)

    return re.sub(r"&([A-Za-z0-9+,]*)-", one, name)


_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?:"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$')


def _list_mailboxes(session: Session) -> list[tuple[str, set[str]]]:
    """Return (encoded name as sent back, lower-cased attributes) for every mailbox."""
    _, data = session.call("listing the mailboxes", session.imap.list, '""', "*")
    boxes = []
    for item in data:
        if isinstance(item, tuple):  # the name came as a literal: `... {12}`, then the name
            match = _LIST_LINE.match(item[0])
            name = item[1]
        else:
            match = _LIST_LINE.match(item or b"")
            name = match.group("name") if match else b""
        if not match:
            continue
        if name.startswith(b'"') and name.endswith(b'"'):
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        flags = {f.lower() for f in match.group("flags").decode("ascii", "replace").split()}
        boxes.append((name.decode("ascii", "replace"), flags))
    return boxes


def _quote_encoded(name: str) -> str:
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


# --- sync -------------------------------------------------------------------------------------


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def _state(store: TicketStore, account: str, mailbox: str) -> tuple[int, int] | None:
    row = store.db.execute(
        "SELECT uidvalidity, last_uid FROM imap_sync_state WHERE account = ? AND mailbox = ?",
        (account, mailbox)).fetchone()
    return (int(row[0]), int(row[1])) if row else None


def _mark(store: TicketStore, account: str, mailbox: str, uidvalidity: int, uid: int) -> None:
    store.db.execute(
        "INSERT INTO imap_sync_state (account, mailbox, uidvalidity, last_uid, updated_at) "
        "VALUES (?, ?, ?, ?, ?) ON CONFLICT (account, mailbox) DO UPDATE SET "
        "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
        "updated_at = excluded.updated_at",
        (account, mailbox, uidvalidity, uid, _now()))


def sync_state(store: TicketStore) -> list[dict[str, Any]]:
    """Return every synced mailbox's UIDVALIDITY and highest imported UID."""
    with store.db:
        store.db.execute(STATE_TABLE)
    rows = store.db.execute("SELECT account, mailbox, uidvalidity, last_uid, updated_at "
                            "FROM imap_sync_state ORDER BY account, mailbox").fetchall()
    return [dict(zip(("account", "mailbox", "uidvalidity", "last_uid", "updated_at"), r,
                     strict=True)) for r in rows]


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start:start + size]


_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")


def _fetched(data: list[Any], item: re.Pattern[bytes] | None = None) -> dict[int, Any]:
    """Map UID -> body literal (or the `item` number) from an imaplib UID FETCH answer."""
    out: dict[int, Any] = {}
    for index, part in enumerate(data):
        if isinstance(part, tuple):
            head = part[0]
            uid = _UID.search(head)
            if uid is None and index + 1 < len(data) and isinstance(data[index + 1], bytes):
                uid = _UID.search(data[index + 1])  # UID sent after the literal
            if uid is not None:
                out[int(uid.group(1))] = part[1]
        elif isinstance(part, bytes) and item is not None:
            uid, value = _UID.search(part), item.search(part)
            if uid and value:
                out[int(uid.group(1))] = int(value.group(1))
    return out


def sync(
    settings: Settings,
    store: TicketStore,
    *,
    mailbox: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    max_bytes: int = DEFAULT_MAX_BYTES,
    progress: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Import the mailbox's messages that are new since the last sync into `store`.

    Each message is committed together with the UID high-water mark, so a sync cut short
    (server gone, interrupted) leaves only whole messages and the next one resumes after the
    last message stored. The store's Message-ID check keeps a message from being stored twice
    even when the server renumbers its UIDs (a new UIDVALIDITY). `progress(done, total)` runs
    after each batch is committed. Messages are read with BODY.PEEK, so they stay unread.
    """
    account = account_from(settings)
    box = mailbox or settings["imap.mailbox"] or "INBOX"
    report = SyncReport(account=account.name, mailbox=box,
                        server=f"{account.host}:{account.port}", user=account.user)
    with store.db:
        store.db.execute(STATE_TABLE)
    with Session(account) as session:
        imap = session.imap
        _, data = session.call(
            f"opening the mailbox {box!r}", imap.select, encode_mailbox(box), True,
            hint="check `imap.mailbox` (the mailbox names are listed by any mail client)")
        validity_data = imap.response("UIDVALIDITY")[1]
        try:
            uidvalidity = int(validity_data[-1])
        except (TypeError, ValueError, IndexError):
            raise MailboxError(f"{session.where}: the server sent no UIDVALIDITY for {box!r}",
                               hint="this server cannot be synced incrementally") from None
        known = _state(store, account.name, box)
        last = 0
        if known is not None:
            if known[0] == uidvalidity:
                last = known[1]
            else:
                report.uidvalidity_changed = True
        report.uidvalidity, report.last_uid = uidvalidity, last

        _, data = session.call("searching for new messages", imap.uid, "SEARCH",
                               f"UID {last + 1}:*")
        # `n:*` also matches the highest UID when it is below n: filter on our side.
        uids = sorted({int(u) for u in b" ".join(d for d in data if d).split()} - {0})
        uids = [u for u in uids if u > last]
        report.new_on_server = len(uids)
        done = 0
        for batch in _chunks(uids, max(1, batch_size)):
            uid_set = ",".join(str(u) for u in batch)
            doing = f"fetching messages from {box!r} ({done} of {len(uids)} imported so far)"
            _, data = session.call(doing, imap.uid, "FETCH", uid_set, "(UID RFC822.SIZE)",
                                   hint=_RESUME_HINT)
            sizes = _fetched(data, _SIZE)
            wanted = [u for u in batch if sizes.get(u, 0) <= max_bytes]
            bodies: dict[int, Any] = {}
            if wanted:
                _, data = session.call(doing, imap.uid, "FETCH",
                                       ",".join(str(u) for u in wanted), "(UID BODY.PEEK[])",
                                       hint=_RESUME_HINT)
                bodies = _fetched(data)
            for uid in batch:
                where = f"{account.url(box)};UIDVALIDITY={uidvalidity}/;UID={uid}"
                message = None
                if uid not in sizes and uid not in bodies:
                    continue  # expunged meanwhile
                if sizes.get(uid, 0) > max_bytes:
                    report.failed.append((where, f"{sizes[uid]} bytes, more than the "
                                          f"{max_bytes} byte limit; not imported"))
                elif not isinstance(bodies.get(uid), bytes):
                    continue  # expunged between the two fetches; nothing to mark
                else:
                    try:
                        message = parse_email(bodies[uid], where, max_bytes)
                    except InputError as exc:
                        report.failed.append((where, exc.message))
                # The mark and the message share one transaction (the store's import commits
                # both, or rolls both back), so the mark never runs ahead of the store.
                with store.db:
                    _mark(store, account.name, box, uidvalidity, uid)
                    if message is not None:
                        report._add(store.import_messages([message]))
                report.last_uid = uid
            done += len(batch)
            if progress is not None:
                progress(done, len(uids))
        if not uids and (known is None or report.uidvalidity_changed):
            with store.db:  # remember UIDVALIDITY even for an empty mailbox
                _mark(store, account.name, box, uidvalidity, last)
    return report


# --- drafts -----------------------------------------------------------------------------------


_APPENDUID = re.compile(rb"\[APPENDUID (\d+) (\d+)\]", re.IGNORECASE)


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
        mailbox_arg, shown = encode_mailbox(wanted), wanted
        typ, data = _append(session, mailbox_arg, raw)
        if typ != "OK":
            boxes = _list_mailboxes(session)
            special = next((name for name, flags in boxes if "\\drafts" in flags), None)
            if special is not None and not explicit:
                mailbox_arg, shown = _quote_encoded(special), decode_mailbox(special)
                typ, data = _append(session, mailbox_arg, raw)
            if typ != "OK":
                hint = (f"set `imap.drafts = \"{decode_mailbox(special)}\"`, the server's "
                        "drafts mailbox"
                        if special else "set `imap.drafts` to an existing mailbox: drafter never "
                        "creates mailboxes")
                raise MailboxError(f"{session.where}: cannot save the draft in {wanted!r}: "
                                   f"{_server_text(data)}", hint=hint)
    url = account.url(shown)
    found = _APPENDUID.search(b" ".join(d for d in data if isinstance(d, bytes)))
    if found:
        url += f";UIDVALIDITY={int(found.group(1))}/;UID={int(found.group(2))}"
    return url


def _append(session: Session, mailbox_arg: str, raw: bytes) -> tuple[str, list[Any]]:
    """APPEND with \\Draft and \\Seen; returns NO answers (a missing mailbox) to the caller."""
    try:
        typ, data = session.imap.append(mailbox_arg, r"(\Draft \Seen)", time.time(), raw)
    except imaplib.IMAP4.abort as exc:
        raise session.lost("saving the draft", exc) from None
    except imaplib.IMAP4.error as exc:
        raise MailboxError(f"{session.where}: the server refused the draft: "
                           f"{_server_text(exc)}") from None
    except OSError as exc:
        raise session.lost("saving the draft", exc) from None
    return typ, data
