"""Grounding (GRD): a draft states only the facts its ticket and reference material give."""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Iterator, Mapping
from operator import attrgetter
from typing import Any, NamedTuple

from drafter.review.channels import per_channel
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


def _one(key: Key) -> tuple[tuple[Key, ...]]:
    """The keys of a claim that one key supports."""
    # Tuples of strings and numbers: the garbage collector stops following them (a text may
    # make 250,000 claims).
    return ((key,),)


class Claim(NamedTuple):
    """A checkable claim in a text: its span, what it is, and the keys that support it.

    It is supported when every group of `keys` has a key the sources state (a range needs
    both ends; a numeric date either reading of day and month)."""

    start: int
    end: int
    kind: str
    keys: tuple[tuple[Key, ...], ...]


# The words and numbers of a text, one pass: each is then classified by what stands around it.
# A number that is not the end of a word ("AB1234" is the number pass's), or a word of letters
# only ("a1a1a1..." has neither, and the engine skips it without a stop).
_WORD_OR_NUMBER = re.compile(r"(?<![^\W\d_])\d+(?:[,.]\d+)*|(?<![^\W_])[^\W\d_]+(?![^\W_])")
_ORDINAL = r"(?:st|nd|rd|th)?"
_CHAIN = re.compile(r"(?:-\d+)+")
# 7 to 15 digits in groups ("+44 20 7946 0958", "(800) 555-0199"), matched where a number starts.
_PHONE_RE = re.compile(r"(?:\+\d{1,3}[ .-]?)?(?:\(\d{1,5}\)[ .-]?)?\d{1,5}"
                       r"(?:[ .-]\d{2,5}){0,4}(?![\w/-]|[.,]\d)")
# A numeric date's rest after its first number: "/03/2025", ".3.25", "-01-15" (after a year).
_DATE_REST = re.compile(r"([./-])(\d{1,2})\1(\d{4}|\d\d)(?![\d/]|[.-]\d)")
_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4}|\d\d)")
_YEAR_AFTER = re.compile(r",?[ \t]+\d{4}\b")
_ISO_REST = re.compile(r"-(\d\d)-(\d\d)(?!\d)")
# A time's rest after its hour: "pm", ":30 pm", ":00".
_TIME_REST = re.compile(r"(?::(\d\d))?\s?([ap])(?:\.m\.|m\b)|:(\d\d)(?!\d)", re.IGNORECASE)
# In a source, a run of digits with single separators between them: its last 7 digits are the
# phone number it may be ("07700 900123", "+44 (20) 7946-0958").
_DIGIT_RUN = re.compile(r"\d(?:[ .()+-]?\d)*")
_TIME_STARTS = frozenset(":aApP ")
# A token that may be an order, tracking or reference number: letters and digits, joined by
# dashes or commas ("AB-12345", "1Z999AA10123456784", "#48213", "1,299").
_TOKEN_RE = re.compile(r"(?<![\w#@/.-])#?[A-Za-z0-9]+(?:[-,][A-Za-z0-9]+|\.\d+)*")
_PERCENT_MARK = re.compile(r"%|\bper ?cent\b|\bprozent\b|\bpor ciento\b", re.IGNORECASE)
_NUMBER = re.compile(r"(?<![\w.,])\d+(?:[.,]\d+)?(?![\w])")
_START = attrgetter("start")  # of a claim
_URL_SCHEME = re.compile(r"^(?:https?://)?(?:www\.)?", re.IGNORECASE)


def number_value(written: str) -> str | None:
    """The value of a number as written ("1,299.00", "12,50", "1.299,00"), as a plain string
    without trailing zeros ("1299", "12.5"); None when it is no number."""
    if written.isdigit():  # most numbers: no separators
        return written.lstrip("0") or "0"
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
    whole = whole.lstrip("0") or "0"  # as text: a hostile number may have a million digits
    return f"{whole}.{frac}".rstrip("0").rstrip(".") if frac else whole


