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
        slot_urls: Sequence[str] = (),
        **policy: Any,
    ) -> None:
        super().__init__(base_url, model, timeout=timeout, **policy)

        def sdk(url: str, connections: int) -> openai.AsyncOpenAI:
            limits = httpx.Limits(max_connections=connections,
                                  max_keepalive_connections=connections)
            # The SDK's own retries are off: tenacity owns the policy.
            return openai.AsyncOpenAI(
                base_url=url, api_key=api_key or "not-needed", max_retries=0,
                timeout=httpx.Timeout(timeout, connect=min(10.0, timeout)),
                http_client=openai.DefaultAsyncHttpxClient(limits=limits),
            )

        # Servers that answer one request at a time (the local model): one client each, and a
        # request takes a free one before its deadline starts, so no time in a server's queue
        # counts against llm.timeout.
        self._slots = [sdk(url, 1) for url in slot_urls]
        self._client = self._slots[0] if self._slots else sdk(base_url, max_connections)
        self._free: asyncio.Queue[openai.AsyncOpenAI] | None = None

    async def aclose(self) -> None:
        """Release the HTTP connection pools."""
        for client in self._slots or [self._client]:
            await client.close()

    async def _take_slot(self) -> openai.AsyncOpenAI | None:
        """Wait for a free server, when the servers answer one request at a time."""
        if not self._slots:
            return None
        if self._free is None:
            self._free = asyncio.Queue()
            for client in self._slots:
                self._free.put_nowait(client)
        return await self._free.get()

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
                    asked = time.monotonic()
                    slot = await self._take_slot()
                    started += time.monotonic() - asked  # the wait for a server is no attempt's
                    client = slot or self._client
                    try:
                        result = await self.within_deadline(
                            self._once(client, messages) if on_token is None
                            else self._stream(client, messages, on_token), started)
                    finally:
                        if slot is not None and self._free is not None:
                            self._free.put_nowait(slot)
        except _Retryable as exc:
            raise self._exhausted(exc, attempts) from None
        result.latency = time.monotonic() - started
        result.attempts = attempts
        return result

    async def _once(self, client: openai.AsyncOpenAI, messages: Sequence[ChatMessage]) -> Completion:
        response = await client.chat.completions.create(
            messages=list(messages), **self._params()  # type: ignore[arg-type]
        )
        return self._completion(response)

    async def _stream(self, client: openai.AsyncOpenAI, messages: Sequence[ChatMessage],
                      on_token: Callable[[str], None]) -> Completion:
        state = _StreamState(self.model)
        stream = await client.chat.completions.create(  # type: ignore[call-overload]
            messages=list(messages), stream=True, stream_options={"include_usage": True},
            **self._params(),
        )
        async with stream:
            async for chunk in stream:
                state.add(chunk, on_token)
        return state.completion()
