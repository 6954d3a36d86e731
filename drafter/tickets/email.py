"""Read an RFC 5322 / MIME message (or plain text) into a `Message`, never crashing on bad mail."""

from __future__ import annotations

import codecs
import email
import email.header
import email.headerregistry
import email.policy
import email.utils
import functools
import re
import stat
from collections.abc import Iterator
from email.message import EmailMessage
from email.message import Message as MimeMessage
from pathlib import Path
from typing import IO, Any

from drafter.errors import InputError, file_kind
from drafter.tickets.model import Attachment, Message
from drafter.tickets.trim import trim

DEFAULT_MAX_BYTES = 10 * 1024 * 1024
_CHUNK = 64 * 1024

# Headers that make the start of an input an email's header block.
_KNOWN_HEADERS = frozenset({
    "from", "to", "cc", "subject", "date", "message-id", "received", "mime-version",
    "return-path", "content-type", "reply-to", "in-reply-to", "references", "delivered-to",
    "sender", "x-mailer", "user-agent", "content-transfer-encoding", "thread-topic",
})
_FIELD_NAME = re.compile(rb"[!-9;-~]{1,76}:")
_MSG_ID = re.compile(r"<([^<>\s]{1,500})>")
# The line that starts a message of an mbox: "From <sender> <asctime date>", after a blank line.
# A paragraph that merely starts with "From " (unescaped in many real mailboxes) is not one.
MBOX_SEPARATOR = re.compile(rb"From \S+ +(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ")
_MBOX_NEXT = re.compile(rb"\r?\n\r?\n(?=" + MBOX_SEPARATOR.pattern + rb")")
_SURROGATE = re.compile("[\ud800-\udfff]")
_LINESEP = re.compile(r"\r|\n")
# A last-resort address finder for From/To values that the address parsers give up on.
_BARE_ADDRESS = re.compile(r"[\w.!#$%&'*+/=?^`{|}~-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63}){0,10}")

# The stdlib's structured-header parser is quadratic on long values (a Content-Type of 7,000
# empty parameters takes seconds per read, and each read parses again) and recurses once per
# nested comment. MIME headers are read as plain strings by the Message methods anyway, so they
# skip it; other headers longer than this are kept as plain text.
_MIME_HEADERS = frozenset({"content-type", "content-disposition", "content-transfer-encoding"})
_MAX_MIME_HEADER = 2048
_MAX_PARSED_HEADER = 8192
_EMPTY_PARAMS = re.compile(r"[\s;]*;[\s;]*")
# Control bytes other than tab, newlines, form feed and ESC (ISO-2022-JP uses ESC).
_MIME_TYPE = re.compile(r"[a-z0-9][a-z0-9!#$&^_.+-]{0,126}/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}")
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27)) + b"\x7f"

# Charsets as mail clients really use them: the superset that decoders should use instead.
_CHARSET_ALIASES = {
    "gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "euc-cn": "gb18030",
    "shift_jis": "cp932", "shift-jis": "cp932", "sjis": "cp932", "x-sjis": "cp932",
    "ms_kanji": "cp932", "iso-2022-jp": "iso2022_jp_ext", "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949", "iso-8859-1": "cp1252", "latin1": "cp1252", "latin-1": "cp1252",
    "us-ascii": "cp1252", "ascii": "cp1252", "iso-8859-9": "cp1254", "tis-620": "cp874",
    "big5": "big5hkscs", "unicode-1-1-utf-7": "utf-7", "utf8": "utf-8", "x-unknown": "",
    "unknown-8bit": "", "default": "", "x-user-defined": "",
}
_SINGLE_BYTE_PREFIXES = ("iso-8859", "iso8859", "windows-125", "cp125", "latin", "koi8", "us-ascii",
                         "ascii", "macintosh", "x-mac")