def url_key(url: str) -> str:
    """A URL without scheme, "www.", fragment, trailing slash or case: what makes two the same."""
    u = _URL_SCHEME.sub("", url.strip().rstrip(".,;:!?)")).split("#", 1)[0]
    return u.rstrip("/").lower()


def _words_re(words: Iterable[str]) -> str:
    """A regex group of `words` (longest first, spaces matching any run of spaces)."""
    alts = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    if not alts:
        return r"(?!x)x"  # no words: matches nothing
    return "(?:" + "|".join(re.escape(w).replace(r"\ ", r"\s+") for w in alts) + ")"


def _units(settings: Mapping[str, Any]) -> dict[str, float]:
    value = settings.get("duration_units", {})
    if not isinstance(value, Mapping) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for v in value.values()):
        raise SettingError("duration_units", "a table of unit = hours", value)
    return {str(k).lower(): float(v) for k, v in value.items()}


class Facts:
    """Finds the checkable claims of a text, and the keys a source text states."""

    def __init__(self, settings: Mapping[str, Any]) -> None:
        self.numbers = {w.lower(): i for i, w in enumerate(get_list(settings, "number_words"))}
        self.tens = {w.lower(): 20 + 10 * i for i, w in enumerate(get_list(settings, "tens"))}
        self.numbers |= self.tens
        self.units = _units(settings)
        self.months = {w: i + 1 for i, names in enumerate(get_list(settings, "months"))
                       for w in names.lower().split()}
        days = [names.lower().split() for names in get_list(settings, "weekdays")]
        self.weekdays = {w: names[0] for names in days for w in names}
        self.full_days = {names[0] for names in days}
        relative = [" ".join(w.lower().split()) for w in get_list(settings, "relative_days")]
        self.relative_starts = {w.split()[0] for w in relative}
        self.relative = re.compile(rf"{_words_re(relative)}\b", re.IGNORECASE) if relative \
            else None
        self.currency_words = {w.lower() for w in get_list(settings, "currency_words")}
        signs = get_list(settings, "currency_signs")
        cue_words = get_list(settings, "phone_cues")
        sign = _words_re(signs)
        units = [w for w, v in self.numbers.items() if 1 <= v <= 9]
        # "twenty-four", "forty eight", "five", "twelve" (tried only where a range goes on).
        word = (rf"(?:{_words_re(self.tens)}(?:[- ]{_words_re(units)})?\b|"
                rf"{_words_re(self.numbers)}\b)")
        qualifiers = _words_re(get_list(settings, "duration_qualifiers"))
        unit = _words_re(self.units)
        # What may stand right before a number ("$", "USD ") and right after it, tried in
        # order at that one place: a currency, a percent sign, a currency word, a duration's
        # unit (maybe after a range: "3-5 business days"), a month ("3rd of March").
        self.sign_before = re.compile(rf"(?<![^\W\d_])(?:{sign})\s?\Z", re.IGNORECASE)
        self.after = re.compile(
            rf"\s?(?P<sign>{sign})(?![^\W\d_])"
            rf"|\s?(?P<pct>%|per\s?cent\b)"
            rf"|(?:\s?(?:-|–|to|or)\s?(?P<b>\d+(?:[,.]\d+)*|{word}))?[ \t-]+"
            rf"(?:{qualifiers}[ \t]+)?(?P<unit>{unit})\b"
            rf"|{_ORDINAL}[ \t]+(?P<of>of[ \t]+)?(?P<word>[^\W\d_]+)", re.IGNORECASE)
        # The first characters of what `after` and `sign_before` can match.
        self.sign_ends = {sg[-1].lower() for sg in signs} | {sg[-1].upper() for sg in signs}
        self.after_starts = (set(" \t\n%-–tToOsSnNrR") | {sg[0].lower() for sg in signs}
                             | {sg[0].upper() for sg in signs})
        self.tens_unit = re.compile(rf"[- ]({_words_re(units)})\b", re.IGNORECASE)
        self.day_after_month = re.compile(rf"\.?[ \t]+(\d{{1,2}}){_ORDINAL}\b(?:,?[ \t]+\d{{4}}\b)?")
        # In a source only: "within a day", "an hour" say one.
        self.one_unit = re.compile(rf"\b(?:a|an)[ \t]+(?:{qualifiers}[ \t]+)?(?P<u>{unit})\b",
                                   re.IGNORECASE)
        self.cue = (re.compile(rf"\b{_words_re(cue_words)}\b", re.IGNORECASE)
                    if cue_words else None)
        # The words a claim can start with (a number in words, a month, a day, a relative day):
        # any other word is passed over without a call.
        self.word_starts = frozenset({*self.numbers, *self.months, *self.full_days,
                                      *(day + "s" for day in self.full_days),
                                      *self.relative_starts})

    # -- values ------------------------------------------------------------------------------
    def value(self, written: str) -> str | None:
        """The value of a number in digits or words ("30", "thirty", "twenty-four")."""
        if written[:1].isdigit():
            return number_value(written)
        total = 0
        for p in re.split(r"[- ]", written.lower()):
            if p not in self.numbers:
                return None
            total += self.numbers[p]
        return str(total)

    def hours(self, written: str, unit: str) -> float | None:
        """A duration of `written` `unit`s in hours."""
        value = self.value(written)
        if value is None:
            return None
        return round(float(value) * self.units[unit.lower()], 3)

    # -- claims ------------------------------------------------------------------------------
    def claims(self, text: str, urls: Iterable[tuple[int, int]],
               emails: Iterable[tuple[int, int]]) -> list[Claim]:
        """The claims of `text` (regions not to read already blanked), given its URL and email
        spans; each stretch of text is read as one claim at most."""
        return list(self.each_claim(text, urls, emails))

    def each_claim(self, text: str, urls: Iterable[tuple[int, int]],
                   emails: Iterable[tuple[int, int]]) -> Iterator[Claim]:
        """The claims of `text` as `claims` finds them, in order, each read only when it is
        taken (a check that stops after its first findings reads no further)."""
        links = [Claim(s, e, "link", _one(("url", url_key(text[s:e])))) for s, e in urls]
        links += [Claim(s, e, "email address", _one(("email", text[s:e].lower().rstrip("."))))
                  for s, e in emails]
        links.sort(key=_START)
        view = mask(text, [(c.start, c.end) for c in links]) if links else text
        return heapq.merge(links, self._read(view), key=_START)

    def _read(self, view: str) -> Iterator[Claim]:
        """The claims of `view` (links blanked) in order: what a word or number starts, and in
        the stretches between them, the tokens with four digits or more (order, tracking and
        other numbers)."""
        taken = 0  # where words are read from again: a word inside a claim is not read
        read = 0  # the end of the last claim: the tokens between claims are read up to here
        word_starts = self.word_starts
        for m in _WORD_OR_NUMBER.finditer(view):
            if m.start() < taken:
                continue
            word = m.group()
            if word[0].isdigit():
                if view[m.end():m.end() + 1] == "-":
                    chain = _CHAIN.match(view, m.end())
                    if chain is not None and chain.group().count("-") > 4:
                        # No date, range or phone number has six parts joined by dashes ("4-4-
                        # 4-4-4-4..."): the token pass reads the chain, once.
                        taken = chain.end()
                        continue
                claim = self._number(view, m)
            elif word.lower() in word_starts:
                claim = self._word(view, m)
            else:
                continue
            if claim is not None:
                yield from _tokens(view, read, claim.start)
                yield claim
                taken = read = claim.end
        yield from _tokens(view, read, len(view))

    def _number(self, text: str, m: re.Match[str]) -> Claim | None:
        """The claim a number in digits starts (or ends, after a currency sign), if any."""
        s, e = m.span()
        before_1 = text[s - 1] if s else " "
        if before_1.isalpha() or before_1 in "_#":
            return None  # inside a token ("AB1234", "#4821"): the number pass reads it
        written = m.group()
        # Each test first looks at the character it needs (a hostile text of numbers costs
        # a few comparisons per number, not a regex each).
        if before_1 in self.sign_ends or (before_1 == " " and s > 1
                                          and text[s - 2] in self.sign_ends):
            before = self.sign_before.search(text, max(0, s - 6), s)
            value = number_value(written)
            if before is not None and value is not None:
                return Claim(before.start(), e, "amount", _one(("num", value)))
        after_1 = text[e:e + 1]
        # A numeric date's separator comes again after one or two digits ("14/03/2025").
        dated = after_1 in ("/", ".", "-") and text[e + 2:e + 4].strip("0123456789")[:1] == after_1
        if dated or "." in written or len(written) == 4:
            date = self._date(text, m)
            if date is not None:
                return date
        if len(written) <= 2 and after_1 in _TIME_STARTS:
            t = _TIME_REST.match(text, e)
            if t is not None:
                minutes = _minutes(int(written), t)
                if minutes is not None:
                    return Claim(s, t.end(), "time", _one(("time", minutes)))
        if after_1 and after_1 in self.after_starts:
            claim = self._after(text, s, e, written)
            if claim is not None:
                return claim
        if before_1 in "+(" or len(written) >= 7 or (
                after_1 in (" ", ".", "-", ")") and text[e + 1:e + 3].isdigit()):
            return self._phone(text, s)
        return None

    def _word(self, text: str, m: re.Match[str]) -> Claim | None:
        """The claim a word starts: a number in words, a month, a day, a relative day."""
        s, e = m.span()
        low = m.group().lower()
        if low in self.numbers:
            written = low
            if low in self.tens:
                unit = self.tens_unit.match(text, e)
                if unit is not None:
                    written, e = text[s:unit.end()], unit.end()
            return self._after(text, s, e, written, words_only=True)
        if low in self.months:
            day = self.day_after_month.match(text, e)
            if day is not None and 1 <= int(day.group(1)) <= 31:
                return Claim(s, day.end(), "date",
                             _one(("date", (self.months[low], int(day.group(1))))))
            return None
        name = low.removesuffix("s")
        if name in self.full_days:
            return Claim(s, e, "day", _one(("wd", name)))
        if low in self.relative_starts and self.relative is not None:
            rel = self.relative.match(text, s)
            if rel is not None:
                return Claim(s, rel.end(), "date",
                             _one(("rel", " ".join(rel.group().lower().split()))))
        return None

    def _after(self, text: str, s: int, e: int, written: str,
               words_only: bool = False) -> Claim | None:
        """The claim made by a number and what follows it: an amount, a percentage, a
        duration, a date."""
        a = self.after.match(text, e)
        if a is None:
            return None
        value = self.value(written)
        if value is None:
            return None
        if a.group("sign") is not None and not words_only:
            return Claim(s, a.end(), "amount", _one(("num", value)))
        if a.group("pct") is not None:
            # Only a percentage supports one: "10 days" in a source says nothing of "10%".
            return Claim(s, a.end(), "percentage", _one(("pct", value)))
        unit = a.group("unit")
        if unit is not None:
            ends = [self.hours(w, unit) for w in (written, a.group("b")) if w]
            if None in ends:
                return None
            return Claim(s, a.end(), "duration", tuple((("dur", h),) for h in ends))
        word = (a.group("word") or "").lower()
        if word in self.currency_words and a.group("of") is None:
            return Claim(s, a.end(), "amount", _one(("num", value)))
        if word in self.months and not words_only and len(value) <= 2 and 1 <= int(value) <= 31:
            year = _YEAR_AFTER.match(text, a.end())
            return Claim(s, year.end() if year else a.end(), "date",
                         _one(("date", (self.months[word], int(value)))))
        return None

    def _date(self, text: str, m: re.Match[str]) -> Claim | None:
        """A numeric date that starts with the number `m` ("14/03/2025", "2025-03-14")."""
        s, e = m.span()
        written = m.group()
        dotted = _DOTTED_DATE.fullmatch(written)
        if dotted is not None:
            a, b = int(dotted.group(1)), int(dotted.group(2))
            end = e
        elif len(written) == 4 and written.isdigit():
            iso = _ISO_REST.match(text, e)
            if iso is None:
                return None
            return Claim(s, iso.end(), "date",
                         _one(("date", (int(iso.group(1)), int(iso.group(2))))))
        elif len(written) <= 2:
            rest = _DATE_REST.match(text, e)
            if rest is None:
                return None
            a, b, end = int(written), int(rest.group(2)), rest.end()
        else:
            return None
        readings = {("date", (x, y)) for x, y in ((a, b), (b, a)) if 1 <= x <= 12 and y <= 31}
        return Claim(s, end, "date", (tuple(readings),)) if readings else None

    def _phone(self, text: str, s: int) -> Claim | None:
        """A phone number starting at the number at `s` (or at a "+" or "(" right before)."""
        start = s - 1 if s and text[s - 1] in "+(" else s
        if start and (text[start - 1].isalnum() or text[start - 1] in "+./-"):
            return None
        m = _PHONE_RE.match(text, start)
        if m is None:
            return None
        digits = _digits(m.group())
        if not 7 <= len(digits) <= 15:
            return None
        keys = (("phone", digits[-7:]), ("id", digits))
        if m.group()[0] in "+(" or (self.cue is not None and self.cue.search(
                text, max(0, start - 40), start)):
            return Claim(start, m.end(), "phone number", (keys,))
        return Claim(start, m.end(), "number", (keys,))

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
                    keys.update(group)
            for m in _TOKEN_RE.finditer(text):
                keys |= _id_keys(m.group())
            for m in _WORD_OR_NUMBER.finditer(text):
                word = m.group()
                if word[0].isdigit():
                    value = number_value(word)
                else:
                    word = word.lower()
                    value = str(self.numbers[word]) if word in self.numbers else None
                    if word in self.weekdays:
                        keys.add(("wd", self.weekdays[word]))
                if value is not None:
                    keys.add(("num", value))
            for m in self.one_unit.finditer(text):
                keys.add(("dur", round(self.units[m.group("u").lower()], 3)))
            # A range of percentages states both ends: "10-15%", "between 10 and 20% off".
            for m in _PERCENT_MARK.finditer(text):
                for n in _NUMBER.finditer(text, max(0, m.start() - 20), m.start()):
                    value = number_value(n.group())
                    if value is not None:
                        keys.add(("pct", value))
            for m in _DIGIT_RUN.finditer(text):
                digits = _digits(m.group())
                if len(digits) >= 7:
                    keys.add(("phone", digits[-7:]))
        return keys


