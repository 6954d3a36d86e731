"""Turn untrusted customer text into an FTS5 query that never raises: each word quoted as a
string (so `NEAR(`, `AND`, `*`, `"` and `:` are only words), stop words dropped, the rest
joined with OR so that BM25 ranks by how many rare words a passage shares."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from functools import lru_cache
from pathlib import Path

from drafter.errors import ConfigError

MAX_TERMS = 24  # a long message keeps its first distinct words (each costs search time)
MAX_INPUT = 20_000  # characters of a message read for words

_WORD = re.compile(r"\w+")
# Words that say nothing of what a passage is about, in English, German and Spanish (the
# languages drafter has phrase lists for), plus the small talk of support mail.
_STOP_WORDS = """
a about above after against all am an and any are as at be because been before being
below between both but by can could did do does doing down during each few for from further
had has have having he her here hers herself him himself his how i if in into is it its itself
just me more most my myself no nor not now of off on once only or other our ours ourselves out
over own same she should so some such than that the their theirs them themselves then there
these they this those through to too under until up very was we were what when where which
while who whom why will with would you your yours yourself yourselves also get got im ive dont
cant wont didnt doesnt isnt wasnt hi hello hey dear thanks thank please regards best kind
cheers sincerely team support help hope well still yet already would could really much many
one two since via ok okay yes re fw fwd don ve ll want make sure thing things going way
think see says say said know let like need actually bit come came tried try lol wrote sent
der die das und ist ich nicht ein eine einen einem einer es sie wir ihr mit von zu den dem
des auf für fur im in ist war sind bitte danke hallo mein meine ihre ihr habe hat haben noch
schon aber oder wenn dass sich auch nur so wie was bei nach aus um
el la los las un una unos unas y o de del en que es por para con mi mis su sus al lo se no
me le les ya pero como hola gracias favor muy este esta estos estas ese esa
without instead rather ohne statt anstatt sin vez lugar zu
"""
STOP_WORDS = frozenset(_STOP_WORDS.split())


# What a customer rules out is not searched for: it would rank the passage about exactly that
# first ("pause it without cancelling" finds the cancelling article). An alternative after
# "instead of" ("rather than", "statt", "en vez de") is ruled out whatever it is; after "without"
# ("ohne", "sin") only an action the customer opts out of ("without cancelling", "ohne es zu
# kündigen", "sin cancelar"): anything else after it is what is missing or late ("it arrived
# without the shade", "weeks without receiving my order") and stays.
_INSTEAD = re.compile(r"\b(?:instead of|rather than|statt|anstatt|en (?:vez|lugar) de)\W+$",
                      re.IGNORECASE)
_WITHOUT = re.compile(r"\b(?:without|ohne|sin)\W+$", re.IGNORECASE)
# The starts of the actions a customer opts out of, in English, German and Spanish.
_OPT_OUT = re.compile(r"(?:cancel|unsubscrib|clos|delet|terminat|paying|pay\b|returning|"
                      r"losing|kündig|storn|bezahl|zahl|lösch|schließ|anul|pagar|"
                      r"devolv|borrar|cerrar|perder|darse de baja)\w*", re.IGNORECASE)
_WITHIN = 3  # words from the excluding word to its object ("ohne es zu kündigen")


def terms(text: str, limit: int = MAX_TERMS) -> list[str]:
    """The distinct searchable words of `text`, in order: no stop words, no single letters, and
    not what the customer rules out ("without cancelling", "instead of a refund")."""
    seen: dict[str, None] = {}
    text = text[:MAX_INPUT]
    rule = ""  # "instead" or "without" while an excluded object may still come
    left = 0  # words left in which it may come
    for match in _WORD.finditer(text):
        word = match.group(0).lower().strip("_")
        if _INSTEAD.search(text, max(0, match.start() - 12), match.start()):
            rule, left = "instead", _WITHIN
        elif _WITHOUT.search(text, max(0, match.start() - 9), match.start()):
            rule, left = "without", _WITHIN
        if len(word) < 2 or word in STOP_WORDS or word in seen:
            left -= 1
            continue
        if left > 0 and (rule == "instead" or _OPT_OUT.fullmatch(word)):
            left = 0
            continue
        left = 0
        seen[word] = None
        if len(seen) >= limit:
            break
    return list(seen)


# A glossary key shorter than this is a whole word ("abo"), a longer one a word's start.
WHOLE_WORD_BELOW = 5
SHIPPED_TERMS = Path(__file__).with_name("terms.toml")

Glossary = Mapping[str, Sequence[str]]


def load_terms(path: Path, origin: str = "") -> dict[str, tuple[str, ...]]:
    """The glossary in `path` (`[<language>]` tables of `word-start = ["english", ...]`), its
    languages merged into one table: which language a word is in does not matter to a search."""
    from drafter import cache

    where = origin or str(path)
    try:
        data = cache.toml(str(path), path.read_bytes())
    except (OSError, cache.TOMLError) as exc:
        raise ConfigError(f"{where}: cannot read the search terms: {exc}",
                          hint="fix the file, or unset `knowledge.terms`") from None
    glossary: dict[str, tuple[str, ...]] = {}
    for language, table in data.items():
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: `{language}` is not a table of terms",
                              hint='write [de] and under it: rechnung = ["invoice"]')
        for key, words in table.items():
            if not (isinstance(words, list) and all(isinstance(w, str) for w in words)):
                raise ConfigError(f"{where}: [{language}] {key} is not a list of words",
                                  hint=f'write {key} = ["word", ...]')
            glossary[key.lower()] = tuple(w.lower() for w in words)
    return glossary


@lru_cache(maxsize=4)
def glossary(extra: Path | None = None) -> dict[str, tuple[str, ...]]:
    """The shipped search terms, with a team's own (`knowledge.terms`) over them."""
    merged = load_terms(SHIPPED_TERMS)
    if extra is not None:
        merged.update(load_terms(extra))
    return merged