# The only codecs that decode mail text (Python's names, as codecs.lookup gives them): the
# charsets real mail declares. Python has other codecs that are no charsets (`punycode` and
# `idna` are quadratic, `unicode_escape` turns `\u0041` into `A`, `undefined` always fails);
# a body or encoded word declaring one of them, or a name Python does not know, is read as
# undeclared: UTF-8, else windows-1252 (docs/tickets.md, docs/security.md).
MAIL_CHARSETS = frozenset({
    "utf-8", "utf-16", "utf-16-be", "utf-16-le", "utf-32", "utf-32-be", "utf-32-le", "utf-7",
    "ascii", "iso8859-1", "iso8859-2", "iso8859-3", "iso8859-4", "iso8859-5", "iso8859-6",
    "iso8859-7", "iso8859-8", "iso8859-9", "iso8859-10", "iso8859-11", "iso8859-13",
    "iso8859-14", "iso8859-15", "iso8859-16", "cp1250", "cp1251", "cp1252", "cp1253", "cp1254",
    "cp1255", "cp1256", "cp1257", "cp1258", "cp437", "cp850", "cp852", "cp866", "cp874",
    "koi8-r", "koi8-u", "mac-roman", "mac-cyrillic", "mac-greek", "mac-iceland", "mac-latin2",
    "mac-turkish", "tis-620", "gb18030", "gbk", "gb2312", "hz", "big5", "big5hkscs", "cp950",
    "euc_jp", "euc_jis_2004", "shift_jis", "shift_jis_2004", "cp932", "iso2022_jp",
    "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3", "iso2022_jp_ext",
    "euc_kr", "cp949", "iso2022_kr", "johab",
})
# An RFC 2047 encoded word's charset (before any `*language`).
_WORD_CHARSET = re.compile(r"=\?([^?*\s]{1,80})[?*]")
_ENCODED_WORD = re.compile(r"=\?[^?\s]{1,80}\?[bBqQ]\?[^?\s]{0,1000}\?=")


