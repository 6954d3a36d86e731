"""`draft kb`: index the team's knowledge, search it, and show what is indexed."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from drafter.cli.common import FORMAT, diag, emit_json, group_app

if TYPE_CHECKING:
    pass



@click.group("kb")
@click.option("--store", "store_path", type=click.Path(dir_okay=False), default=None,
              help="SQLite store that holds the index (default: `store.path` in the config, "
              "DRAFTER_STORE, or the user's data folder).")
@click.pass_context
def command(ctx: click.Context, store_path: str | None) -> None:
    """Index and search the knowledge named in [knowledge]: canned responses, help articles,
    past replies and facts (docs/knowledge.md).

    \b
      draft kb index
      draft kb search "parcel arrived damaged"
      draft kb stats
    """
    ctx.ensure_object(dict)
    ctx.obj["store"] = store_path


@command.command("index")
@FORMAT
@click.pass_context
def index(ctx: click.Context, fmt: str) -> None:
    """Bring the index up to date: only files that changed are read again, removed files drop
    out. Prints what changed."""
    with group_app(ctx).knowledge() as kb:
        report = kb.index()
    if fmt == "json":
        emit_json(report.to_dict())
        return
    for what, names in (("added", report.added), ("changed", report.changed),
                        ("removed", report.removed)):
        for name in names:
            click.echo(f"{what:8} {name}")
    click.echo(f"{len(report.added)} added, {len(report.changed)} changed, "
               f"{len(report.removed)} removed, {report.unchanged} unchanged; "
               f"{report.passages} passages read in {report.seconds:.2f} s")


@command.command("search")
@click.argument("query")
@click.option("--limit", "-n", type=click.IntRange(min=1), default=5, show_default=True,
              help="How many passages to show.")
@FORMAT
@click.pass_context
def search(ctx: click.Context, query: str, limit: int, fmt: str) -> None:
    """Show the passages most relevant to QUERY, with their source file and heading (the index
    is brought up to date first)."""
    with group_app(ctx).knowledge() as kb:
        kb.index()
        found = kb.search(query, limit)
    if fmt == "json":
        emit_json([p.to_dict() for p in found])
        return
    if not found:
        diag("no passage matches")
        return
    for n, p in enumerate(found, 1):
        title = f" — {p.heading}" if p.heading else ""
        click.echo(f"{n}. {p.id}{title}  ({p.kind}, score {p.score:.2f})")
        text = " ".join(p.text.split())
        click.echo(f"   {text[:240]}{'…' if len(text) > 240 else ''}")


@command.command("stats")
@FORMAT
@click.pass_context
def stats(ctx: click.Context, fmt: str) -> None:
    """Show what is indexed: sources and passages of each kind, and when it was last indexed."""
    with group_app(ctx).knowledge() as kb:
        data = kb.stats()
    if fmt == "json":
        emit_json(data)
        return
    click.echo(f"project   {data['project']}")
    click.echo(f"store     {data['store']}")
    click.echo(f"retriever {data['retriever']}")
    click.echo(f"indexed   {data['indexed_at'] or 'never (run `draft kb index`)'}")
    for kind, counts in sorted(data["kinds"].items()):
        click.echo(f"{kind:10} {counts['passages']:6} passages from {counts['sources']} "
                   f"source{'s' if counts['sources'] != 1 else ''}")
