"""`draft parse`: show how drafter reads an email — sender, subject, attachments, latest words."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from drafter.cli.common import diag, emit_json, use_color
from drafter.errors import InputError


@click.command("parse")
@click.argument("source", required=False, default="-", metavar="[FILE|-]")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format; json adds the full body and elided parts.")
@click.option("--max-size", type=click.IntRange(min=1), default=10, show_default=True,
              metavar="MB", help="Refuse messages larger than this many megabytes.")
def command(source: str, fmt: str, max_size: int) -> None:
    """Show how drafter reads an email (or plain text): who wrote it, about what, and the
    customer's latest words with quoted history and signature removed.

    \b
      draft parse message.eml
      cat message.eml | draft parse --format json
    """
    from drafter.tickets.email import is_mbox, parse_email, read_file, read_limited
    from drafter.tickets.trim import trim

    limit = max_size * 1024 * 1024
    if source == "-":
        if sys.stdin.isatty():
            raise InputError("nothing to parse: give a file or pipe an email on stdin",
                             hint="draft parse message.eml, or: cat message.eml | draft parse")
        data = read_limited(sys.stdin.buffer, "stdin", limit)
        name = "stdin"
    else:
        data = read_file(Path(source), limit)
        name = source
    if is_mbox(data) and b"\n\nFrom " in data:
        diag(f"{name}: an mbox; showing its first message "
             "(import them all with `draft tickets import`)")
    message = parse_email(data, name, limit)
    trimmed = trim(message.body)

    if fmt == "json":
        out = message.to_dict()
        out["elided"] = {"history": trimmed.history, "signature": trimmed.signature}
        emit_json(out)
        return

    color = use_color()

    def label(text: str) -> str:
        return click.style(text, bold=True) if color else text

    sender = message.sender_address or ""
    if message.sender_name:
        sender = f"{message.sender_name} <{sender}>" if sender else message.sender_name
    rows = [("From", sender or "(unknown)"), ("Subject", message.subject or "(none)"),
            ("Date", message.date or "(unknown)")]
    if message.attachments:
        rows.append(("Attachments", ", ".join(
            f"{a.filename} ({a.content_type}, {_size(a.size)})" for a in message.attachments)))
    for key, value in rows:
        click.echo(f"{label(key + ':'):<{13 + (8 if color else 0)}} {value}")
    click.echo()
    click.echo(message.latest)
    removed = [f"{_count(part)} of {what}" for part, what in
               ((trimmed.history, "quoted history"), (trimmed.signature, "signature")) if part]
    if removed:
        diag(f"(removed {' and '.join(removed)}; see --format json)")


def _count(text: str) -> str:
    n = len(text.splitlines())
    return f"{n} line" + ("" if n == 1 else "s")


def _size(size: int) -> str:
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
