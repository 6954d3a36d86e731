"""`draft reply`: draft a reply to a ticket from the store or to an email on stdin."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from drafter.cli.common import app_from, diag, emit_json, use_color, warn_unset_team
from drafter.errors import DrafterError, InputError
from drafter.helpdesk.base import HelpdeskError

if TYPE_CHECKING:
    from drafter.app import App
    from drafter.helpdesk import Connector
    from drafter.pipeline import Result
    from drafter.tickets.model import Ticket


def read_ticket(app: App, ticket_id: int | None, source: str | None) -> Ticket:
    """Return the ticket to answer: from the store by id, or parsed from a file or stdin."""
    if ticket_id is not None:
        return app.ticket(ticket_id)
    from drafter.tickets.email import read_file, read_limited
    from drafter.tickets.importers import ticket_from_input

    if source in (None, "-"):
        if sys.stdin.isatty():
            raise InputError("no ticket given and nothing on stdin",
                             hint="pass --ticket ID, a file, or pipe an email: "
                             "cat message.eml | draft reply")
        return ticket_from_input(read_limited(sys.stdin.buffer, "stdin"), "stdin")
    return ticket_from_input(read_file(Path(source)), source)


@click.command("reply")
@click.argument("source", required=False, metavar="[FILE|-]")
@click.option("--ticket", "ticket_name", metavar="NAME", help="Answer this ticket: 123 (the "
              "configured helpdesk, else the store), rt:123 or local:7.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "eml"]), default="text",
              show_default=True, help="text: the draft; json: draft, findings, usage, timings; "
              "eml: a complete reply message.")
@click.option("--model", help="Model name (overrides llm.model / DRAFTER_MODEL).")
@click.option("--channel", type=click.Choice(["email", "chat"]), help="Reply channel.")
@click.option("--max-revisions", type=click.IntRange(0, 10), help="Revision rounds (default 2).")
@click.option("--dry-run", is_flag=True, help="Print the rendered prompt messages; call no model.")
@click.option("--quote/--no-quote", default=False, help="With --format eml: quote the customer's "
              "message below the reply.")
@click.option("--save-draft", is_flag=True, help="Also append the reply to the IMAP account's "
              "Drafts folder, threaded to the customer's message (see docs/imap.md). "
              "Nothing is ever sent.")
@click.option("--post-note", is_flag=True, help="Add the draft and the reviewer's findings to "
              "the helpdesk ticket as an internal note (once per customer message; see "
              "docs/helpdesk.md). Nothing is ever sent to the customer.")
@click.option("--force", is_flag=True, help="With --post-note: add a note even when one for the "
              "latest customer message is there.")
@click.option("--fail-on", type=click.Choice(["error", "warning", "info", "never"]),
              default="never", show_default=True,
              help="Exit 1 when the kept draft still has findings at or above this severity.")
@click.option("--stream/--no-stream", default=None, help="Stream the model's words as they come "
              "(default: when stdout is a terminal).")
@click.pass_context
def command(ctx: click.Context, source: str | None, ticket_name: str | None, fmt: str,
            model: str | None, channel: str | None, max_revisions: int | None, dry_run: bool,
            quote: bool, save_draft: bool, post_note: bool, force: bool, fail_on: str,
            stream: bool | None) -> None:
    """Draft a reply to a ticket (--ticket 123, rt:123, local:7) or to an email or plain text
    on stdin.

    The draft goes to stdout; the reviewer's findings and progress go to stderr.
    """
    app = app_from(ctx, **{"llm.model": model, "draft.max_revisions": max_revisions,
                           "draft.channel": channel})
    if ticket_name is not None and source not in (None, "-"):
        raise click.UsageError("give either --ticket or a FILE, not both")
    name = app.ticket_name(ticket_name) if ticket_name is not None else None
    if (post_note or force) and (name is None or name.is_local):
        raise click.UsageError("--post-note needs a ticket in the helpdesk (--ticket rt:123)")
    with contextlib.ExitStack() as stack:
        helpdesk = None
        if name is not None and not name.is_local:
            helpdesk = stack.enter_context(app.helpdesk())
            ticket = helpdesk.fetch(name.number)
            if post_note and not force and helpdesk.has_note(ticket):
                diag(f"{ticket.name}: the note for the customer's latest message is there "
                     "already; --force adds another")
                return
            if ticket.latest_customer_message is None:
                raise HelpdeskError(f"{ticket.name} has no message from the customer to answer",
                                    hint="drafter drafts replies to customers' messages")
            if post_note and helpdesk.may_add_note(name.number) is False:
                raise HelpdeskError(f"{ticket.name}: the token's user may not add internal notes "
                                    "to it", hint="`draft helpdesk check` says which right is missing")
            stored_id = None  # stored as its name (rt:123) before drafting
        else:
            stored_id = int(name.number) if name else None
            ticket = read_ticket(app, stored_id, source)
        _answer(ctx, app, ticket, stored_id, helpdesk if post_note else None, force=force, fmt=fmt,
                channel=channel, dry_run=dry_run, quote=quote, save_draft=save_draft,
                fail_on=fail_on, stream=stream)


def _answer(ctx: click.Context, app: App, ticket: Ticket, ticket_id: int | None,
            helpdesk: Connector | None, *,
            force: bool, fmt: str, channel: str | None, dry_run: bool, quote: bool,
            save_draft: bool, fail_on: str, stream: bool | None) -> None:
    """Draft the reply (or show its prompt), post the note, and render what came back."""
    warn_unset_team(app, eml=fmt == "eml" or save_draft)
    if dry_run:
        messages = app.reply_messages(ticket, channel)
        if fmt == "json":
            emit_json({"messages": messages})
        else:
            for m in messages:
                click.echo(f"── {m['role']} ──\n{m['content']}\n")
        return

    from drafter import pipeline

    if ticket_id is None:
        # Every draft is stored, so `draft drafts list` shows it: a piped email, a file or a
        # helpdesk's ticket is stored as its ticket first. A store that cannot take it does
        # not stop the draft.
        try:
            ticket_id = app.keep_ticket(ticket)
        except DrafterError as exc:
            diag(f"warning: the ticket could not be stored, so neither can its draft: {exc.message}")
    chan = app.channel_for(ticket, channel)
    live = sys.stdout.isatty() if stream is None else stream
    live = live and fmt == "text"

    def on_retry(attempt: int, reason: str, wait: float) -> None:
        diag(f"model call failed ({reason}); retry {attempt} in {wait:.1f} s")

    def on_token(piece: str) -> None:
        click.echo(piece, nl=False)

    def on_round(r: pipeline.Round, more: bool) -> None:
        if live:
            click.echo("")
        note = f"round {r.index}: {len(r.findings)} finding{'s' if len(r.findings) != 1 else ''}"
        if r.cut_off:
            note += " (the model reached llm.max_tokens; its unfinished last sentence was dropped)"
        diag(note + ("; revising" if more else ""))

    result = app.reply(ticket, channel=chan, on_token=on_token if live else None,
                       on_round=on_round, on_retry=on_retry, on_status=diag)
    team = app.team
    # The model has answered: from here on a failure must not lose the draft. A stored ticket's
    # draft is stored, and every draft is printed, before it is wrapped or saved to a mailbox.
    stored = ""
    if ticket_id is not None:
        try:
            app.store_reply(ticket_id, result)
            stored = f"; it is stored too (draft drafts show {ticket_id})"
        except DrafterError as exc:
            diag(f"warning: the draft could not be stored: {exc.message}")
    message = None
    unwrapped: DrafterError | None = None
    if fmt == "eml" or save_draft:
        from drafter.outbound.reply_email import build_reply

        try:
            message = build_reply(ticket, result.text, from_address=team["from_address"],
                                  from_name=team["name"], quote=quote)
        except DrafterError as exc:
            unwrapped = exc
    note = app.post_note(helpdesk, ticket, result, force=force) if helpdesk is not None else None
    if fmt == "json":
        extra = {"note": {"ticket": note.ticket, "posted": note.posted}} if note else {}
        emit_json({"ticket": ticket.name or ticket.id, "channel": chan, **result.to_dict(),
                   **extra})
    elif fmt == "eml" and message is not None:
        sys.stdout.buffer.write(bytes(message))
        sys.stdout.flush()
    else:
        if live:
            kept = "the canned response" if result.kept_round == pipeline.CANNED_ROUND \
                else f"round {result.kept_round}"
            click.echo(click.style(f"── draft ({kept}) ──", dim=True)
                       if use_color() else f"── draft ({kept}) ──")
        click.echo(result.text, nl=False)
    _report(result.findings)
    if result.coverage is not None and result.coverage.note():
        diag(f"review: note: {result.coverage.note()}")
    diag(f"kept {result.why}")
    usage = result.usage
    # llama.cpp sends no token counts while streaming: say so rather than print zeros.
    tokens = (f"{usage.get('prompt_tokens', 0)} prompt + {usage.get('completion_tokens', 0)} "
              "completion tokens" if usage else "tokens unknown (the server sent no counts "
              "while streaming; --no-stream counts them)")
    diag(f"model {result.model}: {len(result.rounds)} round{'s' if len(result.rounds) != 1 else ''}, "
         f"{tokens}, {result.timings['model']:.1f} s waiting for the model")
    if stored:
        diag(f"stored as the draft of ticket {ticket_id} (draft drafts show {ticket_id})")
    if result.sources and fmt == "text":
        diag(sources_line(result))
    if unwrapped is not None:
        raise _after_the_draft(unwrapped, "", stored)
    if save_draft and message is not None:
        from drafter.outbound.imap_drafts import save_draft as append_draft

        try:
            diag(f"saved as a draft: {append_draft(app.settings, message)}")
        except DrafterError as exc:
            raise _after_the_draft(exc, "the draft could not be saved to the mailbox: ",
                                   stored) from None
    if note is not None:
        diag(f"{note.ticket}: the draft is on the ticket as an internal note" if note.posted else
             f"{note.ticket}: the note for the customer's latest message is there already")
    if fail_on != "never" and pipeline.blocking(result.findings, fail_on):
        ctx.exit(1)


def sources_line(result: Result) -> str:
    """One line naming the knowledge the draft was grounded in, for the agent to check it by."""
    names = [p.id + (" (started from)" if p.id == result.started_from else "")
             for p in result.sources]
    return "sources: " + ", ".join(names)


def _after_the_draft(exc: DrafterError, prefix: str, stored: str) -> DrafterError:
    """`exc`, its message and hint saying that the draft was printed (and stored) all the same."""
    exc.message = prefix + exc.message
    exc.hint = f"the draft is printed above{stored}" + (f"; {exc.hint}" if exc.hint else "")
    return exc


def _report(findings: list[Any]) -> None:
    """Write the findings still present in the kept draft to stderr."""
    color = use_color(sys.stderr)
    if not findings:
        diag("review: no findings")
        return
    diag(f"review: {len(findings)} finding{'s' if len(findings) != 1 else ''} in the draft")
    colors = {"error": "red", "warning": "yellow", "info": "blue"}
    for f in findings:
        code = click.style(f.code, fg=colors[f.severity], bold=True) if color else f.code
        line = f"  {f.line}:{f.column}: {code} {f.message}"
        if f.suggestion:
            line += f" (suggest: {f.suggestion!r})"
        diag(line)
