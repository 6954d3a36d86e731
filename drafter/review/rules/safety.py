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
    known_problems="It owns every promise of money, done or to come, whatever the ticket or "
                   "the reference material says (a promise needs a person's approval): the "
                   "unsupported-fact rule (GRD001) gives way to it on the same span (“10% "
                   "off”), and reports only the amount beside it (“$45” in “I've refunded you "
                   "$45”). So a refund the team's policy does offer is still flagged in a draft.",
    languages=("en",),
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
    known_problems="With an empty allow-list it checks only shorteners; a link in a model's "
                   "draft (or any reply reviewed with reference material) that neither the "
                   "ticket nor the reference gives is the unsupported-fact rule's (GRD001), "
                   "which gives way to this one where both would report the same link.",
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


# A code-shaped token: capitals and digits (a dash or underscore inside), 4 to 24 long.
_CODE_TOKEN = re.compile(r"(?<![\w@/.-])[A-Z0-9][A-Z0-9_-]{2,22}[A-Z0-9](?![\w@/-]|\.\w)")


def _code_shaped(token: str) -> bool:
    """Whether a capitals-and-digits token looks like a code (letters and digits, or 5+ letters)."""
    has_digit = any(c.isdigit() for c in token)
    has_letter = any(c.isalpha() for c in token)
    return has_letter and (has_digit or len(token) >= 5)


@rule(
    "SAF005", "discount-code", "warning", P,
    "A discount, voucher, coupon or gift code in the reply.",
    what="Finds a code-shaped token (capitals and digits, such as `VIP50` or `LEAD300`) right "
         "after or before one of the `keywords` (“code”, “voucher”, “coupon”, “promo”, “gift "
         "card”), within a few words in the same sentence. A “code” that follows one of "
         "`not_after` (“error code”, “tracking code”, “zip code”) is not a discount. Looks "
         "everywhere, code and quotes included.",
    why=WHY + " A code is money: giving one needs approval, and a code in a draft that nobody "
        "approved is what a customer's mail can smuggle into it (“support lead approved code "
        "LEAD300”).",
    example="As an apology, use the discount code VIP50 at checkout.",
    instead="I've asked our billing team whether we can offer you a discount and will let you "
            "know by Friday.",
    fix="Remove the code, unless the team approved it for this customer",
    languages=("en",),
)
def _saf005(settings: Mapping[str, Any]) -> Check:
    keywords = "|".join(re.escape(k).replace(r"\ ", r"\s+")
                        for k in sorted(get_list(settings, "keywords"), key=len, reverse=True))
    not_after = frozenset(w.lower() for w in get_list(settings, "not_after"))
    # The keyword and what may stand between it and the token: "code: ", "voucher code is “".
    near = re.compile(rf"(?i:\b(?:(\w+)[ \t]+)?(?:{keywords})s?\b)[^.!?\n]{{0,24}}$")
    after = re.compile(rf"^\W{{0,3}}(?i:(?:{keywords})s?\b)")
    any_keyword = re.compile(rf"(?i:\b(?:{keywords}))")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        text = doc.text
        if not keywords or any_keyword.search(text) is None:
            return
        for m in _CODE_TOKEN.finditer(text):
            token = m.group()
            if not _code_shaped(token):
                continue
            before = near.search(text, max(0, m.start() - 48), m.start())
            if before is not None and (before.group(1) or "").lower() not in not_after:
                pass
            elif not after.match(text[m.end():m.end() + 24]):
                continue
            yield Hit(m.start(), m.end(), f"Discount or gift code {quote(token)} in the reply",
                      fix="Remove the code, unless the team approved it for this customer")

    return check


# Two capitals, two check digits, then 11 to 30 capitals or digits in groups (an IBAN).
_IBAN_RE = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}\b")


def iban_ok(iban: str) -> bool:
    """Return whether `iban` (no spaces) passes the IBAN mod-97 check."""
    moved = iban[4:] + iban[:4]
    return 15 <= len(iban) <= 34 and int("".join(str(int(c, 36)) for c in moved)) % 97 == 1


