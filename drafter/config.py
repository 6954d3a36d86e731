"""Settings: built-in defaults < drafter.toml / [tool.drafter] < environment < flags."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drafter.errors import ConfigError

SEVERITIES = ("error", "warning", "info")


@dataclass(frozen=True)
class Field:
    """One setting: its dotted key, kind, default, environment names and help."""

    key: str
    kind: str  # str | int | float | bool | path | paths | list | table | choice
    default: Any
    help: str
    env: tuple[str, ...] = ()
    secret: bool = False
    choices: tuple[str, ...] = ()

    @property
    def env_names(self) -> tuple[str, ...]:
        """Every environment variable that sets this field, most specific first."""
        generic = "DRAFTER_" + self.key.replace(".", "_").upper()
        return (*self.env, generic) if generic not in self.env else self.env


FIELDS: tuple[Field, ...] = (
    # The model endpoint.
    Field("llm.model", "str", None, "Model name; unset means the server's default or the local model.",
          env=("DRAFTER_MODEL",)),
    Field("llm.base_url", "str", None, "OpenAI-compatible endpoint, e.g. http://localhost:11434/v1.",
          env=("OPENAI_BASE_URL",)),
    Field("llm.api_key", "str", None, "API key; prefer the environment to the file.",
          env=("OPENAI_API_KEY",), secret=True),
    Field("llm.local", "choice", "auto", "Use the bundled local model: auto (when no endpoint is "
          "configured), always, never.", choices=("auto", "always", "never")),
    Field("llm.timeout", "float", 120.0, "Seconds one model request may take, to its last byte."),
    Field("llm.max_attempts", "int", 4, "Attempts per model call, retries included."),
    Field("llm.max_retry_seconds", "float", 300.0, "Total seconds one call may take, retries "
          "and waits included."),
    Field("llm.temperature", "float", 0.0, "Sampling temperature."),
    Field("llm.max_tokens", "int", 350, "Most tokens the model may write per draft."),
    Field("llm.seed", "int", 42, "Sampling seed, for reproducible drafts where the server honours it."),
    Field("llm.local_threads", "int", None, "Threads per local model server; unset: the plan "
          "(the cores free when it starts, shared out among the slots; docs/local-model.md)."),
    Field("llm.stop", "list", [], "Stop sequences: the model stops writing where it would write "
          "one (OpenAI takes at most 4)."),
    # Drafting.
    Field("draft.max_revisions", "int", 2, "Revision rounds after the first draft."),
    Field("draft.revise_on", "choice", "warning", "Revise while findings at or above this remain.",
          choices=SEVERITIES),
    Field("draft.prompt", "choice", "full", "System prompt: full (every principle, with "
          "examples, and the glossary) or short (only the principles that matter for the ticket).",
          choices=("full", "short")),
    Field("draft.examples", "bool", False, "The short prompt quotes each principle's good example."),
    Field("draft.structured", "bool", False, "Ask for the reply as JSON (acknowledgement, answer, "
          "options, next step) in llama.cpp's response_format with a schema, and assemble the body "
          "from it (prompts/structured.j2)."),
    Field("draft.channel", "choice", "email", "Default channel when the ticket does not say.",
          choices=("email", "chat")),
    # The team.
    Field("team.name", "str", "the Support Team", "Team name, used in the prompts."),
    Field("team.product", "str", "our product", "What the team supports, used in the prompts."),
    Field("team.greeting", "str", "Hi {name},", "Greeting; {name} is the customer's first name."),
    Field("team.greeting_no_name", "str", "Hello,", "Greeting when the name is unknown."),
    Field("team.sign_off", "str", "Best regards,", "Closing line before the signature."),
    Field("team.signature", "str", "The Support Team", "Signature lines after the sign-off."),
    Field("team.from_address", "str", "support@example.com", "From address of --format eml replies."),
    Field("team.greetings", "table", {}, "Greeting, greeting_no_name, sign_off and signature by "
          "channel and language: [team.greetings.email.de] greeting = \"Hallo {name},\" (chat "
          "has none unless given; see the README)."),
    Field("team.addresses", "list", [], "The team's own email addresses: in prompts, only "
          "messages from these (or from team.domains, or a source's agent role) are the team's."),
    Field("team.domains", "list", [], "The team's own domains (mail and links), e.g. "
          '["example.com"]; a sender at one of them is the team.'),
    Field("team.prompts", "path", None, "A folder of Jinja templates overriding the shipped ones."),
    Field("team.styleguide", "path", None, "A folder of style-guide TOML overriding the shipped one."),
    # The ticket store.
    Field("store.path", "path", None, "SQLite ticket store; default in the user's data folder.",
          env=("DRAFTER_STORE",)),
    # The reviewer and the linter.
    Field("review.select", "list", [], "Rule codes or prefixes to run (default: all)."),
    Field("review.ignore", "list", [], "Rule codes or prefixes to skip."),
    Field("review.fail_on", "choice", "warning", "Exit 1 when findings at or above this remain.",
          choices=SEVERITIES),
    Field("review.severity", "table", {}, "Severity overrides: CODE = \"error\" | \"warning\" | \"info\"."),
    Field("review.per_path_ignores", "table", {}, "Glob = [codes]: rules skipped for matching files."),
    Field("review.baseline", "path", None, "Baseline file of accepted findings."),
    # `draft lint` (canned responses).
    Field("lint.exclude", "list", ["README*", "CHANGELOG*", "CONTRIBUTING*", "LICENSE*"],
          "Globs of files and folders that `draft lint` skips when walking a folder."),
    Field("lint.variables", "list", [], "Template variables declared for every canned response."),
    Field("lint.templates", "list", ["jinja", "liquid", "helpscout"], "Template languages of the "
          "canned responses, whose slots are legitimate in them: jinja, liquid, helpscout, slots "
          "(saved-reply slots such as {issue-author}, <ISSUE_NUMBER>, [NAME], XXX)."),
    Field("lint.slot_pattern", "str", None, "A regular expression for the team's own slot "
          "(e.g. @@[A-Z_]+@@): legitimate in canned responses, an error in drafts."),
    Field("lint.extra_keys", "list", [], "Front-matter / collection keys accepted besides the "
          "known ones (LNT002)."),
    Field("lint.channel", "choice", None, "The channel canned responses are written for, unless "
          "front matter or lint.channels says (email, chat or social).",
          choices=("email", "chat", "social")),
    Field("lint.channels", "table", {}, "Glob = channel: the channel of matching files, e.g. "
          '"social/**" = "social" (front matter `channel` overrides).'),
    Field("lint.max_file_size", "int", 5, "Megabytes: a larger file is refused (LNT001), not read."),
    Field("lint.body_only", "bool", False, "Canned responses are bodies without greeting and "
          "sign-off (front matter `body_only` overrides)."),
    # The shared inbox over IMAP (`draft tickets sync`, `draft reply --save-draft`).
    Field("imap.host", "str", None, "IMAP server of the shared inbox, e.g. imap.example.com."),
    Field("imap.port", "int", None, "IMAP port; default 993 with security = tls, else 143."),
    Field("imap.security", "choice", "tls", "tls (implicit TLS, port 993), starttls (upgrade "
          "on port 143), or none (loopback hosts only, e.g. a local mail bridge).",
          choices=("tls", "starttls", "none")),
    Field("imap.verify_certificate", "bool", True, "Verify the server's TLS certificate and host "
          "name; false accepts any certificate (insecure; warns every time)."),
    Field("imap.ca_file", "path", None, "PEM file of CA certificates to trust (a private CA or "
          "a self-signed server certificate) besides the system's."),
    Field("imap.user", "str", None, "IMAP login name."),
    Field("imap.password_env", "str", None, "Name of the environment variable that holds the "
          "IMAP password."),
    Field("imap.password_command", "str", None, "Command whose output is the IMAP password, "
          "e.g. `pass show support/imap` (run without a shell)."),
    Field("imap.mailbox", "str", "INBOX", "Mailbox that `draft tickets sync` imports from."),
    Field("imap.drafts", "str", "Drafts", "Mailbox that receives saved reply drafts; if absent, "
          "the server's \\Drafts special-use mailbox."),
    Field("imap.timeout", "float", 30.0, "Seconds to wait for the IMAP server on each operation."),
    # Retry backoff of model calls (exponential with jitter; a server's Retry-After wins).
    Field("llm.backoff_initial", "float", 1.0, "Seconds before the first retry of a model call."),
    Field("llm.backoff_max", "float", 30.0, "Longest wait between two retries of a model call."),
    # `draft batch`.
    Field("batch.concurrency", "int", 4, "Model requests in flight at once in `draft batch`."),
    Field("batch.max_cost", "float", None, "Stop starting requests once the estimated spend "
          "would pass this (in the currency of [prices])."),
    Field("batch.completion_window", "str", "24h", "Completion window asked of the Batch API."),
    Field("batch.poll_interval", "float", 30.0, "Seconds between polls of `draft batch collect "
          "--wait`."),
    Field("batch.api_discount", "float", 0.5, "Fraction taken off [prices] for Batch API requests "
          "(OpenAI: 0.5); a model's own `batch_discount` wins."),
    Field("prices", "table", {}, "Per model, per million tokens: [prices.\"MODEL\"] input, "
          "cached_input, output (and optionally batch_discount)."),
    # The helpdesk where the tickets live (docs/helpdesk.md). No key holds a secret itself.
    Field("helpdesk.kind", "str", None, "The helpdesk: rt (Request Tracker 5), zendesk, freshdesk, "
          "helpscout, or the name of a connector plugin (entry point group drafter.helpdesks)."),
    Field("helpdesk.url", "str", None, "The helpdesk's base URL, e.g. https://rt.example.com."),
    Field("helpdesk.token_env", "str", None, "Name of the environment variable that holds the "
          "helpdesk's API token."),
    Field("helpdesk.token_command", "str", None, "Command whose output is the helpdesk's API "
          "token, e.g. `pass show support/rt` (run without a shell)."),
    Field("helpdesk.user", "str", None, "Who the token belongs to, where the helpdesk asks: "
          "Zendesk: the agent's email; Help Scout: the app's ID (the token is its secret)."),
    Field("helpdesk.queue", "str", None, "Default scope of `draft tickets sync --from helpdesk` "
          "and `draft batch --from helpdesk` (RT: queue; Zendesk: group; Freshdesk: group id; "
          "Help Scout: mailbox id)."),
    Field("helpdesk.ca_file", "path", None, "PEM file of CA certificates to trust (a private CA) "
          "besides the system's; TLS is always verified."),
    Field("helpdesk.timeout", "float", 30.0, "Seconds to wait for the helpdesk on each request."),
    # What the team knows (docs/knowledge.md): drafts are grounded in it.
    Field("knowledge.canned", "paths", [], "Folders (or files) of canned responses, in every "
          "format `draft lint` reads, as knowledge for drafts."),
    Field("knowledge.articles", "paths", [], "Folders of help articles (Markdown, HTML or plain "
          "text), split into passages at their headings."),
    Field("knowledge.past_replies", "bool", False, "Use the replies the team sent (from the "
          "store) as knowledge, each with the customer's question it answered."),
    Field("knowledge.facts", "path", None, "A TOML file of short team facts: a [facts] table of "
          'key = "one sentence", or [[fact]] entries with id, text and keywords.'),
    Field("knowledge.retriever", "str", "fts", "The search behind retrieval: fts (SQLite full-text "
          "search in the store), the name of a plugin (entry point group drafter.retrievers), or "
          "module:factory."),
    Field("knowledge.terms", "path", None, "A TOML file of search terms: [<language>] tables of "
          'word-start = ["english", ...], over the shipped German and Spanish ones, so that a '
          "message in one language finds passages in another."),
    Field("knowledge.passages", "int", 4, "Passages given to the model as reference material "
          "per reply (0: none)."),
)

FIELD_BY_KEY: dict[str, Field] = {f.key: f for f in FIELDS}
SECTIONS = sorted({f.key.split(".")[0] for f in FIELDS})


@dataclass
class Settings:
    """The effective settings, with where each value came from."""

    values: dict[str, Any] = field(default_factory=dict)
    origins: dict[str, str] = field(default_factory=dict)
    config_file: Path | None = None

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def set(self, key: str, value: Any, origin: str) -> None:
        """Set `key` from `origin`, validating the value."""
        f = FIELD_BY_KEY[key]
        self.values[key] = _coerce(f, value, origin, base=None)
        self.origins[key] = origin

    def display(self) -> list[tuple[str, str, str]]:
        """Return (key, shown value, origin) rows with secrets masked."""
        rows = []
        for f in FIELDS:
            value = self.values.get(f.key)
            if f.secret and value:
                shown = mask_secret(value)
            else:
                shown = repr(redact(value) if isinstance(value, str) else value)
            rows.append((f.key, shown, self.origins.get(f.key, "default")))
        return rows


def mask_secret(value: str) -> str:
    """Return a secret as drafter shows it: its last four characters at most."""
    return "****" + value[-4:] if len(value) > 12 else "****"


# The user-info part of a URL (`user:password@`), up to its last `@` (passwords hold some).
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s]*@")


def redact(text: str) -> str:
    """Return `text` with the credentials of every URL in it masked.

    Every place that shows or stores a URL or a message that may hold one (settings, errors,
    progress, the store) passes it through here.
    """
    return _URL_CREDENTIALS.sub(r"\1****@", text) if "@" in text else text


def _coerce(f: Field, value: Any, origin: str, base: Path | None) -> Any:
    """Check and convert `value` for `f`; raise ConfigError naming `origin`."""

    def bad(expected: str) -> ConfigError:
        return ConfigError(
            f"{origin}: `{f.key}` must be {expected}, got {value!r}",
            hint=f"{f.key}: {f.help}",
        )

    if value is None:
        return None
    kind = f.kind
    from_env = isinstance(value, str) and origin.startswith("env ")
    if kind in ("str", "path"):
        if not isinstance(value, str):
            raise bad("a string")
        return _path(value, base) if kind == "path" else value
    if kind == "choice":
        if value not in f.choices:
            raise bad("one of " + ", ".join(f.choices))
        return value
    if kind == "bool":
        if from_env:
            low = value.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off", ""):
                return False
        if not isinstance(value, bool):
            raise bad("true or false")
        return value
    if kind == "int":
        if from_env:
            try:
                return int(value)
            except ValueError:
                raise bad("a whole number") from None
        if isinstance(value, bool) or not isinstance(value, int):
            raise bad("a whole number")
        if value < 0:
            raise bad("zero or more")
        return value
    if kind == "float":
        if from_env:
            try:
                return float(value)
            except ValueError:
                raise bad("a number") from None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise bad("a number")
        return float(value)
    if kind == "paths":
        if from_env:
            value = [v.strip() for v in value.split(",") if v.strip()]
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of paths")
        return [_path(v, base) for v in value]
    if kind == "list":
        if from_env:
            return [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise bad("a list of strings")
        return list(value)
    if kind == "table":
        if not isinstance(value, dict):
            raise bad("a table")
        return dict(value)
    raise AssertionError(kind)


def _path(value: str, base: Path | None) -> Path:
    """`value` as a path, relative to `base` (the config file's folder) when it is relative."""
    p = Path(value).expanduser()
    return (base / p) if base is not None and not p.is_absolute() else p


def find_config_file(start: Path) -> tuple[Path, Mapping[str, Any]] | None:
    """Walk up from `start` to the first drafter.toml, or pyproject.toml with [tool.drafter]."""
    for folder in (start, *start.parents):
        candidate = folder / "drafter.toml"
        if candidate.is_file():
            return candidate, _read_toml(candidate)
        pyproject = folder / "pyproject.toml"
        if pyproject.is_file():
            data = _read_toml(pyproject)
            tool = data.get("tool", {})
            if isinstance(tool, dict) and "drafter" in tool:
                return pyproject, tool["drafter"]
    return None


def _read_toml(path: Path) -> dict[str, Any]:
    from drafter import cache

    try:
        return cache.toml(str(path), path.read_bytes())
    except cache.TOMLError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}", hint="fix the syntax at that line") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None


