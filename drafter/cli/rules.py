"""`draft rules`: list the reviewer's rules, or show one rule's doc (like `ruff rule`)."""

from __future__ import annotations

import difflib
import json
import textwrap
from typing import Any

import click

from drafter.cli.common import app_from, emit_json, use_color
from drafter.errors import InputError

_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}
SECTIONS = (("what", "What it checks"), ("why", "Why it matters"),
            ("example", "Example (flagged)"), ("instead", "Use instead (not flagged)"))


def find_rules(rules: list[Any], key: str) -> list[Any]:
    """Return the rule with code or name `key`, else every rule the code prefix `key` names
    (as `--select` reads it), else raise InputError naming the nearest codes."""
    for r in rules:
        if key.upper() == r.code or key.lower() == r.name:
            return [r]
    from drafter.review.selection import matches

    if key.strip().upper() != "ALL" and (found := [r for r in rules
                                                    if matches(key, r.code, r.name)]):
        return found
    names = [r.code for r in rules] + [r.name for r in rules]
    near = difflib.get_close_matches(key.upper(), [r.code for r in rules], n=3, cutoff=0.5)
    near += [n for n in difflib.get_close_matches(key.lower(), names, n=3) if n not in near]
    raise InputError(f"unknown rule `{key}`",
                     hint=(f"did you mean {', '.join(near[:3])}? " if near else "")
                     + "`draft rules` lists them all")


def lint_rule_doc(rule: Any, color: bool = False) -> str:
    """Render one of the linter's own LNT codes for the terminal."""
    title = f"{rule.code} {rule.name}"
    sev = click.style(rule.severity, fg=_COLORS[rule.severity]) if color else rule.severity
    return "\n".join([(click.style(title, bold=True) if color else title) + f" ({sev})",
                      rule.summary, "", *textwrap.wrap(rule.description, 88),
                      "", "A code of `draft lint` itself: a problem with the file, not the reply."])


def _settings_block(rule: Any, settings: dict[str, Any]) -> list[str]:
    lines = []
    for key, value in settings.items():
        shown = json.dumps(value, ensure_ascii=False)
        if isinstance(value, (list, dict)) and len(shown) > 90:
            items: list[str] = []
            for item in value:
                if items and len(json.dumps([*items, item], ensure_ascii=False)) > 70:
                    break
                items.append(item)
            more = len(value) - len(items)
            shown = json.dumps(items, ensure_ascii=False)[:-1] + f", … {more} more]"
            if isinstance(value, dict):
                shown = "{" + shown[1:-1] + "}" + " (keys)"
        lines.append(f"{key} = {shown}")
    return lines


def rule_doc(rule: Any, guide: Any, settings: dict[str, Any], color: bool = False) -> str:
    """Render one rule's doc for the terminal, in the fixed sections."""
    def head(s: str) -> str:
        return click.style(s, bold=True) if color else s

    principle = guide.principle(rule.principle)
    title = f"{rule.code} {rule.name}"
    sev = click.style(rule.severity, fg=_COLORS[rule.severity]) if color else rule.severity
    out = [head(title) + f" ({sev})", rule.summary, "",
           f"Principle: {rule.principle}" + (f" — {principle.title}" if principle else ""), ""]
    for attr, label in SECTIONS:
        text = getattr(rule, attr)
        out.append(head(label))
        if attr in ("example", "instead"):
            out += ["    " + line for line in (text or "(none)").splitlines()]
        else:
            out += textwrap.wrap(text, 88, initial_indent="  ", subsequent_indent="  ")
        out.append("")
    if rule.known_problems:
        out.append(head("Known problems"))
        out += textwrap.wrap(rule.known_problems, 88, initial_indent="  ",
                             subsequent_indent="  ")
        out.append("")
    if rule.example_context or rule.example_settings:
        ctx = ", ".join(f"{k}={_plain(v)}" for k, v in {**rule.example_context,
                                                         **rule.example_settings}.items())
        out += [head("Example context"), f"  {ctx}", ""]
    if rule.needs:
        out += [head("Needs context"), "  " + ", ".join(rule.needs)
                + " (silent when unknown)", ""]
    out += [head("Languages"), "  " + _languages_text(guide, rule), ""]
    found = guide.rule_settings(rule.code)
    where = f"[rules.{rule.code}] in {found[1].source}" if found else "built-in defaults"
    if settings:
        out.append(head(f"Settings ({where})"))
        out += ["  " + line for line in _settings_block(rule, settings)]
        out.append("")
    out.append(f"Fix: {rule.fix}" if rule.fix else "Fix: (none)")
    return "\n".join(out)


