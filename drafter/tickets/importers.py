"""Reading tickets from files (.eml, .mbox, drafter's JSON format) and from stdin; never storing."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from drafter.errors import InputError
from drafter.tickets.email import (
    DEFAULT_MAX_BYTES,
    MBOX_SEPARATOR,
    check_input,
    parse_email,
    read_file,
    regular_file,
    too_big,
)
from drafter.tickets.model import CHANNELS, Attachment, Message, Ticket, content_id
from drafter.tickets.trim import trim

IMPORTABLE = (".eml", ".mbox", ".json", ".txt", ".msg")

_TICKET_KEYS = ("id", "subject", "channel", "status", "tags", "customer", "messages")
_CUSTOMER_KEYS = ("name", "email")
_MESSAGE_KEYS = ("id", "author", "name", "email", "date", "subject", "text", "in_reply_to",
                 "attachments")
_ATTACHMENT_KEYS = ("filename", "content_type", "size")
_AUTHORS = ("customer", "agent")
_STATUSES = ("open", "pending", "closed")


def ticket_from_input(data: bytes, source: str = "stdin",
                      max_bytes: int = DEFAULT_MAX_BYTES) -> Ticket:
    """Return a one-message ticket from an email or plain text (or a JSON ticket) on stdin."""
    check_input(data, source, max_bytes)
    head = data.lstrip()[:1]
    if head == b"{":
        try:
            parsed = _load_json(data, source)
        except InputError:
            parsed = None
        if isinstance(parsed, dict) and ("messages" in parsed or "tickets" in parsed):
            tickets = tickets_from_json(parsed, source)
            if not tickets:
                raise InputError(f"{source}: the JSON holds no ticket",
                                 hint="see docs/tickets.md for the format")
            return tickets[0][1]
    message = parse_email(data, source, max_bytes)
    return Ticket(
        messages=[message],
        subject=message.subject,
        customer_name=message.sender_name,
        customer_address=message.sender_address,
        channel="email",
    )


@dataclass
class Found:
    """What one file held: emails to thread into tickets, whole JSON tickets, what failed."""

    messages: list[Message] = field(default_factory=list)
    tickets: list[tuple[str | None, Ticket]] = field(default_factory=list)  # (external id, ticket)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)


def read_paths(paths: Iterable[Path], max_bytes: int = DEFAULT_MAX_BYTES) -> Iterator[Found]:
    """Read every file (folders: the importable files inside); a failed file is reported."""
    for path in paths:
        if path.is_dir():
            inside = sorted(p for p in path.iterdir()
                            if p.is_file() and p.suffix.lower() in IMPORTABLE)
            if not inside:
                yield Found(failed=[(str(path), "folder holds no .eml, .mbox or .json files")])
            yield from (_read_or_fail(p, max_bytes) for p in inside)
        else:
            yield _read_or_fail(path, max_bytes)


def _read_or_fail(path: Path, max_bytes: int) -> Found:
    try:
        return read_path(path, max_bytes)
    except InputError as exc:
        return Found(failed=[(str(path), exc.message)])
    except Exception as exc:  # last resort: one file drafter cannot handle never stops the rest
        return Found(failed=[(str(path), f"{path}: cannot read: {type(exc).__name__}: {exc}")])


def read_path(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Found:
    """Read one .eml, .mbox or JSON file."""
    suffix = path.suffix.lower()
    if suffix == ".mbox":
        return _read_mbox(path, max_bytes)
    data = read_file(path, max_bytes)
    if suffix == ".json" or (suffix not in (".eml", ".txt") and data.lstrip()[:1] in (b"{", b"[")):
        return Found(tickets=tickets_from_json(_load_json(data, str(path)), str(path)))
    if data.startswith(b"From ") and b"\nFrom " in data:
        return _read_mbox(path, max_bytes)
    return Found(messages=[parse_email(data, str(path), max_bytes)])


def iter_mbox(path: Path, max_bytes: int) -> Iterator[bytes | int]:
    """Yield each message of an mbox file in turn (its size instead, when over `max_bytes`).

    Messages start only at a real separator line after a blank line (email.MBOX_SEPARATOR); the
    stdlib's mailbox.mbox also splits at body paragraphs that merely start with "From ".
    """
    regular_file(path)
    try:
        handle = path.open("rb")
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    chunks: list[bytes] = []
    size = 0  # keeps counting past the limit, so the message's size can be told
    started = False
    previous_blank = True
    try:
        with handle:
            for line in handle:
                if previous_blank and line.startswith(b"From ") and MBOX_SEPARATOR.match(line):
                    if started:
                        yield b"".join(chunks) if size <= max_bytes else size
                    started, chunks, size = True, [], 0
                elif started:
                    size += len(line)
                    if size <= max_bytes:
                        chunks.append(line)
                previous_blank = not line.strip()
    except OSError as exc:  # a read failing part way (a disk error, a file on a lost mount)
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if started:
        yield b"".join(chunks) if size <= max_bytes else size


def _read_mbox(path: Path, max_bytes: int) -> Found:
    found = Found()
    for number, data in enumerate(iter_mbox(path, max_bytes), start=1):
        where = f"{path} (message {number})"
        try:
            if isinstance(data, int):
                raise too_big(where, max_bytes, f"{data} bytes")
            found.messages.append(parse_email(data, where, max_bytes))
        except InputError as exc:
            found.failed.append((where, exc.message))
    if not found.messages and not found.failed:
        raise InputError(f"{path}: no messages in this mbox",
                         hint="an mbox starts each message with a line `From <sender> <date>`")
    return found


# --- the JSON ticket format (docs/tickets.md) -----------------------------------------------


def _load_json(data: bytes, source: str) -> Any:
    try:
        parsed = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise InputError(f"{source}: not UTF-8 text", hint="save the JSON file as UTF-8") from None
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}",
                         hint="fix the syntax at that line") from None
    except RecursionError:
        raise InputError(f"{source}: its JSON is nested too deeply to read",
                         hint="a ticket file nests a few levels; this one is likely corrupt") from None
    except ValueError:  # a number of more than 4,300 digits (sys.get_int_max_str_digits)
        raise InputError(f"{source}: a number in its JSON has too many digits to read",
                         hint="write ids and other long numbers as strings") from None
    try:  # a lone surrogate (`"\ud800"`) is valid JSON but no text: no output can encode it
        json.dumps(parsed, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError as exc:
        raise InputError(f"{source}: holds a lone surrogate ({exc.object[exc.start]!a}), which is "
                         "not a character", hint="save the file as UTF-8 text") from None
    return parsed


def tickets_from_json(data: Any, source: str) -> list[tuple[str | None, Ticket]]:
    """Validate drafter's JSON ticket format; return (external id, ticket) pairs."""
    if isinstance(data, dict) and "tickets" in data and "messages" not in data:
        _check_keys(data, ("tickets",), source, "")
        items, where = data["tickets"], "tickets"
    elif isinstance(data, list):
        items, where = data, ""
    elif isinstance(data, dict):
        items, where = [data], None
    else:
        raise _bad(source, "(top level)", "must be a ticket object, a list of tickets, or "
                   '{"tickets": [...]}', data)
    if not isinstance(items, list):
        raise _bad(source, where or "tickets", "must be a list of tickets", items)
    out = []
    for index, item in enumerate(items):
        key = f"{where}[{index}]" if where is not None else ""
        out.append(_ticket(item, source, key))
    return out


