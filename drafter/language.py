"""The language a text is written in, by py3langid's bundled model (loaded on first use)."""

from __future__ import annotations

import re
from functools import cache, lru_cache
from itertools import islice
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from drafter.tickets.model import Ticket

# The language a text is taken to be in when detection is unsure: the team's default.
DEFAULT = "en"
# Below this probability the detector's answer is "unsure". Measured on short support messages
# (benchmarks/language.py): at 0.5 no sure answer was wrong, and 1-3 sentences were all sure.
MIN_CONFIDENCE = 0.5
# Fewer letters than this is too little to tell ("ok thanks", "Danke!").
MIN_LETTERS = 12
_READ = 4000  # characters read of a longer text

NAMES = {
    "en": "English", "de": "German", "es": "Spanish", "fr": "French", "it": "Italian",
    "nl": "Dutch", "pt": "Portuguese", "pl": "Polish", "sv": "Swedish", "da": "Danish",
    "nb": "Norwegian", "no": "Norwegian", "fi": "Finnish", "cs": "Czech", "tr": "Turkish",
    "ru": "Russian", "ja": "Japanese", "zh": "Chinese", "ko": "Korean", "ca": "Catalan",
}
_LETTER = re.compile(r"[^\W\d_]")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# Common English words that are not words of the other languages drafter's teams write (no
# "is", "die", "will", "me", "an"): a text made largely of them is English without asking the
# model, whose loading costs about a second. Measured (benchmarks/language.py): of 120 short
# German, Spanish, French, Dutch, Italian and Portuguese messages none passed; of 811 real
# English support messages 4 in 5 did, and the model agreed on every one.
_ENGLISH = frozenset({
    "the", "and", "you", "your", "we", "our", "to", "of", "for", "with", "this", "that", "have",
    "has", "are", "were", "be", "been", "it's", "i'm", "i've", "i'll", "we'll", "we're", "you're",
    "you'll", "don't", "can't", "won't", "didn't", "doesn't", "isn't", "please", "thank",
    "thanks", "would", "could", "should", "can", "about", "from", "what", "when", "which",
    "there", "their", "they", "them", "if", "not", "just", "any", "my", "it", "how", "get", "got",
    "sorry", "let", "into", "out", "more", "some", "than", "its", "very", "today", "tomorrow",
    "sent", "send", "order", "orders", "refund", "days", "day", "week", "business", "best",
    "regards", "within", "card", "account", "email", "reply", "team", "know", "need", "see",
    "look", "back", "new", "one", "time", "here", "hello", "hi", "yes", "who", "why",
    "where", "after", "before", "again", "other", "only", "every", "while", "because",
    "during", "something", "anything", "nothing", "everything", "sometimes", "soon", "think",
    "does", "these", "those", "shipping", "delivery",
})
_ENGLISH_SHARE = 0.25  # of the words
_ENGLISH_MIN_WORDS = 4
# What is not the writer's language: links, addresses, @handles, numbers, placeholders.
_NOISE = re.compile(r"https?://\S+|www\.\S+|\S+@\S+|@\w+|\{\{.*?\}\}|\{%.*?%\}|\[[^\]\n]{0,40}\]")
# Every piece of noise holds one of these: a text with none of them is not searched for it.
_NOISE_MARKS = ("@", "://", "www.", "{{", "{%", "[")


def name(code: str | None) -> str:
    """The English name of language `code` ("de" -> "German"), or the code itself."""
    if code is None:
        return "unknown"
    return NAMES.get(code, code)


@cache
def load_model() -> Any:
    """py3langid's bundled model (loaded once, on first use), kept expanded in drafter's cache
    folder: reading it from there takes about 0.15 s, expanding the shipped file about 0.6 s
    (LZMA, then its tables), in every process that meets a text not plainly English."""
    # Imported here: commands that never detect a language (draft --help, draft rules) should
    # not pay for numpy and the model.
    from py3langid.langid import MODEL_DIR, MODEL_FILE, LanguageIdentifier

    shipped = MODEL_DIR / MODEL_FILE
    entry = _model_entry(shipped)
    if entry is not None:
        found = _read_model(entry, LanguageIdentifier)
        if found is not None:
            return found
    model = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=True)
    if entry is not None:
        _write_model(entry, model)
    return model