def _plain(v: Any) -> str:
    if isinstance(v, (set, frozenset)):
        return "{" + ", ".join(sorted(v)) + "}"
    return repr(v) if isinstance(v, str) else str(v)


def _phrase_patterns_section() -> list[str]:
    """The "Phrase patterns" section of docs/rules.md, with its examples (which are tests)."""
    from drafter.review.matching import PATTERN_EXAMPLES

    rows = [f"| `{p.replace('|', chr(92) + '|')}` | {yes} | {no} |"
            for p, yes, no in PATTERN_EXAMPLES]
    return [
        "## Phrase patterns", "",
        "Every phrase list of the guide (`phrases`, `canned_phrases`, `promises`, ...) takes "
        "literal phrases and *phrase patterns*: an entry with `{`, `[`, `|`, `~` or `...` in it "
        "is a pattern. Patterns match whole words, ignoring case, like literal phrases; they "
        "are compiled once to a regular expression whose skips are bounded, so a pattern costs "
        "time in proportion to the text.", "",
        "| Syntax | Matches |", "| --- | --- |",
        "| `{a\\|b c}` | one of the alternatives; each may be several words (the longer "
        "are tried first) |",
        "| `[a\\|b]` | optional: one of them, or nothing (a whole word of its own) |",
        "| `word(s\\| x)` | alternatives glued to a word; a space at an alternative's edge is "
        "a word break (`I('m\\| am)`) |",
        "| `...` | up to 3 inserted words (`{0,2}`: between 0 and 2; at most 6) |",
        "| `word~` | its inflections: -s, -es, -ies, -ed, -ing (`apologize~` also "
        "“apologises”, “apologizing”); -ise for -ize |",
        "| `we'll`, `don't` | a contraction matches its long form too (“we will”, “do not”); "
        "write the short form |",
        "| `'` | both apostrophes, ' and ’ |",
        "| space | whitespace, a comma or a dash between words (“Don't worry—I'm here”) |",
        "| `\\x` | the character x itself (`\\[`, `\\{`, `\\~`) |", "",
        "A skip never crosses a sentence's end mark: it reads words, and `.`, `!` and `?` are "
        "not words. A pattern that cannot be read (an unclosed `{`, a skip at the start, a "
        "`~` after no word) stops `draft` with an error naming the style-guide file, the rule "
        "and the pattern.", "",
        "Examples (each row is a test):", "",
        "| Pattern | Finds | Does not find |", "| --- | --- | --- |", *rows, "",
        "```toml",
        "[rules.EMP005]",
        'phrases = ["{sorry|apologize~|apologies} for [any|the] {trouble~|confusion}"]',
        "```", "",
    ]


def _languages_text(guide: Any, rule: Any) -> str:
    """Where `rule` holds: every language, or the codes and the guide files that add them."""
    from drafter.review.registry import ANY
    from drafter.review.reviewer import rule_languages

    if not hasattr(rule, "holds_in"):
        return "every language"  # the linter's own checks (LNT) read the file, not its words
    langs = rule_languages(guide, rule)
    if ANY in langs:
        return "every language"
    added = [code for code in langs if code not in rule.holds_in]
    where = f" (words for {', '.join(added)} in the guide's `lang/` files)" if added else ""
    return ", ".join(langs) + where


