"""Safety (SAF): promise only what is approved, link only to allowed sites, leak no secrets."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import urlsplit

from drafter.review import checks
from drafter.review.channels import per_channel
from drafter.review.checks import compile_phrases, get_list, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.text import Doc

P = "safety"
WHY = "The guide's principle “Promise only what you may, share nothing sensitive”."


@rule(
    "SAF001", "unapproved-promise", "warning", P,
    "Promises that need a person's approval: refunds, credits, discounts, guarantees.",
    what="Finds promises of money or certainty — “I've refunded”, “we will refund”, “you'll get a "
         "20% discount”, “you are eligible for a refund”, “I guarantee”, “this will never happen "
         "again” — and money actions stated as done (“refund approved”, “I have now fully "
         "refunded”, “the fee has been waived”), from the `phrases` (phrase patterns, see "
         "“Phrase patterns”: inserted words do not evade them) / `patterns` settings. A negated "
         "one (“I can't guarantee”, “we have not yet refunded”) is not a promise, nor is "
         "checking eligibility (“whether you're eligible”).",
    why=WHY + " A refund or a guarantee in writing binds the company; the guide says offer to "
        "check instead, unless the ticket shows it was approved.",
    example="I've refunded you $200 and I guarantee it will never happen again.",
    instead="I've asked our billing team about a refund and will tell you their answer by "
            "Friday.",
    fix="Offer to check, unless the ticket shows it was approved",
)
def _saf001(settings: Mapping[str, Any]) -> Check:
    check = checks.existence(settings, "Promise that needs approval: {match}", skip_negated=True,
                             fix="Offer to check instead, unless it was approved")

    # A skip may take a negation in ("we have not yet refunded"): that is no promise. Nor is a
    # state of the refund under a condition ("once the refund has been approved").
    def claimed(doc: Doc, ctx: ReviewContext) -> list[Hit]:
        text = doc.text
        return [h for h in check(doc, ctx)
                if not _NEGATION_IN.search(text, h.start, h.end)
                and not (_STATE.match(text, h.start)
                         and _CONDITION_BEFORE.search(text, max(0, h.start - 60), h.start))]

    return claimed


_NEGATION_IN = re.compile(r"\b(?:I|we)(?:['’]ve|\s+have)\s+(?:\w+\s+){0,2}(?:not|never)\b",
                          re.IGNORECASE)
_STATE = re.compile(r"(?:refund|credit|reimbursement|compensation|fee|charge)", re.IGNORECASE)
_CONDITION_BEFORE = re.compile(r"\b(?:once|when|if|after|until|unless|whether|before|as\s+soon"
                               r"\s+as|ensure|make\s+sure|see\s+that)\b[^.!?\n]*$",
                               re.IGNORECASE)


def _host_allowed(host: str, allowed: frozenset[str]) -> bool:
    """Whether `host` is one of the domains `allowed` or a subdomain of one."""
    if host in allowed:
        return True
    # Each parent domain ("a.b.c" -> "b.c", "c"), from the longest that could be listed: a
    # long host costs no more than its last labels.
    dot = host.find(".", max(0, len(host) - max(map(len, allowed), default=0) - 1))
    while dot >= 0:
        if host[dot + 1:] in allowed:
            return True
        dot = host.find(".", dot + 1)
    return False


@rule(
    "SAF002", "link-not-allowed", "warning", P,
    "Links to sites not on the team's allow-list, and link shorteners.",
    what="Checks the host of every link. A host in `blocked_domains` (link shorteners such as "
         "bit.ly, which hide where a link goes) is always flagged. When `allowed_domains` is set, "
         "any other host that is not one of them or their subdomains is flagged too; when it is "
         "empty (the shipped default), only blocked hosts are — set it to your own sites. The "
         "platform's own link wrappers in `platform_domains` (Twitter's t.co on `social`) are "
         "never a finding on their channel: the platform wraps every link, the writer chose none.",
    why=WHY + " The guide says only link to the team's own sites: a customer trusts a link from "
        "support, so a wrong one is a phishing risk.",
    example="Download the fix from https://bit.ly/3xYzAb today.",
    instead="Download the fix from https://help.example.com/fix today.",
    fix="Link to one of the team's own sites",
    example_settings={"allowed_domains": ["example.com"]},
    defaults={"platform_domains": {}},
)
def _saf002(settings: Mapping[str, Any]) -> Check:
    platform = per_channel(settings, "platform_domains")
    allowed = [d.lower().lstrip(".") for d in get_list(settings, "allowed_domains")]
    blocked = frozenset(d.lower().lstrip(".") for d in get_list(settings, "blocked_domains"))
    allowed_set = frozenset(allowed)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        wrappers = platform.get(ctx.channel or "", frozenset())
        for s, e in doc.urls:
            url = doc.text[s:e]
            try:
                parts = urlsplit(url if "://" in url else "http://" + url)
                host = (parts.hostname or "").lower().rstrip(".")
            except ValueError:
                host = ""
            if not host or (wrappers and _host_allowed(host, wrappers)):
                continue
            if _host_allowed(host, blocked):
                yield Hit(s, e, f"Link shortener {quote(host)} hides where the link goes",
                          fix="Link to the page itself, on one of the team's sites")
            elif allowed and not _host_allowed(host, allowed_set):
                yield Hit(s, e, f"Link to {quote(host)}, which is not on the allow-list "
                          f"({', '.join(allowed)})")

    return check


# 13 to 19 digits, a space or dash allowed between two, not part of a longer number. It starts
# with a digit (the lookbehind after it checks the character before it), so that the regex
# engine skips from one digit to the next instead of trying every place.
_CARD_RE = re.compile(r"\d(?<![\d.,/-]\d)[ -]?(?:\d[ -]?){11,17}\d(?![\d/]|[.,]\d|-\d)")
# Whether a text has 13 digits (possessive: no backtracking when it has fewer).
_13_DIGITS = re.compile(r"(?:\D*+\d){13}")
_13_DIGITS_ASCII = re.compile(_13_DIGITS.pattern, re.ASCII)


def luhn_ok(digits: str) -> bool:
    """Return whether a string of digits passes the Luhn check."""
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0


def card_brand(digits: str) -> str | None:
    """Return the card network a number's prefix and length belong to, if any."""
    n = len(digits)
    if digits[0] == "4" and n in (13, 16, 19):
        return "Visa"
    if n == 16 and (51 <= int(digits[:2]) <= 55 or 2221 <= int(digits[:4]) <= 2720):
        return "Mastercard"
    if n == 15 and digits[:2] in ("34", "37"):
        return "American Express"
    if 16 <= n <= 19 and (digits.startswith(("6011", "65")) or 644 <= int(digits[:3]) <= 649):
        return "Discover"
    if 16 <= n <= 19 and 3528 <= int(digits[:4]) <= 3589:
        return "JCB"
    if n == 14 and digits[:2] in ("36", "38", "30"):
        return "Diners Club"
    return None


