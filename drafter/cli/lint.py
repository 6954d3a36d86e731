"""`draft lint`: check a library of canned responses against the style guide (for CI)."""

from __future__ import annotations

import io
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

import click

from drafter.cli.common import app_from, diag, use_color
from drafter.config import SEVERITIES
from drafter.errors import InputError
from drafter.review.context import CHANNELS

FORMATS = ("text", "json", "github", "sarif", "junit")


def _split(values: Sequence[str]) -> list[str]:
    """Flatten repeated, comma-separated option values."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


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
@click.option("--channel", type=click.Choice(CHANNELS), default=None,
              help="The channel the responses are written for, unless front matter or "
              "lint.channels says [default: lint.channel].")
@click.pass_context
def command(ctx: click.Context, paths: tuple[Path, ...], fmt: str, fail_on: str | None,
            select: tuple[str, ...], ignore: tuple[str, ...], baseline: Path | None,
            write_baseline: Path | None, exclude: tuple[str, ...], force_exclude: bool,
            output: Path | None, quiet: bool, jobs: int, channel: str | None) -> int:
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
    from drafter.lint.report import FORMATTERS, ReportContext, lint_rule_meta, render, summary

    app = app_from(ctx, **flags)
    result = app.lint(paths, exclude=_split(exclude), force_exclude=force_exclude, jobs=jobs,
                      channel=channel, write_baseline=write_baseline,
                      reports=_report_files(output))
    for path, why in result.skipped:
        if not quiet:
            name = path.rsplit("/", 1)[-1]
            diag(f"note: {path}: skipped, {why}; leave it out with --exclude {_quoted(name)}, "
                 f'or for good in drafter.toml: [lint] exclude = [..., "{name}"]')
    if not result.files:
        diag("draft lint: no canned-response files found in "
             + ", ".join(p.as_posix() for p in paths))
    if write_baseline is not None:
        diag(f"wrote {len(result.accepted)} findings to the baseline {write_baseline}")
        for f in result.findings:
            if f.code == "LNT001":
                diag(f"{f.path}:{f.line}:{f.column}: {f.code} {f.message}")
        return 2 if result.unreadable else 0

    rules = lint_rule_meta()
    if fmt == "sarif":
        from drafter.lint.report import RuleMeta

        for r in app.rules():
            rules[r.code] = RuleMeta(r.code, r.name, r.summary, f"{r.what} {r.why}".strip(),
                                     r.severity)
    report_ctx = ReportContext(
        files=result.files, rules=rules, suppressed=result.suppressed,
        baselined=result.baselined,
        languages=[(path, c.to_dict()) for path, c in result.coverage],
        color=fmt == "text" and output is None and use_color(sys.stdout))
    rendered = render(FORMATTERS[fmt], result.findings, report_ctx)
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
        for path, covered in result.coverage:
            diag(f"{path}: note: {covered.note()}")
        diag(summary(result.findings, report_ctx))
    return result.exit_code(app.settings["review.fail_on"])


def _report_files(output: Path | None) -> list[tuple[int, int]]:
    """The (device, inode) of the files this run writes to: `--output` where it exists
    already, and standard output and error where they are files (`draft lint . > report.json`,
    `2> lint.log`). (A report piped on, `| tee report.json`, cannot be told from here.)"""
    found = []
    for target in (output, sys.stdout, sys.stderr):
        if target is None:
            continue
        try:
            st = os.stat(target) if isinstance(target, Path) else os.fstat(target.fileno())
        except (OSError, ValueError, io.UnsupportedOperation):
            continue  # no such file yet, or not a real file (a test's captured output)
        if stat.S_ISREG(st.st_mode):
            found.append((st.st_dev, st.st_ino))
    return found


def _quoted(path: str) -> str:
    """`path` as a shell word."""
    import shlex

    return shlex.quote(path)
