"""`draft lint`: check a library of canned responses against the style guide (for CI)."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

import click

from drafter.cli import skip_teardown
from drafter.cli.common import diag, settings_from, use_color
from drafter.config import SEVERITIES, Settings
from drafter.errors import ConfigError, InputError

FORMATS = ("text", "json", "github", "sarif", "junit")


def _split(values: Sequence[str]) -> list[str]:
    """Flatten repeated, comma-separated option values."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def _is_lint_entry(entry: str) -> bool:
    """Whether a select/ignore entry names one of the linter's own LNT codes (not ALL)."""
    from drafter.lint.rules import LINT_RULES

    e = entry.strip()
    return e.upper() != "ALL" and any(
        code.startswith(e.upper()) or e.lower() == r.name for code, r in LINT_RULES.items())


def _check_lint_severity(overrides: dict[str, str]) -> None:
    for key, value in overrides.items():
        if value not in SEVERITIES:
            raise ConfigError(f"severity override for `{key}` must be error, warning or info, "
                              f"got {value!r}", hint="fix `review.severity` in your config")


def _per_path(settings: Settings) -> dict[str, list[str]]:
    table = settings["review.per_path_ignores"]
    out: dict[str, list[str]] = {}
    for pattern, codes in table.items():
        if isinstance(codes, str):
            codes = [codes]
        if not isinstance(codes, list) or not all(isinstance(c, str) for c in codes):
            raise ConfigError(f"`review.per_path_ignores` entry {pattern!r} must be a list of "
                              "rule codes", hint='for example "legacy/*" = ["EMP", "TON002"]')
        out[str(pattern)] = codes
    return out


@click.command("lint")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="Report format: text for people, json for programs, github for workflow "
              "annotations, sarif for code scanning, junit for test dashboards.")
@click.option("--fail-on", type=click.Choice(SEVERITIES), default=None,
              help="Exit 1 when a finding at or above this severity remains "
              "[default: review.fail_on, warning].")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules: codes, prefixes (EMP) or names, comma-separated.")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rules: codes, prefixes or names, comma-separated.")