@rule(
    "SAF003", "card-number", "error", P,
    "A full payment card number (passes the Luhn check).",
    what="Finds runs of 13 to 19 digits (spaces or dashes allowed) that have a card network's "
         "prefix and length and pass the Luhn checksum, anywhere in the text (code and quotes "
         "included). Order and tracking numbers rarely pass both tests.",
    why=WHY + " A full card number in an email is a data breach (and breaks PCI DSS).",
    example="We charged the card 4111 1111 1111 1111 yesterday.",
    instead="We charged the card ending in 1111 yesterday.",
    fix="Show only the last four digits",
)
def _saf003(settings: Mapping[str, Any]) -> Check:
    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        text = doc.text
        # Fewer than 13 digits: no card number (one pass in C; most texts stop here).
        if (_13_DIGITS_ASCII if text.isascii() else _13_DIGITS).match(text) is None:
            return
        for m in _CARD_RE.finditer(text):
            digits = re.sub(r"\D", "", m.group())
            brand = card_brand(digits)
            if brand and luhn_ok(digits):
                yield Hit(m.start(), m.end(), f"Full {brand} card number in the text",
                          suggestion=f"card ending in {digits[-4:]}",
                          fix="Show only the last four digits")

    return check


_SECRET_WORDS = frozenset({"password", "passcode", "passwd", "pwd", "pin"})
_PASSWORD_RE = re.compile(
    r"\b(?:password|passcode|passwd|pwd|pin|pin\s+code)\b(?:\s+(?:is|was|will\s+be|has\s+been"
    r"\s+(?:set|reset|changed)\s+to|set\s+to))?\s*[:=]?\s*[\"'`“‘]?(?P<secret>[^\s\"'`”’]{4,})",
    re.IGNORECASE,
)


