"""The async chat client for batches: the sync client's retry policy over `openai.AsyncOpenAI`."""

from __future__ import annotations

import contextvars
import json
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import openai
from tenacity import AsyncRetrying

from drafter.llm.client import (
    ChatMessage,
    Completion,
    RetryPolicy,
    Usage,
    _Retryable,
    _StreamState,
    classify,
    httpx,
)

# The `on_out` of the request the current task is making (see AsyncChatClient.complete).
_ON_OUT: contextvars.ContextVar[Callable[[], None] | None] = contextvars.ContextVar(
    "on_out", default=None)
# httpcore trace events after which a request needs no CPU until its answer, or until a new
# connection is open (which may take a while: a TLS handshake with a remote API).
_OUT_EVENTS = ("send_request_body.complete", "connect_tcp.started", "connect_unix_socket.started")


async def _trace_out(request: httpx.Request) -> None:
    """httpx request hook: have httpcore call the task's `on_out` when the request is out."""
    on_out = _ON_OUT.get()
    if on_out is None:
        return

    async def trace(event: str, info: Mapping[str, Any]) -> None:
        if event.endswith(_OUT_EVENTS):
            on_out()

    request.extensions["trace"] = trace


class AsyncChatClient(RetryPolicy):
    """Chat completions with asyncio: same retries, classification and results as ChatClient."""

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 120.0,
        max_connections: int = 16,
        **policy: Any,
    ) -> None:
        super().__init__(base_url, model, **policy)
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections)
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            http_client=openai.DefaultAsyncHttpxClient(
                limits=limits, event_hooks={"request": [_trace_out]}),
        )

    async def aclose(self) -> None:
        """Release the HTTP connection pool."""
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        on_token: Callable[[str], None] | None = None,
        on_out: Callable[[], None] | None = None,
    ) -> Completion:
        """Send `messages` and return the completion; stream pieces to `on_token` if given.

        `on_out` is called when the request is out of this process's hands for now: written
        out, or waiting for a new connection to open; and again when an attempt ends. It may be
        called more than once.
        """
        started = time.monotonic()
        attempts = 0
        token = _ON_OUT.set(on_out)
        try:
            async for attempt in AsyncRetrying(**self._retry_args()):
                with attempt:
                    attempts += 1
                    try:
                        if on_token is None:
                            result = await self._once(messages)
                        else:
                            result = await self._stream(messages, on_token)
                    except Exception as exc:
                        raise classify(exc, self.base_url, self.model) from exc
                    finally:
                        if on_out is not None:
                            on_out()
        except _Retryable as exc:
            raise self._exhausted(exc, attempts) from None
        finally:
            _ON_OUT.reset(token)
        result.latency = time.monotonic() - started
        result.attempts = attempts
        return result

    async def _once(self, messages: Sequence[ChatMessage]) -> Completion:
        # The same client, route, auth, headers, timeouts and error mapping as
        # chat.completions.create, without its per-call type transform of every message and its
        # model classes for the answer: those cost more CPU than the HTTP exchange itself, and a
        # batch pays them on its critical path (measured in benchmarks/batch_scale.py).
        response = await self._client.post(
            "/chat/completions", cast_to=httpx.Response,
            body={"messages": list(messages), **self._params()},
        )
        return completion_from_json(json.loads(response.content), self.model)

    async def _stream(self, messages: Sequence[ChatMessage],
                      on_token: Callable[[str], None]) -> Completion:
        state = _StreamState(self.model)
        stream = await self._client.chat.completions.create(  # type: ignore[call-overload]
            messages=list(messages), stream=True, stream_options={"include_usage": True},
            **self._params(),
        )
        async with stream:
            async for chunk in stream:
                state.add(chunk, on_token)
        return state.completion()


def completion_from_json(data: Any, model: str) -> Completion:
    """Turn a chat completion's JSON into a Completion, or raise _Retryable if it has no answer.

    A body of another shape raises KeyError or TypeError, which `classify` calls malformed.
    """
    choices = data["choices"]
    if not choices:
        raise _Retryable("the response had no choices")
    choice = choices[0]
    text = choice["message"].get("content")
    if text is None:
        raise _Retryable("the response had no text")
    usage = data.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return Completion(
        text=text, model=data.get("model") or model,
        usage=Usage(int(usage.get("prompt_tokens") or 0), int(usage.get("completion_tokens") or 0),
                    int(details.get("cached_tokens") or 0)),
        finish_reason=choice.get("finish_reason"),
    )
