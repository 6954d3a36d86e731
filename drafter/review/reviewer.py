"""Run the rule catalogue over a text: select rules, configure them from the guide, review."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from operator import attrgetter
from typing import Any

from drafter.errors import ConfigError
from drafter.review.checks import SettingError, quote
from drafter.review.context import ReviewContext
from drafter.review.custom import custom_rules
from drafter.review.finding import Finding, Severity, new_finding
from drafter.review.matching import keep_read_patterns
from drafter.review.registry import ANY, Check, Rule, load_builtin
from drafter.review.selection import RuleSelection
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


def build_check(guide: StyleGuide, rule: Rule, extra: Mapping[str, Any] | None = None) -> Check:
    """Build `rule`'s check from its settings in `guide` (plus `extra`), naming bad settings."""
    settings = {**rule_settings(guide, rule), **(extra or {})}
    try:
        return rule.build(settings)
    except SettingError as exc:
        raise ConfigError(f"{_settings_source(guide, rule)}: [rules.{rule.code}] {exc}",
                          hint=f"see `draft rules {rule.code}` for its settings") from None


def _settings_source(guide: StyleGuide, rule: Rule) -> str:
    """Where `rule`'s settings come from, for an error message: the guide file, or defaults."""
    found = guide.rule_settings(rule.code)
    return str(found[1].source) if found else "built-in defaults"


def skip_channels(guide: StyleGuide, rule: Rule) -> frozenset[str]:
    """The channels `rule` is off in (its `skip_channels` setting), lower-cased."""
    value = rule_settings(guide, rule).get("skip_channels", [])
    names = [value] if isinstance(value, str) else value
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise ConfigError(f"{_settings_source(guide, rule)}: [rules.{rule.code}] skip_channels "
                          f"must be a list of channel names, not {value!r}",
                          hint='write skip_channels = ["social"]')
    return frozenset(n.strip().lower() for n in names if n.strip())


def rule_languages(guide: StyleGuide, rule: Rule) -> tuple[str, ...]:
    """The languages `rule` holds in with `guide`: as shipped ("*": every one), plus each
    language the guide gives it settings for (`lang/<code>.toml`)."""
    shipped = rule.holds_in
    if ANY in shipped:
        return shipped
    added = tuple(code for code, pack in sorted(guide.languages.items())
                  if rule.code in pack.rules and code not in shipped)
    return shipped + added


@dataclass(frozen=True)
class Coverage:
    """The language a text was reviewed in, and the principles whose rules do not hold in it."""

    language: str  # ISO 639-1; the default language when detection was unsure
    detected: bool  # False: too little text to tell, so the default was assumed
    not_checked: tuple[str, ...] = ()  # principle ids none of whose rules ran, in guide order
    partly: tuple[str, ...] = ()  # principle ids only some of whose rules ran
    rules: tuple[str, ...] = ()  # the codes of the rules that did not run

    def to_dict(self) -> dict[str, Any]:
        """Return the coverage as plain JSON-ready data."""
        return {"language": self.language, "detected": self.detected,
                "not_checked": list(self.not_checked), "partly_checked": list(self.partly),
                "rules_not_run": list(self.rules)}

    def note(self) -> str | None:
        """One line for the agent when some principles were not checked, else None."""
        if not self.rules:
            return None
        from drafter.language import name

        lang = name(self.language)
        parts = [f"not checked in {lang}: {', '.join(self.not_checked)}"] if self.not_checked \
            else []
        if self.partly:
            parts.append(f"partly: {', '.join(self.partly)}")
        return (f"{lang} text; {'; '.join(parts)} ({len(self.rules)} rules without "
                f"{lang} words in the guide)")