def read_limited(
    stream: IO[bytes], name: str = "stdin", max_bytes: int = DEFAULT_MAX_BYTES
) -> bytes:
    """Read `stream` in bounded chunks, refusing more than `max_bytes`."""
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            break
        total += len(chunk)
        if total > max_bytes:
            raise too_big(name, max_bytes, f"more than {max_bytes} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def regular_file(path: Path) -> int:
    """The size of the regular file `path`; a FIFO, socket or device is refused unopened (a FIFO
    blocks, /dev/zero never ends)."""
    try:
        mode = path.stat()
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None
    if stat.S_ISDIR(mode.st_mode):
        raise InputError(f"{path}: is a folder, not a message file",
                         hint="pass the files inside it, e.g. folder/*.eml")
    if not stat.S_ISREG(mode.st_mode):
        raise InputError(f"{path}: is {file_kind(mode.st_mode)}, not a regular file",
                         hint="give a file's path, or pipe the data on standard input")
    return mode.st_size


def read_file(path: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> bytes:
    """Read a file of mail, refusing it (before reading it) when it is over `max_bytes`."""
    size = regular_file(path)
    try:
        if size > max_bytes:
            raise too_big(str(path), max_bytes, f"{size} bytes")
        with path.open("rb") as fh:
            return read_limited(fh, str(path), max_bytes)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file", hint="check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a folder, not a message file",
                         hint="pass the files inside it, e.g. folder/*.eml") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from None


def too_big(name: str, max_bytes: int, size: str) -> InputError:
    """The error for a message over the size limit."""
    return InputError(
        f"{name}: message is too large ({size}; the limit is {max_bytes // (1024 * 1024) or 1} MB"
        f" = {max_bytes} bytes)",
        hint="a customer email is rarely this big: check it is the right file, or raise the limit",
    )


class _BoundedPolicy(email.policy.EmailPolicy):
    """`email.policy.default` with header parsing that stays fast and never raises on bad mail."""

    def header_fetch_parse(self, name: str, value: Any) -> Any:
        """Return MIME headers as bounded plain strings and the rest parsed where that is safe."""
        if hasattr(value, "name"):
            return value
        value = _LINESEP.sub("", value)
        if name.lower() in _MIME_HEADERS:
            if len(value) > _MAX_MIME_HEADER:
                value = _EMPTY_PARAMS.sub("; ", value)[:_MAX_MIME_HEADER]
            return value
        if len(value) > _MAX_PARSED_HEADER or foreign_charset(value):
            return value  # read by _header, which decodes only mail charsets
        try:
            return self.header_factory(name, value)
        except Exception:  # e.g. RecursionError on thousands of nested "(" comments
            return value


class _HeaderClasses(email.headerregistry.HeaderRegistry):
    """The stdlib's header registry, building each header class once instead of on every read."""

    def __init__(self) -> None:
        super().__init__()
        self._built: dict[str, type] = {}

    def __getitem__(self, name: str) -> type:
        key = name.lower()
        built = self._built.get(key)
        if built is None:
            built = super().__getitem__(name)
            if len(self._built) < 256:  # header names come from the mail: keep the cache bounded
                self._built[key] = built
        return built


POLICY = _BoundedPolicy(header_factory=_HeaderClasses())


def parse_email(data: bytes, source: str = "stdin", max_bytes: int = DEFAULT_MAX_BYTES) -> Message:
    """Parse an email (or plain text) into a Message with the author's latest words trimmed."""
    check_input(data, source, max_bytes)
    if is_mbox(data):  # an mbox: its first message (`draft tickets import` takes them all)
        data = data.split(b"\n", 1)[1]
        following = _MBOX_NEXT.search(data)
        if following:
            data = data[: following.start()] + b"\n"
    if not looks_like_email(data):
        text = _normalize_newlines(decode_text(data, None))
        return _message(text)
    try:
        mime = email.message_from_bytes(data, policy=POLICY)
    except RecursionError:
        raise InputError(f"{source}: cannot parse as an email: its MIME parts are nested too deeply",
                         hint="a real message nests a few levels; this one is likely malicious or "
                         "corrupt") from None
    except Exception as exc:  # the parser is lenient; this is a last resort, not a path
        raise InputError(f"{source}: cannot parse as an email: {exc}",
                         hint="check the file is an RFC 5322 message (.eml)") from None
    try:
        return message_from_mime(mime)
    except Exception as exc:  # last resort: every known failure is handled part by part
        raise InputError(f"{source}: cannot read this email: {type(exc).__name__}: {exc}",
                         hint="the message is malformed in a way drafter does not handle yet; "
                         "please report it with the file") from None


def is_mbox(data: bytes) -> bool:
    """Whether `data` starts with an mbox "From " separator line."""
    return data.startswith(b"From ") and b"\n" in data[:1000]


def check_input(data: bytes, source: str = "stdin", max_bytes: int = DEFAULT_MAX_BYTES) -> None:
    """Refuse empty, oversized or binary input with a clear InputError."""
    if len(data) > max_bytes:
        raise too_big(source, max_bytes, f"{len(data)} bytes")
    if not data.strip():
        raise InputError(
            f"{source}: no message (the input is empty)",
            hint="pipe an email or plain text into the command (`cat message.eml | draft ...`), "
                 "or name the file instead",
        )
    if _is_binary(data):
        raise InputError(
            f"{source}: this looks like binary data, not an email or text",
            hint="give an .eml file (RFC 5322) or plain text; for an .mbox use "
            "`draft tickets import FILE.mbox`",
        )


def _is_binary(data: bytes) -> bool:
    sample = data[:8192]
    if b"\x00" in sample:
        return True
    controls = len(sample) - len(sample.translate(None, _CONTROL_BYTES))
    return controls > len(sample) * 0.05


def looks_like_email(data: bytes) -> bool:
    """Whether `data` starts with an RFC 5322 header block naming at least one known header."""
    known = False
    for count, raw in enumerate(data[:65536].splitlines()):
        if not raw.strip():
            return known and count > 0
        if raw[:1] in (b" ", b"\t"):
            if count == 0:
                return False
            continue
        match = _FIELD_NAME.match(raw)
        if not match:
            return False
        name = raw[: match.end() - 1].decode("ascii", "replace").lower()
        known = known or name in _KNOWN_HEADERS
        if count > 500:
            break
    return known


def decode_text(data: bytes, declared: str | None) -> str:
    """Decode text bytes with the declared charset where it works, else a best guess; never fail."""
    text = _decode_text(data, declared)
    # UTF-7 and the *_escape codecs can decode to lone surrogates, which no output can encode.
    return _SURROGATE.sub("\ufffd", text) if _SURROGATE.search(text) else text


def _decode_text(data: bytes, declared: str | None) -> str:
    name = (declared or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    codec = text_codec(name)
    if codec and not data.isascii() and name.startswith(_SINGLE_BYTE_PREFIXES):
        # Declared a single-byte charset but the bytes are valid UTF-8: UTF-8 was meant.
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            pass
    if codec:
        try:
            return data.decode(codec)
        except UnicodeDecodeError:
            pass
    if b"\x1b$B" in data or b"\x1b$@" in data or b"\x1b(J" in data:
        try:
            return data.decode("iso2022_jp_ext")
        except UnicodeDecodeError:
            pass
    for guess in ("utf-8", "cp1252"):
        try:
            return data.decode(guess)
        except UnicodeDecodeError:
            continue
    return data.decode(codec or "utf-8", errors="replace")


@functools.lru_cache(maxsize=256)
def text_codec(declared: str | None) -> str | None:
    """The Python codec for a declared mail charset; None unless it is one of MAIL_CHARSETS."""
    name = (declared or "").strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return None
    try:
        codec = codecs.lookup(name).name
    except LookupError:
        return None
    return codec if codec in MAIL_CHARSETS else None


def foreign_charset(header: str) -> bool:
    """Whether a raw header holds an encoded word in a charset that is not a mail charset."""
    return "=?" in header and any(text_codec(m) is None for m in _WORD_CHARSET.findall(header))


def _normalize_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _message(body: str, **fields: Any) -> Message:
    body = _scrub(body).strip("\n")
    latest = trim(body).latest or body.strip()
    for key, value in fields.items():
        if isinstance(value, str):
            fields[key] = _scrub(value)
        elif isinstance(value, list) and value and isinstance(value[0], str):
            fields[key] = [_scrub(v) for v in value]
    return Message(body=body, latest=latest, **fields)


def _scrub(text: str) -> str:
    """Make `text` encodable: undecoded bytes (surrogate escapes) decoded by guess, others replaced."""
    if not _SURROGATE.search(text):
        return text
    try:
        return decode_text(text.encode("utf-8", "surrogateescape"), None)
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)


# --- headers --------------------------------------------------------------------------------


def _header(mime: MimeMessage, name: str, hint: str | None = None) -> str | None:
    """Return a header decoded to text, falling back to the raw value on malformed headers."""
    try:
        value = mime.get(name)
        if value is None:
            return None
        if not hasattr(value, "name") and "=?" in value and len(value) <= _MAX_PARSED_HEADER:
            return _squash(_decode_raw_header(value, hint))  # left unparsed by the policy
        text = _squash(str(value))
        if not _garbled(text):
            return text
    except Exception:
        pass
    for key, raw in _raw_items(mime):
        if key.lower() == name.lower():
            return _squash(_decode_raw_header(raw, hint))
    return None


def _raw_items(mime: MimeMessage) -> Iterator[tuple[str, str]]:
    try:
        items = mime.raw_items() if isinstance(mime, EmailMessage) else mime.items()
        yield from ((str(k), str(v)) for k, v in items)
    except Exception:
        return


def _garbled(text: str) -> bool:
    """Whether header text holds undecoded bytes (surrogates) or replacement characters."""
    return "\ufffd" in text or _SURROGATE.search(text) is not None


def _decode_raw_header(raw: str, hint: str | None = None) -> str:
    if any("\udc80" <= ch <= "\udcff" for ch in raw):
        # Undeclared 8-bit bytes in a header (kept as surrogates by the parser): most likely in
        # the charset the message declares for its text (`hint`), else a guess.
        raw = decode_text(raw.encode("utf-8", "surrogateescape"), hint)
    try:
        parts = email.header.decode_header(raw)
        out = []
        for value, charset in parts:
            if isinstance(value, bytes):
                out.append(decode_text(value, charset))
            else:
                out.append(value)
        return "".join(out)
    except Exception:
        return raw


def _squash(text: str) -> str:
    return " ".join(text.split())


def _sender(mime: MimeMessage, hint: str | None = None) -> tuple[str | None, str | None]:
    name, address = None, None
    try:
        header = mime.get("From")
        addresses = getattr(header, "addresses", None)
        if addresses and not _garbled(addresses[0].display_name + addresses[0].addr_spec):
            name, address = addresses[0].display_name or None, addresses[0].addr_spec or None
    except Exception:
        pass
    if address is None:
        raw = _header(mime, "From", hint)
        if not raw:
            return None, None
        try:
            name, address = (part or None for part in email.utils.parseaddr(raw))
        except Exception:  # RecursionError on deeply nested comments: find it by its shape
            found = _BARE_ADDRESS.search(raw)
            name, address = None, (found.group(0) if found else None)
    # An encoded word is never an address (RFC 2047), but once decoded it can look like one
    # ("=?utf-8?q?Jane=0D=0ABcc:_x@evil.test?= <jane@example.com>"): the address is the one
    # the raw header gives with its encoded words left out.
    raw_from = next((v for k, v in _raw_items(mime) if k.lower() == "from"), "")
    if "=?" in raw_from:
        plain = _address_outside_words(raw_from)
        if plain != address:
            name = _squash(_decode_raw_header(raw_from.split("<", 1)[0], hint)).strip('" ') \
                if "<" in raw_from else None
            return name or None, plain
    return name, address


def _address_outside_words(raw: str) -> str | None:
    """The address in a raw address header, its encoded words (display names) left out."""
    blanked = _ENCODED_WORD.sub('""', _squash(raw))
    try:
        address = email.utils.parseaddr(blanked)[1]
    except Exception:
        address = ""
    if not address:
        found = _BARE_ADDRESS.search(blanked)
        address = found.group(0) if found else ""
    return address or None


def _recipients(mime: MimeMessage, name: str, hint: str | None = None) -> list[str]:
    try:
        header = mime.get(name)
        addresses = getattr(header, "addresses", None)
        if addresses is not None and not any(_garbled(a.addr_spec) for a in addresses):
            return [a.addr_spec for a in addresses if a.addr_spec]
    except Exception:
        pass
    raw = _header(mime, name, hint)
    if not raw:
        return []
    try:
        return [addr for _, addr in email.utils.getaddresses([raw]) if addr]
    except Exception:  # RecursionError on deeply nested comments
        return _BARE_ADDRESS.findall(raw)


def _date(mime: MimeMessage) -> str | None:
    raw = _header(mime, "Date")
    if not raw:
        return None
    try:
        return email.utils.parsedate_to_datetime(raw).isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def _ids(value: str | None) -> list[str]:
    """Return the message ids in a header value, each as "<id>"."""
    if not value:
        return []
    found = [f"<{m}>" for m in _MSG_ID.findall(value)]
    if found:
        return found
    token = value.strip()
    return [f"<{token}>"] if token and " " not in token else []


# --- body -----------------------------------------------------------------------------------


def message_from_mime(mime: MimeMessage) -> Message:
    """Build a Message from a parsed MIME message."""
    texts: list[str] = []
    attachments: list[Attachment] = []
    _walk(mime, texts, attachments, depth=0)
    body = _normalize_newlines("\n\n".join(t.strip("\n") for t in texts if t.strip()))
    hint = _charset_hint(mime)
    name, address = _sender(mime, hint)
    message_ids = _ids(_header(mime, "Message-ID"))
    in_reply_to = _ids(_header(mime, "In-Reply-To"))
    return _message(
        body,
        sender_name=name,
        sender_address=address.lower() if address else None,
        to=_recipients(mime, "To", hint),
        subject=_header(mime, "Subject", hint),
        date=_date(mime),
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=_ids(_header(mime, "References")),
        attachments=attachments,
    )


def _charset_hint(mime: MimeMessage) -> str | None:
    """The first charset the message declares for a part, if any."""
    try:
        for count, part in enumerate(mime.walk()):
            charset = part.get_content_charset()
            if charset or count > 50:
                return charset
    except Exception:
        pass
    return None


def _walk(part: MimeMessage, texts: list[str], attachments: list[Attachment], depth: int) -> None:
    """Collect the readable text of `part` into `texts` and everything else into `attachments`."""
    if depth > 30:  # absurdly nested MIME: stop rather than recurse without end
        return
    ctype = _content_type(part)
    if ctype.startswith("multipart/") and not part.is_multipart():
        # A multipart without (the right) boundary: its content is best read as text.
        texts.append(_part_text(part))
        return
    if part.is_multipart() and not ctype.startswith("message/"):
        children = _children(part)
        if ctype == "multipart/alternative" and children:
            chosen = _choose_alternative(children)
            _walk(chosen, texts, attachments, depth + 1)
            for other in children:
                if other is not chosen:
                    _walk_attachments_only(other, attachments, depth + 1)
            return
        for child in children:
            _walk(child, texts, attachments, depth + 1)
        return
    try:
        if _is_attachment(part) or ctype not in ("text/plain", "text/html"):
            attachments.append(_attachment(part))
            return
        text = _part_text(part)
        if ctype == "text/html":
            from drafter.tickets.htmltext import html_to_text  # lxml only when HTML is present

            text = html_to_text(text)
        texts.append(text)
    except Exception:  # a part too broken to read: listed, so nobody takes the mail as complete
        attachments.append(Attachment(filename="(unreadable part)", content_type=ctype, size=0))


def _children(part: MimeMessage) -> list[MimeMessage]:
    payload = part.get_payload()
    return [p for p in payload if isinstance(p, MimeMessage)] if isinstance(payload, list) else []


def _content_type(part: MimeMessage) -> str:
    """The part's content type, without junk a broken header adds ("text/plain charset=x")."""
    ctype = part.get_content_type()
    if _MIME_TYPE.fullmatch(ctype):
        return ctype
    found = _MIME_TYPE.match(ctype)
    return found.group(0) if found else "application/octet-stream"


def _choose_alternative(children: list[MimeMessage]) -> MimeMessage:
    for wanted in ("text/plain", "text/html"):
        for child in children:
            if _content_type(child) == wanted and not _is_attachment(child) and (
                wanted == "text/html" or _has_text(child)
            ):
                return child
    for child in reversed(children):  # multipart/related (html + images) and the like
        if child.is_multipart():
            return child
    return children[0]


def _has_text(part: MimeMessage) -> bool:
    """Whether a part's content is more than white space (a blank text/plain beside the HTML)."""
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        return True
    return not isinstance(payload, bytes) or bool(payload.strip())


def _walk_attachments_only(part: MimeMessage, attachments: list[Attachment], depth: int) -> None:
    """List real files (not the alternative text renderings) from an unchosen alternative."""
    if depth > 30:
        return
    if part.is_multipart() and not _content_type(part).startswith("message/"):
        for child in _children(part):
            _walk_attachments_only(child, attachments, depth + 1)
    elif not _content_type(part).startswith("text/"):
        attachments.append(_attachment(part))


def _is_attachment(part: MimeMessage) -> bool:
    try:
        disposition = (part.get_content_disposition() or "").lower()
    except Exception:
        disposition = ""
    if disposition == "attachment":
        return True
    return bool(_filename(part)) and _content_type(part) not in ("text/plain", "text/html")


def _filename(part: MimeMessage) -> str | None:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        return _squash(_decode_raw_header(name) if "=?" in name or _garbled(name) else name)
    return None


def _attachment(part: MimeMessage) -> Attachment:
    ctype = _content_type(part)
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if payload is None and ctype.startswith("message/"):
        inner = part.get_payload()
        try:  # the inner message as text may hold undecoded bytes (surrogate escapes)
            payload = str(inner[0] if isinstance(inner, list) and inner else inner).encode(
                "utf-8", "surrogateescape")
        except Exception:
            payload = None
    size = len(payload) if isinstance(payload, bytes) else 0
    filename = _filename(part)
    if not filename and ctype == "message/rfc822":
        inner = part.get_payload()
        first = inner[0] if isinstance(inner, list) and inner else None
        subject = _header(first, "Subject") if isinstance(first, MimeMessage) else None
        filename = f"{subject or 'forwarded message'}.eml"
    return Attachment(filename=_scrub(filename or "(unnamed)"), content_type=_scrub(ctype), size=size)


def _part_text(part: MimeMessage) -> str:
    try:
        payload = part.get_payload(decode=True)
    except Exception:
        payload = None
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except Exception:
        charset = None
    text = _normalize_newlines(decode_text(payload, charset))
    try:
        params = {k.lower(): str(v).lower() for k, v in part.get_params() or [] if v is not None}
    except Exception:
        params = {}
    if _content_type(part) == "text/plain" and params.get("format") == "flowed":
        text = unflow(text, delsp=params.get("delsp") == "yes")
    return text


def unflow(text: str, delsp: bool = False) -> str:
    """Join RFC 3676 format=flowed soft line breaks (a line ending in a space continues)."""
    out: list[str] = []
    buf = ""
    buf_depth = -1
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):  # space-stuffing
            content = content[1:]
        if buf and depth != buf_depth:
            out.append(">" * buf_depth + (" " if buf_depth else "") + buf)
            buf = ""
        if content.endswith(" ") and content != "-- ":
            buf += content[:-1] if delsp else content
            buf_depth = depth
            continue
        buf += content
        out.append(">" * depth + (" " if depth and buf else "") + buf)
        buf = ""
        buf_depth = -1
    if buf:
        out.append(">" * buf_depth + (" " if buf_depth else "") + buf)
    return "\n".join(out)
