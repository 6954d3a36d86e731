"""Plain words (PLN): everyday words instead of jargon, acronyms spelled out, a readable level."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Mapping
from functools import lru_cache
from typing import Any

from drafter.review import checks
from drafter.review.channels import per_channel
from drafter.review.checks import get_list, get_map, get_num, quote
from drafter.review.context import ReviewContext
from drafter.review.registry import Check, Hit, rule
from drafter.review.structure import GREETING, NOT_PROSE
from drafter.review.text import Doc

P = "plain_words"
WHY = "The guide's principle “Plain words instead of jargon”."


@rule(
    "PLN001", "jargon", "info", P,
    "Jargon from the guide's glossary; the plain alternative is the suggestion.",
    what="Finds the terms of the style guide's `[glossary]` tables (every principle's, merged, "
         "plus this rule's own `glossary` table) and suggests the plain alternative the glossary "
         "gives (“utilize” -> “use”, “prior to” -> “before”).",
    why=WHY + " Jargon makes the customer work to understand, or guess wrong.",
    example="Please utilize the new form prior to your next order.",
    instead="Please use the new form before your next order.",
    fix="Use the plain word",
    defaults={"glossary": {}},
    known_problems="A glossary term can be the everyday word for the thing (“clear your "
                   "cache”), or the customer's own word said back to them. About four in five "
                   "findings were right on the real replies of the workbench, so it reports as "
                   "info.",
)
def _pln001(settings: Mapping[str, Any]) -> Check:
    get_map(settings, "glossary")
    return checks.substitution(settings, "Jargon: {match}; say {suggestion}", key="glossary",
                               fix="Replace with {suggestion}")


# The look-behind follows the first letter, so the regex engine can skip to capitals quickly.
_ACRONYM_RE = re.compile(r"[A-Z](?<![\w'’-][A-Z])[A-Z0-9&]*[A-Z0-9](?:s)?(?![\w'’-])")
_BLANKS_RE = re.compile(r"[ \t]+")
# ASCII bytes with each capital letter as "A", each digit and "&" as "0", anything else "a".
_ACRONYM_SHAPES = bytes(65 if 65 <= c <= 90 else 48 if 48 <= c <= 57 or c == 38 else 97
                        for c in range(256))


def _may_have_acronym(doc: Doc) -> bool:
    """Whether `_ACRONYM_RE` can match: a capital before a capital, digit or "&" (a quick test
    for plain ASCII text, where the regex, trying every capital, is slow)."""
    if not doc.plain_ascii:
        return True
    shapes = doc.prose.encode("ascii").translate(_ACRONYM_SHAPES)
    return b"AA" in shapes or b"A0" in shapes
_OPENS_BRACKET_RE = re.compile(r"\s*\(")
# Marks that put an agent's initials into a post ("^KJ", "*ACJ", "~RD"), wherever it stands.
_INITIALS_MARKS = frozenset("^*~")
_NOT_READ = NOT_PROSE | {GREETING}  # "HI!" opens a tweet, it abbreviates nothing


@rule(
    "PLN002", "unexplained-acronym", "info", P,
    "Acronyms used without being spelled out.",
    what="Finds words in capitals (2 to `max_letters` letters) that are not spelled out where "
         "first used, as in “service level agreement (SLA)” or “SLA (service level agreement)”. "
         "Well-known ones in `known` (PDF, FAQ, ...), the channel's own words in `channel_words` "
         "(“DM” on social), those the customer wrote in their own message (also in another "
         "spelling of the number: “WW2” for “WWII”), the brand's own names to its own handle "
         "(“PSN” to @AskPlayStation), a colleague's initials (“the link TN sent”), names (capitals "
         "next to a capitalised word, as in “Lightroom Classic CC”), glossary terms (see "
         "PLN001), and runs of capitals (see TON003) are left alone. Reads the writer's prose "
         "only: never the greeting, the signature (an agent's initials such as “^KJ”, “-JN”, "
         "“*ACJ”), the sign-off or the @handles. Only the first use of each is flagged.",
    why=WHY + " The guide says spell out acronyms the first time: the customer does not share "
        "the team's vocabulary.",
    example="The payment failed because of an AVS mismatch.",
    instead="The payment failed because the address you entered does not match the one your "
            "bank has (an AVS mismatch).",
    fix="Spell it out the first time",
    defaults={"max_letters": 5, "glossary": {}, "channel_words": {}},
    known_problems="Most capitals in real tweets are names the customer knows: products and "
                   "services, games, airport codes, brands written in capitals. Those the "
                   "customer wrote, or that start with their @handle's initials, are skipped, "
                   "but only about one finding in five was right on real tweets without the "
                   "customer's message (two in five with it). So the shipped guide turns it "
                   "off on social (`skip_channels = [\"social\"]`); elsewhere it is info, and a "
                   "team that writes mostly about its own products may ignore it "
                   "(`review.ignore = [\"PLN002\"]`).",
)
def _pln002(settings: Mapping[str, Any]) -> Check:
    known = {w.upper() for w in get_list(settings, "known")}
    channel_words = {c: frozenset(w.upper() for w in words)
                     for c, words in per_channel(settings, "channel_words").items()}
    glossary = {k for k in get_map(settings, "glossary") if k.isupper()}
    max_letters = int(get_num(settings, "max_letters", 5))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        prose = doc.prose
        seen: set[str] = set()
        matches = list(_ACRONYM_RE.finditer(prose)) if _may_have_acronym(doc) else []
        own = channel_words.get(ctx.channel or "", frozenset())
        if ctx.customer_text:
            # What the customer wrote themselves is shared vocabulary ("is PSN down?").
            own = own | {w.removesuffix("s") for w in _ACRONYM_RE.findall(ctx.customer_text)}
        said = {_letters(w) for w in own}
        brands = _brand_initials(ctx.customer_text or "")
        for i, m in enumerate(matches):
            word = m.group()
            bare = word[:-1] if word.endswith("s") else word
            if (bare in seen or bare in known or bare in own or bare in glossary
                    or len(bare) > max_letters or sum(c.isalpha() for c in bare) < 2
                    or _letters(bare) in said or any(i in bare[:len(i)] for i in brands)):
                continue  # known, or the customer's own ("WW2" for "WWII", "PSN" to @AskPlayStation)
            if _COLLEAGUE_RE.match(prose, m.end()):
                continue  # a colleague's initials: "the link TN sent"
            if prose[m.start() - 1:m.start()] in _INITIALS_MARKS or doc.structure.inside(
                    m.start(), m.end(), _NOT_READ):
                continue  # an agent's initials ("^KJ" anywhere), the signature, a greeting
            seen.add(bare)
            # Part of a run of capitals: shouting, TON003's business.
            if i and _BLANKS_RE.fullmatch(prose, matches[i - 1].end(), m.start()):
                continue
            if i + 1 < len(matches) and _BLANKS_RE.fullmatch(prose, m.end(),
                                                              matches[i + 1].start()):
                continue
            if _explained(prose, m.start(), m.end()) or _in_a_name(prose, m.start(), m.end()):
                continue
            yield Hit(m.start(), m.end(), f"Acronym {quote(word)} is not spelled out")

    return check


def own_words(prose: str, start: int, end: int, words: tuple[str, ...]) -> tuple[str, ...]:
    """The sentence's `words` less its @handles and #hashtags, which nobody reads as words."""
    tags = Counter(_TAG_RE.findall(prose, start, end))
    if not tags:
        return words
    out = []
    for w in words:
        if tags[w]:
            tags[w] -= 1
        else:
            out.append(w)
    return tuple(out)