class Reviewer:
    """Review texts with the rules selected from the catalogue, configured by the guide.

    A text is reviewed by the rules that hold in its language (detected from the text, the
    default language when unsure): the language-independent ones everywhere, a wording rule
    where the guide has its words for that language.
    """

    def __init__(
        self,
        guide: StyleGuide,
        select: Iterable[str] = (),
        ignore: Iterable[str] = (),
        severity: Mapping[str, str] | None = None,
        *,
        selection: RuleSelection | None = None,
    ) -> None:
        """Select rules by `select`, `ignore` and `severity` (checked against the catalogue),
        or by a `selection` its maker has checked (the linter's names LNT codes too)."""
        self.guide = guide
        every = catalogue(guide)
        if selection is None:
            selection = RuleSelection.build(every, select, ignore, severity)
        self.selection = selection
        self.rules: list[Rule] = [r for r in every if selection.selected(r.code, r.name)]
        self._severity = {r.code: selection.severity_of(r.code, r.name, r.severity)
                          for r in self.rules}
        self._checks: list[tuple[Rule, Check]] = [(r, build_check(guide, r)) for r in self.rules]
        # Channels a rule is off in (`skip_channels` in its table: measured wrong there).
        self._skip_channels = {r.code: found for r in self.rules
                               if (found := skip_channels(guide, r))}
        # Rules that give way where another rule reports the same span: code -> those codes.
        self._yielding = {r.code: frozenset(r.yields_to) for r in self.rules if r.yields_to}
        self._languages = {r.code: rule_languages(guide, r) for r in self.rules}
        # Whether any selected rule depends on the language (else there is nothing to detect).
        self._gated = any(ANY not in langs for langs in self._languages.values())
        self._by_language: dict[str, list[tuple[Rule, Check]]] = {}
        from drafter.review.rules import hygiene

        self._prepass = hygiene.prepass(guide)
        keep_read_patterns()  # the guide's phrase patterns, read once for the next run

    def doc(self, text: str, context: ReviewContext | None = None) -> Doc:
        """Return the pre-processed `Doc` for `text` (as the rules see it)."""
        ctx = context or ReviewContext()
        return Doc(text, ctx, find_placeholders=self._prepass.find_placeholders,
                   greeting_re=self._prepass.greeting_re, sign_off_re=self._prepass.sign_off_re)

    def language(self, text: str) -> str | None:
        """The language `text` is written in, or None when unsure (or when no selected rule
        depends on it)."""
        if not self._gated:
            return None
        from drafter.language import detect

        return detect(text)

    def coverage(self, language: str | None) -> Coverage:
        """What a review of a text in `language` (None: unsure) leaves unchecked."""
        from drafter.language import DEFAULT

        lang = language or DEFAULT
        skipped = [r for r in self.rules if not self._holds(r, lang)]
        ran = {r.principle for r in self.rules if self._holds(r, lang)}
        order = {p.id: i for i, p in enumerate(self.guide.principles)}
        principles = sorted({r.principle for r in skipped}, key=lambda p: (order.get(p, 1000), p))
        return Coverage(lang, language is not None,
                        tuple(p for p in principles if p not in ran),
                        tuple(p for p in principles if p in ran),
                        tuple(r.code for r in skipped))

    def coverage_of(self, text: str) -> Coverage:
        """What a review of `text` leaves unchecked in its language."""
        return self.coverage(self.language(text))

    def _holds(self, rule: Rule, lang: str) -> bool:
        langs = self._languages[rule.code]
        return ANY in langs or lang in langs

    def checks_for(self, language: str | None) -> list[tuple[Rule, Check]]:
        """The selected rules that hold in `language` (None: the default), each with its check:
        built from the guide's settings for that language where it has them."""
        from drafter.language import DEFAULT

        lang = language or DEFAULT
        found = self._by_language.get(lang)
        if found is None:
            found = []
            for r, check in self._checks:
                if ANY in self._languages[r.code] or lang in r.holds_in:
                    found.append((r, check))
                elif lang in self._languages[r.code]:
                    found.append((r, self._language_check(r, lang)))
            self._by_language[lang] = found
        return found

    def _language_check(self, rule: Rule, lang: str) -> Check:
        # The language's words replace the default ones; its other settings stay.
        extra = dict(self.guide.language_settings(rule.code, lang) or {})
        try:
            return rule.build({**rule_settings(self.guide, rule), **extra})
        except SettingError as exc:
            where = self.guide.languages[lang].source
            raise ConfigError(f"{where}: [rules.{rule.code}] {exc}",
                              hint=f"see `draft rules {rule.code}` for its settings") from None

    def review(self, text: str, context: ReviewContext | None = None, *,
               language: str | None = None) -> list[Finding]:
        """Return the findings for `text`, sorted by position (start, end, code), by the rules
        that hold in its language (`language`, else detected from `text`)."""
        ctx = context or ReviewContext()
        if ctx.customer_text and None in (ctx.upset, ctx.reports_problem, ctx.asks_question):
            from drafter.review.signals import fill

            ctx = fill(ctx, self.guide)
        doc = self.doc(text, ctx)
        n = len(doc.text)
        findings: list[Finding] = []
        seen: set[tuple[str, int, int]] = set()
        more: list[Finding] = []  # one per rule that found over MAX_PER_RULE
        checks = self.checks_for(language or self.language(text)) if self._gated else self._checks
        for rule, check in checks:
            code = rule.code
            if ctx.channel and ctx.channel.lower() in self._skip_channels.get(code, ()):
                continue
            kept = 0
            for hit in check(doc, ctx):
                start = min(max(hit.start, 0), n)
                end = min(max(hit.end, start), n)
                if (code, start, end) in seen:
                    continue
                seen.add((code, start, end))
                line, col = doc.line_col(start)
                if kept == MAX_PER_RULE:
                    # The rest are not looked for: the check stops here (checks make their
                    # hits as they are taken), so a megabyte of one mistake costs no more.
                    more.append(new_finding(
                        code, rule.name, self._severity[code],
                        f"More findings of {rule.name} from here on (the first {MAX_PER_RULE} "
                        "are listed); fix those first", start, end, line, col, None,
                        rule.fix))
                    break
                kept += 1
                findings.append(new_finding(
                    code, rule.name, self._severity[code], hit.message, start, end, line, col,
                    hit.suggestion, hit.fix if hit.fix is not None else rule.fix))
        if self._yielding and findings:
            findings = _yield(findings, self._yielding)
        if len(findings) >= CROWD:
            findings = _gather_crowds(findings, doc)
        findings += more
        findings.sort(key=_position)
        return findings