def _ticket(data: Any, source: str, key: str) -> tuple[str | None, Ticket]:
    if not isinstance(data, dict):
        raise _bad(source, key or "(top level)", "must be a ticket object", data)
    _check_keys(data, _TICKET_KEYS, source, key)
    external = data.get("id")
    if isinstance(external, bool) or not isinstance(external, (str, int, type(None))):
        raise _bad(source, _k(key, "id"), "must be a string or a number", external)
    customer = data.get("customer", {})
    if not isinstance(customer, dict):
        raise _bad(source, _k(key, "customer"),
                   'must be an object like {"name": ..., "email": ...}', customer)
    _check_keys(customer, _CUSTOMER_KEYS, source, _k(key, "customer"))
    name = _opt_str(customer, "name", source, _k(key, "customer"))
    address = _opt_str(customer, "email", source, _k(key, "customer"))
    channel = _choice(data, "channel", CHANNELS, "email", source, key)
    status = _choice(data, "status", _STATUSES, "open", source, key)
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise _bad(source, _k(key, "tags"), "must be a list of strings", tags)
    raw_messages = data.get("messages")
    if raw_messages is None:
        raise InputError(f"{source}: {_k(key, 'messages')} is missing",
                         hint="a ticket needs a list of messages, each with `author` and `text`")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise _bad(source, _k(key, "messages"), "must be a non-empty list of messages",
                   raw_messages)
    subject = _opt_str(data, "subject", source, key)
    messages = []
    for index, raw in enumerate(raw_messages):
        messages.append(_message(raw, source, f"{_k(key, 'messages')}[{index}]", subject,
                                 name, address))
    for index, message in enumerate(messages):
        if message.message_id is None:  # stable across re-imports of the same file
            message.message_id = content_id(
                str(external) if external is not None else (address or subject),
                str(index), str(message.from_customer), message.date, message.body,
            )
    first_customer = next((m for m in messages if m.from_customer), None)
    ticket = Ticket(
        messages=messages,
        subject=subject or messages[0].subject,
        customer_name=name or (first_customer.sender_name if first_customer else None),
        customer_address=address or (first_customer.sender_address if first_customer else None),
        channel=channel,
        status=status,
        tags=list(tags),
    )
    return (str(external) if external is not None else None), ticket


