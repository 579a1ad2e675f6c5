"""What Hetzner's Cloud-style APIs share (Cloud DNS, Storage Box): bearer token, paged listings, errors as
`{"error": {"code", "message", "details"}}`, and changes answered by an action that must reach `success`.

`HetznerCloudClient` does the paging and the waiting once; each API's client names its service and where its
actions are read (`/zones/actions/{id}`, `/storage_boxes/actions/{id}`).
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from typing import Any, Protocol, TypedDict

import httpx

from components.common.http import ApiClient, ApiError

PER_PAGE = 50  # the most the APIs allow on most listings


class HetznerApiSettings(Protocol):
    """`request_timeout` bounds each HTTP call (retried by `send`); `action_timeout` bounds the wait for one
    change's action, polled every `poll_interval` seconds."""

    @property
    def token(self) -> str: ...
    @property
    def endpoint(self) -> str: ...
    @property
    def action_timeout(self) -> float: ...
    @property
    def request_timeout(self) -> float: ...
    @property
    def poll_interval(self) -> float: ...


class ActionError(TypedDict):
    code: str
    message: str


class WireAction(TypedDict):
    id: int
    command: str
    status: str  # running | success | error
    error: ActionError | None


class ActionTimeoutError(ApiError, TimeoutError):
    """An action the API accepted did not finish in time; the change may still be applied later."""


class HetznerCloudClient(ApiClient):
    """One HTTP client to one Cloud-style API; `actions_path` is where this API serves its actions."""

    actions_path = "/actions"

    def __init__(
        self, service: str, settings: HetznerApiSettings, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(
            service=service,
            error_message=error_message,
            shown={"endpoint": settings.endpoint},
            base_url=settings.endpoint.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=settings.request_timeout,
            transport=transport,
        )
        self._settings = settings

    def _paginate(self, path: str, key: str, **filters: str) -> Iterator[Any]:
        """Every item of a listing, page after page, as long as `meta.pagination.next_page` names one."""
        page: int | None = 1
        while page is not None:
            body = self._send("GET", path, params={**filters, "page": page, "per_page": PER_PAGE}).json()
            yield from body[key]
            page = body["meta"]["pagination"]["next_page"]

    def _change(
        self,
        method: str,
        path: str,
        *,
        ok_statuses: Collection[int] = (),
        creates: bool = False,
        **kwargs: Any,
    ) -> dict[str, Any]:
        """Send a change and wait for its action; a tolerated non-2xx answer (a 404 on delete) starts none.
        `creates`: the change makes a new object, never resent blindly (`OutcomeUnknown`)."""
        response = self._send(method, path, ok_statuses=ok_statuses, creates=creates, **kwargs)
        if not response.is_success:
            return {}
        body = response.json()
        self._wait_for(body["action"], response)
        return body

    def _wait_for(self, action: WireAction, started_by: httpx.Response) -> None:
        deadline = time.monotonic() + self._settings.action_timeout
        while action["status"] == "running":
            if time.monotonic() >= deadline:
                waited = f"still running after {self._settings.action_timeout:g} s"
                raise ActionTimeoutError(
                    *self._origin(started_by), f"action {action['id']} ({action['command']}) {waited}"
                )
            time.sleep(self._settings.poll_interval)
            action = self._send("GET", f"{self.actions_path}/{action['id']}").json()["action"]
        if action["status"] == "error":
            error = action["error"] or {"code": "unknown", "message": "no error given"}
            failed = f"failed: {error['code']}: {error['message']}"
            raise ApiError(*self._origin(started_by), f"action {action['id']} ({action['command']}) {failed}")

    def _origin(self, response: httpx.Response) -> tuple[str, str, str, int]:
        """Service, method, URL and status of the call that started an action, for the errors it ends in."""
        return self._service, response.request.method, str(response.request.url), response.status_code


def error_message(response: httpx.Response) -> str:
    """Hetzner's own words: `code: message`, plus the fields `invalid_input` names, else the raw body."""
    try:
        error = response.json()["error"]
        text = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:500] or response.reason_phrase
    fields = (error.get("details") or {}).get("fields") or []
    problems = [
        f"{f.get('name')}: {'; '.join(f.get('messages') or [])}" for f in fields if isinstance(f, dict)
    ]
    return f"{text} ({', '.join(problems)})" if problems else text