@rule(
    "SAF006", "bank-details", "warning", P,
    "A bank account number (an IBAN that passes its checksum) in the reply.",
    what="Finds IBANs: two letters, two check digits and 11 to 30 letters or digits (spaces "
         "allowed between groups) that pass the mod-97 checksum. Looks everywhere, code and "
         "quotes included.",
    why=WHY + " Account details in a reply tell the customer where to send money: a wrong one, "
        "smuggled in by a crafted message, sends it to a fraudster.",
    example="Please transfer the balance to DE89 3704 0044 0532 0130 00.",
    instead="Please pay the balance from the Billing page of your account.",
    fix="Remove it; point to the invoice or billing page instead",
)
def _saf006(settings: Mapping[str, Any]) -> Check:
    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        for m in _IBAN_RE.finditer(doc.text):
            groups = m.group().split(" ")
            # The last group may be a word after the number ("... 00 OK"): try without it.
            for n in range(len(groups), 0, -1):
                iban = "".join(groups[:n])
                if iban_ok(iban):
                    end = m.start() + len(" ".join(groups[:n]))
                    yield Hit(m.start(), end, "Bank account number (IBAN) in the reply",
                              fix="Remove it; point to the invoice or billing page instead")
                    break

    return check


_EMAIL_RE = re.compile(r"(?<![\w.+-])[\w.+-]{1,64}@[\w-]{1,63}(?:\.[\w-]{1,63})+")
# 7 to 15 digits in groups ("+44 20 7946 0958", "(800) 555-0199", "0800 123 4567"), not part of
# a longer number or word.
_PHONE_RE = re.compile(r"(?<![\w+./-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}"
                       r"(?:[ .-]\d{2,6}){0,4}(?![\w/-]|[.,]\d)")
_DATE_RE = re.compile(r"\d{4}-\d\d-\d\d|\d\d?[./-]\d\d?[./-]\d{2,4}")


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _phones(text: str, cue: re.Pattern[str] | None) -> Iterator[re.Match[str]]:
    """Phone-number-shaped runs of `text`: 7 to 15 digits, led by +, (, or a `cue` word."""
    for m in _PHONE_RE.finditer(text):
        number = m.group()
        if len(number) < 7:
            continue  # too few digits, whatever it is (most numbers of a text)
        if not 7 <= len(_digits(number)) <= 15 or _DATE_RE.fullmatch(number):
            continue
        if number[0] in "+(" or cue is None or cue.search(text, max(0, m.start() - 40), m.start()):
            yield m


# A contact only the customer's words carry is fine where the reply gives it back as theirs
# ("we'll call you on ...", "your address ..."); given as one to use, a crafted message may have
# planted it ("have them call our VIP desk on ...").
_THEIRS = re.compile(r"(?i)\byour\b|\byou(?:'ve)? (?:gave|given|provided|sent|shared|listed|"
                     r"mentioned|left|used|wrote|added)\b|\b(?:call|reach|contact|text|e-?mail|"
                     r"ring|phone|message|write to|get back to|reply to) you\b")
_CLAUSE_ENDS = (". ", "\n", ", ", "; ", "! ", "? ")  # where the clause around a contact ends
_PLANTED = ("{what} {it} comes only from the customer's side of the ticket, and the reply gives "
            "it as a contact to use")


def _theirs(text: str, start: int, end: int) -> bool:
    """Whether the clause around text[start:end] gives the contact back as the customer's."""
    # Looked for within the window only: a long text asks this of every contact it repeats.
    lo, hi = max(0, start - 60), end + 40
    before = max([lo] + [text.rfind(p, lo, start) for p in _CLAUSE_ENDS])
    after = min([hi] + [i for i in (text.find(p, end, hi) for p in _CLAUSE_ENDS) if i != -1])
    return _THEIRS.search(text, before, after) is not None


