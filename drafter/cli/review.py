"""`draft review`: review one reply (a file or stdin) against the style guide."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from drafter.cli.common import app_from, diag, emit_json, use_color
from drafter.config import SEVERITIES
from drafter.errors import EXIT_FINDINGS, EXIT_OK, InputError
from drafter.review.context import CHANNELS

MAX_INPUT_BYTES = 10 * 1024 * 1024
_COLORS = {"error": "red", "warning": "yellow", "info": "cyan"}


def split_codes(values: Iterable[str]) -> list[str]:
    """Flatten repeated and comma-separated code options: ("A,B", "C") -> [A, B, C]."""
    return [v.strip() for value in values for v in value.split(",") if v.strip()]


def read_text(source: str) -> tuple[str, str]:
    """Return (display path, text) of a file, or of stdin for "-"."""
    if source == "-":
        if sys.stdin.isatty():
            raise InputError("nothing to review: stdin is a terminal",
                             hint="pass a FILE, or pipe the reply: cat reply.txt | draft review")
        data, name = sys.stdin.buffer.read(MAX_INPUT_BYTES + 1), "-"
    else:
        from drafter.tickets.email import regular_file

        path = Path(source)
        if path.is_dir():
            raise InputError(f"{path} is a folder", hint=f"use `draft lint {path}` for folders")
        regular_file(path)
        try:
            with path.open("rb") as fh:
                data = fh.read(MAX_INPUT_BYTES + 1)
        except OSError as exc:
            raise InputError(f"{path}: cannot read: {exc.strerror}",
                             hint="check the path") from None
        name = str(path)
    if len(data) > MAX_INPUT_BYTES:
        raise InputError(f"{name}: larger than {MAX_INPUT_BYTES // (1024 * 1024)} MB",
                         hint="review one reply at a time")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})",
                         hint="convert it first, e.g. iconv -t UTF-8") from None
    return name, text.replace("\r\n", "\n").replace("\r", "\n")


def render_text(path: str, findings: list[Any], color: bool) -> list[str]:
    """Format findings as `path:line:col: CODE message`, each with its fix and suggestion."""
    lines = []
    for f in findings:
        code = click.style(f.code, fg=_COLORS[f.severity], bold=True) if color else f.code
        where = click.style(f"{path}:{f.line}:{f.column}:", bold=True) if color else \
            f"{path}:{f.line}:{f.column}:"
        lines.append(f"{where} {code} {f.message} [{f.severity}]")
        if f.fix:
            lines.append(f"  fix: {f.fix}")
        if f.suggestion is not None:
            shown = f.suggestion if "\n" not in f.suggestion else f.suggestion.replace("\n", "\\n")
            lines.append(f"  suggestion: {shown!r}" if not shown.strip() else
                         f"  suggestion: {shown}")
    return lines


def render_parse(text: str, parse: list[dict[str, Any]]) -> list[str]:
    """One line a part: `line:col kind  "its first words"`."""
    lines = ["how the reply was read:"]
    for part in parse:
        start, end = int(part["start"]), int(part["end"])
        line = text.count("\n", 0, start) + 1
        col = start - text.rfind("\n", 0, start)
        words = " ".join(text[start:end].split())
        shown = words if len(words) <= 60 else words[:57] + "..."
        lines.append(f"  {line}:{col} {part['kind']:<14} {shown!r}")
    return [*lines, ""]


def summary(findings: list[Any]) -> str:
    """One line: how many findings of each severity."""
    if not findings:
        return "No findings."
    counts = {s: sum(1 for f in findings if f.severity == s) for s in SEVERITIES}
    parts = [f"{n} {s}{'s' if n != 1 else ''}" for s, n in counts.items() if n]
    total = len(findings)
    return f"Found {total} finding{'s' if total != 1 else ''} ({', '.join(parts)})."


@click.command("review")
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@click.option("--ticket", "ticket_id", type=int,
              help="Take the context (channel, customer, mood, question) from this ticket.")
@click.option("--reference", "references", multiple=True, metavar="FILE",
              help="Reference material the reply may draw on (repeatable): with --ticket, "
              "GRD001 flags the facts that neither the ticket nor these files give.")
@click.option("--channel", type=click.Choice(CHANNELS),
              help="The channel the reply goes to (greeting, sign-off and length rules).")
@click.option("--customer-name", help="The customer's name, when there is no --ticket.")
@click.option("--body-only", is_flag=True,
              help="The text is a body without greeting or sign-off by design.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.option("--fail-on", type=click.Choice(SEVERITIES),
              help="Exit 1 when findings at or above this remain [default: review.fail_on].")
@click.option("--select", multiple=True, metavar="CODES",
              help="Only these rules: codes or prefixes, comma-separated or repeated "
              "(replaces review.select).")
@click.option("--ignore", multiple=True, metavar="CODES",
              help="Skip these rules: codes or prefixes (added to review.ignore).")
@click.option("--explain", is_flag=True,
              help="Also show how the reply was read: greeting, body blocks, sign-off, signature "
              "(with --format json: an object with `findings` and `parse`).")
@click.pass_context
def command(ctx: click.Context, source: str, ticket_id: int | None,
            references: tuple[str, ...], channel: str | None,
            customer_name: str | None, body_only: bool, fmt: str, fail_on: str | None,
            select: tuple[str, ...], ignore: tuple[str, ...], explain: bool) -> int:
    """Review one reply (FILE, or stdin by default) against the style guide.

    \b
      draft review reply.txt
      pbpaste | draft review --channel email --customer-name "Jane Doe"
      draft review reply.txt --ticket 123 --format json
      draft review draft.txt --ticket 123 --reference refunds.md --reference shipping.md

    Prints `path:line:col: CODE message` for each finding. Exit status: 0 clean,
    1 findings at or above --fail-on, 2 usage or input errors.
    """
    app = app_from(ctx, **{"review.fail_on": fail_on})
    from drafter.review.finding import at_or_above

    reviewer = app.reviewer(select=split_codes(select) or None, ignore=split_codes(ignore))
    path, text = read_text(source)
    if references and ticket_id is None:
        raise InputError("--reference needs --ticket",
                         hint="the reference supports facts beside a ticket: add --ticket N")
    reference = [read_text(r)[1] for r in references]
    ticket = app.ticket(ticket_id) if ticket_id is not None else None
    context = app.context(ticket, channel=channel, customer_name=customer_name,
                          body_only=body_only, reference=reference)
    findings = app.review(text, context=context, reviewer=reviewer)
    parse = app.structure(text, context=context, reviewer=reviewer).to_list() if explain \
        else None
    covered = app.coverage(text, reviewer=reviewer)
    if fmt == "json":
        found = [f.to_dict() for f in findings]
        emit_json({"findings": found, "parse": parse, "language": covered.to_dict()}
                  if parse is not None else found)
    else:
        if parse is not None:
            for line in render_parse(text, parse):
                click.echo(line)
        for line in render_text(path, findings, use_color()):
            click.echo(line)
        note = covered.note()
        if note:
            diag(f"{path}: note: {note}")
        diag(summary(findings))
    threshold = app.settings["review.fail_on"]
    failing = any(at_or_above(f.severity, threshold) for f in findings)
    return EXIT_FINDINGS if failing else EXIT_OK
