"""One way to call an HTTP API: explicit timeouts, retries with backoff on 429, 5xx and timeouts.

Every client in `components/` sends its requests through `send`, so retry and error behaviour is the same
for PowerDNS, Hetzner, Authentik, Stalwart and OCIS.
"""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any, Self

import httpx
import stamina

DEFAULT_REQUEST_TIMEOUT = 10.0
RETRY_ATTEMPTS = 5
RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
MAX_WAIT_SECONDS = 30.0


class ApiError(Exception):
    """An API said no: names the service, the call, the HTTP status and the server's own message."""

    def __init__(self, service: str, method: str, url: str, status: int, message: str) -> None:
        self.service, self.method, self.url, self.status, self.message = service, method, url, status, message
        super().__init__(f"{service}: {method} {url} -> HTTP {status}: {message}")


class OutcomeUnknown(Exception):
    """A create whose answer never came (connection lost after sending, a timeout, a 5xx from a proxy): the
    server may have carried it out, and resending it blindly can make a duplicate (Authentik accepts two
    identical policy bindings; a Storage Box takes two subaccounts of one purpose). Only a look-up by natural
    key can tell (`ObjectProvider.create`)."""

    def __init__(self, service: str, method: str, url: str, cause: str) -> None:
        super().__init__(f"{service}: {method} {url}: no answer ({cause}); the object may have been made")


class RetryableResponse(Exception):
    def __init__(self, response: httpx.Response) -> None:
        super().__init__(f"HTTP {response.status_code}")
        self.response = response


def _is_retryable_once_sent(exc: Exception) -> bool | float:
    """For a create: only what proves the server did nothing (no connection made, 429 Too Many Requests)."""
    if isinstance(exc, RetryableResponse):
        return exc.response.status_code == 429 and (server_asked_wait(exc.response) or True)
    return isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout)


def _is_retryable(exc: Exception) -> bool | float:
    if isinstance(exc, RetryableResponse):
        wait = server_asked_wait(exc.response)
        return wait if wait is not None else True
    return isinstance(
        exc, httpx.TimeoutException | httpx.ConnectError | httpx.RemoteProtocolError | httpx.ReadError
    )


def server_asked_wait(response: httpx.Response) -> float | None:
    """Seconds to wait as the server asks: Retry-After, or Hetzner's RateLimit-Reset (a Unix time)."""
    retry_after = response.headers.get("Retry-After")
    if retry_after and retry_after.isdigit():
        return min(float(retry_after), MAX_WAIT_SECONDS)
    reset = response.headers.get("RateLimit-Reset")
    if reset and reset.isdigit() and response.headers.get("RateLimit-Remaining") == "0":
        return min(max(float(reset) - time.time(), 0.0), MAX_WAIT_SECONDS)
    return None


@functools.cache
def shared_tls_context() -> ssl.SSLContext:
    """Loading the CA bundle takes ~40 ms and each provider call opens a client: load it once per process."""
    return httpx.create_ssl_context()


def send(
    client: httpx.Client,
    method: str,
    url: str,
    *,
    service: str,
    error_message: Callable[[httpx.Response], str] = lambda r: r.text[:500],
    ok_statuses: frozenset[int] = frozenset(),
    creates: bool = False,
    **kwargs: Any,
) -> httpx.Response:
    """Send one request, retrying transient failures; raise ApiError for any other non-2xx answer.

    `ok_statuses` lists non-2xx statuses the caller handles itself (404 when looking an object up). A request
    that `creates` an object is resent only when the server surely did nothing; when its answer is lost it
    raises `OutcomeUnknown` for the caller to look the object up before creating it again.
    """
    retryable = _is_retryable_once_sent if creates else _is_retryable

    @stamina.retry(on=retryable, attempts=RETRY_ATTEMPTS, wait_initial=0.2, wait_max=MAX_WAIT_SECONDS)
    def attempt() -> httpx.Response:
        response = client.request(method, url, **kwargs)
        if response.status_code in RETRY_STATUSES:
            raise RetryableResponse(response)
        return response

    try:
        response = attempt()
    except RetryableResponse as exc:
        response = exc.response
    except httpx.TransportError as exc:
        if not creates or isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout):
            raise
        raise OutcomeUnknown(service, method, url, type(exc).__name__) from exc
    if creates and response.status_code in RETRY_STATUSES - {429}:
        raise OutcomeUnknown(service, method, str(response.request.url), f"HTTP {response.status_code}")
    if response.is_success or response.status_code in ok_statuses:
        return response
    raise ApiError(service, method, str(response.request.url), response.status_code, error_message(response))


def request_timeout(seconds: float) -> httpx.Timeout:
    """`seconds` for each call, and no more than 5 s of it to connect."""
    return httpx.Timeout(seconds, connect=min(5.0, seconds))


class ApiClient:
    """One httpx.Client for one provider call path, sending through `send`; use `with` (or `close`).

    A subclass passes its service name, error reader and connection settings; `shown` is all `repr` tells,
    so tokens and passwords never reach a log or a traceback. `transport` is httpx's own seam for tests, so
    the code under test stays the code that runs.
    """

    def __init__(
        self,
        *,
        service: str,
        error_message: Callable[[httpx.Response], str],
        shown: Mapping[str, object],
        base_url: str = "",
        timeout: float = DEFAULT_REQUEST_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
        **client_options: Any,
    ) -> None:
        self._service = service
        self._error_message = error_message
        self._shown = dict(shown)
        client_options.setdefault("verify", shared_tls_context())
        self._client = httpx.Client(
            base_url=base_url, timeout=request_timeout(timeout), transport=transport, **client_options
        )

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{key}={value!r}' for key, value in self._shown.items())})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def _send(
        self,
        method: str,
        path: str,
        *,
        ok_statuses: Collection[int] = (),
        creates: bool = False,
        **kwargs: Any,
    ) -> httpx.Response:
        return send(
            self._client,
            method,
            path,
            service=self._service,
            error_message=self._error_message,
            ok_statuses=frozenset(ok_statuses),
            creates=creates,
            **kwargs,
        )
