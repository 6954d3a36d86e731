"""The rule registry: every rule's identity, doc, default settings and check builder."""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NamedTuple

from drafter.review.context import ReviewContext

if TYPE_CHECKING:
    from drafter.review.text import Doc

FAMILIES: dict[str, str] = {
    "EMP": "empathy",
    "DIR": "directness",
    "PLN": "plain words",
    "CHO": "choices",
    "OWN": "ownership",
    "TON": "tone",
    "PER": "personalization",
    "HYG": "hygiene",
    "SAF": "safety",
    "SAN": "sanity",
    "GRD": "grounding",
}
_FAMILY_MODULES = (
    "hygiene", "tone", "empathy", "directness", "plain", "choices", "ownership",
    "personal", "safety", "sanity", "grounding",
)
CODE_RE = re.compile(r"^[A-Z]{2,4}[0-9]{3}$")
# A rule's `languages`: "*" holds in every language (placeholders, links, card numbers,
# length...); a code such as "en" holds where its words are written for that language. The
# guide adds a language to a wording rule by giving it a phrase list in `lang/<code>.toml`.
ANY = "*"
# Where a rule does not say: the families that check form, not wording, hold everywhere.
FAMILY_LANGUAGES: dict[str, tuple[str, ...]] = {
    "HYG": (ANY,), "SAF": (ANY,), "SAN": (ANY,), "GRD": (ANY,),
}
DEFAULT_LANGUAGES: tuple[str, ...] = ("en",)


class Hit(NamedTuple):
    """What a check found: a span, the message, and optionally a replacement and a fix title.

    (A named tuple: checks make one per finding, and a tuple is made several times faster
    than a frozen dataclass.)
    """

    start: int
    end: int
    message: str
    suggestion: str | None = None
    fix: str | None = None


Check = Callable[["Doc", ReviewContext], Iterable[Hit]]
Builder = Callable[[Mapping[str, Any]], Check]


@dataclass(frozen=True)
class Rule:
    """One rule of the catalogue."""

    code: str
    name: str
    severity: str
    principle: str  # the id of the principle (style-guide file) the rule enforces
    summary: str  # one line
    what: str  # doc: what it checks
    why: str  # doc: why it matters
    example: str  # doc: a text the rule flags
    instead: str  # doc: a text it does not flag
    build: Builder
    fix: str | None = None
    defaults: Mapping[str, Any] = field(default_factory=dict)
    example_context: Mapping[str, Any] = field(default_factory=dict)
    example_settings: Mapping[str, Any] = field(default_factory=dict)
    needs: tuple[str, ...] = ()  # context signals without which the rule stays silent
    custom: bool = False  # defined by a team's style guide, not shipped code
    known_problems: str | None = None  # doc: where it is wrong on real text, as measured
    # Codes that own the same claims: where one of them reports an overlapping span, this
    # rule's finding there is dropped (a span gets one finding).
    yields_to: tuple[str, ...] = ()
    # The languages it holds in ("*": every one); None: its family's default (FAMILY_LANGUAGES).
    languages: tuple[str, ...] | None = None

    @property
    def family(self) -> str:
        """The family prefix (the letters of the code)."""
        return self.code.rstrip("0123456789")

    @property
    def holds_in(self) -> tuple[str, ...]:
        """The languages the rule holds in as shipped ("*": every one)."""
        if self.languages is not None:
            return self.languages
        return FAMILY_LANGUAGES.get(self.family, DEFAULT_LANGUAGES)

    def to_dict(self) -> dict[str, Any]:
        """Return the rule's catalogue entry as plain data."""
        return {
            "code": self.code,
            "name": self.name,
            "severity": self.severity,
            "principle": self.principle,
            "summary": self.summary,
            "fix": self.fix,
            "needs": list(self.needs),
            "custom": self.custom,
            "languages": list(self.holds_in),
            "doc": {
                "what": self.what,
                "why": self.why,
                "example": self.example,
                "instead": self.instead,
                "known_problems": self.known_problems,
            },
            "example_context": {
                k: sorted(v) if isinstance(v, (set, frozenset)) else v
                for k, v in self.example_context.items()
            },
            "example_settings": dict(self.example_settings),
            "defaults": dict(self.defaults),
        }


RULES: dict[str, Rule] = {}
_loaded = False


def register(rule: Rule) -> Rule:
    """Add `rule` to the shipped catalogue."""
    if not CODE_RE.match(rule.code):
        raise ValueError(f"bad rule code {rule.code!r}")
    if rule.code in RULES:
        raise ValueError(f"rule code {rule.code} registered twice")
    RULES[rule.code] = rule
    return rule


def rule(
    code: str,
    name: str,
    severity: str,
    principle: str,
    summary: str,
    *,
    what: str,
    why: str,
    example: str,
    instead: str,
    fix: str | None = None,
    defaults: Mapping[str, Any] | None = None,
    example_context: Mapping[str, Any] | None = None,
    example_settings: Mapping[str, Any] | None = None,
    needs: tuple[str, ...] = (),
    known_problems: str | None = None,
    yields_to: tuple[str, ...] = (),
    languages: tuple[str, ...] | None = None,
) -> Callable[[Builder], Builder]:
    """Decorate a check builder `settings -> check` and register it as a rule."""

    def deco(build: Builder) -> Builder:
        register(Rule(
            code=code, name=name, severity=severity, principle=principle, summary=summary,
            what=what, why=why, example=example, instead=instead, build=build, fix=fix,
            defaults=dict(defaults or {}), example_context=dict(example_context or {}),
            example_settings=dict(example_settings or {}), needs=needs,
            known_problems=known_problems, yields_to=yields_to,
            languages=languages,
        ))
        return build

    return deco


def load_builtin() -> dict[str, Rule]:
    """Import every family module (once) and return the shipped rules by code."""
    global _loaded
    if not _loaded:
        for mod in _FAMILY_MODULES:
            importlib.import_module(f"drafter.review.rules.{mod}")
        _loaded = True
    return RULES
