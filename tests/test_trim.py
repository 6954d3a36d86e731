"""Quote and signature stripping: what is removed, what is kept, and that it runs in linear time."""

from __future__ import annotations

import time

import pytest

from drafter.tickets.trim import split_reply, trim

# --- must remove ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attribution",
    [
        "On Mon, Jan 8, 2024 at 10:02 AM Acme Support <support@acme.example> wrote:",
        "On 8 Jan 2024, at 10:02, Acme Support wrote:",
        "Am 08.01.2024 um 10:02 schrieb Acme Support <support@acme.example>:",
        "Le lun. 8 janv. 2024 à 10:02, Acme Support <support@acme.example> a écrit :",
        "El lun, 8 ene 2024 a las 10:02, Acme Support (<support@acme.example>) escribió:",
        "Il giorno lun 8 gen 2024 alle ore 10:02 Acme Support <support@acme.example> ha scritto:",
        "Op ma 8 jan. 2024 om 10:02 schreef Acme Support <support@acme.example>:",
        "Em seg., 8 de jan. de 2024 às 10:02, Acme Support <support@acme.example> escreveu:",
        "Den mån 8 jan. 2024 kl 10:02 skrev Acme Support <support@acme.example>:",
        "Den man. 8. jan. 2024 kl. 10.02 skrev Acme Support <support@acme.example>:",
        "pon., 8 sty 2024 o 10:02 Acme Support <support@acme.example> napisał(a):",
        "пн, 8 янв. 2024 г. в 10:02, Acme Support <support@acme.example>:",
        "8 янв. 2024 г., в 10:02, Acme Support <support@acme.example> написал(а):",
        "2024年1月8日(月) 10:02 Acme Support <support@acme.example>:",
        "在 2024年1月8日 10:02，Acme Support <support@acme.example> 写道：",
        "2024-01-08 10:02 GMT+01:00 Acme Support <support@acme.example>:",
    ],
)
def test_attribution_in_many_languages_starts_the_history(attribution: str) -> None:
    body = f"Thanks, that fixed it.\n\n{attribution}\n> Please restart the router.\n> Acme"
    result = trim(body)
    assert result.latest == "Thanks, that fixed it."
    assert attribution in result.history
    assert "restart the router" in result.history


def test_attribution_wrapped_over_two_lines() -> None:
    body = (
        "Still broken.\n\nOn Mon, Jan 8, 2024 at 10:02 AM Acme Support <\n"
        "support@acme.example> wrote:\n\n> Try again.\n"
    )
    assert trim(body).latest == "Still broken."


@pytest.mark.parametrize(
    "block",
    [
        "From: Acme Support <support@acme.example>\nSent: Monday, January 8, 2024 10:02 AM\n"
        "To: Jane Doe <jane@example.com>\nSubject: RE: Order 1234",
        "*From:* Acme Support <support@acme.example>\n*Sent:* Monday, January 8, 2024\n"
        "*To:* Jane Doe\n*Subject:* RE: Order 1234",
        "Von: Acme Support <support@acme.example>\nGesendet: Montag, 8. Januar 2024 10:02\n"
        "An: Jane Doe\nBetreff: AW: Bestellung 1234",
        "De : Acme Support <support@acme.example>\nEnvoyé : lundi 8 janvier 2024 10:02\n"
        "À : Jane Doe\nObjet : RE: Commande 1234",
        "-----Original Message-----\nFrom: Acme Support\nSent: Monday",
        "________________________________\nFrom: Acme Support <support@acme.example>\n"
        "Sent: Monday\nTo: Jane",
        "---------- Forwarded message ---------\nFrom: Acme <a@acme.example>\nDate: Mon",
    ],
)
def test_outlook_header_blocks_start_the_history(block: str) -> None:
    body = f"Is there any update?\n\n{block}\n\nWe are looking into it.\n"
    result = trim(body)
    assert result.latest == "Is there any update?"
    assert "We are looking into it." in result.elided


@pytest.mark.parametrize(
    "line",
    [
        "Sent from my iPhone", "Sent from my Galaxy", "Sent from Outlook for Android",
        "Get Outlook for iOS", "Envoyé de mon iPhone", "Von meinem iPhone gesendet",
        "Enviado desde mi iPhone", "Inviato da iPhone", "Verzonden vanaf mijn iPhone",
        "Skickat från min iPhone", "Sendt fra min iPad", "Wysłane z mojego iPhone'a",
        "Отправлено с iPhone", "iPhoneから送信", "发自我的iPhone",
    ],
)
def test_mobile_signatures_are_removed(line: str) -> None:
    result = trim(f"Where is my parcel?\n\n{line}\n")
    assert result.latest == "Where is my parcel?"
    assert result.signature == line


def test_signature_after_dash_dash_space() -> None:
    result = trim("The app crashes on start.\n\n-- \nJane Doe\nAcme Corp\n")
    assert result.latest == "The app crashes on start."
    assert result.signature == "--\nJane Doe\nAcme Corp"


