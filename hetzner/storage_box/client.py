"""A thin client for Hetzner's Storage Box API (`https://api.hetzner.com/v1`, the Cloud API token).

Hetzner publishes no machine-readable spec for this API; request and response shapes follow hcloud-python's
`hcloud/storage_boxes/` (2.27). Like the Cloud API it pages listings, answers errors as
`{"error": {"code", "message", "details"}}` and answers every change with an action that must reach `success`;
Storage Box actions are read at `/storage_boxes/actions/{id}`.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict

import httpx

from components.common.http import ApiError, send
from components.dns.hetzner import error_message  # the Cloud API's error format, which this API shares

SERVICE = "Hetzner Storage Box"
DEFAULT_ENDPOINT = "https://api.hetzner.com/v1"
PER_PAGE = 50


@dataclass(frozen=True)
class StorageBoxApiSettings:
    """`token` is a Cloud project API token with read-write access; the API is the project's.

    Creating a Storage Box takes minutes, so `action_timeout` is generous. Tests shorten the timings.
    """

    token: str = field(repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    action_timeout: float = 900.0
    request_timeout: float = 15.0
    poll_interval: float = 5.0


class BoxAccess(TypedDict):
    reachable_externally: bool
    samba_enabled: bool
    ssh_enabled: bool
    webdav_enabled: bool
    zfs_enabled: bool


class SubaccountAccess(TypedDict):
    reachable_externally: bool
    samba_enabled: bool
    ssh_enabled: bool
    webdav_enabled: bool
    readonly: bool


class NewStorageBox(TypedDict):
    name: str
    password: str
    location: str
    storage_box_type: str
    ssh_keys: list[str]
    access_settings: BoxAccess
    labels: NotRequired[dict[str, str]]


class NewSubaccount(TypedDict):
    name: str
    home_directory: str
    password: str
    access_settings: SubaccountAccess
    description: str
    labels: NotRequired[dict[str, str]]


class WireNamed(TypedDict):
    name: str


class WireStorageBox(TypedDict):
    id: int
    name: str
    username: str | None
    status: str  # active | initializing | locked
    server: str | None
    location: WireNamed
    storage_box_type: WireNamed
    access_settings: BoxAccess
    labels: dict[str, str]


class WireSubaccount(TypedDict):
    id: int
    name: str
    username: str
    server: str
    home_directory: str
    access_settings: SubaccountAccess
    description: str
    storage_box: int


class WireAction(TypedDict):
    id: int
    command: str
    status: str  # running | success | error
    error: dict[str, str] | None


class ActionTimeoutError(ApiError, TimeoutError):
    """An action the API accepted did not finish in time; the change may still be applied later."""


class StorageBoxClient:
    """One HTTP client for one provider call path; use `with` so it is closed."""

    def __init__(
        self, settings: StorageBoxApiSettings, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        self._settings = settings
        self._client = httpx.Client(
            base_url=settings.endpoint.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=httpx.Timeout(settings.request_timeout, connect=min(5.0, settings.request_timeout)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"StorageBoxClient(endpoint={self._settings.endpoint!r})"

    def __enter__(self) -> StorageBoxClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._client.close()

    # --- Storage Boxes --------------------------------------------------------------------------------

    def find_box(self, name: str) -> WireStorageBox | None:
        return next(
            (b for b in self._paginate("/storage_boxes", "storage_boxes", name=name) if b["name"] == name),
            None,
        )

    def get_box(self, box_id: int) -> WireStorageBox:
        return self._send("GET", f"/storage_boxes/{box_id}").json()["storage_box"]

    def create_box(self, request: NewStorageBox) -> WireStorageBox:
        """Order the box and wait until it is provisioned; its username and server are known only then."""
        body = self._change("POST", "/storage_boxes", json=request)
        return self.get_box(body["storage_box"]["id"])

    def change_type(self, box_id: int, storage_box_type: str) -> None:
        path = f"/storage_boxes/{box_id}/actions/change_type"
        self._change("POST", path, json={"storage_box_type": storage_box_type})

    def update_access_settings(self, box_id: int, access: BoxAccess) -> None:
        self._change("POST", f"/storage_boxes/{box_id}/actions/update_access_settings", json=dict(access))

    def delete_box(self, box_id: int) -> None:
        """Cancel the box and everything on it; one that is already gone is not an error."""
        self._change("DELETE", f"/storage_boxes/{box_id}", ok_statuses={404})

    # --- subaccounts ----------------------------------------------------------------------------------

    def find_subaccount(self, box_id: int, name: str) -> WireSubaccount | None:
        # The one listing without pagination: a box holds at most its type's few hundred subaccounts.
        path = f"/storage_boxes/{box_id}/subaccounts"
        listing = self._send("GET", path, params={"name": name}).json()["subaccounts"]
        return next((s for s in listing if s.get("name") == name), None)

    def get_subaccount(self, box_id: int, subaccount_id: int) -> WireSubaccount:
        return self._send("GET", _subaccount_path(box_id, subaccount_id)).json()["subaccount"]

    def create_subaccount(self, box_id: int, request: NewSubaccount) -> WireSubaccount:
        # The answer holds only the new subaccount's id; its username and server are read afterwards.
        body = self._change("POST", f"/storage_boxes/{box_id}/subaccounts", json=request)
        return self.get_subaccount(box_id, body["subaccount"]["id"])

    def update_description(self, box_id: int, subaccount_id: int, description: str) -> None:
        self._send("PUT", _subaccount_path(box_id, subaccount_id), json={"description": description})

    def change_home_directory(self, box_id: int, subaccount_id: int, home_directory: str) -> None:
        path = f"{_subaccount_path(box_id, subaccount_id)}/actions/change_home_directory"
        self._change("POST", path, json={"home_directory": home_directory})

    def update_subaccount_access(self, box_id: int, subaccount_id: int, access: SubaccountAccess) -> None:
        path = f"{_subaccount_path(box_id, subaccount_id)}/actions/update_access_settings"
        self._change("POST", path, json=dict(access))

    def delete_subaccount(self, box_id: int, subaccount_id: int) -> None:
        self._change("DELETE", _subaccount_path(box_id, subaccount_id), ok_statuses={404})

    # --- the plumbing every call shares ---------------------------------------------------------------

    def _paginate(self, path: str, key: str, **filters: str) -> Iterator[Any]:
        page: int | None = 1
        while page is not None:
            body = self._send("GET", path, params={**filters, "page": page, "per_page": PER_PAGE}).json()
            yield from body[key]
            page = body["meta"]["pagination"]["next_page"]

    def _change(
        self, method: str, path: str, *, ok_statuses: Collection[int] = (), **kwargs: Any
    ) -> dict[str, Any]:
        """Send a change and wait for its action; a tolerated non-2xx answer (a 404 on delete) starts none."""
        response = self._send(method, path, ok_statuses=ok_statuses, **kwargs)
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
                    *_origin(started_by), f"action {action['id']} ({action['command']}) {waited}"
                )
            time.sleep(self._settings.poll_interval)
            action = self._send("GET", f"/storage_boxes/actions/{action['id']}").json()["action"]
        if action["status"] == "error":
            error = action["error"] or {"code": "unknown", "message": "no error given"}
            failed = f"failed: {error['code']}: {error['message']}"
            raise ApiError(*_origin(started_by), f"action {action['id']} ({action['command']}) {failed}")

    def _send(
        self, method: str, path: str, *, ok_statuses: Collection[int] = (), **kwargs: Any
    ) -> httpx.Response:
        return send(
            self._client,
            method,
            path,
            service=SERVICE,
            error_message=error_message,
            ok_statuses=frozenset(ok_statuses),
            **kwargs,
        )


def _subaccount_path(box_id: int, subaccount_id: int) -> str:
    return f"/storage_boxes/{box_id}/subaccounts/{subaccount_id}"


def _origin(response: httpx.Response) -> tuple[str, str, str, int]:
    return SERVICE, response.request.method, str(response.request.url), response.status_code
