"""Render the prompt messages (system, reply, revise) from Jinja templates and the style guide."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import SandboxedEnvironment

from drafter.errors import TemplateError
from drafter.resources import shipped_dir
from drafter.styleguide import StyleGuide

ChatMessage = dict[str, str]

# Customer text must not be able to close the data block it sits in.
_DELIMITER = re.compile(r"<\s*/?\s*(ticket|message)\b", re.IGNORECASE)


def quote_data(value: Any) -> str:
    """Jinja filter: neutralize anything in untrusted text that looks like our data delimiters."""
    text = "" if value is None else str(value)
    return _DELIMITER.sub(lambda m: m.group(0).replace("<", "‹"), text)


class Prompts:
    """The Jinja environment over the team's prompt folder (first) and the shipped one."""

    def __init__(self, team_folder: Path | None = None) -> None:
        self.folders = [f for f in (team_folder, shipped_dir("prompts")) if f is not None]
        if team_folder is not None and not team_folder.is_dir():
            raise TemplateError(f"prompt folder {team_folder} does not exist",
                                hint="fix `team.prompts` in your config or create the folder")
        loader = jinja2.ChoiceLoader([jinja2.FileSystemLoader(str(f)) for f in self.folders])
        # Sandboxed because a team's templates are code we run; StrictUndefined so that a
        # missing variable fails loudly instead of rendering as an empty string.
        self.env = SandboxedEnvironment(
            loader=loader, undefined=jinja2.StrictUndefined, autoescape=False,
            keep_trailing_newline=False, trim_blocks=True, lstrip_blocks=True,
        )
        self.env.filters["data"] = quote_data

    def render(self, name: str, **variables: Any) -> str:
        """Render template `name`; errors name the template, the line and the way out."""
        try:
            template = self.env.get_template(name)
            return template.render(**variables).strip()
        except jinja2.TemplateNotFound as exc:
            looked = ", ".join(str(f) for f in self.folders)
            raise TemplateError(f"prompt template `{exc.name}` not found (looked in {looked})",
                                hint="add the file to your prompts folder or fix its name") from None
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"prompt template `{name}`: {exc.message}",
                                hint=_where(exc) + "define the variable or guard it with "
                                "`{% if x is defined %}`") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or name}:{exc.lineno}: {exc.message}",
                                hint="fix the Jinja syntax at that line") from None
        except jinja2.sandbox.SecurityError as exc:
            raise TemplateError(f"prompt template `{name}` did something unsafe: {exc}",
                                hint="templates may only read the variables they are given") from None

    def system(self, guide: StyleGuide, team: Mapping[str, str], channel: str) -> str:
        """Render the system prompt: the guide, then the channel's partial."""
        return self.render("system.j2", guide=guide, glossary=guide.glossary, team=team,
                           channel=channel)

    def reply_messages(self, guide: StyleGuide, team: Mapping[str, str], ticket: Any,
                       channel: str) -> list[ChatMessage]:
        """Return the messages asking for a first draft."""
        return [
            {"role": "system", "content": self.system(guide, team, channel)},
            {"role": "user", "content": self.render("reply.j2", ticket=ticket, channel=channel)},
        ]

    def revise_messages(self, first: Sequence[ChatMessage], draft: str,
                        findings: Iterable[Any]) -> list[ChatMessage]:
        """Return the messages asking to revise `draft` given the reviewer's `findings`."""
        return [
            *first,
            {"role": "assistant", "content": draft},
            {"role": "user", "content": self.render("revise.j2", draft=draft,
                                                    findings=list(findings))},
        ]


def _where(exc: jinja2.UndefinedError) -> str:
    tb = exc.__traceback__
    line = None
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.endswith(".j2") or "template" in tb.tb_frame.f_code.co_name:
            line = tb.tb_lineno
        tb = tb.tb_next
    return f"(around line {line}) " if line else ""