def _flatten_file(path: Path, data: Mapping[str, Any]) -> dict[str, Any]:
    """Turn {section: {key: value}} into dotted keys; unknown keys are errors."""
    prefix = "[tool.drafter]" if path.name == "pyproject.toml" else ""
    flat: dict[str, Any] = {}
    for section, table in data.items():
        whole = FIELD_BY_KEY.get(section)
        if whole is not None and whole.kind == "table":  # e.g. [prices."model"], keys are free
            flat[section] = table
            continue
        if section not in SECTIONS or not isinstance(table, dict):
            near = _close_matches(section, SECTIONS)
            raise ConfigError(
                f"{path}: unknown section {prefix}[{section}]"
                if isinstance(table, dict) else f"{path}: unknown key `{section}` at top level",
                hint=(f"did you mean [{near[0]}]? " if near else "")
                + "known sections: " + ", ".join(SECTIONS),
            )
        for key, value in table.items():
            dotted = f"{section}.{key}"
            if dotted not in FIELD_BY_KEY:
                known = [k.split(".", 1)[1] for k in FIELD_BY_KEY if k.startswith(section + ".")]
                near = _close_matches(key, known)
                raise ConfigError(
                    f"{path}: unknown key `{key}` in [{section}]",
                    hint=(f"did you mean `{near[0]}`? " if near else "")
                    + f"known keys in [{section}]: " + ", ".join(known),
                )
            flat[dotted] = value
    return flat