_position = attrgetter("start", "end", "code")


def _yield(findings: list[Finding], yielding: Mapping[str, frozenset[str]]) -> list[Finding]:
    """`findings` without those of a yielding rule whose span overlaps a finding of a rule it
    yields to (one rule owns each kind of claim: a span gets one finding)."""
    merged: dict[frozenset[str], tuple[list[int], list[int]]] = {}
    for codes in set(yielding.values()):
        starts: list[int] = []
        ends: list[int] = []
        for s, e in sorted((f.start, f.end) for f in findings if f.code in codes):
            if starts and s < ends[-1]:
                ends[-1] = max(ends[-1], e)
            else:
                starts.append(s)
                ends.append(max(e, s + 1))
        merged[codes] = (starts, ends)

    def taken(f: Finding) -> bool:
        codes = yielding.get(f.code)
        if codes is None:
            return False
        starts, ends = merged[codes]
        # The last owned stretch that starts before this span ends: does it reach into it?
        at = bisect_left(starts, max(f.end, f.start + 1)) - 1
        return at >= 0 and ends[at] > f.start

    return [f for f in findings if not taken(f)]


# A text with more findings of one rule than this is wrong throughout (or hostile): its first
# ones are listed, then one finding says there are more from there on, and no more are sought.
MAX_PER_RULE = 50
# This many findings of one rule in one sentence are one finding, a level higher.
CROWD = 3
_HIGHER: dict[str, Severity] = {"info": "warning", "warning": "error"}


def _gather_crowds(findings: list[Finding], doc: Doc) -> list[Finding]:
    """Report CROWD or more findings of one rule in one sentence as one finding one severity
    level higher ("4 hedges in one sentence" is worse than one, and one line, not four).
    Errors and findings with a suggested replacement stay as they are: an error cannot go
    higher, and each replacement is a fix of its own."""
    groups: dict[tuple[str, tuple[int, int]], list[Finding]] = {}
    out: list[Finding] = []
    for f in findings:
        if f.severity == "error" or f.suggestion is not None:
            out.append(f)
        else:
            groups.setdefault((f.code, doc.sentence_at(f.start)), []).append(f)
    for group in groups.values():
        if len(group) < CROWD:
            out += group
            continue
        group.sort(key=_position)
        first = group[0]
        found = ", ".join(quote(doc.text[f.start:f.end], 30) for f in group)
        out.append(new_finding(
            first.code, first.name, _HIGHER[first.severity],
            f"{len(group)} findings of {first.name} in one sentence: {found}",
            first.start, max(f.end for f in group), first.line, first.column, None, first.fix,
            parts=tuple((f.start, f.end) for f in group)))
    return out