_TAG_RE = re.compile(r"(?<![\w@#])[@#](\w+)")


def _letters(word: str) -> str:
    """An acronym without its number: "WW2" and "WWII" are both "WW"."""
    return _NUMBER_RE.sub("", word) or word


def _brand_initials(text: str) -> set[str]:
    """Initials of two or more capitalised parts of the @handles in `text` (@AskPlayStation:
    "PS"), the start of the brand's own acronyms ("PSN")."""
    out = set()
    for handle in _HANDLE_RE.findall(text):
        caps = "".join(p[0] for p in _CAMEL_RE.findall(handle))
        out |= {caps[i:i + 2] for i in range(len(caps) - 1)}
    return out


_NUMBER_RE = re.compile(r"(?<=[A-Z]{2})(?:\d+|[IVX]+)$")
_HANDLE_RE = re.compile(r"@(\w+)")
_CAMEL_RE = re.compile(r"[A-Z][a-z]+")
_COLLEAGUE_RE = re.compile(r"\s+(?:has\s+|had\s+|just\s+)?(?:provided|sent|shared|mentioned|said|"
                           r"gave|posted|linked|suggested|asked|replied|noted)\b")


# A capitalised word (not in capitals) just before or after: "Lightroom Classic CC".
_NAME_BEFORE_RE = re.compile(r"(?<![.!?:]\s)(?<!^)\b[A-Z][a-z]+[ \t]$")
_NAME_AFTER_RE = re.compile(r"[ \t][A-Z][a-z]+\b")


