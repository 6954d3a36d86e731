"""The OpenAI-compatible chat client: explicit timeouts, tenacity retries, streaming, usage."""

from __future__ import annotations

import asyncio
import random
import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from typing import Any, TypeVar

import openai

try:  # openai 3.x talks through httpx2; older releases through httpx.
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]
from tenacity import (
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_before_delay,
)

from drafter.config import redact
from drafter.errors import LLMError
from drafter.retry_after import retry_after

ChatMessage = dict[str, str]
T = TypeVar("T")


@dataclass
class Usage:
    """Token counts of one call or a sum of calls."""

    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    # False when the server sent no counts (llama.cpp does not while streaming): unknown, not 0.
    reported: bool = True

    @property
    def total_tokens(self) -> int:
        """Prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(self.prompt_tokens + other.prompt_tokens,
                     self.completion_tokens + other.completion_tokens,
                     self.cached_tokens + other.cached_tokens,
                     self.reported and other.reported)

    def to_dict(self) -> dict[str, int]:
        """Return the counts, total included, as plain data; {} when the server sent none."""
        if not self.reported:
            return {}
        counts = asdict(self)
        del counts["reported"]
        return {**counts, "total_tokens": self.total_tokens}


@dataclass
class Completion:
    """The model's answer to one call, with its cost in tokens and time."""

    text: str
    model: str
    usage: Usage = field(default_factory=Usage)
    latency: float = 0.0  # seconds, all attempts included
    attempts: int = 1
    finish_reason: str | None = None


class ServiceRefused(LLMError):
    """The service refused every request of this kind (bad key, no access, unknown model).

    Retrying cannot help, and neither can going on with other tickets: a batch stops at once.
    """


class _Retryable(Exception):
    """A fault worth another attempt, carrying a server's Retry-After when it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


def _retry_after(response: httpx.Response | None) -> float | None:
    """Read Retry-After (seconds or an HTTP date) from a response."""
    return None if response is None else retry_after(response.headers)


def classify(exc: BaseException, base_url: str, model: str) -> BaseException:
    """Turn an SDK or transport error into a _Retryable or a final LLMError."""
    if isinstance(exc, (_Retryable, LLMError)):
        return exc
    if isinstance(exc, openai.APITimeoutError):
        return _Retryable("the request timed out")
    if isinstance(exc, openai.APIConnectionError):
        cause = exc.__cause__
        if cause is not None and not isinstance(cause, (httpx.ConnectError, httpx.ConnectTimeout)):
            # Connected, then lost: a reset before or during the answer.
            return _Retryable(f"the connection to {base_url} dropped")
        return _Retryable(f"cannot connect to {base_url}")
    if isinstance(exc, (httpx.TimeoutException,)):
        return _Retryable("the response timed out")
    if isinstance(exc, (httpx.TransportError, httpx.StreamError)):
        return _Retryable(f"the connection to {base_url} dropped")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status == 429:
            return _Retryable("rate limited (429)", _retry_after(exc.response))
        if status >= 500 or status == 408:
            return _Retryable(f"server error {status}", _retry_after(exc.response))
        if status == 401:
            return ServiceRefused(f"the model service at {base_url} refused the API key (401)",
                            hint="check OPENAI_API_KEY (or llm.api_key) for this endpoint")
        if status == 403:
            return ServiceRefused(f"the model service at {base_url} denied access (403)",
                            hint="check that the key may use this model and endpoint")
        if status == 404:
            return ServiceRefused(f"model `{model}` or the endpoint was not found at {base_url} (404)",
                            hint="check --model / DRAFTER_MODEL and that OPENAI_BASE_URL ends in /v1")
        return LLMError(f"the model service at {base_url} rejected the request ({status}): "
                        f"{_short(exc.message)}",
                        hint="check --model, llm.max_tokens and the prompt templates")
    if isinstance(exc, (ValueError, KeyError, TypeError, AttributeError)):
        # A body that is not the JSON we expect: proxies and overloaded servers do this.
        return _Retryable(f"malformed response: {exc}")
    return exc


def _short(text: str, limit: int = 200) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


class RetryPolicy:
    """Settings and retry policy shared by the sync and the async chat clients."""

    def __init__(
        self,
        base_url: str,
        model: str,
        *,
        timeout: float = 120.0,
        max_attempts: int = 4,
        max_retry_seconds: float = 300.0,
        temperature: float = 0.0,
        max_tokens: int = 350,
        seed: int | None = 42,
        stop: Sequence[str] = (),
        response_format: Mapping[str, Any] | None = None,
        backoff_initial: float = 1.0,
        backoff_max: float = 30.0,
        on_retry: Callable[[int, str, float], None] | None = None,
    ) -> None:
        self.base_url = redact(base_url)  # as shown in messages: credentials masked
        self.model = model
        self.timeout = timeout  # seconds for one attempt, from sending to the last byte
        self.max_attempts = max(1, max_attempts)
        self.max_retry_seconds = max_retry_seconds
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.seed = seed
        self.stop = list(stop)  # OpenAI itself takes at most 4; llama.cpp more
        self.response_format = dict(response_format) if response_format else None
        self.backoff_initial = backoff_initial
        self.backoff_max = backoff_max
        self.on_retry = on_retry

    def _wait(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(self.backoff_max, self.backoff_initial * 2 ** (state.attempt_number - 1))
        wait = random.uniform(backoff / 2, backoff)  # jitter: spread out clients that failed together
        if isinstance(exc, _Retryable) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        return wait  # a wait past the budget stops the retries instead (stop_before_delay)

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if self.on_retry is not None and isinstance(exc, _Retryable):
            sleep = state.next_action.sleep if state.next_action else 0.0
            self.on_retry(state.attempt_number, exc.reason, sleep)

    def _retry_args(self) -> dict[str, Any]:
        """Keyword arguments for tenacity's Retrying / AsyncRetrying."""
        return {
            # No attempt starts once the budget is spent (and each ends by it: attempt_limit).
            "stop": stop_after_attempt(self.max_attempts) | stop_before_delay(self.max_retry_seconds),
            "wait": self._wait,
            "retry": retry_if_exception(lambda e: isinstance(e, _Retryable)),
            "before_sleep": self._before_sleep,
            "reraise": True,
        }

    def attempt_limit(self, started: float) -> float:
        """Seconds the next attempt may take: `timeout`, or what is left of the retry budget."""
        return max(0.0, min(self.timeout, self.max_retry_seconds - (time.monotonic() - started)))

    async def within_deadline(self, call: Awaitable[T], started: float) -> T:
        """Await one attempt's `call` until `attempt_limit(started)`: a timeout, or a failure,
        becomes the policy's error (`_Retryable` to try again, else final)."""
        limit = self.attempt_limit(started)
        deadline = asyncio.timeout(limit)
        try:
            async with deadline:
                return await call
        except Exception as exc:
            if deadline.expired():
                raise _Retryable(f"timed out: no complete answer within {limit:.3g} s "
                                 "(llm.timeout)") from exc
            raise classify(exc, self.base_url, self.model) from exc

    def _exhausted(self, exc: _Retryable, attempts: int) -> LLMError:
        return LLMError(
            f"the model service at {self.base_url} failed after {attempts} "
            f"attempt{'s' if attempts != 1 else ''}: {exc.reason}",
            hint="check that the server is running and reachable (OPENAI_BASE_URL), "
            "or raise llm.max_attempts / llm.timeout",
        )

    def _params(self) -> dict[str, Any]:
        params: dict[str, Any] = {"model": self.model, "temperature": self.temperature,
                                  "max_tokens": self.max_tokens}
        if self.seed is not None:
            params["seed"] = self.seed
        if self.stop:
            params["stop"] = self.stop
        if self.response_format is not None:
            params["response_format"] = self.response_format
        return params

    def _completion(self, response: Any) -> Completion:
        """Turn a chat completion response into a Completion, or raise _Retryable if it is empty."""
        if not response.choices:
            raise _Retryable("the response had no choices")
        choice = response.choices[0]
        text = choice.message.content
        if text is None:
            raise _Retryable("the response had no text")
        if not isinstance(text, str):
            raise _Retryable(f"malformed response: its content is {type(text).__name__}, not text")
        return Completion(text=text, model=response.model or self.model,
                          usage=_usage(response.usage), finish_reason=choice.finish_reason)


