"""`draft config`: the effective settings and where each came from."""

from __future__ import annotations

import click

from drafter.cli.common import emit_json, settings_from


@click.command("config")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
              show_default=True, help="Output format.")
@click.pass_context
def command(ctx: click.Context, fmt: str) -> None:
    """Show the effective settings and where each came from (secrets masked)."""
    settings = settings_from(ctx)
    rows = settings.display()
    if fmt == "json":
        emit_json({
            "config_file": str(settings.config_file) if settings.config_file else None,
            "settings": [{"key": k, "value": v, "origin": o} for k, v, o in rows],
        })
        return
    click.echo(f"# config file: {settings.config_file or '(none found)'}")
    width = max(len(k) for k, _, _ in rows)
    for key, value, origin in rows:
        click.echo(f"{key:<{width}}  {value}  # {origin}")
