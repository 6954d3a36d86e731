"""Reading RFC 5322 / MIME mail into a Message: headers, charsets, HTML, attachments, bad input."""

from __future__ import annotations

import base64
import io
from email.header import Header
from email.message import EmailMessage

import pytest

from drafter.errors import InputError
from drafter.tickets.email import (
    decode_text,
    looks_like_email,
    parse_email,
    read_file,
    read_limited,
    unflow,
)


def raw_mail(body: bytes, *, charset: str | None = "utf-8", cte: str = "8bit",
             ctype: str = "text/plain", extra: str = "") -> bytes:
    """A single-part message as a mail client would send it."""
    if cte == "base64":
        body = base64.encodebytes(body)
    params = f"; charset={charset}" if charset else ""
    head = (
        "From: Jane Doe <Jane.Doe@example.com>\r\n"
        "To: Acme Support <support@acme.example>\r\n"
        "Subject: Order 1234\r\n"
        "Date: Mon, 08 Jan 2024 10:02:00 +0100\r\n"
        "Message-ID: <m1@example.com>\r\n"
        f"{extra}"
        "MIME-Version: 1.0\r\n"
        f"Content-Type: {ctype}{params}\r\n"
        f"Content-Transfer-Encoding: {cte}\r\n\r\n"
    )
    return head.encode("ascii") + body


def test_headers() -> None:
    extra = (
        "In-Reply-To: <a1@acme.example>\r\n"
        "References: <a0@acme.example>\r\n <a1@acme.example>\r\n"
    )
    msg = parse_email(raw_mail(b"Where is my order?\r\n", extra=extra))
    assert msg.sender_name == "Jane Doe"
    assert msg.sender_address == "jane.doe@example.com"
    assert msg.to == ["support@acme.example"]
    assert msg.subject == "Order 1234"
    assert msg.date == "2024-01-08T10:02:00+01:00"
    assert msg.message_id == "<m1@example.com>"
    assert msg.in_reply_to == "<a1@acme.example>"
    assert msg.references == ["<a0@acme.example>", "<a1@acme.example>"]
    assert msg.body == "Where is my order?"
    assert msg.latest == "Where is my order?"


TEXTS = {
    "utf-8": "Grüße, ¿dónde está mi pedido? 注文はどこですか",
    "iso-8859-1": "Grüße aus Köln, où est ma commande ?",
    "iso-8859-2": "Dzień dobry, gdzie jest moje zamówienie? Łódź",
    "iso-8859-15": "Le prix était 40 € ; où est ma commande ?",
    "windows-1252": "Where’s my order – it’s “late”…",
    "windows-1250": "Dobrý den, kde je moje objednávka? Příliš žluťoučký",
    "windows-1251": "Здравствуйте, где мой заказ?",
    "koi8-r": "Здравствуйте, где мой заказ?",
    "iso-2022-jp": "注文した商品がまだ届きません。",
    "shift_jis": "注文した商品がまだ届きません。",
    "gb2312": "我的订单还没有到，请帮忙查一下。",
    "big5": "我的訂單還沒有到。",
    "euc-kr": "주문한 상품이 아직 도착하지 않았습니다.",
}


@pytest.mark.parametrize("charset", list(TEXTS))
@pytest.mark.parametrize("cte", ["8bit", "base64"])
def test_charsets(charset: str, cte: str) -> None:
    text = TEXTS[charset]
    msg = parse_email(raw_mail(text.encode(charset), charset=charset, cte=cte))
    assert msg.body == text


def test_quoted_printable_body() -> None:
    body = b"Gr=C3=BC=C3=9Fe, the lamp is bro=\r\nken.\r\n"
    msg = parse_email(raw_mail(body, cte="quoted-printable"))
    assert msg.body == "Grüße, the lamp is broken."


def test_wrong_declared_charset_is_repaired() -> None:
    text = "Grüße, ¿dónde está?"
    msg = parse_email(raw_mail(text.encode("utf-8"), charset="iso-8859-1"))
    assert msg.body == text


def test_undeclared_charset_best_effort() -> None:
    msg = parse_email(raw_mail("Grüße aus Köln".encode("cp1252"), charset=None))
    assert msg.body == "Grüße aus Köln"


def test_unknown_charset_does_not_crash() -> None:
    msg = parse_email(raw_mail("Grüße".encode(), charset="x-made-up-charset"))
    assert msg.body == "Grüße"