def _model_entry(shipped: Any) -> str | None:
    """The cache entry for the shipped model file (its size and time name it), or None."""
    import os

    from drafter.cache import cache_dir

    folder = cache_dir()
    if folder is None:
        return None
    try:
        info = os.stat(shipped)
    except OSError:
        return None
    return os.path.join(folder, f"langid-{info.st_size}-{info.st_mtime_ns}.npz")


def _read_model(entry: str, identifier: Any) -> Any:
    """The model from a cache entry, or None when there is none or it cannot be read."""
    import zipfile
    from array import array

    import numpy as np

    try:
        with np.load(entry, allow_pickle=False) as data:
            nextmove = array(str(data["nextmove_type"]), data["nextmove"].tobytes())
            row = array(str(data["row_type"]), data["row"].tobytes())
            return identifier(data["ptc"], data["pc"], data["classes"].tolist(), nextmove,
                              data["output"].tolist(), norm_probs=True, tk_row=row)
    except (OSError, ValueError, KeyError, TypeError, EOFError, zipfile.BadZipFile):
        return None  # missing or damaged: expanded from the shipped file again


def _write_model(entry: str, model: Any) -> None:
    """Keep the expanded model's tables in the cache entry (losing it only costs time); entries
    of other model files go."""

    import numpy as np

    from drafter.cache import remove_others, write_atomic

    def write(out: Any) -> None:
        np.savez(out, ptc=model.nb_ptc, pc=model.nb_pc, classes=np.array(model.nb_classes),
                 nextmove=np.asarray(model.tk_nextmove), nextmove_type=model.tk_nextmove.typecode,
                 row=np.asarray(model.tk_row), row_type=model.tk_row.typecode,
                 output=np.asarray(model.tk_output, dtype=np.int64))

    if write_atomic(entry, write):
        remove_others(entry, "langid-")  # another py3langid's model: ~70 MB each


# A review asks for the language of the same texts (the reply, the customer's message) several
# times: the answers are kept for the last few hundred texts.
@lru_cache(maxsize=256)
def detect(text: str, min_confidence: float = MIN_CONFIDENCE) -> str | None:
    """The ISO 639-1 code of the language `text` is written in, or None when unsure (too
    little text, or no language at least `min_confidence` likely)."""
    # The first few thousand characters tell the language; the rest would only cost time.
    head = text[:_READ]
    if any(mark in head for mark in _NOISE_MARKS):
        head = _NOISE.sub(" ", head)
    clean = " ".join(head.split())
    if next(islice(_LETTER.finditer(clean), MIN_LETTERS - 1, None), None) is None:
        return None  # fewer than MIN_LETTERS letters
    if english_at_a_glance(clean):
        return "en"
    code, confidence = load_model().classify(clean)
    return str(code) if confidence >= min_confidence else None


def english_at_a_glance(text: str) -> bool:
    """Whether `text` is plainly English: a quarter of its words (four or more) are common
    English words that no other language of drafter's teams shares."""
    words = _WORD.findall(text[:_READ].lower().replace("’", "'"))
    return len(words) >= _ENGLISH_MIN_WORDS and sum(
        map(_ENGLISH.__contains__, words)) >= _ENGLISH_SHARE * len(words)


def ticket_language(ticket: Ticket) -> str | None:
    """The customer's language: the helpdesk's when it gives one, else that of the latest
    customer message in `ticket` (its new words, quotes and signature removed); None when unsure."""
    if ticket.language:
        return ticket.language.split("-")[0].lower()  # "pt-BR" -> "pt"
    latest = ticket.latest_customer_message
    words = (latest.latest or latest.body).strip() if latest is not None else ""
    return detect(words) if words else None