class _StreamState:
    """Pieces of a streamed answer as they arrive."""

    def __init__(self, model: str) -> None:
        self.pieces: list[str] = []
        self.usage = Usage(reported=False)  # until a chunk carries the counts
        self.model = model
        self.finish: str | None = None

    def add(self, chunk: Any, on_token: Callable[[str], None]) -> None:
        self.model = chunk.model or self.model
        if chunk.usage is not None:
            self.usage = _usage(chunk.usage)
        for choice in chunk.choices:
            delta = choice.delta.content if choice.delta else None
            if delta and not isinstance(delta, str):
                raise _Retryable(f"malformed response: a streamed piece is "
                                 f"{type(delta).__name__}, not text")
            if delta:
                self.pieces.append(delta)
                on_token(delta)
            self.finish = choice.finish_reason or self.finish

    def completion(self) -> Completion:
        if not self.pieces and self.finish is None:
            raise _Retryable("the stream ended without any text")
        return Completion(text="".join(self.pieces), model=self.model, usage=self.usage,
                          finish_reason=self.finish)


class ChatClient:
    """Chat completions for callers without an event loop: the async client on a loop of its own.

    A blocking HTTP read can only time out per read, so a server sending a byte now and then
    would hold it for ever; on an event loop each attempt has a real deadline (`timeout`).
    """

    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        model: str,
        *,
        timeout: float = 120.0,
        **policy: Any,
    ) -> None:
        from drafter.llm.aclient import AsyncChatClient

        self._client = AsyncChatClient(base_url, api_key, model, timeout=timeout,
                                       max_connections=1, **policy)
        self._runner = asyncio.Runner()
        self.model = model
        self.base_url = self._client.base_url  # as shown: credentials masked

    def close(self) -> None:
        """Release the HTTP connection pool and the event loop."""
        self._run(self._client.aclose())
        self._runner.close()

    def complete(
        self,
        messages: Sequence[ChatMessage],
        on_token: Callable[[str], None] | None = None,
    ) -> Completion:
        """Send `messages` and return the completion; stream pieces to `on_token` if given."""
        return self._run(self._client.complete(messages, on_token))

    def _run(self, call: Coroutine[Any, Any, T]) -> T:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return self._runner.run(call)
        # Called from inside a running event loop (a notebook): run on a thread of its own.
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(self._runner.run, call).result()


def _usage(raw: Any) -> Usage:
    if raw is None:
        return Usage()
    details = getattr(raw, "prompt_tokens_details", None)
    cached = getattr(details, "cached_tokens", None) if details is not None else None
    return Usage(int(raw.prompt_tokens or 0), int(raw.completion_tokens or 0), int(cached or 0))