def _tokens(view: str, start: int, end: int) -> Iterator[Claim]:
    """The number-like tokens of `view[start:end]`, a stretch between two claims: letters and
    digits with four digits or more ("AB-12345", "#48213"; "#" and three digits)."""
    # Read as a text of its own: a token never runs into the claims around the stretch.
    stretch = view[start:end]
    for m in _TOKEN_RE.finditer(stretch):
        token = m.group()
        if len(token) < 4:
            continue  # fewer than four characters: too few digits for a number
        digits = _digits(token)
        if len(digits) >= 4 or (token[0] == "#" and len(digits) >= 3):
            yield Claim(start + m.start(), start + m.end(), "number", (tuple(_id_keys(token)),))


def _digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def _id_keys(token: str) -> set[Key]:
    norm = token.upper().lstrip("#").replace("-", "").replace(",", "")
    digits = _digits(token)
    keys: set[Key] = {("id", norm)}
    if len(digits) >= 4:
        keys.add(("id", digits))
    return keys


def _minutes(hour: int, rest: re.Match[str]) -> int | None:
    """Minutes after midnight of `hour` and what follows it (`_TIME_REST`)."""
    if rest.group(2):
        minute = int(rest.group(1) or 0)
        if not 1 <= hour <= 12 or minute > 59:
            return None
        hour = hour % 12 + (12 if rest.group(2).lower() == "p" else 0)
    else:
        minute = int(rest.group(3))
        if hour > 23 or minute > 59:
            return None
    return hour * 60 + minute


