"""The `[helpdesk]` settings, the token (from the environment or a command, never the file),
and connectors by kind: built in, or plugins from the `drafter.helpdesks` entry point group."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from functools import cached_property
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from drafter.config import Settings, secret_from_command
from drafter.errors import ConfigError

if TYPE_CHECKING:
    from drafter.helpdesk.base import Connector
    from drafter.helpdesk.http import HttpClient

ENTRY_POINT_GROUP = "drafter.helpdesks"
BUILT_IN = {"rt": "drafter.helpdesk.rt:RTConnector",
            "zendesk": "drafter.helpdesk.zendesk:ZendeskConnector",
            "freshdesk": "drafter.helpdesk.freshdesk:FreshdeskConnector",
            "helpscout": "drafter.helpdesk.helpscout:HelpScoutConnector"}


@dataclass(frozen=True)
class RetrySettings:
    """The model client's retry policy, shared by helpdesk requests (the `llm.*` keys)."""

    max_attempts: int = 4
    max_retry_seconds: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0


@dataclass(frozen=True)
class HelpdeskConfig:
    """What a connector is built with: where the helpdesk is and how to reach it."""

    kind: str
    url: str
    token_env: str | None = None
    token_command: str | None = None
    queue: str | None = None
    user: str | None = None
    ca_file: Path | None = None
    timeout: float = 30.0
    retry: RetrySettings = field(default_factory=RetrySettings)

    @cached_property
    def token(self) -> str:
        """The API token, from `token_env` or `token_command`; never shown anywhere."""
        if self.token_env:
            value = os.environ.get(self.token_env)
            if not value:
                raise ConfigError(f"the environment variable {self.token_env} (from "
                                  "`helpdesk.token_env`) is not set or empty",
                                  hint=f"export {self.token_env} with your {self.kind} API token")
            return value.strip()
        assert self.token_command is not None
        # A token has no spaces: what surrounds it is the command's formatting.
        return secret_from_command("helpdesk.token_command", self.token_command, "token").strip()

    def required_user(self, what: str) -> str:
        """`helpdesk.user`, which this helpdesk needs (`what` says as what)."""
        if not self.user:
            raise ConfigError(f"`helpdesk.user` is not set: {self.kind} needs {what}",
                              hint=f"set [helpdesk] user to {what} in drafter.toml")
        return self.user

    def tls_context(self) -> ssl.SSLContext:
        """A verifying TLS context: the system's CAs, plus `ca_file` when set."""
        context = ssl.create_default_context()
        if self.ca_file is not None:
            try:
                context.load_verify_locations(cafile=str(self.ca_file))
            except (ssl.SSLError, OSError) as exc:
                raise ConfigError(f"`helpdesk.ca_file`: cannot load {self.ca_file}: {exc}",
                                  hint="it must be a PEM file of certificates") from None
        return context

    def http(self, auth_header: str) -> HttpClient:
        """An HTTP client for the helpdesk's API, retrying as the model client does."""
        from drafter.helpdesk.http import HttpClient

        return HttpClient(self, auth_header)


def helpdesk_config(settings: Settings) -> HelpdeskConfig | None:
    """The configured helpdesk, checked; None when `[helpdesk]` sets no kind."""
    kind = settings["helpdesk.kind"]
    if not kind:
        return None
    url = settings["helpdesk.url"]
    if not url:
        raise ConfigError("`helpdesk.url` is not set", hint="set [helpdesk] url, e.g. "
                          "https://rt.example.com, in drafter.toml")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"`helpdesk.url` must be an http(s) URL, got {url!r}",
                          hint="for example https://rt.example.com")
    if parts.query or parts.fragment:
        raise ConfigError("`helpdesk.url` has a query or fragment",
                          hint="give the base URL only; a token goes in the environment "
                          "(`helpdesk.token_env`) or a command (`helpdesk.token_command`)")
    if parts.username or parts.password:
        raise ConfigError("`helpdesk.url` holds a user name or password",
                          hint="remove them from the URL; put the token in the environment "
                          "(`helpdesk.token_env`) or a command (`helpdesk.token_command`)")
    env, command = settings["helpdesk.token_env"], settings["helpdesk.token_command"]
    if env and command:
        raise ConfigError("both `helpdesk.token_env` and `helpdesk.token_command` are set",
                          hint="keep one of them")
    if not env and not command:
        raise ConfigError("no helpdesk token: set `helpdesk.token_env` to the name of an "
                          "environment variable holding it, or `helpdesk.token_command` to a "
                          "command that prints it", hint="never put the token itself in the file")
    return HelpdeskConfig(
        kind=kind, url=url.rstrip("/"), token_env=env, token_command=command,
        queue=settings["helpdesk.queue"], user=settings["helpdesk.user"],
        ca_file=settings["helpdesk.ca_file"],
        timeout=settings["helpdesk.timeout"],
        retry=RetrySettings(settings["llm.max_attempts"], settings["llm.max_retry_seconds"],
                            settings["llm.backoff_initial"], settings["llm.backoff_max"]),
    )


def connector_class(kind: str) -> type[Connector]:
    """The connector class for `kind`: built in, else the plugin registered under that name."""
    import importlib

    target = BUILT_IN.get(kind)
    if target is None:
        found = [ep for ep in entry_points(group=ENTRY_POINT_GROUP) if ep.name == kind]
        if not found:
            known = sorted({*BUILT_IN, *(ep.name for ep in entry_points(group=ENTRY_POINT_GROUP))})
            raise ConfigError(f"`helpdesk.kind` = {kind!r}: no such connector",
                              hint="known: " + ", ".join(known) + f"; a plugin registers one in "
                              f"the entry point group {ENTRY_POINT_GROUP} (docs/helpdesk.md)")
        loaded: Any = found[0].load()
    else:
        module, _, name = target.partition(":")
        loaded = getattr(importlib.import_module(module), name)
    from drafter.helpdesk.base import Connector

    if not (isinstance(loaded, type) and issubclass(loaded, Connector)):
        raise ConfigError(f"the connector {kind!r} ({loaded!r}) is not a drafter.helpdesk.Connector",
                          hint="a plugin's entry point must name a Connector subclass")
    return loaded


def open_connector(settings: Settings) -> Connector:
    """The configured helpdesk's connector (close it, or use it as a context manager)."""
    config = helpdesk_config(settings)
    if config is None:
        raise ConfigError("no helpdesk is configured",
                          hint="set [helpdesk] kind, url and token_env in drafter.toml "
                          "(see docs/helpdesk.md)")
    return connector_class(config.kind)(config)
