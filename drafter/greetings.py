"""Greetings and sign-offs by channel and language: the team's `[team.greetings]` over defaults.

    [team.greetings.email.de]
    greeting = "Hallo {name},"
    greeting_no_name = "Hallo,"
    sign_off = "Viele Grüße"

    [team.greetings.chat.en]
    greeting = "Hi {name}!"        # chat has none by default; "" means none

Email in English takes `team.greeting`, `team.greeting_no_name` and `team.sign_off` (the keys
drafter had first); another language falls back to English when neither the team nor the
defaults below know it. Chat and social replies have no greeting, sign-off or signature unless
the team gives them one. The style guide only says whether a channel expects them (HYG004,
HYG005); the words are the team's, here.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from drafter.errors import ConfigError

KEYS = ("greeting", "greeting_no_name", "sign_off", "signature")

# Email in languages other than English (English comes from the flat team.* keys).
EMAIL_DEFAULTS: dict[str, dict[str, str]] = {
    "de": {"greeting": "Hallo {name},", "greeting_no_name": "Guten Tag,", "sign_off": "Viele Grüße"},
    "es": {"greeting": "Hola, {name}:", "greeting_no_name": "Hola:", "sign_off": "Un saludo,"},
    "fr": {"greeting": "Bonjour {name},", "greeting_no_name": "Bonjour,",
           "sign_off": "Cordialement,"},
    "it": {"greeting": "Ciao {name},", "greeting_no_name": "Buongiorno,",
           "sign_off": "Cordiali saluti,"},
    "nl": {"greeting": "Hallo {name},", "greeting_no_name": "Hallo,",
           "sign_off": "Met vriendelijke groet,"},
    "pt": {"greeting": "Olá {name},", "greeting_no_name": "Olá,", "sign_off": "Atenciosamente,"},
}
# The lines that are a greeting or a sign-off, in the languages above: what SAN004 flags inside
# a model's draft body, and what the pipeline cuts from a draft or a canned response.
@cache
def greeting_line() -> re.Pattern[str]:
    """A line that is a greeting, in the languages drafter greets in (multiline)."""
    return re.compile(
        r"^[ \t]*(?:(?:hi|hello|hey|dear|greetings|good (?:morning|afternoon|evening)|hallo|"
        r"guten (?:tag|morgen|abend)|liebe[rs]?|sehr geehrte[rs]?|bonjour|bonsoir|hola|"
        r"estimad[oa]|ol[áa]|ciao|buongiorno|gentile|beste|geachte)\b[^\n.?]{0,40}[,!:]?"
        r"|\[?(?:customer|name)\b[^\n]{0,20}\]?,)[ \t]*$", re.IGNORECASE | re.MULTILINE)


@cache
def sign_off_line() -> re.Pattern[str]:
    """A line that is a sign-off, in the languages drafter signs off in (multiline)."""
    return re.compile(
        r"^[ \t]*(?:(?:best|kind|warm|warmest|many)? ?regards|best(?: wishes)?|sincerely|"
        r"yours(?: sincerely| truly| faithfully)?|cheers|all the best|thanks(?: again)?|thank you|"
        r"many thanks|mit freundlichen grüßen|viele grüße|beste grüße|freundliche grüße|"
        r"liebe grüße|cordialement|bien à vous|saludos|un saludo|atentamente|cordiali saluti|"
        r"met vriendelijke groet|atenciosamente)"
        r"[ \t]*[,.!]?[ \t]*$", re.IGNORECASE | re.MULTILINE)


# Channels whose replies carry the email furniture by default.
FURNISHED = ("email",)


@dataclass(frozen=True)
class Greetings:
    """What wraps a reply's body on one channel in one language ("" for none)."""

    greeting: str = ""
    greeting_no_name: str = ""
    sign_off: str = ""
    signature: str = ""

    def open(self, first_name: str | None) -> str:
        """The greeting line for a customer called `first_name` (or of unknown name)."""
        if first_name and self.greeting:
            return self.greeting.replace("{name}", first_name)
        return self.greeting_no_name

    def close(self) -> str:
        """The sign-off and signature lines ("" for none)."""
        return f"{self.sign_off}\n{self.signature}".strip()


def language_code(language: str | None) -> str:
    """`de-DE`, `DE`, `de_AT` -> `de`; None -> `en`."""
    return (language or "en").replace("_", "-").split("-")[0].strip().lower() or "en"


def greetings_for(team: Mapping[str, Any], channel: str, language: str | None = None) -> Greetings:
    """The greeting, sign-off and signature for a reply on `channel` in `language`.

    `team` is the App's team mapping: the flat team.* strings, and `greetings`, the table of
    `[team.greetings]` (channel -> language -> keys), which wins over the defaults key by key.
    A language nobody gave words for gets English.
    """
    table = team.get("greetings") or {}
    _check(table)
    own = table.get(channel, {})
    lang = language_code(language)
    if channel in FURNISHED:
        words = {k: str(team.get(k, "")) for k in KEYS}  # English: the flat team.* keys
        if lang in EMAIL_DEFAULTS:
            words.update(EMAIL_DEFAULTS[lang])
        elif lang not in own:
            lang = "en"
    else:
        words = {}  # chat and social: only what the team gives them
        if lang not in own:
            lang = "en"
    words.update(own.get(lang, {}))
    return Greetings(**{k: words.get(k, "") for k in KEYS})


def _check(table: Any) -> None:
    """Raise ConfigError unless `table` is channel -> language -> {known keys: strings}."""
    expected = 'a table like [team.greetings.email.de] with greeting = "Hallo {name},"'
    if not isinstance(table, Mapping):
        raise ConfigError("`team.greetings` must be a table of channels", hint=expected)
    for channel, languages in table.items():
        if not isinstance(languages, Mapping):
            raise ConfigError(f"`team.greetings.{channel}` must be a table of languages",
                              hint=expected)
        for lang, keys in languages.items():
            if not isinstance(keys, Mapping):
                raise ConfigError(f"`team.greetings.{channel}.{lang}` must be a table",
                                  hint=expected)
            for key, value in keys.items():
                if key not in KEYS or not isinstance(value, str):
                    raise ConfigError(f"`team.greetings.{channel}.{lang}.{key}` is not a "
                                      "greeting setting", hint="its keys are "
                                      + ", ".join(KEYS) + ", each a string (\"\" for none)")
