"""`draft drafts`: list and show the drafts that `draft batch` stored, with their findings."""

from __future__ import annotations

from typing import Any

import click

from drafter.cli.common import FORMAT, app_from, emit_json, use_color
from drafter.errors import InputError


def open_store(ctx: click.Context, store_path: str | None = None) -> Any:
    """Open the ticket store named by --store, the config, DRAFTER_STORE or the default."""
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return app_from(ctx, **{"store.path": store_path or obj.get("store")}).store()


@click.group("drafts")
@click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite ticket store (default: `store.path`, DRAFTER_STORE, or the user's data "
              "folder).")
@click.pass_context
def command(ctx: click.Context, store_path: str | None) -> None:
    """List and show stored drafts (written by `draft batch`) and their findings.

    \b
      draft drafts list
      draft drafts list --status failed
      draft drafts show 12
    """
    ctx.ensure_object(dict)
    ctx.obj["store"] = store_path


@command.command("list")
@click.option("--status", type=click.Choice(["done", "failed"]), help="Only drafts with this status.")
@click.option("--limit", type=click.IntRange(min=1), help="Show at most this many drafts.")
@FORMAT
@click.pass_context
def list_(ctx: click.Context, status: str | None, limit: int | None, fmt: str) -> None:
    """List stored drafts, newest first: ticket, status, findings by severity, tokens, model."""
    with open_store(ctx) as store:
        drafts = store.list_drafts(status=status, limit=limit)
    if fmt == "json":
        emit_json([_summary(d) for d in drafts])
        return
    if not drafts:
        click.echo("no stored drafts" + (f" with status {status}" if status else ""), err=True)
        return
    click.echo(f"{'TICKET':>6}  {'STATUS':<6}  {'E/W/I':<8}  {'TOKENS':>7}  {'COST':>9}  "
               f"{'MODEL':<24}  CREATED")
    for d in drafts:
        s = _summary(d)
        sev = s["findings_by_severity"]
        counts = f"{sev['error']}/{sev['warning']}/{sev['info']}" if d.status == "done" else "-"
        cost = f"${d.cost:.4f}" if d.cost is not None else "-"
        tokens = d.usage.get("total_tokens", "?" if d.status == "done" else 0)
        line = (f"{d.ticket_id:>6}  {d.status:<6}  {counts:<8}  {tokens:>7}  "
                f"{cost:>9}  {_clip(d.model or '-', 24):<24}  {d.created_at}")
        if d.status == "failed":
            line += f"\n{'':>8}{_clip(d.reason or '', 100)}"
        click.echo(line)


@command.command("show")
@click.argument("ticket_id", type=int, metavar="TICKET")
@FORMAT
@click.pass_context
def show(ctx: click.Context, ticket_id: int, fmt: str) -> None:
    """Show a ticket's stored draft and its findings (or why drafting it failed)."""
    with open_store(ctx) as store:
        draft = store.get_draft(ticket_id)
    if draft is None:
        raise InputError(f"no stored draft for ticket {ticket_id}",
                         hint=f"draft one with `draft batch --ids {ticket_id}`; "
                         "see stored drafts with `draft drafts list`")
    if fmt == "json":
        emit_json(draft.to_dict())
        return
    color = use_color()

    def dim(text: str) -> str:
        return click.style(text, dim=True) if color else text

    head = (f"ticket {draft.ticket_id} · {draft.status} · {draft.model or '-'} · prompt "
            f"{draft.prompt_version or '-'} · {draft.created_at}")
    click.echo(dim(head))
    if draft.status == "failed":
        click.echo(f"failed: {draft.reason}")
        return
    usage = draft.usage
    # -1: the canned response the draft started from beat every round of the model's.
    kept = "the canned response" if draft.kept_round == -1 else draft.kept_round
    click.echo(dim(f"{draft.rounds} round{'s' if draft.rounds != 1 else ''} (kept {kept}) · "
                   + (f"{usage.get('prompt_tokens', 0)} prompt ({usage.get('cached_tokens', 0)} cached) + "
                      f"{usage.get('completion_tokens', 0)} completion tokens" if usage else
                      "tokens unknown (the server sent no counts)")
                   + (f" · ${draft.cost:.4f}" if draft.cost is not None else "")))
    click.echo(dim("──"))
    click.echo(draft.draft or "", nl=not (draft.draft or "").endswith("\n"))
    click.echo(dim("──"))
    if not draft.findings:
        click.echo("no findings")
    colors = {"error": "red", "warning": "yellow", "info": "blue"}
    for f in draft.findings:
        code = click.style(f["code"], fg=colors.get(f["severity"]), bold=True) if color else f["code"]
        line = f"{f['line']}:{f['column']}: {code} [{f['severity']}] {f['message']}"
        if f.get("suggestion"):
            line += f" (suggest: {f['suggestion']!r})"
        click.echo(line)


def _summary(d: Any) -> dict[str, Any]:
    sev = {"error": 0, "warning": 0, "info": 0}
    for f in d.findings:
        sev[f["severity"]] = sev.get(f["severity"], 0) + 1
    return {
        "ticket": d.ticket_id, "status": d.status, "reason": d.reason,
        "findings": len(d.findings), "findings_by_severity": sev,
        "codes": sorted({f["code"] for f in d.findings}), "usage": d.usage, "cost": d.cost,
        "model": d.model, "prompt_version": d.prompt_version, "rounds": d.rounds, "via": d.via,
        "job_id": d.job_id, "created_at": d.created_at,
    }


def _clip(text: str, width: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"
