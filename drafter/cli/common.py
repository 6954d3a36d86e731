"""Helpers shared by the commands: settings from flags, output to stdout and stderr."""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

import click

from drafter.config import Settings, load_settings

if TYPE_CHECKING:
    from drafter.app import App


def settings_from(ctx: click.Context, **flags: Any) -> Settings:
    """Load the effective settings for this run, `flags` being dotted keys set on the command line."""
    obj = ctx.find_root().obj or {}
    return load_settings(flags=flags, config_path=obj.get("config_path"))


# `--format text|json`, for the commands whose output is a summary or a JSON document.
FORMAT = click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text",
                      show_default=True, help="Output format.")


def plural(count: int, noun: str) -> str:
    """`1 ticket`, `2 tickets`."""
    return f"{count} {noun}{'' if count == 1 else 's'}"


def group_app(ctx: click.Context) -> App:
    """The `App` for a command of a group that takes `--store` (draft tickets, draft kb)."""
    obj = ctx.obj if isinstance(ctx.obj, dict) else {}
    return app_from(ctx, **{"store.path": obj.get("store")})


def app_from(ctx: click.Context, **flags: Any) -> App:
    """The `App` for this run, built from the settings with `flags` (dotted keys) applied."""
    from drafter.app import App

    return App(settings_from(ctx, **flags))


def use_color(stream: Any = None) -> bool:
    """Return whether to color output on `stream`: only on a TTY, and never with NO_COLOR."""
    stream = sys.stdout if stream is None else stream
    if os.environ.get("NO_COLOR"):
        return False
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def diag(message: str) -> None:
    """Write a diagnostic or progress line to stderr."""
    click.echo(message, err=True)


def emit_json(data: Any) -> None:
    """Write `data` as indented JSON to stdout."""
    click.echo(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def warn_unset_team(app: App, eml: bool = False) -> None:
    """Warn on stderr (a command calls this once) when the team's name, product (or, for
    mail, its address) are the placeholders, which would reach the prompts and the replies."""
    keys = ("team.name", "team.product", *(("team.from_address",) if eml else ()))
    unset = app.unset_team(keys)
    if not unset:
        return
    shown = ", ".join(f"{k} ({app.settings[k]!r})" for k in unset)
    diag(f"warning: [team] is not set up: the placeholders {shown} go into the prompts"
         + (" and the reply's From" if "team.from_address" in unset else ""))
    lines = "; ".join(f'{k.split(".", 1)[1]} = "..."' for k in unset)
    diag(f"  hint: set them under [team] in drafter.toml ({lines}), or in the environment "
         f"({', '.join('DRAFTER_' + k.replace('.', '_').upper() for k in unset)})")
