"""`draft tickets sync`: import new mail from the shared inbox (IMAP) into the ticket store."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from typing import Any

import click

from drafter.cli.common import app_from, diag, emit_json, plural
from drafter.errors import EXIT_USAGE


@click.command("sync", short_help="Import new mail (IMAP) or helpdesk tickets.")
@click.option("--from", "source", type=click.Choice(["imap", "helpdesk"]), default="imap",
              show_default=True, help="imap: the shared inbox ([imap]); helpdesk: the tickets "
              "of the configured helpdesk ([helpdesk]), named like rt:123, with their status, tags and "
              "customer language.")
@click.option("--queue", default=None, help="With --from helpdesk: the scope (RT: queue; Zendesk: "
              "group; Freshdesk: group id; Help Scout: mailbox id; default `helpdesk.queue`).")
@click.option("--since", type=click.DateTime(["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M:%S"]),
              default=None, help="With --from helpdesk: only tickets updated after this (UTC).")
@click.option("--mailbox", default=None, metavar="NAME",
              help="Mailbox to import from (default: `imap.mailbox`, INBOX).")
@click.option("--batch-size", type=click.IntRange(min=1), default=50, show_default=True,
              help="Messages fetched per round trip; each message is committed on its own.")
@click.option("--max-size", type=click.IntRange(min=1), default=10, show_default=True,
              metavar="MB", help="Skip (and report) messages larger than this many megabytes.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def sync(ctx: click.Context, source: str, queue: str | None, since: datetime | None,
         mailbox: str | None, batch_size: int, max_size: int, fmt: str) -> None:
    """Import new messages from the shared inbox over IMAP, threading them into tickets.

    Only messages newer than the last sync are fetched, and they stay unread on the server.
    Running it again imports nothing twice; an interrupted sync resumes where it stopped.
    Configure the account in the [imap] section (see docs/imap.md). Exits 2 if the server
    cannot be reached or refuses the login, or if a message could not be imported.
    """
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    app = app_from(ctx, **{"store.path": obj.get("store"), "imap.mailbox": mailbox})
    if source == "helpdesk":
        _from_helpdesk(ctx, app, queue, since, fmt)
        return
    if queue or since:
        raise click.UsageError("--queue and --since go with --from helpdesk")
    show_progress = fmt == "text" and sys.stderr.isatty()

    def progress(done: int, total: int) -> None:
        if show_progress:
            click.echo(f"\rimported {done}/{total} messages", err=True, nl=done >= total)

    report = app.sync_mailbox(batch_size=batch_size, max_bytes=max_size * 1024 * 1024,
                              progress=progress)
    path = app.store_path
    if fmt == "json":
        data = report.to_dict()
        data["store"] = str(path)
        emit_json(data)
    else:
        for where, reason in report.failed:
            diag(f"error: {where}: {reason}")
        if report.uidvalidity_changed:
            diag(f"note: the server renumbered {report.mailbox} (new UIDVALIDITY); every message "
                 "was checked again, and those already stored were skipped")
        click.echo(
            f"{plural(report.new_tickets, 'new ticket')}, {plural(report.new_messages, 'new message')}"
            f", {plural(report.duplicates, 'duplicate')} skipped"
            + (f", {plural(len(report.failed), 'failed message')}" if report.failed else "")
            + f" ({report.mailbox} on {report.server} as {report.user})"
        )
        diag(f"store: {path}")
    if report.failed:
        ctx.exit(EXIT_USAGE)


def _from_helpdesk(ctx: click.Context, app: Any, queue: str | None, since: datetime | None,
                   fmt: str) -> None:
    """`draft tickets sync --from helpdesk`: copy the helpdesk's tickets into the store."""
    when = since.replace(tzinfo=timezone.utc) if since is not None else None
    show = fmt == "text" and sys.stderr.isatty()
    report = app.sync_helpdesk(queue, when, progress=(lambda name: diag(f"synced {name}"))
                               if show else None)
    if fmt == "json":
        emit_json({**report.to_dict(), "store": str(app.store_path)})
    else:
        for name, reason in report.failed:
            diag(f"error: {name}: {reason}")
        click.echo(f"{plural(report.new_tickets, 'new ticket')}, {plural(report.new_messages, 'new message')}"
                   f", {plural(report.duplicates, 'duplicate')} skipped"
                   + (f", {plural(len(report.failed), 'failed ticket')}" if report.failed else ""))
        diag(f"store: {app.store_path}")
    if report.failed:
        ctx.exit(EXIT_USAGE)


command = sync
