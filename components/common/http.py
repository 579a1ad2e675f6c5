"""One way to call an HTTP API: explicit timeouts, retries with backoff on 429, 5xx and timeouts.

Every client in `components/` sends its requests through `send`, so retry and error behaviour is the same
for PowerDNS, Hetzner, Authentik, Stalwart and OCIS.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx
import stamina

DEFAULT_TIMEOUT = httpx.Timeout(10.0, connect=5.0)
RETRY_ATTEMPTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_SECONDS = 30.0


class ApiError(Exception):
    """An API said no: names the service, the call, the HTTP status and the server's own message."""

    def __init__(self, service: str, method: str, url: str, status: int, message: str) -> None:
        self.service, self.method, self.url, self.status, self.message = service, method, url, status, message
        super().__init__(f"{service}: {method} {url} -> HTTP {status}: {message}")


class RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _is_retryable(exc: Exception) -> bool | float:
    if isinstance(exc, RetryableResponse):
        wait = _server_asked_wait(exc.response)
        return wait if wait is not None else True
    return isinstance(
        exc, httpx.TimeoutException | httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError
    )


def _server_asked_wait(response: httpx.Response) -> float | None:
    """Seconds to wait as the server asks: Retry-After, or Hetzner's RateLimit-Reset (a Unix time)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_WAIT_SECONDS)
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.isdigit() and response.headers.get("RateLimit-Remaining") == "0":
        return min(max(float(reset) - time.time(), 0.0), MAX_WAIT_SECONDS)
    return None


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    error_message: Callable[[httpx.Response], str] = lambda r: r.text[:500],
    ok_statuses: frozenset[int] = frozenset(),
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, retrying transient failures; raise ApiError for any other non-2xx answer.

    `ok_statuses` lists non-2xx statuses the caller handles itself (404 when looking an object up).
    """

    @stamina.retry(on=_is_retryable, attempts=RETRY_ATTEMPTS, wait_initial=0.2, wait_max=MAX_WAIT_SECONDS)
    def attempt() -> httpx.Response:
        response = client.request(method, url, **kwargs)
        if response.status_code in RETRY_STATUSES:
            raise RetryableResponse(response)
        return response

    try:
        response = attempt()
    except RetryableResponse as exc:
        response = exc.response
    if response.is_success or response.status_code in ok_statuses:
        return response
    raise ApiError(service, method, str(response.request.url), response.status_code, error_message(response))
