"""The async chat client for batches: the sync client's retry policy over `openai.AsyncOpenAI`."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any

import openai
from tenacity import AsyncRetrying

from drafter.llm.client import (
    ChatMessage,
    Completion,
    RetryPolicy,
    _Retryable,
    _StreamState,
    classify,
    httpx,
)


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
        super().__init__(base_url, model, timeout=timeout, **policy)
        limits = httpx.Limits(max_connections=max_connections,
                              max_keepalive_connections=max_connections)
        # The SDK's own retries are off: tenacity owns the policy.
        self._client = openai.AsyncOpenAI(
            base_url=base_url,
            api_key=api_key or "not-needed",
            max_retries=0,
            timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
            http_client=openai.DefaultAsyncHttpxClient(limits=limits),
        )

    async def aclose(self) -> None:
        """Release the HTTP connection pool."""
        await self._client.close()

    async def complete(
        self,
        messages: Sequence[ChatMessage],
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Send `messages` and return the completion; stream pieces to `on_token` if given."""
        started = time.monotonic()
        attempts = 0
        try:
            async for attempt in AsyncRetrying(**self._retry_args()):
                with attempt:
                    attempts += 1
                    limit = self.attempt_limit(started)
                    deadline = asyncio.timeout(limit)
                    try:
                        async with deadline:
                            if on_token is None:
                                result = await self._once(messages)
                            else:
                                result = await self._stream(messages, on_token)
                    except Exception as exc:
                        if deadline.expired():
                            raise _Retryable(f"timed out: no complete answer within {limit:.3g} s "
                                             "(llm.timeout)") from exc
                        raise classify(exc, self.base_url, self.model) from exc
        except _Retryable as exc:
            raise self._exhausted(exc, attempts) from None
        result.latency = time.monotonic() - started
        result.attempts = attempts
        return result

    async def _once(self, messages: Sequence[ChatMessage]) -> Completion:
        response = await self._client.chat.completions.create(
            messages=list(messages), **self._params()  # type: ignore[arg-type]
        )
        return self._completion(response)

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
