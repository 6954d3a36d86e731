"""Run the rule catalogue over a text: select rules, configure them from the guide, review."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from operator import attrgetter
from typing import Any

from drafter.errors import ConfigError
from drafter.review.checks import SettingError, quote
from drafter.review.context import ReviewContext
from drafter.review.custom import custom_rules
from drafter.review.finding import Finding, Severity, new_finding
from drafter.review.registry import Check, Rule, load_builtin
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
        # Rules that give way where another rule reports the same span: code -> those codes.
        self._yielding = {r.code: frozenset(r.yields_to) for r in self.rules if r.yields_to}
        from drafter.review.rules import hygiene

        self._prepass = hygiene.prepass(guide)

    def doc(self, text: str, context: ReviewContext | None = None) -> Doc:
        """Return the pre-processed `Doc` for `text` (as the rules see it)."""
        ctx = context or ReviewContext()
        return Doc(text, ctx, find_placeholders=self._prepass.find_placeholders,
                   greeting_re=self._prepass.greeting_re, sign_off_re=self._prepass.sign_off_re)

    def review(self, text: str, context: ReviewContext | None = None) -> list[Finding]:
        """Return the findings for `text`, sorted by position (start, end, code)."""
        ctx = context or ReviewContext()
        if ctx.customer_text and None in (ctx.upset, ctx.reports_problem, ctx.asks_question):
            from drafter.review.signals import fill

            ctx = fill(ctx, self.guide)
        doc = self.doc(text, ctx)
        n = len(doc.text)
        findings: list[Finding] = []
        seen: set[tuple[str, int, int]] = set()
        more: list[Finding] = []  # one per rule that found over MAX_PER_RULE
        for rule, check in self._checks:
            code = rule.code
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