def _in_a_name(prose: str, start: int, end: int) -> bool:
    """Whether the capitals are part of a product's or a place's name, not an acronym to
    spell out: next to a capitalised word that is not the first of its sentence ("Lightroom
    Classic CC", "our IND Agents")."""
    return bool(_NAME_BEFORE_RE.search(prose, max(0, start - 30), start)
                or _NAME_AFTER_RE.match(prose, end))


def _explained(prose: str, start: int, end: int) -> bool:
    """Whether an acronym sits in brackets after its expansion, or is followed by one."""
    before = prose[max(0, start - 40):start]
    opened = before.rfind("(")
    if opened != -1 and ")" not in before[opened:]:
        return True
    return bool(_OPENS_BRACKET_RE.match(prose, end, end + 3))


_VOWELS_RE = re.compile(r"[aeiouy]+")


@lru_cache(maxsize=20000)
def syllables(word: str) -> int:
    """Estimate the syllables of an English word (vowel groups, silent final e)."""
    w = word.lower().strip("'’")
    if len(w) <= 3:
        return 1
    if w.endswith("e") and not w.endswith(("le", "ee", "ye")):
        w = w[:-1]
    elif w.endswith(("es", "ed")) and not w.endswith(("ted", "ded", "ses", "zes", "ces", "ges")):
        w = w[:-2]
    return max(1, len(_VOWELS_RE.findall(w)))


class _Syllables(dict[str, int]):
    """word -> syllables, filled on first look-up (a plain dict is read fastest)."""

    def __missing__(self, word: str) -> int:
        if len(self) >= 50000:
            self.clear()
        n = self[word] = syllables(word)
        return n


_SYLLABLES = _Syllables()


def fk_grade(words: int, sentences: int, syll: int) -> float:
    """The Flesch-Kincaid grade level."""
    return 0.39 * words / max(sentences, 1) + 11.8 * syll / max(words, 1) - 15.59


_VOWELS = b"aeiouyAEIOUY"
# ASCII bytes -> 1 for a vowel, 0 for anything else.
_VOWEL_BITS = bytes(c in _VOWELS for c in range(256))
# ASCII bytes -> "a" for a vowel, " " for anything else; the rest of the characters a word
# may hold (letters, digits, _ ' -) are deleted.
_VOWEL_RUNS = bytes(97 if c in _VOWELS else 32 for c in range(256))
_OTHER_WORD_CHARS = bytes(c for c in range(128)
                          if (chr(c).isalnum() or chr(c) in "_'-") and c not in _VOWELS)


def syllables_at_most(text: str, words: int) -> int:
    """An upper bound of the syllables of the `words` words of plain ASCII `text`.

    `syllables` gives a word one per vowel group at most, or one if it has no vowel. A run of
    the characters a word may hold holds one word at most, so the words without a vowel are
    `words` less the runs with one.
    """
    data = text.encode("ascii")
    vowels = int.from_bytes(data.translate(_VOWEL_BITS), "little")
    groups = (vowels & ~(vowels << 8)).bit_count()  # the vowels not right after a vowel
    runs = data.translate(_VOWEL_RUNS, _OTHER_WORD_CHARS)  # a run with a vowel: "a", "aa", ...
    with_vowel = runs.count(b" a") + runs.startswith(b"a")
    return groups + words - with_vowel


