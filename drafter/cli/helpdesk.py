"""`draft helpdesk`: check the connection to the configured helpdesk."""

from __future__ import annotations

import click

from drafter.cli.common import app_from, emit_json, use_color
from drafter.errors import EXIT_USAGE


@click.group("helpdesk")
def command() -> None:
    """The helpdesk where the tickets live ([helpdesk] in drafter.toml; see docs/helpdesk.md)."""


@command.command("check")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def check(ctx: click.Context, fmt: str) -> None:
    """Check the URL, the token and the rights drafter needs (read tickets, add internal
    notes); say what is missing. Exits 2 when something is, 3 when the helpdesk cannot be
    reached after retries."""
    app = app_from(ctx)
    with app.helpdesk() as helpdesk:
        checks = helpdesk.check()
        where = helpdesk.config.url
    if fmt == "json":
        emit_json({"helpdesk": where, "ok": all(c.ok for c in checks),
                   "checks": [{"what": c.what, "ok": c.ok, "detail": c.detail} for c in checks]})
    else:
        color = use_color()
        for c in checks:
            mark = "ok " if c.ok else "MISSING"
            if color:
                mark = click.style(mark, fg="green" if c.ok else "red", bold=True)
            click.echo(f"{mark:<7} {c.what}: {c.detail}")
    if not all(c.ok for c in checks):
        ctx.exit(EXIT_USAGE)
