"""Run the rule catalogue over a text: select rules, configure them from the guide, review."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from operator import itemgetter
from typing import Any

from drafter.errors import ConfigError
from drafter.review.checks import SettingError
from drafter.review.context import ReviewContext
from drafter.review.custom import custom_rules
from drafter.review.finding import SEVERITY_RANK, Finding, new_finding
from drafter.review.registry import Check, Rule, load_builtin
from drafter.review.text import Doc
from drafter.styleguide import StyleGuide


def catalogue(guide: StyleGuide | None = None) -> list[Rule]:
    """Return every rule, sorted by code: the shipped ones and the guide's own data rules."""
    rules = dict(load_builtin())
    if guide is not None:
        for r in custom_rules(guide, set(rules)):
            rules[r.code] = r
    return [rules[c] for c in sorted(rules)]


def rule_settings(guide: StyleGuide, rule: Rule) -> dict[str, Any]:
    """Return the effective settings of `rule`: its defaults overlaid with the guide's table."""
    found = guide.rule_settings(rule.code)
    settings = {**rule.defaults, **(dict(found[0]) if found else {})}
    if "glossary" in rule.defaults:
        # A rule that declares a glossary reads the guide's [glossary] tables, merged.
        own = settings.get("glossary")
        settings["glossary"] = {**guide.glossary, **(own if isinstance(own, dict) else {})}
    return settings


def _matches(entry: str, rule: Rule) -> bool:
    e = entry.strip()
    return e.upper() == "ALL" or rule.code.startswith(e.upper()) or e.lower() == rule.name


def _check_entries(kind: str, entries: Iterable[str], rules: list[Rule]) -> None:
    codes = [r.code for r in rules] + sorted({r.family for r in rules}) + [r.name for r in rules]
    for entry in entries:
        if not any(_matches(entry, r) for r in rules):
            import difflib  # only for a mistake's hint

            near = difflib.get_close_matches(entry.upper(), codes, n=3)
            raise ConfigError(
                f"{kind}: `{entry}` matches no rule",
                hint=(f"did you mean {', '.join(near)}? " if near else "")
                + "`draft rules` lists the codes",
            )


def build_check(guide: StyleGuide, rule: Rule, extra: Mapping[str, Any] | None = None) -> Check:
    """Build `rule`'s check from its settings in `guide` (plus `extra`), naming bad settings."""
    settings = {**rule_settings(guide, rule), **(extra or {})}
    try:
        return rule.build(settings)
    except SettingError as exc:
        found = guide.rule_settings(rule.code)
        where = str(found[1].source) if found else "built-in defaults"
        raise ConfigError(f"{where}: [rules.{rule.code}] {exc}",
                          hint=f"see `draft rules {rule.code}` for its settings") from None


class Reviewer:
    """Review texts with the rules selected from the catalogue, configured by the guide."""

    def __init__(
        self,
        guide: StyleGuide,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        severity: Mapping[str, str] | None = None,
    ) -> None:
        self.guide = guide
        select, ignore = list(select), list(ignore)
        every = catalogue(guide)
        _check_entries("select", select, every)
        _check_entries("ignore", ignore, every)
        overrides = dict(severity or {})
        for key, value in overrides.items():
            if value not in SEVERITY_RANK:
                raise ConfigError(f"severity override for `{key}` must be error, warning or info, "
                                  f"got {value!r}", hint="fix `review.severity` in your config")
        _check_entries("severity", overrides, every)
        self.rules: list[Rule] = [
            r for r in every
            if (not select or any(_matches(s, r) for s in select))
            and not any(_matches(i, r) for i in ignore)
        ]
        self._severity: dict[str, str] = {}
        for r in self.rules:
            # The most specific override wins: a code beats a prefix beats ALL.
            best = max((k for k in overrides if _matches(k, r)), key=_specificity, default=None)
            self._severity[r.code] = overrides[best] if best is not None else r.severity
        self._checks: list[tuple[Rule, Check]] = [(r, build_check(guide, r)) for r in self.rules]
        from drafter.review.rules import hygiene

        self._prepass = hygiene.prepass(guide)

    def doc(self, text: str, context: ReviewContext | None = None) -> Doc:
        """Return the pre-processed `Doc` for `text` (as the rules see it)."""
        ctx = context or ReviewContext()
        return Doc(text, ctx, find_placeholders=self._prepass.find_placeholders,
                   greeting_re=self._prepass.greeting_re, sign_off_re=self._prepass.sign_off_re)

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]:
        """Return the findings for `text`, sorted by position."""
        ctx = context or ReviewContext()
        doc = self.doc(text, ctx)
        findings = []
        for start, end, code, name, severity, message, suggestion, fix in self._flags(doc, ctx):
            line, col = doc.line_col(start)
            findings.append(new_finding(code, name, severity, message, start, end, line, col,
                                        suggestion, fix))
        return findings

    def flags(self, text: str, context: ReviewContext | None = None) -> list[Flag]:
        """What `review` finds, without line and column: for callers that place the spans
        themselves (the linter), as (start, end, code, name, severity, message, suggestion,
        fix) tuples sorted by position."""
        ctx = context or ReviewContext()
        return self._flags(self.doc(text, ctx), ctx)

    def _flags(self, doc: Doc, ctx: ReviewContext) -> list[Flag]:
        n = len(doc.text)
        flags: list[Flag] = []
        seen: set[tuple[str, int, int]] = set()
        for rule, check in self._checks:
            code = rule.code
            for hit in check(doc, ctx):
                start = min(max(hit.start, 0), n)
                end = min(max(hit.end, start), n)
                if (code, start, end) in seen:
                    continue
                seen.add((code, start, end))
                flags.append((start, end, code, rule.name, self._severity[code], hit.message,
                              hit.suggestion, hit.fix if hit.fix is not None else rule.fix))
        flags.sort(key=_position)
        return flags


# (start, end, code, name, severity, message, suggestion, fix): a finding before it is placed.
Flag = tuple[int, int, str, str, Any, str, "str | None", "str | None"]
_position = itemgetter(0, 1, 2)


def _specificity(entry: str) -> int:
    return -1 if entry.upper() == "ALL" else len(entry)
