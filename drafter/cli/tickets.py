"""`draft tickets`: import mail and JSON tickets into the store, list them, show one thread."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drafter.cli.common import FORMAT, diag, emit_json, group_app, plural, use_color
from drafter.errors import EXIT_USAGE

if TYPE_CHECKING:
    pass



def _store(ctx: click.Context) -> Any:
    return group_app(ctx).store()


@click.group("tickets")
@click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite ticket store (default: `store.path` in the config, DRAFTER_STORE, "
              "or the user's data folder).")
@click.pass_context
def command(ctx: click.Context, store_path: str | None) -> None:
    """Import, list and show tickets in the store.

    \b
      draft tickets import examples/tickets/*
      draft tickets list
      draft tickets show 1
    """
    ctx.ensure_object(dict)
    ctx.obj["store"] = store_path


@command.command("import")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@FORMAT
@click.option("--max-size", type=click.IntRange(min=1), default=10, show_default=True,
              metavar="MB", help="Refuse messages larger than this many megabytes.")
@click.pass_context
def import_(ctx: click.Context, files: tuple[Path, ...], fmt: str, max_size: int) -> None:
    """Import .eml, .mbox and JSON ticket files (or folders of them). Messages already in the
    store are skipped, so importing again is safe. Exits 2 if any file failed; the others are
    still imported."""
    app = group_app(ctx)
    report = app.import_tickets(files, max_size * 1024 * 1024)
    if fmt == "json":
        emit_json({**report.to_dict(), "store": str(app.store_path)})
    else:
        for file, reason in report.failed:
            diag(f"error: {reason if reason.startswith(file) else f'{file}: {reason}'}")
        click.echo(
            f"{plural(report.new_tickets, 'new ticket')}, {plural(report.new_messages, 'new message')}"
            f", {plural(report.duplicates, 'duplicate')} skipped"
            + (f", {plural(len(report.failed), 'failed file')}" if report.failed else "")
        )
        diag(f"store: {app.store_path}")
    if report.failed:
        ctx.exit(EXIT_USAGE)


@command.command("list")
@click.option("--status", type=click.Choice(["open", "pending", "closed"]),
              help="Only tickets with this status.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many tickets.")
@FORMAT
@click.pass_context
def list_(ctx: click.Context, status: str | None, limit: int | None, fmt: str) -> None:
    """List tickets, most recent activity first."""
    with _store(ctx) as store:
        rows = store.list(status=status, limit=limit)
        path = store.path
    if fmt == "json":
        emit_json([r.to_dict() for r in rows])
        return
    if not rows:
        diag(f"no tickets{f' with status {status}' if status else ''} in {path}; "
             "import some with `draft tickets import FILE...`")
        return
    named = any(r.name for r in rows)  # synced from a helpdesk: its names, e.g. rt:123
    table = [("ID", *(("NAME",) if named else ()), "STATUS", "MSGS", "LAST", "CUSTOMER",
              "SUBJECT")]
    for r in rows:
        table.append((str(r.id), *((r.name or "-",) if named else ()), r.status, str(r.messages),
                      (r.last_date or "")[:10],
                      _clip(r.customer_name or r.customer_address or "", 24),
                      _clip(r.subject or "", 50)))
    widths = [max(len(row[i]) for row in table) for i in range(len(table[0]))]
    bold = use_color()
    for index, row in enumerate(table):
        line = "  ".join(cell.ljust(w) if i < len(row) - 1 else cell
                         for i, (cell, w) in enumerate(zip(row, widths, strict=True)))
        click.echo(click.style(line, bold=True) if bold and index == 0 else line)


@command.command("show")
@click.argument("ticket_id", type=int, metavar="ID")
@click.option("--full", is_flag=True, help="Show whole message bodies, quotes included.")
@FORMAT
@click.pass_context
def show(ctx: click.Context, ticket_id: int, full: bool, fmt: str) -> None:
    """Show one ticket's thread, oldest message first."""
    with _store(ctx) as store:
        ticket = store.get(ticket_id)
    if fmt == "json":
        emit_json(ticket.to_dict())
        return
    color = use_color()

    def bold(text: str) -> str:
        return click.style(text, bold=True) if color else text

    customer = ticket.customer_address or ""
    if ticket.customer_name:
        customer = f"{ticket.customer_name} <{customer}>" if customer else ticket.customer_name
    click.echo(bold(f"Ticket {ticket.id}{f' ({ticket.name})' if ticket.name else ''}: "
                    f"{ticket.subject or '(no subject)'}"))
    click.echo(f"Customer: {customer or '(unknown)'}"
               + (f"   Language: {ticket.language}" if ticket.language else ""))
    click.echo(f"Status: {ticket.status}   Channel: {ticket.channel}"
               + (f"   Tags: {', '.join(ticket.tags)}" if ticket.tags else ""))
    for message in ticket.messages:
        who = message.sender_name or message.sender_address or "(unknown)"
        role = "customer" if message.from_customer else "team"
        when = shown_time(message.date)
        click.echo()
        click.echo(bold(f"--- {when + ' · ' if when else ''}{who} ({role})"))
        click.echo(message.body if full else message.latest)
        for a in message.attachments:
            click.echo(f"[attachment: {a.filename}, {a.content_type}, {a.size} bytes]")


def shown_time(iso: str | None) -> str:
    """A message's time with its zone, as git shows it ("2024-01-09 08:41 +0100")."""
    from datetime import datetime

    if not iso:
        return ""
    try:
        when = datetime.fromisoformat(iso)
    except ValueError:
        return iso
    # A time with no zone stays as written; one with a zone keeps its offset, so a thread
    # written from two zones still reads in order.
    return when.strftime("%Y-%m-%d %H:%M" + (" %z" if when.tzinfo else ""))


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


command.add_command(__import__("drafter.cli.tickets_sync", fromlist=["sync"]).sync)