def translated(words: Sequence[str], table: Glossary, limit: int = MAX_TERMS) -> list[str]:
    """The glossary's words for `words` (at most `limit`, none of `words` again)."""
    found: dict[str, None] = {}
    given = set(words)
    for word in words:
        # A short word is looked up whole; a longer one by each of its starts from five letters
        # ("lieferadresse" finds "liefer" and "lieferadresse").
        keys = [word] if len(word) < WHOLE_WORD_BELOW else \
            [word[:n] for n in range(WHOLE_WORD_BELOW, len(word) + 1)]
        for key in keys:
            for other in table.get(key, ()):
                if other not in given:
                    found[other] = None
    return list(found)[:limit]


def phrase_translated(text: str, table: Glossary, limit: int = MAX_TERMS) -> list[str]:
    """The glossary's words for its phrase keys (keys of several words, "going away") that
    `text` says, as whole words in a row within one sentence or clause, and not negated: a
    phrase says what none of its words says alone ("right away" is no holiday, "we're away"
    is; "the error is not going away" is no holiday either)."""
    phrases = [(key, f" {' '.join(_WORD.findall(key))} ") for key in table if " " in key]
    if not phrases:
        return []
    found: dict[str, None] = {}
    for stretch in _CLAUSE_BREAK.split(text[:MAX_INPUT].lower().replace("’", "'")):
        low = f" {' '.join(_WORD.findall(stretch))} "
        for key, words in phrases:
            at = low.find(words)
            if at >= 0 and low[:at].rsplit(" ", 1)[-1] not in _NEGATING:
                found.update(dict.fromkeys(table[key]))
    return list(found)[:limit]


# Where a phrase key may not run on: a sentence's or a clause's end (not a line break: mail
# is wrapped mid-sentence).
_CLAUSE_BREAK = re.compile(r"[.!?;:,()]+")
# A word right before a phrase key that turns it round ("not going away"; "isn't" ends in "t").
_NEGATING = frozenset({"not", "never", "no", "t", "nicht", "nie", "kein", "nunca"})


def fts_query(text: str, limit: int = MAX_TERMS, terms_table: Glossary | None = None) -> str | None:
    """An FTS5 MATCH expression for `text` (None when it has no searchable word); with
    `terms_table` (a glossary), its words are searched for in English too."""
    words = terms(text, limit)
    if not words:
        return None
    if terms_table:
        more = translated(words, terms_table, limit) + phrase_translated(text, terms_table, limit)
        words += [w for w in dict.fromkeys(more) if w not in words][:limit]
    # A quoted FTS5 string is only ever a phrase of words; doubling a quote escapes it (a \\w
    # word holds none, but the rule is what keeps the query safe, so it is applied anyway).
    return " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