@click.option("--baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Hide the findings recorded in this baseline file [default: review.baseline].")
@click.option("--write-baseline", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Record every current finding in this file and exit 0 (2 if a file is "
              "unreadable).")
@click.option("--exclude", multiple=True, metavar="GLOB",
              help="Skip matching files and folders when walking folders (adds to lint.exclude).")
@click.option("--force-exclude", is_flag=True,
              help="Apply the exclude globs to files named on the command line too (for "
              "pre-commit, which names every changed file).")
@click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the report to this file instead of stdout.")
@click.option("--quiet", "-q", is_flag=True, help="No summary line on stderr.")
@click.option("--jobs", "-j", type=click.IntRange(min=0), default=0, show_default=False,
              help="Lint in this many processes [default: 0, one per CPU core when there "
              "are enough files to gain from it; 1 for a single process].")
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, fail_on: str | None,
            select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
            write_baseline: Path | None, exclude: tuple[str, ...], force_exclude: bool,
            output: Path | None, quiet: bool, jobs: int) -> int:
    """Lint canned responses: Markdown (with YAML front matter), text, Jinja templates,
    YAML/JSON collections and Zendesk macro exports.

    Folders are searched recursively. Findings point at the line and column in the file.
    Exit status: 0 clean, 1 findings at or above --fail-on, 2 bad usage or an unreadable
    file (2 wins over 1).

    \b
      draft lint canned/
      draft lint canned/ --format github
      draft lint canned/ --format sarif -o drafter.sarif
      draft lint canned/ --write-baseline .drafter-baseline.json
    """
    if not paths:
        raise click.UsageError("name the files or folders to lint, e.g. `draft lint canned/`")
    flags = {
        "review.fail_on": fail_on,
        "review.select": _split(select) or None,
        "review.ignore": _split(ignore) or None,
        "review.baseline": str(baseline) if baseline is not None else None,
    }
    settings = settings_from(ctx, **flags)

    from drafter.lint.engine import Linter, LintOptions
    from drafter.lint.report import (
        FORMATTERS,
        JsonItems,
        ReportContext,
        TextItems,
        lint_rule_meta,
        summary,
    )
    from drafter.lint.sources import SourceOptions, discover_real
    from drafter.review.reviewer import Reviewer, catalogue
    from drafter.styleguide import load_styleguide

    sel, ign = list(settings["review.select"]), list(settings["review.ignore"])
    severity = {str(k): v for k, v in settings["review.severity"].items()}
    lint_sev = {k: v for k, v in severity.items() if _is_lint_entry(k)}
    _check_lint_severity(lint_sev)
    review_sel = [e for e in sel if not _is_lint_entry(e)]
    guide = load_styleguide([settings["team.styleguide"]])
    reviewer = Reviewer(guide, select=review_sel, ignore=[e for e in ign if not _is_lint_entry(e)],
                        severity={k: v for k, v in severity.items() if k not in lint_sev})

    base_file = settings["review.baseline"]
    if base_file is not None or write_baseline is not None:
        from drafter.lint.baseline import Baseline
    options = LintOptions(
        select=tuple(sel), ignore=tuple(ign), severity=lint_sev,
        per_path_ignores=_per_path(settings),
        sources=SourceOptions(variables=frozenset(settings["lint.variables"]),
                              extra_keys=frozenset(settings["lint.extra_keys"]),
                              body_only=settings["lint.body_only"]),
        baseline=Baseline.load(base_file) if base_file is not None and not write_baseline
        else None,
        review=not sel or bool(review_sel),
        keep_accepted=write_baseline is not None,
    )
    found = discover_real(paths, [*settings["lint.exclude"], *_split(exclude)], force_exclude)
    files = [path for path, _ in found]
    if not files:
        diag("draft lint: no canned-response files found in "
             + ", ".join(p.as_posix() for p in paths))
    # The report's items are written while workers are still linting.
    color = fmt == "text" and output is None and use_color(sys.stdout)
    json_items = JsonItems() if fmt == "json" and write_baseline is None else None
    text_items = TextItems(color) if fmt == "text" and write_baseline is None else None
    items = json_items if json_items is not None else text_items
    result = Linter(reviewer, options).lint(
        files, jobs=jobs, report=items,
        real_paths=[real for _, real in found])

    if write_baseline is not None:
        Baseline.of(write_baseline, result.accepted).write(write_baseline)
        diag(f"wrote {len(result.accepted)} findings to the baseline {write_baseline}")
        for f in result.findings:
            if f.code == "LNT001":
                diag(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
        return 2 if result.unreadable else 0

    rules = lint_rule_meta()
    if fmt == "sarif":
        from drafter.lint.report import RuleMeta

        for r in catalogue(guide):
            rules[r.code] = RuleMeta(r.code, r.name, r.summary, f"{r.what} {r.why}".strip(),
                                     r.severity)
    report_ctx = ReportContext(
        files=result.files, rules=rules,
        color=color, suppressed=result.suppressed, baselined=result.baselined,
        json_items=json_items if json_items is not None else {},
        text_items=text_items if text_items is not None else {})
    rendered = FORMATTERS[fmt](result.findings, report_ctx)
    if output is not None:
        try:
            output.write_text(rendered, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"cannot write the report to {output}: {exc.strerror}") from None
    elif rendered:
        # JSON escapes every control character: nothing for click to strip of terminal codes
        # (a scan of the whole report, megabytes long) when stdout is not a terminal.
        click.echo(rendered, nl=False, color=True if fmt in ("json", "sarif") else None)
    if not quiet:
        diag(summary(result.findings, report_ctx))
    skip_teardown(result, report_ctx, rendered)
    return result.exit_code(settings["review.fail_on"])
