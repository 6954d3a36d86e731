"""A team's own data rules: `[rules.CODE]` tables with a `type` in its style-guide folder.

```toml
[rules.ACME001]
type = "existence"            # or "substitution", "occurrence"
name = "competitor-names"
severity = "warning"
message = "Do not name competitors: {match}"
phrases = ["MegaCorp", "Initech"]
summary = "Competitors are not named in replies."
example = "MegaCorp charges more."
instead = "Our plan includes support."
```
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from drafter.errors import ConfigError
from drafter.review import checks
from drafter.review.registry import CODE_RE, Check, Rule
from drafter.styleguide import StyleGuide

_TYPES = ("existence", "substitution", "occurrence")
_KEYS = {
    "type", "name", "severity", "message", "summary", "fix", "what", "why", "example",
    "instead", "phrases", "patterns", "substitutions", "max", "case_sensitive", "skip_negated",
    "at_clause_end", "languages",
}


def custom_rules(guide: StyleGuide, builtin: Iterable[str]) -> list[Rule]:
    """Return the data rules the guide defines (tables with a `type` and a new code)."""
    known = set(builtin)
    out = []
    for p in guide.principles:
        for code, table in p.rules.items():
            if code in known or "type" not in table:
                continue
            out.append(_make(code, table, p.id, p.title, str(p.source)))
    return out


def _make(code: str, t: Mapping[str, Any], principle: str, title: str, where: str) -> Rule:
    def bad(message: str, hint: str) -> ConfigError:
        return ConfigError(f"{where}: [rules.{code}] {message}", hint=hint)

    if not CODE_RE.match(code):
        raise bad("the code must be 2-4 capital letters and 3 digits", "for example ACME001")
    unknown = sorted(set(t) - _KEYS)
    if unknown:
        raise bad(f"unknown key `{unknown[0]}`", "allowed keys: " + ", ".join(sorted(_KEYS)))
    kind = t.get("type")
    if kind not in _TYPES:
        raise bad(f"`type` must be one of {', '.join(_TYPES)}, got {kind!r}",
                  "existence flags phrases; substitution suggests replacements")
    name = t.get("name")
    if not isinstance(name, str) or not re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", name):
        raise bad("`name` must be kebab-case, like `competitor-names`", "add name = \"...\"")
    severity = t.get("severity", "warning")
    if severity not in ("error", "warning", "info"):
        raise bad(f"`severity` must be error, warning or info, got {severity!r}", "")
    for key in ("message", "summary", "fix", "what", "why", "example", "instead"):
        if key in t and not isinstance(t[key], str):
            raise bad(f"`{key}` must be a string", "")
    default_message = {
        "existence": "Avoid {match}",
        "substitution": "Use {suggestion} instead of {match}",
        "occurrence": "{match} is used {count} times; at most {max}",
    }[kind]
    message = t.get("message", default_message)
    fix = t.get("fix")
    languages = t.get("languages")
    if languages is not None and (not isinstance(languages, list) or not all(
            isinstance(x, str) and (x == "*" or re.fullmatch(r"[a-z]{2,3}", x)) for x in languages)):
        raise bad("`languages` must be a list of language codes, or [\"*\"] for every language",
                  "for example languages = [\"en\", \"de\"]")

    def build(settings: Mapping[str, Any]) -> Check:
        if kind == "existence":
            return checks.existence(settings, message, fix=fix)
        if kind == "substitution":
            return checks.substitution(settings, message)
        return checks.occurrence(settings, message, default_max=1, fix=fix)

    summary = t.get("summary") or f"Team rule: {name.replace('-', ' ')}."
    try:
        build(t)  # fail early, naming the file, on bad phrase lists or patterns
    except checks.SettingError as exc:
        raise bad(str(exc), "fix the table in your style guide") from None
    return Rule(
        code=code, name=name, severity=severity, principle=principle, summary=summary,
        what=t.get("what", summary), why=t.get("why", f"Your team's guide: {title}."),
        example=t.get("example", ""), instead=t.get("instead", ""), build=build, fix=fix,
        custom=True, languages=tuple(languages) if languages is not None else None,
    )