# One of _SECRET_WORDS in lower-cased text, with no letter or digit right before or after it.
# It starts with the "p" (the lookbehind checks the character before it), so that the regex
# engine skips from one "p" to the next instead of trying every place.
_SECRET_WORD_RE = re.compile(r"p(?<![^\W_]p)(?:ass(?:word|code|wd)|wd|in)(?![^\W_])")


def _has_secret_word(doc: Doc) -> bool:
    """Whether the text has one of the words a password or PIN is introduced by, with no
    letter or digit right before or after it (so wherever _PASSWORD_RE can match)."""
    low = checks.lowered(doc, "text")
    if low is None:  # letters that fold to ASCII: the word runs know them
        return not _SECRET_WORDS.isdisjoint(doc.runs("text").words)
    return _SECRET_WORD_RE.search(low) is not None


def _looks_secret(value: str, is_pin: bool) -> bool:
    value = value.rstrip(".,;:!?)")
    if is_pin:
        return value.isdigit() and 4 <= len(value) <= 8
    if len(value) < 6 or set(value) <= {"*", "•", "x", "X"}:
        return False
    has_digit = any(c.isdigit() for c in value)
    has_symbol = any(not c.isalnum() and c not in "-'’" for c in value)
    inner_caps = any(c.isupper() for c in value[1:]) and any(c.islower() for c in value)
    return has_digit or has_symbol or inner_caps


@rule(
    "SAF004", "credential", "error", P,
    "Passwords, PINs, API keys or private keys in the text.",
    what="Finds secrets: a password or PIN given after “password is” / “password:” (a value that "
         "looks like one: digits, symbols or mixed case), API keys by their known shapes "
         "(sk-..., sk_live_..., AKIA..., ghp_..., xoxb-..., AIza...), and private-key blocks, "
         "plus the `patterns` setting. Looks everywhere, code and quotes included.",
    why=WHY + " The guide says never include passwords or keys: email is not a safe channel, and "
        "replies get forwarded.",
    example="Your new password is hunter2, and the API key is sk-abcdefghijklmnopqrstuvwx.",
    instead="Use the reset link we just emailed you to choose a new password.",
    fix="Remove it; send a reset link or use a secure channel",
)
def _saf004(settings: Mapping[str, Any]) -> Check:
    keys = compile_phrases(patterns=get_list(settings, "patterns"), case_sensitive=True)

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        text = doc.text
        if _has_secret_word(doc):
            for m in _PASSWORD_RE.finditer(text):
                secret = m.group("secret").rstrip(".,;:!?)")
                is_pin = m.group().lower().startswith("pin")
                if _looks_secret(secret, is_pin):
                    s = m.start("secret")
                    yield Hit(s, s + len(secret), f"{'PIN' if is_pin else 'Password'} "
                              "in the text", suggestion="[removed]",
                              fix="Remove it; send a reset link instead")
        if keys is None:
            return
        regex = keys.regex_for(doc.runs("text"))  # None: the text lacks what every key needs
        for m in regex.finditer(text) if regex is not None else ():
            yield Hit(m.start(), m.end(), f"Secret key in the text: {quote(m.group()[:8])}…",
                          fix="Remove it and revoke the key")

    return check