def load_settings(
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    flags: Mapping[str, Any] | None = None,
    config_path: Path | None = None,
) -> Settings:
    """Build the effective settings from defaults, the config file, environment and flags."""
    env = os.environ if env is None else env
    cwd = Path.cwd() if cwd is None else cwd
    settings = Settings()
    for f in FIELDS:
        settings.values[f.key] = f.default
        settings.origins[f.key] = "default"

    explicit = config_path or (Path(env["DRAFTER_CONFIG"]) if env.get("DRAFTER_CONFIG") else None)
    found: tuple[Path, Mapping[str, Any]] | None
    if explicit is not None:
        if not explicit.is_file():
            raise ConfigError(f"config file {explicit} does not exist",
                              hint="pass an existing file to --config or DRAFTER_CONFIG")
        data = _read_toml(explicit)
        if explicit.name == "pyproject.toml":
            data = data.get("tool", {}).get("drafter", {})
        found = (explicit, data)
    else:
        found = find_config_file(cwd)
    if found is not None:
        path, table = found
        settings.config_file = path
        for key, value in _flatten_file(path, table).items():
            origin = f"{path} [{key.split('.')[0]}] {key.split('.', 1)[1]}" if "." in key \
                else f"{path} [{key}]"
            settings.values[key] = _coerce(FIELD_BY_KEY[key], value, origin, base=path.parent)
            settings.origins[key] = str(path)

    for f in FIELDS:
        for name in reversed(f.env_names):  # most specific wins: applied last
            if env.get(name):
                origin = f"env {name}"
                settings.values[f.key] = _coerce(f, env[name], origin, base=cwd)
                settings.origins[f.key] = origin

    for key, value in (flags or {}).items():
        if value is not None:
            settings.values[key] = _coerce(FIELD_BY_KEY[key], value, "flag", base=cwd)
            settings.origins[key] = "flag"
    return settings


