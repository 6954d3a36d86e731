"""Malformed and hostile mail: a best-effort parse or a clear InputError, never a traceback."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drafter.errors import InputError
from drafter.tickets.email import parse_email
from drafter.tickets.trim import trim


def test_multipart_without_boundary_keeps_the_text() -> None:
    data = b"From: a@example.com\nSubject: x\nContent-Type: multipart/mixed\n\nhello there\n"
    assert parse_email(data).body == "hello there"


def test_bad_base64_and_quoted_printable_are_best_effort() -> None:
    b64 = (b"From: a@example.com\nContent-Type: text/plain; charset=utf-8\n"
           b"Content-Transfer-Encoding: base64\n\n!!!notbase64***\n")
    assert parse_email(b64).body  # something readable, no crash
    qp = b"From: a@example.com\nContent-Transfer-Encoding: quoted-printable\n\nhi =ZZ there=\n"
    assert parse_email(qp).body == "hi =ZZ there"


def test_undeclared_8bit_headers_are_decoded() -> None:
    for encoding in ("latin-1", "utf-8"):
        data = "From: Jürgen <j@example.de>\nSubject: Grüße\n\nbody\n".encode(encoding)
        msg = parse_email(data)
        assert (msg.sender_name, msg.subject) == ("Jürgen", "Grüße"), encoding


def test_headers_only_message_has_empty_body() -> None:
    msg = parse_email(b"From: a@example.com\nSubject: only headers\n")
    assert msg.subject == "only headers" and msg.body == ""


def test_attachment_only_message() -> None:
    data = (b"From: a@example.com\nContent-Type: application/pdf; name=x.pdf\n"
            b"Content-Transfer-Encoding: base64\n\nJVBERi0=\n")
    msg = parse_email(data)
    assert msg.body == ""
    assert [(a.filename, a.size) for a in msg.attachments] == [("x.pdf", 5)]


def test_very_long_header_and_deep_nesting_do_not_crash() -> None:
    long_header = b"From: a@example.com\nSubject: " + b"x" * 100_000 + b"\n\nbody\n"
    assert parse_email(long_header).body == "body"
    nested = b"From: a@example.com\nContent-Type: multipart/mixed; boundary=b0\n\n" + b"".join(
        b"--b%d\nContent-Type: multipart/mixed; boundary=b%d\n\n" % (i, i + 1) for i in range(200)
    ) + b"--b200\nContent-Type: text/plain\n\ndeep\n"
    parse_email(nested)


MAIL_PIECES = st.sampled_from([
    b"From: ", b"To: ", b"Subject: ", b"Date: ", b"Message-ID: ", b"Content-Type: ",
    b"multipart/mixed; boundary=x", b"text/html", b"text/plain; charset=", b"utf-8", b"koi8-r",
    b"x-unknown", b"Content-Transfer-Encoding: ", b"base64", b"quoted-printable", b"--x",
    b"--x--", b"=?utf-8?b?", b"=?iso-8859-1?q?", b"?=", b"<a@b>", b"\"", b"\n", b"\r\n", b"\n\n",
    b"> ", b"On 1 Jan 2024, A <a@b> wrote:", b"-- ", b"<p>", b"</p>", b"<a href=", b"\xff",
    b"\xe9", b"\x1b$B", b"=E9", b"  ", b"\t",
])


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(MAIL_PIECES, st.binary(max_size=20)), max_size=40))
def test_any_bytes_parse_or_raise_input_error(pieces: list[bytes]) -> None:
    data = b"".join(pieces)
    try:
        msg = parse_email(data)
    except InputError as exc:
        assert exc.message.startswith("stdin:")
        return
    assert isinstance(msg.body, str) and isinstance(msg.latest, str)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=400))
def test_trim_keeps_every_line_somewhere(text: str) -> None:
    result = trim(text)
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    kept = "\n".join((result.latest, result.history, result.signature))
    for line in lines:
        if line.strip():
            assert line.rstrip().strip("\n") in kept


def test_top_level_garbage_is_refused_clearly() -> None:
    with pytest.raises(InputError) as err:
        parse_email(bytes(range(256)) * 4)
    assert "binary" in err.value.message
