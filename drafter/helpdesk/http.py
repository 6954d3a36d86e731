"""JSON over HTTP(S) to a helpdesk, retried with the model client's policy: 429 (honouring
Retry-After), 408 and 5xx, timeouts and dropped connections, with bounded exponential backoff
and jitter. The token goes in a header only: never in a URL, a message or a log."""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

try:  # what openai talks through: httpx2 for openai 3.x, httpx before
    import httpx2 as httpx
except ImportError:  # pragma: no cover
    import httpx  # type: ignore[no-redef]
from tenacity import RetryCallState, Retrying, retry_if_exception, stop_after_attempt, stop_after_delay

from drafter.helpdesk.base import Connector, HelpdeskError, HelpdeskUnavailable
from drafter.retry_after import retry_after

if TYPE_CHECKING:
    from drafter.helpdesk.config import HelpdeskConfig


class Retryable(Exception):
    """A failed request worth another attempt, with the server's Retry-After if it gave one."""

    def __init__(self, reason: str, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retry_after = retry_after


class Response:
    """A helpdesk's answer: status, decoded JSON (None for an empty body) and headers."""

    def __init__(self, status: int, data: Any, headers: Any = None) -> None:
        self.status = status
        self.data = data
        self.headers = headers if headers is not None else {}


class HttpClient:
    """Requests to one helpdesk; 2xx and the statuses a caller accepts come back, every other
    status becomes a HelpdeskError (the user can fix it) or, after retries, HelpdeskUnavailable."""

    def __init__(self, config: HelpdeskConfig, auth_header: str,
                 on_retry: Callable[[int, str, float], None] | None = None) -> None:
        self.config = config
        self.on_retry = on_retry
        self._auth = auth_header
        self._client: httpx.Client | None = None

    @property
    def client(self) -> httpx.Client:
        """The underlying connection pool, opened on first use."""
        if self._client is None:
            self._client = httpx.Client(
                verify=self.config.tls_context(), timeout=self.config.timeout,
                headers={"Accept": "application/json", "User-Agent": "drafter",
                         **({"Authorization": self._auth} if self._auth else {})},
                follow_redirects=False)
        return self._client

    def set_auth(self, auth_header: str) -> None:
        """Send `auth_header` from now on (a refreshed OAuth token)."""
        self._auth = auth_header
        if self._client is not None:
            self._client.headers["Authorization"] = auth_header

    def close(self) -> None:
        """Close the connection pool."""
        if self._client is not None:
            self._client.close()
            self._client = None

    def request(self, method: str, url: str, *, json_body: Any = None,
                params: dict[str, Any] | None = None, accept: tuple[int, ...] = (),
                form: dict[str, str] | None = None, auth: bool = True,
                headers: dict[str, str] | None = None) -> Response:
        """Send one request (retrying); return the response of a 2xx or an `accept`ed status."""
        retry = self.config.retry
        attempts = 0
        try:
            for attempt in Retrying(
                stop=stop_after_attempt(max(1, retry.max_attempts))
                | stop_after_delay(retry.max_retry_seconds),
                wait=self._wait, retry=retry_if_exception(lambda e: isinstance(e, Retryable)),
                before_sleep=self._before_sleep, reraise=True,
            ):
                with attempt:
                    attempts += 1
                    return self._once(method, url, json_body, params, accept, form, auth,
                                      headers)
        except Retryable as exc:
            raise HelpdeskUnavailable(
                f"the helpdesk at {self.config.url} failed after {attempts} "
                f"attempt{'s' if attempts != 1 else ''}: {exc.reason}",
                hint="check that it is running and reachable (helpdesk.url), or raise "
                "llm.max_attempts / helpdesk.timeout") from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _once(self, method: str, url: str, json_body: Any, params: dict[str, Any] | None,
              accept: tuple[int, ...], form: dict[str, str] | None = None,
              auth: bool = True, headers: dict[str, str] | None = None) -> Response:
        try:
            request = self.client.build_request(method, url, json=json_body, params=params,
                                                data=form, headers=headers)
            if not auth:  # an OAuth token request: the credentials are in the form
                request.headers.pop("Authorization", None)
            response = self.client.send(request)
        except httpx.TimeoutException:
            raise Retryable(f"no answer within {self.config.timeout:g} s") from None
        except httpx.ConnectError as exc:
            if "CERTIFICATE_VERIFY_FAILED" in str(exc):
                raise HelpdeskError(f"the TLS certificate of {self.config.url} is not trusted",
                                    hint="set `helpdesk.ca_file` to the PEM file of its CA") from None
            raise Retryable(f"cannot connect to {self.config.url}") from None
        except httpx.TransportError:
            raise Retryable(f"the connection to {self.config.url} dropped") from None
        status = response.status_code
        if status == 429:
            raise Retryable("rate limited (429)", retry_after(response.headers))
        if status >= 500 or status == 408:
            raise Retryable(f"server error {status}", retry_after(response.headers))
        if 300 <= status < 400 and status not in accept:
            # Not followed: the token would go wherever the redirect points.
            raise HelpdeskError(f"the helpdesk at {self.config.url} redirects {_path(url)} "
                                f"to {response.headers.get('location', '?')} ({status})",
                                hint="set `helpdesk.url` to the address it redirects to")
        if not (200 <= status < 300 or status in accept):
            raise _refused(self.config, method, status)
        if not response.content.strip():
            return Response(status, None, response.headers)
        try:
            return Response(status, json.loads(response.content), response.headers)
        except ValueError:
            if status in accept:  # an error page: its status says enough
                return Response(status, None, response.headers)
            raise Retryable(f"the answer to {method} {_path(url)} is not JSON") from None

    def _wait(self, state: RetryCallState) -> float:
        retry = self.config.retry
        exc = state.outcome.exception() if state.outcome else None
        backoff = min(retry.backoff_max, retry.backoff_initial * 2 ** (state.attempt_number - 1))
        wait = random.uniform(backoff / 2, backoff)
        if isinstance(exc, Retryable) and exc.retry_after is not None:
            wait = max(wait, exc.retry_after)
        remaining = retry.max_retry_seconds - (time.monotonic() - state.start_time)
        return max(0.0, min(wait, remaining))

    def _before_sleep(self, state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        if self.on_retry is not None and isinstance(exc, Retryable):
            sleep = state.next_action.sleep if state.next_action else 0.0
            self.on_retry(state.attempt_number, exc.reason, sleep)


def _refused(config: HelpdeskConfig, method: str, status: int) -> HelpdeskError:
    where = f"the helpdesk at {config.url}"
    token = (f"the environment variable {config.token_env}" if config.token_env
             else "the output of `helpdesk.token_command`")
    if status == 401:
        return HelpdeskError(f"{where} refused the token (401)",
                             hint=f"check {token}: it must be a valid {config.kind} API token")
    if status == 403:
        return HelpdeskError(f"{where} denied {method} (403): the token's user lacks a right",
                             hint="`draft helpdesk check` says which")
    if status == 404:
        return HelpdeskError(f"{where}: not found (404)", hint="check `helpdesk.url`")
    return HelpdeskError(f"{where} rejected {method} ({status})",
                         hint="`draft helpdesk check` verifies the setup")


def _path(url: str) -> str:
    return httpx.URL(url).path


class HttpConnector(Connector):
    """A connector over its helpdesk's REST API: one HTTP client, made on first use (so the
    credentials are read only when a request is made) and closed with the connector."""

    def __init__(self, config: Any) -> None:
        super().__init__(config)
        self._http: HttpClient | None = None

    def authorization(self) -> str:
        """The Authorization header for every request ("" for none yet)."""
        return ""

    @property
    def http(self) -> HttpClient:
        """The HTTP client, made (and the credentials read) on first use."""
        if self._http is None:
            self._http = self.config.http(self.authorization())
            self.opened(self._http)
        return self._http

    def opened(self, http: HttpClient) -> None:
        """Prepare a newly made client before its first request (nothing by default)."""

    def close(self) -> None:
        """Close the connection pool."""
        if self._http is not None:
            self._http.close()
