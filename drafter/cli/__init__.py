"""The `draft` command line: a click group whose commands load only when used."""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import Any

import click

from drafter import __version__
from drafter.config import redact
from drafter.errors import EXIT_INTERRUPTED, EXIT_USAGE, DrafterError

# name -> (module, short help). Modules are imported only when their command runs, so
# `draft --help`, `draft parse` and `draft lint` never pay for openai or the model server.
COMMANDS: dict[str, tuple[str, str]] = {
    "reply": ("drafter.cli.reply", "Draft a reply to a ticket or to an email on stdin."),
    "parse": ("drafter.cli.parse", "Show how drafter reads an email: sender, subject, latest words."),
    "tickets": ("drafter.cli.tickets", "Import, list and show tickets in the store."),
    "review": ("drafter.cli.review", "Review one reply against the style guide."),
    "lint": ("drafter.cli.lint", "Lint canned responses against the style guide (for CI)."),
    "rules": ("drafter.cli.rules", "List the reviewer's rules, or show one rule's doc."),
    "batch": ("drafter.cli.batch", "Draft replies for many tickets at once (concurrent or Batch API)."),
    "drafts": ("drafter.cli.drafts", "List and show stored drafts and their findings."),
    "config": ("drafter.cli.config_cmd", "Show the effective settings and where each came from."),
    "helpdesk": ("drafter.cli.helpdesk", "Check the helpdesk connection: URL, token and rights."),
    "kb": ("drafter.cli.kb", "Index and search the team's knowledge that drafts are grounded in."),
}


class LazyGroup(click.Group):
    """A group that imports a command's module on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module = importlib.import_module(COMMANDS[cmd_name][0])
        command: click.Command = module.command
        return command

    def resolve_command(self, ctx: click.Context,
                        args: list[str]) -> tuple[str | None, click.Command | None, list[str]]:
        """Resolve the command, or fail naming the nearest command (as git does)."""
        name = click.utils.make_str(args[0])
        if name not in COMMANDS and not name.startswith("-"):
            import difflib  # only for a mistake's hint

            near = difflib.get_close_matches(name, list(COMMANDS), n=2, cutoff=0.6)
            hint = f" Did you mean {' or '.join(repr(n) for n in near)}?" if near else ""
            ctx.fail(f"No such command {name!r}.{hint} `draft --help` lists them.")
        return super().resolve_command(ctx, args)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, short) for name, (_, short) in COMMANDS.items()])


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="draft")
@click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
              envvar="DRAFTER_CONFIG", help="Config file (default: drafter.toml or pyproject.toml "
              "found by walking up from the working directory).")
@click.pass_context
def cli(ctx: click.Context, config_path: Path | None) -> None:
    """Draft customer-support replies with an LLM under your style guide, and review replies
    against that same guide.

    \b
      draft reply --ticket 123          a ticket from the store
      cat message.eml | draft reply     an email (or plain text) on stdin
      draft lint canned/                canned responses, in CI
    """
    ctx.obj = {"config_path": config_path}


def main(argv: list[str] | None = None) -> Any:
    """Run the CLI, turning errors into messages on stderr and exit codes."""
    try:
        code = cli.main(args=argv, prog_name="draft", standalone_mode=False)
    except DrafterError as exc:
        click.echo(f"error: {redact(exc.message)}", err=True)
        if exc.hint:
            click.echo(f"  hint: {redact(exc.hint)}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Abort:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(EXIT_INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        sys.exit(EXIT_USAGE if exc.exit_code in (1, 2) else exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except BrokenPipeError:
        # The reader went away (draft ... | head); nothing more to say.
        sys.stderr.close()
        sys.exit(0)
    except Exception as exc:
        if os.environ.get("DRAFTER_DEBUG"):
            raise
        click.echo(f"error: internal error: {type(exc).__name__}: {redact(str(exc))}", err=True)
        click.echo("  hint: this is a bug in drafter; run again with DRAFTER_DEBUG=1 for the "
                   "traceback and report it", err=True)
        sys.exit(EXIT_USAGE)
    sys.exit(code if isinstance(code, int) else 0)