def _supported(claim: Claim, known: set[Key], team_domains: frozenset[str]) -> bool:
    if not any(map(known.isdisjoint, claim.keys)):  # every group has a key the sources state
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
         "48213”; a percentage only by a percentage. Runs only where there is a ticket "
         "(`draft reply`, `draft batch`, `draft review --ticket`), on a model's draft, or on "
         "any reply when reference material is given (`draft review --ticket N --reference "
         "FILE`) or `human_replies` is true; "
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
                   "Friday” for a date) is flagged; a number the sources give for something "
                   "else supports the same number in the draft; a day's name in a product "
                   "name (“Tuesday goodies”) reads as a date; “24/7”, “a week or so” and "
                   "numbers under four digits without a unit are not read (measured: 21 of 23 "
                   "hand-written drafts with an invented fact flagged, 0 of 23 without one; "
                   "`benchmarks/unsupported_facts.py`). On 403 real replies reviewed against "
                   "the message each answers it fires on 4%, and 15 of those 16 do state a "
                   "fact the message does not give — agents' opening hours, usual delays, a "
                   "flight number, and a text generator's altered order numbers and amounts. "
                   "For a person's reply that is what the agent knows, not a mistake: hence "
                   "GRD001 checks a person's reply only with reference material or "
                   "`human_replies = true`. A warning, not an error: the agent may know the "
                   "fact is true (the revise loop still asks the model to remove it). "
                   "Ownership, so that a span gets one finding: promises and money actions "
                   "(“we'll refund”, “10% off”) are SAF001's, whatever the sources say (a "
                   "promise needs approval); links to shorteners or off the allow-list "
                   "SAF002's; card numbers SAF003's; discount codes SAF005's; IBANs SAF006's; a "
                   "phone number or email address in a model's draft SAF007's. Where one of "
                   "those rules reports a span, GRD001 does not; it reports the claims they "
                   "leave (the amount in “I've refunded $45”, a link on another host).",
)
def _grd001(settings: Mapping[str, Any]) -> Check:
    facts = Facts(settings)
    human = bool(settings.get("human_replies", False))
    platform = per_channel(settings, "platform_domains")
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
        wrappers = platform.get(ctx.channel or "", frozenset())
        urls = [u for u in doc.urls if text[u[0]:u[1]] == doc.text[u[0]:u[1]]
                and not (wrappers and url_key(doc.text[u[0]:u[1]]).split("/", 1)[0] in wrappers)]
        emails = [e for e in doc.emails if text[e[0]:e[1]] == doc.text[e[0]:e[1]]]
        known: set[Key] | None = None
        domains: frozenset[str] = frozenset()
        for claim in facts.each_claim(text, urls, emails):
            if known is None:  # what the sources state is read once there is a claim
                known = known_for(ctx)
                domains = frozenset(c.lower().lstrip("@") for c in ctx.team_contacts
                                    if c and " " not in c and "\n" not in c)
                domains |= {d.rpartition("@")[2] for d in domains}
            if not _supported(claim, known, domains):
                yield Hit(claim.start, claim.end,
                          f"{claim.kind.capitalize()} {quote(doc.text[claim.start:claim.end])} "
                          "is in neither the ticket nor the reference material")

    return check
