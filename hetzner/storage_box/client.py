"""A thin client for Hetzner's Storage Box API (`https://api.hetzner.com/v1`, the Cloud API token).

Hetzner publishes no machine-readable spec for this API; request and response shapes follow hcloud-python's
`hcloud/storage_boxes/` (2.27). Like the Cloud API it pages listings, answers errors as
`{"error": {"code", "message", "details"}}` and answers every change with an action that must reach `success`;
Storage Box actions are read at `/storage_boxes/actions/{id}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict

import httpx

from components.common.hetzner_cloud import ActionTimeoutError, HetznerCloudClient

__all__ = ["ActionTimeoutError", "StorageBoxApiSettings", "StorageBoxClient"]

SERVICE = "Hetzner Storage Box"
DEFAULT_ENDPOINT = "https://api.hetzner.com/v1"


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


class StorageBoxClient(HetznerCloudClient):
    """One HTTP client for one provider call path; use `with` so it is closed."""

    actions_path = "/storage_boxes/actions"

    def __init__(
        self, settings: StorageBoxApiSettings, *, transport: httpx.BaseTransport | None = None
    ) -> None:
        super().__init__(SERVICE, settings, transport=transport)

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
        body = self._change("POST", "/storage_boxes", json=request, creates=True)
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
        body = self._change("POST", f"/storage_boxes/{box_id}/subaccounts", json=request, creates=True)
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


def _subaccount_path(box_id: int, subaccount_id: int) -> str:
    return f"/storage_boxes/{box_id}/subaccounts/{subaccount_id}"