def render_markdown(rules: list[Any], guide: Any) -> str:
    """Render the catalogue as Markdown (docs/rules.md)."""
    out = ["# Reviewer rules", "",
           "Generated by `draft rules --format markdown > docs/rules.md`; do not edit by hand.",
           "Each rule's settings live in the `[rules.CODE]` table of the style-guide file of the "
           "principle it enforces (`styleguide/*.toml`); a team overrides them in its own "
           "`team.styleguide` folder. `draft rules CODE` shows the effective settings. Two "
           "settings hold for every rule: `revise = false` leaves its findings on a model's draft "
           "to the agent instead of asking for a revision, and `skip_channels = [\"social\"]` "
           "turns it off for replies on those channels.", "",
           "## What no rule looks into", "",
           "Every prose rule reads the text with these regions blanked out (one shared pre-pass), "
           "so they are never flagged: URLs and bare domains, email addresses, code (`backticks` "
           "and fenced blocks), lines quoting an earlier message (starting with `>`), text in "
           "double quotation marks (usually the customer's own words), the customer's name, and "
           "placeholders. Matching is case-insensitive on whole words (“ass” is not found in "
           "“pass”), and rules marked so skip a phrase right after a negation (“not your "
           "fault”, “I can't guarantee”). The safety rules SAF003/SAF004 look everywhere: a card "
           "number in a quote is still a leak. A rule that needs context it does not have (is "
           "the customer upset? what is the channel?) stays silent rather than guess.", "",
           "Three or more findings of one rule in one sentence are reported as one finding, a "
           "severity higher (“4 findings of hedging in one sentence”), unless they are errors "
           "or suggest replacements. A text is reviewed for at most 50 findings of one rule: "
           "after those, one more finding of that rule marks where the next one is (“More "
           "findings of hedging from here on”) and the rest are not looked for, so that a "
           "megabyte of one mistake is reviewed as fast as any other text.", "",
           "## Your own rules", "",
           "A team can add data rules in its style-guide folder: a `[rules.CODE]` table with a "
           "`type` (`existence`, `substitution` or `occurrence`), a kebab-case `name`, a "
           "`severity`, a `message` (`{match}`, `{suggestion}`) and `phrases` / `patterns` / "
           "`substitutions` / `max`, plus optional `summary`, `what`, `why`, `example`, "
           "`instead`, `fix`. The code is 2-4 capital letters and 3 digits (for example "
           "`ACME001`). They run, select, ignore and show in `draft rules` like shipped rules.",
           "",
           "## Languages", "",
           "A reply is reviewed by the rules that hold in its language, detected from the reply "
           "itself (English when the text is too short to tell, such as “ok thanks”). The rules "
           "that check form, not wording — placeholders, template syntax, internal notes, links, "
           "card numbers, credentials, length, the sanity rules that compare a draft with its "
           "prompt and ticket — hold in every language. A wording rule holds in English, and in "
           "each language the guide gives it words for: `styleguide/lang/de.toml` and "
           "`lang/es.toml` give German and Spanish words to the empathy, ownership and tone "
           "rules. A team adds a language with its own `lang/<code>.toml` in its guide folder "
           "(ISO 639-1 code, `[rules.CODE]` tables whose phrase lists replace the English "
           "ones), and overrides a shipped one the same way. `draft review`, `draft reply` and "
           "`draft lint` say which principles were not checked for a text's language. A team's "
           "own rule says where it holds with `languages = [\"en\", \"de\"]` (`[\"*\"]`: "
           "everywhere; English by default).", "",
           *_phrase_patterns_section(),
           "## Catalogue", "",
           "| Code | Name | Severity | Principle | Summary |", "| --- | --- | --- | --- | --- |"]
    for r in rules:
        summary = r.summary.replace("|", "\\|")
        out.append(f"| [{r.code}](#{r.code.lower()}-{r.name}) | {r.name} | {r.severity} | "
                   f"{r.principle} | {summary} |")
    for r in rules:
        principle = guide.principle(r.principle)
        out += ["", f"### {r.code} {r.name}", "",
                f"Severity: **{r.severity}**. Principle: `{r.principle}`"
                + (f" ({principle.title})" if principle else "") + ".", ""]
        for attr, label in SECTIONS:
            text = getattr(r, attr)
            out += [f"#### {label}", ""]
            if attr in ("example", "instead"):
                out += ["```text", text, "```"]
            else:
                out.append(text)
            out.append("")
        if r.known_problems:
            out += ["#### Known problems", "", r.known_problems, ""]
        if r.example_context or r.example_settings:
            ctx = ", ".join(f"`{k}={_plain(v)}`" for k, v in
                            {**r.example_context, **r.example_settings}.items())
            out += [f"Example context: {ctx}.", ""]
        if r.needs:
            out += [f"Needs context: {', '.join(r.needs)} (silent when unknown).", ""]
        out += [f"Languages: {_languages_text(guide, r)}.", ""]
        if r.fix:
            out += [f"Fix: {r.fix}.", ""]
        while out and out[-1] == "":
            out.pop()
    return "\n".join(out) + "\n"