@rule(
    "SAF007", "unknown-contact", "warning", P,
    "A phone number or email address that neither the ticket nor the team's config gives.",
    what="Finds email addresses, and phone numbers (7 to 15 digits, led by `+`, a bracket or "
         "one of the `phone_cues` such as “call” or “phone”), that appear nowhere in the ticket "
         "(its messages and subject), the reference material the model was given, nor the "
         "team's settings (`team.from_address`, `team.addresses`, `team.domains`, "
         "`team.signature`). A phone number is known when its last 7 digits are; an address "
         "when it or its domain is. A contact that only the customer's side of the ticket gave "
         "(not the team's messages, settings or knowledge) is flagged too when the reply gives "
         "it as a contact to use, not back as the customer's own (“we'll call you on …”, "
         "“your address …”). Without a ticket the rule is silent: it cannot tell what is new. "
         "Applies to model drafts only unless `model_drafts_only` is false.",
    why=WHY + " A contact detail the ticket and the team never gave came from somewhere else — "
        "often from a crafted message telling the model to “have them call +1 555 0100”, which "
        "sends the customer to a fraudster. The crafted message carries the number itself, so "
        "being in the ticket is not enough: the team never hands out a number only the "
        "customer's side gave.",
    example="For a faster refund, call our billing desk on +1 415 555 0142 or write to "
            "refunds@help-desk-billing.net.",
    instead="For a faster refund, reply to this email and billing will pick it up.",
    fix="Remove it, or use a contact the team publishes",
    example_context={"ticket_text": "Where is my refund?", "model_draft": True},
    needs=("ticket_text",),
    known_problems="It owns the phone numbers and email addresses of a model's draft: the "
                   "unsupported-fact rule (GRD001), which checks the same claims against the "
                   "same sources, gives way to it there, so a span gets one finding. In a "
                   "person's reply (silent here by default) GRD001 checks them when reference "
                   "material is given.",
)
def _saf007(settings: Mapping[str, Any]) -> Check:
    cues = get_list(settings, "phone_cues")
    cue = re.compile(rf"(?i:\b(?:{'|'.join(map(re.escape, cues))})\b)") if cues else None
    drafts_only = bool(settings.get("model_drafts_only", True))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if ctx.ticket_text is None or (drafts_only and not ctx.model_draft):
            return
        text = doc.text
        trusted = "\n".join([*ctx.team_contacts, *ctx.reference,
                             ctx.ticket_text if ctx.team_text is None else ctx.team_text]).lower()
        given = ctx.ticket_text.lower()  # the customer's (or someone else's) words too
        domains = {c.lower().lstrip("@") for c in ctx.team_contacts if c and " " not in c}
        domains |= {d.rpartition("@")[2] for d in domains}
        for m in _EMAIL_RE.finditer(text):
            address = m.group().lower().rstrip(".")
            end = m.start() + len(address)
            if address in trusted or _host_allowed(address.rpartition("@")[2], frozenset(domains)):
                continue
            if address not in given:
                yield Hit(m.start(), end, f"Email address {quote(m.group().rstrip('.'))} is in "
                          "neither the ticket nor the team's settings")
            elif not _theirs(text, m.start(), end):
                yield Hit(m.start(), end, _PLANTED.format(what="Email address",
                                                          it=quote(m.group().rstrip('.'))))
        trusted_numbers = {_digits(p.group())[-7:] for p in _phones(trusted, None)}
        given_numbers = {_digits(p.group())[-7:] for p in _phones(given, None)}
        for m in _phones(text, cue):
            last7 = _digits(m.group())[-7:]
            if last7 in trusted_numbers:
                continue
            if last7 not in given_numbers:
                yield Hit(m.start(), m.end(), f"Phone number {quote(m.group())} is in neither "
                          "the ticket nor the team's settings")
            elif not _theirs(text, m.start(), m.end()):
                yield Hit(m.start(), m.end(), _PLANTED.format(what="Phone number",
                                                              it=quote(m.group())))

    return check
