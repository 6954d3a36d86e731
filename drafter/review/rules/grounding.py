"""Grounding (GRD): a draft states only the facts its ticket and reference material give."""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from drafter.review.checks import SettingError, get_list, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.structure import NOT_PROSE
from drafter.review.text import Doc, mask

P = "grounding"
WHY = "The guide's principle “Say only what you know”."

# A key says what a claim states, normalised so that "$30" and "30.00 USD", "5 business days"
# and "five business days", "March 3" and "3/3/2025" meet: (kind, value).
Key = tuple[str, object]


@dataclass(frozen=True)
class Claim:
    """A checkable claim in a text: its span, what it is, and the keys that support it.

    It is supported when every group of `keys` has a key the sources state (a range needs
    both ends; a numeric date either reading of day and month)."""

    start: int
    end: int
    kind: str
    keys: tuple[frozenset[Key], ...]


# A number as written: digits with thousands or decimal separators. It starts only at the
# beginning of a run (the lookbehind), so that a long run of digits is read once.
_NUM = r"(?<![\w.,])\d(?:[\d,.]*\d)?"
_ORDINAL = r"(?:st|nd|rd|th)?"
# 7 to 15 digits in groups ("+44 20 7946 0958", "(800) 555-0199"), not part of a longer number.
_PHONE_RE = re.compile(r"(?<![\w+./-])(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}"
                       r"(?:[ .-]\d{2,5}){0,4}(?![\w/-]|[.,]\d)")
# ISO dates (also inside a timestamp) and day/month/year in either order.
_ISO_DATE_RE = re.compile(r"(?<!\d)(\d{4})-(\d\d)-(\d\d)(?!\d)")
_NUM_DATE_RE = re.compile(r"(?<![\d./-])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d\d)(?![\d/]|[.-]\d)")
# Times of day: "5 pm", "5:30pm", "17:00".
_TIME_RE = re.compile(r"(?<![\d:.])(\d{1,2})(?::(\d\d))?\s?([ap])\.?m\b\.?|"
                      r"(?<![\d:.])(\d{1,2}):(\d\d)(?![\d])", re.IGNORECASE)
# A token that may be an order, tracking or reference number: letters and digits, joined by
# dashes or commas ("AB-12345", "1Z999AA10123456784", "#48213", "1,299").
_TOKEN_RE = re.compile(r"(?<![\w#@/.-])#?[A-Za-z0-9]+(?:[-,][A-Za-z0-9]+|\.\d+)*")
_URL_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def number_value(written: str) -> str | None:
    """The value of a number as written ("1,299.00", "12,50", "1.299,00"), as a plain string
    without trailing zeros ("1299", "12.5"); None when it is no number."""
    s = written.replace(" ", "")
    if "," in s and "." in s:
        dec = max(s.rfind(","), s.rfind("."))
        whole, frac = s[:dec], s[dec + 1:]
        whole = whole.replace(",", "").replace(".", "")
    elif "," in s:
        head, _, tail = s.rpartition(",")
        if s.count(",") == 1 and len(tail) in (1, 2):  # "12,50": a decimal comma
            whole, frac = head, tail
        else:
            whole, frac = s.replace(",", ""), ""
    elif s.count(".") > 1:  # "1.299.000": thousands
        whole, frac = s.replace(".", ""), ""
    else:
        whole, _, frac = s.partition(".")
    if not whole.isdigit() or (frac and not frac.isdigit()):
        return None
    value = f"{int(whole)}.{frac}".rstrip("0").rstrip(".") if frac else str(int(whole))
    return value


def url_key(url: str) -> str:
    """A URL without scheme, "www.", fragment, trailing slash or case: what makes two the same."""
    u = _URL_SCHEME.sub("", url.strip().rstrip(".,;:!?)")).split("#", 1)[0]
    return u.rstrip("/").lower()


def _words_re(words: Iterable[str]) -> str:
    """A regex group of `words` (longest first, spaces matching any run of spaces)."""
    alts = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in alts) + ")"