@click.command("rules")
@click.argument("code", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json", "markdown"]),
              default="text", show_default=True, help="Output format.")
@click.pass_context
def command(ctx: click.Context, code: str | None, fmt: str) -> None:
    """List the reviewer's rules, or show the doc of rule CODE.

    \b
      draft rules                  the catalogue: code, name, severity, principle
      draft rules EMP002           one rule: what, why, example, use instead, settings
      draft rules EMP              the rules a code prefix names (as --select reads it)
      draft rules --format json    for programs
    """
    app = app_from(ctx)
    guide, rules = app.guide, app.rules()
    if code is not None:
        from drafter.lint.rules import LINT_RULES

        lint_rules = list(LINT_RULES.values())
        found = find_rules([*rules, *lint_rules], code)
        if len(found) == 1:
            _show_one(found[0], guide, fmt, lint=found[0] in lint_rules)
            return
        rules = found
    if fmt == "json":
        emit_json([r.to_dict() if hasattr(r, "to_dict") else _lint_dict(r) for r in rules])
        return
    if fmt == "markdown":
        click.echo(render_markdown([r for r in rules if hasattr(r, "principle")], guide), nl=False)
        return
    color = use_color()
    wname = max(len(r.name) for r in rules)
    wprin = max(len(_principle(r)) for r in rules)
    for r in rules:
        sev = f"{r.severity:<7}"
        if color:
            sev = click.style(sev, fg=_COLORS[r.severity])
        click.echo(f"{r.code}  {r.name:<{wname}}  {sev}  {_principle(r):<{wprin}}  {r.summary}")


def _show_one(rule: Any, guide: Any, fmt: str, lint: bool) -> None:
    """Print one rule's doc (an LNT code of the linter has no principle or settings)."""
    if lint:
        if fmt == "json":
            emit_json(_lint_dict(rule))
        else:
            click.echo(lint_rule_doc(rule, color=use_color() and fmt == "text"))
        return
    from drafter.review.reviewer import rule_settings

    effective = rule_settings(guide, rule)
    if fmt == "json":
        emit_json({**rule.to_dict(), "settings": effective})
    elif fmt == "markdown":
        click.echo(render_markdown([rule], guide), nl=False)
    else:
        click.echo(rule_doc(rule, guide, effective, color=use_color()))


def _principle(rule: Any) -> str:
    """The principle a rule enforces; `lint` for the linter's own codes."""
    return str(getattr(rule, "principle", "lint"))


def _lint_dict(rule: Any) -> dict[str, Any]:
    """An LNT code as plain data, shaped like a review rule's catalogue entry where it can."""
    return {"code": rule.code, "name": rule.name, "severity": rule.severity,
            "principle": "lint", "summary": rule.summary, "description": rule.description}