def _message(data: Any, source: str, key: str, subject: str | None, customer_name: str | None,
             customer_address: str | None) -> Message:
    if not isinstance(data, dict):
        raise _bad(source, key, "must be a message object", data)
    _check_keys(data, _MESSAGE_KEYS, source, key)
    author = _choice(data, "author", _AUTHORS, "customer", source, key)
    text = data.get("text")
    if text is None:
        raise InputError(f"{source}: {_k(key, 'text')} is missing",
                         hint="every message needs its `text`")
    if not isinstance(text, str) or not text.strip():
        raise _bad(source, _k(key, "text"), "must be a non-empty string", text)
    date = _opt_str(data, "date", source, key)
    if date is not None:
        try:
            date = datetime.fromisoformat(date.replace("Z", "+00:00")).isoformat()
        except ValueError:
            raise _bad(source, _k(key, "date"), "must be an ISO 8601 date like "
                       "2024-01-08T10:02:00+01:00", date) from None
    message_id = data.get("id")
    if message_id is not None and (not isinstance(message_id, (str, int))
                                   or isinstance(message_id, bool)):
        raise _bad(source, _k(key, "id"), "must be a string or a number", message_id)
    is_customer = author == "customer"
    name = _opt_str(data, "name", source, key) or (customer_name if is_customer else None)
    address = _opt_str(data, "email", source, key) or (customer_address if is_customer else None)
    body = text.replace("\r\n", "\n").strip("\n")
    in_reply_to = _opt_str(data, "in_reply_to", source, key)
    return Message(
        body=body,
        latest=trim(body).latest or body.strip(),
        sender_name=name,
        sender_address=address.lower() if address else None,
        subject=_opt_str(data, "subject", source, key) or subject,
        date=date,
        message_id=_angle(str(message_id)) if message_id is not None else None,
        in_reply_to=_angle(in_reply_to) if in_reply_to else None,
        from_customer=is_customer,
        from_team=author == "agent",
        attachments=_attachments(data.get("attachments", []), source, _k(key, "attachments")),
    )


def _attachments(data: Any, source: str, key: str) -> list[Attachment]:
    if not isinstance(data, list):
        raise _bad(source, key, "must be a list", data)
    out = []
    for index, item in enumerate(data):
        where = f"{key}[{index}]"
        if not isinstance(item, dict):
            raise _bad(source, where, "must be an object with `filename`", item)
        _check_keys(item, _ATTACHMENT_KEYS, source, where)
        filename = _opt_str(item, "filename", source, where)
        if not filename:
            raise InputError(f"{source}: {_k(where, 'filename')} is missing")
        size = item.get("size", 0)
        if isinstance(size, bool) or not isinstance(size, int) or not 0 <= size < 2**63:
            raise _bad(source, _k(where, "size"), "must be a whole number of bytes", size)
        ctype = _opt_str(item, "content_type", source, where) or "application/octet-stream"
        out.append(Attachment(filename=filename, content_type=ctype, size=size))
    return out


def _angle(value: str) -> str:
    value = value.strip()
    return value if value.startswith("<") else f"<{value}>"


def _k(prefix: str, key: str) -> str:
    return f"{prefix}.{key}" if prefix else key


def _bad(source: str, key: str, expected: str, value: Any) -> InputError:
    shown = json.dumps(value, ensure_ascii=False)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    return InputError(f"{source}: `{key}` {expected}, got {shown}",
                      hint="see docs/tickets.md for the JSON ticket format")


def _check_keys(data: dict[str, Any], known: tuple[str, ...], source: str, key: str) -> None:
    for name in data:
        if name not in known:
            near = difflib.get_close_matches(str(name), known, n=1)
            raise InputError(
                f"{source}: unknown key `{_k(key, str(name))}`",
                hint=(f"did you mean `{near[0]}`? " if near else "")
                + "known keys here: " + ", ".join(known),
            )


def _opt_str(data: dict[str, Any], name: str, source: str, key: str) -> str | None:
    value = data.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise _bad(source, _k(key, name), "must be a string", value)
    return value.strip() or None


def _choice(data: dict[str, Any], name: str, choices: tuple[str, ...], default: str,
            source: str, key: str) -> str:
    value = data.get(name, default)
    if value not in choices:
        raise _bad(source, _k(key, name), "must be one of " + ", ".join(f'"{c}"' for c in choices),
                   value)
    return str(value)