def test_undecodable_bytes_in_declared_charset_are_replaced() -> None:
    msg = parse_email(raw_mail(b"caf\xe9 \xff\xfe ok", charset="utf-8"))
    assert "ok" in msg.body and msg.body.startswith("caf")


def test_encoded_headers() -> None:
    data = (
        b"From: =?ISO-8859-1?Q?J=FCrgen_M=FCller?= <juergen@example.de>\r\n"
        b"To: support@acme.example\r\n"
        b"Subject: =?UTF-8?B?0JPQtNC1INC80L7QuSDQt9Cw0LrQsNC3Pw==?=\r\n"
        b"Date: Mon, 08 Jan 2024 10:02:00 +0100\r\n\r\nHallo\r\n"
    )
    msg = parse_email(data)
    assert msg.sender_name == "Jürgen Müller"
    assert msg.subject == "Где мой заказ?"


def test_iso_2022_jp_encoded_subject() -> None:
    subject = Header("注文した", "iso-2022-jp").encode()
    assert subject.startswith("=?iso-2022-jp?b?")
    data = f"From: a@example.jp\r\nSubject: {subject}\r\n\r\nbody\r\n".encode()
    assert parse_email(data).subject == "注文した"


def test_malformed_headers_do_not_crash() -> None:
    data = (
        b"From: <<<broken@@example.com>>> \"unclosed\r\n"
        b"To: ;;;,,,\r\n"
        b"Subject: =?utf-8?B?not-base64!!?=\r\n"
        b"Date: the day after tomorrow\r\n"
        b"Message-ID: no brackets here\r\n\r\nStill readable.\r\n"
    )
    msg = parse_email(data)
    assert msg.body == "Still readable."
    assert msg.date is None
    assert msg.subject  # whatever could be decoded, not a crash


def test_html_only_mail_becomes_text_with_links() -> None:
    html = (
        "<html><body><p>Hello,</p><p>The <b>lamp</b> arrived broken. Photos: "
        "<a href=\"https://photos.example.com/abc\">here</a>.</p>"
        "<div>On Mon, Jan 8, 2024 at 10:02 AM Acme &lt;support@acme.example&gt; wrote:</div>"
        "<blockquote><p>Thanks for your order!</p></blockquote></body></html>"
    )
    msg = parse_email(raw_mail(html.encode(), ctype="text/html"))
    assert "<p>" not in msg.body
    assert "[here](https://photos.example.com/abc)" in msg.latest
    assert "The lamp arrived broken." in msg.latest
    assert "Thanks for your order" not in msg.latest
    assert "Thanks for your order" in msg.body


def _multipart() -> EmailMessage:
    m = EmailMessage()
    m["From"] = "Jane Doe <jane@example.com>"
    m["To"] = "support@acme.example"
    m["Subject"] = "Broken lamp"
    m["Message-ID"] = "<mp1@example.com>"
    m.set_content("The lamp is broken, photo attached.\n")
    m.add_alternative("<p>The lamp is <i>broken</i>, photo attached.</p>", subtype="html")
    return m


def test_alternative_prefers_plain_text() -> None:
    msg = parse_email(_multipart().as_bytes())
    assert msg.body == "The lamp is broken, photo attached."
    assert msg.attachments == []


def test_attachments_are_listed_never_in_the_body() -> None:
    m = _multipart()
    m.add_attachment(b"\x89PNG\r\n\x1a\n" + b"x" * 1000, maintype="image", subtype="png",
                     filename="lamp.png")
    m.add_attachment(b"order log line\n" * 10, maintype="text", subtype="plain",
                     filename="log.txt")
    m.add_attachment(b"=?utf-8?q?R=C3=A9sum=C3=A9?=", maintype="application",
                     subtype="pdf", filename="Rechnung März.pdf")
    msg = parse_email(m.as_bytes())
    assert msg.body == "The lamp is broken, photo attached."
    names = [(a.filename, a.content_type) for a in msg.attachments]
    assert names == [("lamp.png", "image/png"), ("log.txt", "text/plain"),
                     ("Rechnung März.pdf", "application/pdf")]
    assert msg.attachments[0].size == 1008
    assert "order log line" not in msg.body


