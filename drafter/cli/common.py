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