def _map(settings: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = settings.get(key, {})
    if not isinstance(value, Mapping):
        raise SettingError(f"`{key}` must be a table of word = value")
    return {str(k).lower(): v for k, v in value.items()}


class Facts:
    """Finds the checkable claims of a text, and the keys a source text states."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.numbers = {w.lower(): i for i, w in enumerate(get_list(settings, "number_words"))}
        self.numbers |= {w.lower(): 20 + 10 * i for i, w in enumerate(get_list(settings, "tens"))}
        self.units = {k: float(v) for k, v in _map(settings, "duration_units").items()}
        self.months = {w: i + 1 for i, names in enumerate(get_list(settings, "months"))
                       for w in names.lower().split()}
        days = [names.lower().split() for names in get_list(settings, "weekdays")]
        self.weekdays = {w: names[0] for names in days for w in names}
        self.relative = [" ".join(w.lower().split()) for w in get_list(settings, "relative_days")]
        signs = get_list(settings, "currency_signs")
        cue_words = get_list(settings, "phone_cues")
        tens = [w for w, v in self.numbers.items() if v % 10 == 0 and 20 <= v <= 90]
        units = [w for w, v in self.numbers.items() if 1 <= v <= 9]
        # "twenty-four", "forty eight", "five", "twelve".
        word = (rf"(?:{_words_re(tens)}(?:[- ]{_words_re(units)})?|{_words_re(self.numbers)})"
                if self.numbers else r"(?!x)x")
        num_or_word = rf"(?:{_NUM}|\b{word}\b)"
        cur_words = _words_re(get_list(settings, "currency_words"))
        sign = _words_re(signs) if signs else r"(?!x)x"
        self.money = re.compile(
            rf"(?<![\w$€£¥₹])(?i:{sign})\s?(?P<a>{_NUM})"
            rf"|(?P<b>{_NUM})\s?(?i:{sign})(?![\w$€£¥₹])"
            rf"|(?P<c>{num_or_word})[ \t]+(?i:{cur_words})\b", re.IGNORECASE)
        self.percent = re.compile(rf"(?P<a>{num_or_word})\s?(?:%|\bper\s?cent\b)", re.IGNORECASE)
        qualifiers = _words_re(get_list(settings, "duration_qualifiers"))
        range_sep = r"\s?(?:-|–|to|or)\s?"
        self.duration = re.compile(
            rf"(?P<a>{num_or_word})(?:{range_sep}(?P<b>{num_or_word}))?[ \t-]+"
            rf"(?:{qualifiers}[ \t]+)?(?P<u>{_words_re(self.units)})\b", re.IGNORECASE)
        # In a source only: "within a day", "an hour" say one.
        self.one_unit = re.compile(rf"\b(?:a|an)[ \t]+(?:{qualifiers}[ \t]+)?"
                                   rf"(?P<u>{_words_re(self.units)})\b", re.IGNORECASE)
        month = _words_re(self.months)
        self.month_date = re.compile(
            rf"\b(?P<m1>{month})\.?[ \t]+(?P<d1>\d{{1,2}}){_ORDINAL}\b"
            rf"|\b(?P<d2>\d{{1,2}}){_ORDINAL}[ \t]+(?:of[ \t]+)?(?P<m2>{month})\b", re.IGNORECASE)
        full_days = [names[0] for names in days]
        self.weekday = re.compile(rf"\b{_words_re(full_days)}s?\b", re.IGNORECASE)
        self.any_weekday = re.compile(rf"\b{_words_re(self.weekdays)}\b", re.IGNORECASE)
        self.relative_re = (re.compile(rf"\b{_words_re(self.relative)}\b", re.IGNORECASE)
                            if self.relative else None)
        self.cue = (re.compile(rf"\b{_words_re(cue_words)}\b", re.IGNORECASE)
                    if cue_words else None)
        self.word_re = re.compile(rf"\b{word}\b", re.IGNORECASE)

    # -- values ------------------------------------------------------------------------------
    def value(self, written: str) -> str | None:
        """The value of a number in digits or words ("30", "thirty", "twenty-four")."""
        if written[:1].isdigit():
            return number_value(written)
        parts = re.split(r"[- ]", written.lower())
        total = 0
        for p in parts:
            if p not in self.numbers:
                return None
            total += self.numbers[p]
        return str(total)

    def hours(self, written: str, unit: str) -> object:
        value = self.value(written)
        if value is None:
            return None
        return round(float(value) * self.units[unit.lower()], 3)

    # -- claims ------------------------------------------------------------------------------
    def claims(self, text: str, urls: Iterable[tuple[int, int]],
               emails: Iterable[tuple[int, int]]) -> list[Claim]:
        """The claims of `text` (regions not to read already blanked), given its URL and email
        spans; each stretch of text is read as one claim at most."""
        out: list[Claim] = []
        for s, e in urls:
            out.append(Claim(s, e, "link", (frozenset({("url", url_key(text[s:e]))}),)))
        for s, e in emails:
            out.append(Claim(s, e, "email address",
                             (frozenset({("email", text[s:e].lower().rstrip("."))}),)))
        view = mask(text, [(c.start, c.end) for c in out]) if out else text
        for find in (self._money, self._percent, self._dates, self._times, self._durations,
                     self._relative, self._weekdays, self._phones, self._ids):
            found = list(find(view))
            if found:
                out += found
                view = mask(view, [(c.start, c.end) for c in found])
        out.sort(key=lambda c: c.start)
        return out

    def _money(self, text: str) -> Iterator[Claim]:
        for m in self.money.finditer(text):
            g = "a" if m.group("a") else "b" if m.group("b") else "c"
            value = self.value(m.group(g))
            if value is not None:
                yield Claim(m.start(), m.end(), "amount", (frozenset({("num", value)}),))

    def _percent(self, text: str) -> Iterator[Claim]:
        for m in self.percent.finditer(text):
            value = self.value(m.group("a"))
            if value is not None:
                yield Claim(m.start(), m.end(), "percentage", (frozenset({("num", value)}),))

    def _dates(self, text: str) -> Iterator[Claim]:
        for m in _ISO_DATE_RE.finditer(text):
            yield Claim(m.start(), m.end(), "date",
                        (frozenset({("date", (int(m.group(2)), int(m.group(3))))}),))
        for m in _NUM_DATE_RE.finditer(text):
            a, b = int(m.group(1)), int(m.group(3))
            readings = {("date", (x, y)) for x, y in ((a, b), (b, a)) if 1 <= x <= 12 and y <= 31}
            if readings:
                yield Claim(m.start(), m.end(), "date", (frozenset(readings),))
        for m in self.month_date.finditer(text):
            month = self.months[(m.group("m1") or m.group("m2")).lower()]
            day = int(m.group("d1") or m.group("d2"))
            if 1 <= day <= 31:
                yield Claim(m.start(), m.end(), "date", (frozenset({("date", (month, day))}),))

    def _times(self, text: str) -> Iterator[Claim]:
        for m in _TIME_RE.finditer(text):
            minutes = _minutes(m)
            if minutes is not None:
                yield Claim(m.start(), m.end(), "time", (frozenset({("time", minutes)}),))

    def _durations(self, text: str) -> Iterator[Claim]:
        for m in self.duration.finditer(text):
            ends = [self.hours(m.group(g), m.group("u")) for g in ("a", "b") if m.group(g)]
            if None not in ends:
                yield Claim(m.start(), m.end(), "duration",
                            tuple(frozenset({("dur", h)}) for h in ends))

    def _relative(self, text: str) -> Iterator[Claim]:
        if self.relative_re is None:
            return
        for m in self.relative_re.finditer(text):
            yield Claim(m.start(), m.end(), "date",
                        (frozenset({("rel", " ".join(m.group().lower().split()))}),))

    def _weekdays(self, text: str) -> Iterator[Claim]:
        for m in self.weekday.finditer(text):
            name = self.weekdays[m.group().lower().removesuffix("s")]
            yield Claim(m.start(), m.end(), "day", (frozenset({("wd", name)}),))

    def _phones(self, text: str) -> Iterator[Claim]:
        for m in _PHONE_RE.finditer(text):
            digits = _digits(m.group())
            if not 7 <= len(digits) <= 15:
                continue
            if m.group()[0] in "+(" or (self.cue is not None and self.cue.search(
                    text, max(0, m.start() - 40), m.start())):
                yield Claim(m.start(), m.end(), "phone number",
                            (frozenset({("phone", digits[-7:])}),))

    def _ids(self, text: str) -> Iterator[Claim]:
        for m in _TOKEN_RE.finditer(text):
            token = m.group()
            digits = _digits(token)
            if len(digits) >= 4 or (token[0] == "#" and len(digits) >= 3):
                yield Claim(m.start(), m.end(), "number", (frozenset(_id_keys(token)),))

    # -- what sources state ------------------------------------------------------------------
    def known(self, texts: Iterable[str]) -> set[Key]:
        """Every key the `texts` state: their claims, and every number and number-like token
        in them (a source supports "$189" by "189 €", and "#48213" by "order 48213")."""
        keys: set[Key] = set()
        for text in texts:
            if not text:
                continue
            doc = Doc(text, ReviewContext())
            for claim in self.claims(text, doc.urls, doc.emails):
                for group in claim.keys:
                    keys |= group
            for m in _NUM_DATE_RE.finditer(text):  # a date is a date in either order
                a, b = int(m.group(1)), int(m.group(3))
                keys |= {("date", (a, b)), ("date", (b, a))}
            for m in _TOKEN_RE.finditer(text):
                keys |= _id_keys(m.group())
                for part in re.findall(r"\d[\d,.]*\d|\d", m.group()):
                    value = number_value(part)
                    if value is not None:
                        keys.add(("num", value))
            for m in self.word_re.finditer(text):
                value = self.value(m.group())
                if value is not None:
                    keys.add(("num", value))
            for m in self.one_unit.finditer(text):
                keys.add(("dur", round(self.units[m.group("u").lower()], 3)))
            for m in self.any_weekday.finditer(text):
                keys.add(("wd", self.weekdays[m.group().lower()]))
            for m in _PHONE_RE.finditer(text):
                digits = _digits(m.group())
                if len(digits) >= 7:
                    keys.add(("phone", digits[-7:]))
        return keys


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _id_keys(token: str) -> set[Key]:
    norm = token.upper().lstrip("#").replace("-", "").replace(",", "")
    digits = _digits(token)
    keys: set[Key] = {("id", norm)}
    if len(digits) >= 4:
        keys.add(("id", digits))
    return keys


def _minutes(m: re.Match[str]) -> int | None:
    if m.group(1):
        hour, minute = int(m.group(1)), int(m.group(2) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if m.group(3).lower() == "p" else 0)
    else:
        hour, minute = int(m.group(4)), int(m.group(5))
        if hour > 23 or minute > 59:
            return None
    return hour * 60 + minute


def _supported(claim: Claim, known: Collection[Key], team_domains: frozenset[str]) -> bool:
    if all(not group.isdisjoint(known) for group in claim.keys):
        return True
    if claim.kind == "email address":  # any address at one of the team's own domains
        address = next(iter(claim.keys[0]))[1]
        return str(address).rpartition("@")[2] in team_domains
    return False


@rule(
    "GRD001", "unsupported-fact", "warning", P,
    "A fact in a draft that neither the ticket nor the reference material gives.",
    what="Finds the checkable claims of a draft — amounts of money (“$30”, “30.00 USD”, “thirty "
         "dollars”, “€12,50”), percentages, dates (“March 3”, “3/3/2025”, “by Friday”, "
         "“tomorrow”), times of day, durations and counts of days (“within 5 business days”, "
         "“48 hours”, “3-5 days”), order, tracking and other numbers of four digits or more, "
         "links, phone numbers and email addresses — and flags each that appears neither in "
         "the ticket (every message, the subject, the customer's name and address, the "
         "messages' dates) nor in the reference material the model was given, nor in the "
         "team's own settings (`team.from_address`, `team.addresses`, `team.domains`, "
         "`team.signature`). Matching reads the value, not the wording: “$30” is supported by "
         "“30.00 USD” or “thirty dollars”, “five business days” by “5 business days”, “48 "
         "hours” by “2 days”, “March 3” by “3/3/2025”, a link with or without its scheme, "
         "“www.” or trailing slash, a phone number by its last 7 digits, “#48213” by “order "
         "48213”. Runs only where there is a ticket (`draft reply`, `draft batch`, `draft "
         "review --ticket`), on a model's draft, or on any reply when reference material is "
         "given (`draft review --ticket N --reference FILE`) or `human_replies` is true; "
         "silent otherwise (`draft lint` of canned text). Quoted lines, the signature and the "
         "channel's furniture are not read. Word lists (currencies, number words, units, "
         "months, days) are settings.",
    why=WHY + " A model that does not know the refund window or the shipping time makes one "
        "up, fluently; the customer holds the team to it. A fact the ticket and the reference "
        "do not give is one the agent must check before sending, and an invented link or phone "
        "number can send the customer to the wrong place.",
    example="Your refund of $45 will reach your card within 5 business days; track it at "
            "https://acme.example/refunds.",
    instead="I've asked our billing team when the refund will reach your card and will write "
            "to you as soon as I hear.",
    fix="Remove it, or replace it with a fact from the ticket or the reference material",
    example_context={"ticket_text": "Where is my refund for order 48213?", "model_draft": True},
    needs=("ticket_text",),
    yields_to=("SAF001", "SAF002", "SAF003", "SAF005", "SAF006", "SAF007"),
    known_problems="Reads claims, not meaning: a fact the ticket gives in other words (“next "
                   "Friday” for a date, “a couple of days”) is flagged, and a number the sources "
                   "give for something else supports the same number in the draft. On real "
                   "replies written by agents (`human_replies = true`) it fires on most that "
                   "state a time or a number: agents know their hours and usual times, the "
                   "ticket does not say them — true relative to the ticket, but not what a "
                   "review of a sent reply is for; hence off for human replies by default. "
                   "Ownership, so that a span gets one finding: promises and money actions "
                   "(“we'll refund”, “10% off”) are SAF001's, whatever the sources say (a "
                   "promise needs approval); links to shorteners or off the allow-list "
                   "SAF002's; card numbers SAF003's; discount codes SAF005's; IBANs SAF006's; a "
                   "phone number or email address in a model's draft SAF007's. Where one of "
                   "those rules reports a span, GRD001 does not; it reports the claims they "
                   "leave (the amount in “I've refunded $45”, a link on an allowed host).",
)
def _grd001(settings: Mapping[str, Any]) -> Check:
    facts = Facts(settings)
    human = bool(settings.get("human_replies", False))
    cache: dict[tuple[str, tuple[str, ...], tuple[str, ...]], set[Key]] = {}

    def known_for(ctx: ReviewContext) -> set[Key]:
        key = (ctx.ticket_text or "", ctx.reference, ctx.team_contacts)
        found = cache.get(key)
        if found is None:
            if len(cache) >= 8:
                cache.clear()
            found = cache[key] = facts.known([key[0], *ctx.reference, *ctx.team_contacts])
        return found

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        if ctx.ticket_text is None or not (ctx.model_draft or ctx.reference or human):
            return
        skip = [*doc.quoted_lines, *doc.placeholders, *doc.structure.spans(NOT_PROSE)]
        text = mask(doc.text, skip) if skip else doc.text
        urls = [u for u in doc.urls if text[u[0]:u[1]].strip() == doc.text[u[0]:u[1]]]
        emails = [e for e in doc.emails if text[e[0]:e[1]] == doc.text[e[0]:e[1]]]
        found = facts.claims(text, urls, emails)
        if not found:
            return
        known = known_for(ctx)
        domains = frozenset(c.lower().lstrip("@") for c in ctx.team_contacts
                            if c and " " not in c and "\n" not in c)
        domains |= {d.rpartition("@")[2] for d in domains}
        for claim in found:
            if not _supported(claim, known, domains):
                yield Hit(claim.start, claim.end,
                          f"{claim.kind.capitalize()} {quote(doc.text[claim.start:claim.end])} "
                          "is in neither the ticket nor the reference material")

    return check