def test_forwarded_message_attachment_is_listed() -> None:
    inner = EmailMessage()
    inner["Subject"] = "Your receipt"
    inner.set_content("Receipt text")
    outer = EmailMessage()
    outer["From"] = "jane@example.com"
    outer.set_content("See the receipt below.")
    outer.add_attachment(inner)
    msg = parse_email(outer.as_bytes())
    assert msg.body == "See the receipt below."
    assert [a.content_type for a in msg.attachments] == ["message/rfc822"]
    assert "Receipt text" not in msg.body


def test_format_flowed_is_unflowed() -> None:
    body = b"This is one long line that the client \r\nwrapped for sending.\r\n\r\n-- \r\nJane\r\n"
    msg = parse_email(raw_mail(body, extra="", ctype="text/plain; format=flowed", charset=None))
    assert msg.latest == "This is one long line that the client wrapped for sending."
    assert unflow("> a \n> b\nc") == "> a b\nc"


def test_plain_text_without_headers_is_a_body() -> None:
    msg = parse_email(b"Hi, my order did not arrive.\nNote: it was urgent.\n")
    assert msg.body == "Hi, my order did not arrive.\nNote: it was urgent."
    assert msg.sender_address is None and msg.subject is None


def test_plain_text_in_latin1() -> None:
    assert parse_email("Grüße".encode("latin-1")).body == "Grüße"


def test_mbox_from_line_is_skipped() -> None:
    data = b"From jane@example.com Mon Jan  8 10:02:00 2024\n" + raw_mail(b"Hello")
    assert parse_email(data).sender_address == "jane.doe@example.com"


def test_looks_like_email() -> None:
    assert looks_like_email(b"From: a@b.c\nSubject: x\n\nbody")
    assert looks_like_email(b"Subject: refund\n\nplease")
    assert not looks_like_email(b"Note: this is text\nnot a header")
    assert not looks_like_email(b"Hello there")
    assert not looks_like_email(b"X-Custom: only unknown headers\n\nbody")


@pytest.mark.parametrize("data", [b"", b"   \n\n\t", b"\r\n"])
def test_empty_input_is_refused(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        parse_email(data)
    assert "empty" in err.value.message and "stdin" in err.value.message
    assert err.value.hint


@pytest.mark.parametrize("data", [b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", bytes(range(0, 32)) * 50])
def test_binary_input_is_refused(data: bytes) -> None:
    with pytest.raises(InputError) as err:
        parse_email(data, source="photo.png")
    assert "photo.png" in err.value.message and "binary" in err.value.message


def test_iso_2022_jp_escape_bytes_are_not_binary() -> None:
    text = "注文した商品がまだ届きません。" * 20
    assert parse_email(text.encode("iso-2022-jp")).body == text


def test_oversize_message_is_refused() -> None:
    data = raw_mail(b"x" * 2000)
    with pytest.raises(InputError) as err:
        parse_email(data, max_bytes=1000)
    assert "too large" in err.value.message


class CountingStream(io.RawIOBase):
    """An endless stream that counts how much was read from it."""

    def __init__(self) -> None:
        self.read_bytes = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        assert size > 0, "read in bounded chunks, never all at once"
        self.read_bytes += size
        return b"x" * size


def test_stdin_is_read_in_bounded_chunks() -> None:
    stream = CountingStream()
    with pytest.raises(InputError) as err:
        read_limited(stream, "stdin", max_bytes=1_000_000)  # type: ignore[arg-type]
    assert "too large" in err.value.message
    assert stream.read_bytes < 1_200_000


def test_oversize_file_is_refused_before_reading(tmp_path) -> None:
    path = tmp_path / "big.eml"
    path.write_bytes(b"x" * 5000)
    with pytest.raises(InputError) as err:
        read_file(path, max_bytes=4000)
    assert str(path) in err.value.message
    assert read_file(path, max_bytes=5000) == b"x" * 5000


def test_missing_file(tmp_path) -> None:
    with pytest.raises(InputError) as err:
        read_file(tmp_path / "nope.eml")
    assert "nope.eml" in err.value.message


def test_decode_text_never_fails() -> None:
    assert decode_text(b"\xff\xfe\xfd", "utf-8")
    assert decode_text("Привет".encode("koi8-r"), "KOI8-R") == "Привет"
    assert decode_text("中文".encode("gbk"), "GB2312") == "中文"