def default_store_path(env: Mapping[str, str] | None = None) -> Path:
    """Return the default SQLite store path in the user's data folder."""
    env = os.environ if env is None else env
    base = Path(env["XDG_DATA_HOME"]) if env.get("XDG_DATA_HOME") else Path.home() / ".local" / "share"
    return base / "drafter" / "drafter.db"


def _close_matches(word: str, known: Any) -> list[str]:
    import difflib  # only for a mistake's hint

    return difflib.get_close_matches(word, known, n=1)


SECRET_COMMAND_TIMEOUT = 30.0  # seconds a `*_command` setting may take to print its secret


def secret_from_command(key: str, command: str, what: str) -> str:
    """Run the `key` setting's `command` and return the secret (`what`: password, token) it
    prints; every failure is a ConfigError naming the setting, never showing its output."""
    import shlex
    import subprocess

    try:
        argv = shlex.split(command)
    except ValueError as exc:
        raise ConfigError(f"`{key}` cannot be split into words: {exc}",
                          hint="check its quotes") from None
    if not argv:
        raise ConfigError(f"`{key}` is empty")
    try:
        done = subprocess.run(argv, capture_output=True, timeout=SECRET_COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except FileNotFoundError:
        raise ConfigError(f"`{key}`: program {argv[0]!r} not found",
                          hint="use the full path of the program") from None
    except subprocess.TimeoutExpired:
        raise ConfigError(f"`{key}` ({argv[0]}) did not finish in "
                          f"{SECRET_COMMAND_TIMEOUT:.0f} s") from None
    except OSError as exc:
        raise ConfigError(f"`{key}`: cannot run {argv[0]!r}: {exc.strerror}") from None
    if done.returncode != 0:
        # Its stderr explains the failure; its stdout could hold the secret, so never shown.
        why = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise ConfigError(f"`{key}` ({argv[0]}) exited with {done.returncode}"
                          + (f": {why[-1][:200]}" if why else ""),
                          hint="run the command yourself to see what it needs")
    value = done.stdout.decode("utf-8", "replace").rstrip("\r\n")
    if not value:
        raise ConfigError(f"`{key}` ({argv[0]}) printed nothing",
                          hint=f"the command must print the {what} on its standard output")
    return value