@rule(
    "PLN003", "reading-level", "info", P,
    "Reading level above the guide's ceiling (Flesch-Kincaid grade, for texts long enough).",
    what="Measures the body's Flesch-Kincaid grade level (from words per sentence and syllables "
         "per word) when it has at least `min_words` words, and flags it when above `max_grade`. "
         "@handles and #tags are not words. The finding points at the hardest sentence.",
    why=WHY + " The guide asks for a level a busy reader takes in at a glance; many customers "
        "read in a second language.",
    example="Subsequently, the organisational infrastructure necessitated comprehensive "
            "reconfiguration, consequently introducing unanticipated operational "
            "complications affecting international distribution capabilities. Additionally, "
            "administrative authorisation requirements delayed the reimbursement "
            "considerably, notwithstanding our continuous communication. Furthermore, the "
            "accompanying documentation regarding compensation eligibility remains under "
            "comprehensive organisational evaluation.",
    instead="We changed our systems, and that caused problems we did not expect. Some orders "
            "were sent late. Your refund was also slow, because it needed an extra approval. "
            "We kept in touch with the bank the whole time. The money is now on its way to your "
            "card, and I'll email you when it arrives.",
    fix="Use shorter sentences and shorter words",
    defaults={"max_grade": 10, "min_words": 40},
    known_problems="A readability formula over one sentence is noisy: a plain request for an "
                   "order number can score as hard to read. About half its findings were "
                   "right on the workbench and a third on the holdout (6 of 13 together); "
                   "treat it as a hint.",
)
def _pln003(settings: Mapping[str, Any]) -> Check:
    max_grade = get_num(settings, "max_grade", 10)
    min_words = int(get_num(settings, "min_words", 40))

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        sents, sent_words = doc.sentences, doc.sentence_words
        handles = "@" in doc.prose or "#" in doc.prose
        if handles:
            sent_words = [own_words(doc.prose, s, e, w) for (s, e), w in zip(sents, sent_words,
                                                                              strict=True)]
        n_words = sum(map(len, sent_words))
        if n_words < min_words or n_words == 0:
            return
        if doc.plain_ascii and not handles:
            # Most texts are well below the ceiling, as a bound of their syllables shows
            # (every word of the sentences lies between the first's start and the last's end).
            most = syllables_at_most(doc.prose[sents[0][0]:sents[-1][1]], n_words)
            if fk_grade(n_words, len(sents) - sent_words.count(()), most) <= max_grade:
                return
        total_w = total_s = total_syl = 0
        worst: tuple[float, int, int] | None = None
        for (s, e), words in zip(sents, sent_words, strict=True):
            if not words:
                continue
            syl = sum(map(_SYLLABLES.__getitem__, words))
            n = len(words)
            total_w += n
            total_s += 1
            total_syl += syl
            grade = 0.39 * n / 1 + 11.8 * syl / n - 15.59  # fk_grade(n, 1, syl), inlined
            if worst is None or grade > worst[0]:
                worst = (grade, s, e)
        if total_w < min_words or worst is None:
            return
        # Compared as shown, to one decimal: "grade 10.0, above the ceiling of 10" is no finding.
        grade = round(fk_grade(total_w, total_s, total_syl), 1)
        if grade > round(max_grade, 1):
            _, s, e = worst
            yield Hit(s, e, f"Reading level is grade {grade:.1f}, above the guide's ceiling of "
                      f"{max_grade:g}; hardest sentence: {quote(doc.text[s:e], 40)}")

    return check


@rule(
    "PLN004", "abbreviation", "info", P,
    "Latin and written abbreviations (“e.g.”, “i.e.”, “etc.”, “w/”).",
    what="Finds the abbreviations of the `substitutions` setting and suggests the words they stand "
         "for (“e.g.” -> “for example”, “i.e.” -> “that is”). Words that came into English "
         "from Latin and are everyday words now (“via”, “per”, “versus”) are not abbreviations, "
         "and the channel's own shorthand in `channel_words` (“w/” in a post limited to a few "
         "hundred characters) is left alone there.",
    why=WHY + " Abbreviations are shorthand for the writer, not plain words for the reader.",
    example="Send us a photo, e.g. of the label.",
    instead="Send us a photo, for example of the label.",
    fix="Write it out",
    defaults={"channel_words": {}},
)
def _pln004(settings: Mapping[str, Any]) -> Check:
    get_map(settings, "substitutions")
    channel_words = {c: frozenset(w.lower() for w in words)
                     for c, words in per_channel(settings, "channel_words").items()}
    subs = checks.substitution(settings, "Abbreviation {match}; write {suggestion}")

    def check(doc: Doc, ctx: ReviewContext) -> Iterator[Hit]:
        own = channel_words.get(ctx.channel or "", frozenset())
        for hit in subs(doc, ctx):
            if doc.text[hit.start:hit.end].lower() not in own:
                yield hit

    return check