def test_contact_block_after_sign_off_goes_but_name_stays() -> None:
    body = (
        "My order 1234 arrived broken.\n\nThanks,\nJane Doe\nSenior Buyer, Example Ltd\n"
        "+1 (555) 010-0199\nwww.example.com\n"
    )
    result = trim(body)
    assert result.latest == "My order 1234 arrived broken.\n\nThanks,\nJane Doe"
    assert "+1 (555) 010-0199" in result.signature


def test_quoted_lines_at_the_end_are_history() -> None:
    result = trim("Yes, please refund.\n\n> Would you like a refund\n> or a replacement?\n")
    assert result.latest == "Yes, please refund."
    assert "> or a replacement?" in result.history


def test_split_reply_returns_latest_and_elided() -> None:
    body = "Ok.\n\nSent from my iPhone\n\nOn 1 Jan 2024 Bob <b@x.y> wrote:\n> hi"
    latest, elided = split_reply(body)
    assert latest == "Ok."
    assert elided.startswith("Sent from my iPhone") and "> hi" in elided


def test_crlf_line_endings() -> None:
    result = trim("Hello\r\nthere\r\n\r\nOn 1 Jan 2024, Bob <b@x.y> wrote:\r\n> hi\r\n")
    assert result.latest == "Hello\nthere"


# --- must keep -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        "On Monday I ordered 2 lamps.\nThey never arrived.",
        "My colleague wrote:\nplease refund the order.\nCan you do that?",
        "From: my account page I tried to pay.\nIt failed twice.",
        "I sent from my account a payment of 20 EUR yesterday and it bounced, please check.",
        "Order details:\n-----\nItem: Lamp\nQty: 2\nColor: red\nPrice: 40 EUR\n"
        "Shipping: express\n\nWhere is it?",
        "Steps:\n```\n--\n# config\n####\n```\nThat is my config.",
        "Hi,\nthe lamp is broken.\n\nThanks,\nJane\n\nP.S. The box was open too.",
        "Best regards,\nJane Doe",
        "Date: 8 January\nTo: whom it may concern\nI want my money back.",
        "The lamp is broken.\n\nThanks,\nJane\nYou can call me on +1 555 010 0199 after 5pm.",
        "The lamp is broken.\n\nThanks,\nJane\nPS: my number +1 555 010 0199",
    ],
)
def test_ordinary_text_is_kept(body: str) -> None:
    result = trim(body)
    assert result.latest == body
    assert result.elided == ""


def test_inline_reply_between_quotes_is_kept() -> None:
    body = (
        "Answers below.\n\nOn 8 Jan 2024, Acme Support <support@acme.example> wrote:\n"
        "> What is your order number?\n\n1234\n\n> Which colour?\n\nRed, please.\n"
    )
    result = trim(body)
    assert "1234" in result.latest and "Red, please." in result.latest
    assert "> What is your order number?" in result.latest
    assert "wrote:" not in result.latest


def test_bottom_posted_reply_keeps_the_words_under_the_quote() -> None:
    body = (
        "On 8 Jan 2024, Acme Support <support@acme.example> wrote:\n"
        "> Did the reset help?\n\nNo, it did not.\n"
    )
    assert trim(body).latest == "No, it did not."


def test_quote_without_text_is_kept() -> None:
    assert trim("> only a quote\n").latest == "> only a quote"


def test_empty_body() -> None:
    assert trim("") == trim("\n\n")
    assert trim("").latest == ""


# --- linear time ---------------------------------------------------------------------------

PATHOLOGICAL = {
    "one long line": "On " * 70_000,
    "unfinished attributions": "On 1 Jan 2024 Jane <jane@\n" * 8_000,
    "attribution look-alikes": ("a wrote " * 10 + ":\n") * 2_500,
    "header look-alikes": "From: a\nFrom: b\n" * 12_000,
    "quote markers": ">" * 200_000,
    "nested quotes": "> " * 1_000 + "x\n" + "> On 1 <a@b> wrote\n" * 10_000,
    "delimiters": "-----\n" * 30_000 + "text\n" * 5,
    "mobile lines then text": "Sent from my iPhone\n" * 10_000 + "text\n" * 6,
    "spaces": " \t" * 100_000,
}


def _seconds(text: str) -> float:
    start = time.perf_counter()
    trim(text)
    return time.perf_counter() - start


@pytest.mark.parametrize("name", list(PATHOLOGICAL))
def test_pathological_input_scales_linearly(name: str) -> None:
    big = PATHOLOGICAL[name]
    assert len(big) >= 180_000
    small = big[: len(big) // 20]
    small_time = max(min(_seconds(small) for _ in range(3)), 1e-3)
    big_time = _seconds(big)
    # 20x the input; a quadratic or exponential pattern would take 400x or far more.
    assert big_time < small_time * 20 * 50, (name, small_time, big_time)
