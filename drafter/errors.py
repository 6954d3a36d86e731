"""Errors that the CLI turns into a message and an exit code (see DESIGN.md)."""

from __future__ import annotations

import stat

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2
EXIT_LLM = 3
EXIT_INTERRUPTED = 130


class DrafterError(Exception):
    """A failure to report to the user as `message`, with a `hint` on how to fix it."""

    exit_code = EXIT_USAGE

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if not self.hint else f"{self.message}\n  hint: {self.hint}"


class ConfigError(DrafterError):
    """Bad configuration: names the file and key."""


class InputError(DrafterError):
    """Unreadable or invalid input (a file, stdin, a ticket id)."""


class TemplateError(DrafterError):
    """A prompt template is missing, broken, or uses an undefined variable."""


class LLMError(DrafterError):
    """The model service failed (after retries where retrying could help)."""

    exit_code = EXIT_LLM


def file_kind(mode: int) -> str:
    """What a file that is not a regular one is, in words."""
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    return "a folder" if stat.S_ISDIR(mode) else "a special file"
