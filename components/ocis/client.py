"""A thin client of the OCIS Libre Graph API (`<ocis>/graph`): project spaces, their members, users and groups.

Written against `specs/libre-graph-api-v1.0-2c0073c.yaml` plus three behaviours of the real server that the spec
does not list (owncloud/ocis `services/graph/pkg/service/v0/drives.go`): `DELETE /v1.0/drives/{id}` disables a
space, the same call with the header `Purge: T` destroys a disabled one, and `PATCH /v1.0/drives/{id}` with
`Restore: T` enables it again. Every request goes through `components.common.http.send`, except a
space's create, which must never be resent blindly (`create_drive`).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict
from urllib.parse import quote

import httpx
import stamina

from components.common.http import MAX_WAIT_SECONDS, RETRY_ATTEMPTS, RETRY_STATUSES, ApiClient, ApiError

SERVICE = "OCIS"

# The unified role ids OCIS gives the three space roles (ocis `services/graph/pkg/unifiedrole/roles.go`).
ROLE_IDS: dict[str, str] = {
    "viewer": "a8d5fe5e-96e3-418d-825b-534dbdf22b99",
    "editor": "58c63c02-1d89-4572-916a-870abc5a1b7d",
    "manager": "312c0871-5ef7-4b3a-85b6-0e4074c64049",
}
ROLE_NAMES: dict[str, str] = {role_id: name for name, role_id in ROLE_IDS.items()}

RecipientType = Literal["user", "group"]


@dataclass(frozen=True)
class OcisSettings:
    """Where OCIS answers (`https://cloud.example`, without `/graph`) and the credential of its service account.

    OCIS has no long-lived bearer token: its IdP's access tokens last minutes, and in production the IdP is
    Authentik. What lasts is an app token (service `auth-app`, enabled in the proxy by
    `PROXY_ENABLE_APP_AUTH=true`), which the proxy accepts only as HTTP Basic `<username>:<app token>`.
    `user` is the service account's username, `token` one of its app tokens.
    """

    url: str
    user: str
    token: str = field(repr=False)
    request_timeout: float = 10.0

    def authorization(self) -> str:
        """The `Authorization` header value: Basic with the username and the app token."""
        return "Basic " + base64.b64encode(f"{self.user}:{self.token}".encode()).decode("ascii")


class Quota(TypedDict, total=False):
    total: int
    used: int
    remaining: int
    deleted: int
    state: str


class QuotaUpdate(TypedDict):
    total: int


class Identity(TypedDict):
    displayName: str
    id: NotRequired[str]


class IdentitySet(TypedDict, total=False):
    user: Identity
    group: Identity


class Permission(TypedDict, total=False):
    """A grant on a space root: `id` is `u:<user id>` or `g:<group id>`, `roles` holds one unified role id."""

    id: str
    roles: list[str]
    grantedToV2: IdentitySet


class Deleted(TypedDict):
    state: str  # "trashed" while the space is disabled


class DriveRoot(TypedDict, total=False):
    id: str
    deleted: Deleted
    permissions: list[Permission]


class Drive(TypedDict, total=False):
    id: str
    name: str
    description: str
    driveAlias: str
    driveType: str
    quota: Quota
    root: DriveRoot


class NewDrive(TypedDict):
    name: str
    description: str
    driveAlias: str
    driveType: Literal["project"]
    quota: QuotaUpdate


class DriveUpdate(TypedDict, total=False):
    name: str
    driveAlias: str
    description: str
    quota: QuotaUpdate


class User(TypedDict):
    id: str
    displayName: str
    onPremisesSamAccountName: NotRequired[str]
    mail: NotRequired[str]


class Group(TypedDict):
    id: str
    displayName: str


def odata_message(response: httpx.Response) -> str:
    """The server's own words from an OData error body (`{"error": {"code", "message"}}`), else its text."""
    try:
        error = response.json()["error"]
        return f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text[:500] or response.reason_phrase


class _CreateAgain(Exception):
    """A create whose outcome is unknown (no answer, or a transient refusal): look, then maybe send it again."""

    def __init__(self, failure: Exception) -> None:
        super().__init__(str(failure))
        self.failure = failure


def is_disabled(drive: Drive) -> bool:
    return drive.get("root", {}).get("deleted", {}).get("state") == "trashed"


class OcisClient(ApiClient):
    """The calls the space provider needs. Holds one httpx client; use it in a `with` block."""

    def __init__(self, settings: OcisSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            service=SERVICE,
            error_message=odata_message,
            shown={"url": settings.url, "user": settings.user},
            base_url=settings.url.rstrip("/") + "/graph",
            headers={"Authorization": settings.authorization(), "Accept": "application/json"},
            timeout=settings.request_timeout,
            transport=transport,
        )
        self._settings = settings

    # --- drives ------------------------------------------------------------------------------------------

    def project_drives(self) -> list[Drive]:
        """Every project space, disabled ones included, each with its root's grants.

        The v1beta1 listing is used because it reports grants with their permission ids and unified role ids
        (v1.0 gives legacy role names and no ids). OCIS does not page drive listings.
        """
        params = {"$filter": "driveType eq 'project'"}
        return self._send("GET", "/v1beta1/drives", params=params).json().get("value") or []

    def create_drive(self, drive: NewDrive) -> Drive:
        """Create a project space, at most once.

        OCIS does not refuse a second space under an alias it already has, so a create is never sent again
        blindly: when its reply is lost (no answer, a timeout, a 429 or 5xx) the spaces are listed first, and
        one under the alias means the create was carried out. Only when there is none is it sent again.
        """
        try:
            for attempt in stamina.retry_context(
                on=_CreateAgain, attempts=RETRY_ATTEMPTS, wait_initial=0.2, wait_max=MAX_WAIT_SECONDS
            ):
                with attempt:
                    if attempt.num > 1 and (made := self._drive_by_alias(drive["driveAlias"])) is not None:
                        return made
                    return self._create_once(drive)
        except _CreateAgain as exc:
            raise exc.failure from None
        raise AssertionError("unreachable: the last attempt returns or raises")  # pragma: no cover

    def _create_once(self, drive: NewDrive) -> Drive:
        try:
            response = self._client.request("POST", "/v1.0/drives", json=drive)
        except httpx.TransportError as exc:
            raise _CreateAgain(exc) from exc
        if not response.is_success:
            url = str(response.request.url)
            error = ApiError(SERVICE, "POST", url, response.status_code, odata_message(response))
            raise _CreateAgain(error) if response.status_code in RETRY_STATUSES else error
        return response.json()

    def _drive_by_alias(self, alias: str) -> Drive | None:
        return next((d for d in self.project_drives() if d.get("driveAlias") == alias), None)

    def update_drive(self, drive_id: str, changes: DriveUpdate) -> Drive:
        return self._send("PATCH", _drive_path(drive_id), json=changes).json()

    def disable_drive(self, drive_id: str) -> None:
        """Disable the space: members lose access, files stay. Disabling a disabled space changes nothing."""
        self._send("DELETE", _drive_path(drive_id))

    def restore_drive(self, drive_id: str) -> Drive:
        """Enable a disabled space again, with its files and members as they were."""
        return self._send("PATCH", _drive_path(drive_id), json={}, headers={"Restore": "T"}).json()

    def purge_drive(self, drive_id: str) -> None:
        """Destroy a disabled space and its files for good. OCIS refuses it for an enabled space."""
        self._send("DELETE", _drive_path(drive_id), headers={"Purge": "T"}, ok_statuses=frozenset({404}))

    # --- members -----------------------------------------------------------------------------------------

    def permissions(self, drive_id: str) -> list[Permission]:
        """The grants on an enabled space's root, as the permissions endpoint lists them."""
        path = f"/v1beta1/drives/{_segment(drive_id)}/root/permissions"
        return self._send("GET", path).json().get("value") or []

    def invite(self, drive_id: str, kind: RecipientType, object_id: str, role_id: str) -> Permission:
        # OCIS acts on the first recipient of an invitation only, so each member gets a call of its own.
        body = {
            "recipients": [{"objectId": object_id, "@libre.graph.recipient.type": kind}],
            "roles": [role_id],
        }
        path = f"/v1beta1/drives/{_segment(drive_id)}/root/invite"
        return self._send("POST", path, json=body).json()["value"][0]

    def set_role(self, drive_id: str, permission_id: str, role_id: str) -> Permission:
        path = _permission_path(drive_id, permission_id)
        return self._send("PATCH", path, json={"roles": [role_id]}).json()

    def revoke(self, drive_id: str, permission_id: str) -> None:
        """Remove a grant from an enabled space; a grant that is already gone is not an error.

        OCIS answers a grant that is gone with 500 (`generalException: error getting grant to remove from
        storage`), not 404, and 500s are retried: so the grants are read first, and a 500 on the delete
        (a retried delete whose first reply was lost, or a concurrent revoke) counts as done only when the
        grant is no longer listed afterwards. Any other failure is raised.
        """
        if not self._has_permission(drive_id, permission_id):
            return
        try:
            self._send("DELETE", _permission_path(drive_id, permission_id), ok_statuses=frozenset({404}))
        except ApiError as exc:
            if exc.status < 500 or self._has_permission(drive_id, permission_id):
                raise

    def _has_permission(self, drive_id: str, permission_id: str) -> bool:
        return any(p.get("id") == permission_id for p in self.permissions(drive_id))

    # --- directory ---------------------------------------------------------------------------------------

    def me(self) -> User:
        return self._send("GET", "/v1.0/me").json()

    def user(self, name_or_id: str) -> User | None:
        """A user by username or id, or None when OCIS has none (it creates users at their first login).

        A lookup by key, not `$filter`: OCIS's user filter only understands group and role membership and
        `displayName` prefixes, not `mail eq` or `onPremisesSamAccountName eq`.
        """
        return self._lookup(f"/v1.0/users/{_segment(name_or_id)}")

    def group(self, name_or_id: str) -> Group | None:
        return self._lookup(f"/v1.0/groups/{_segment(name_or_id)}")

    # --- plumbing ----------------------------------------------------------------------------------------

    def _lookup(self, path: str) -> Any:
        response = self._send("GET", path, ok_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.json()


def _segment(value: str) -> str:
    # Drive ids contain `$` (and `!` for shares), permission ids `:`: all three may stand in a path segment
    # as they are (RFC 3986 `pchar`), and OCIS reads them either way; everything else is escaped.
    return quote(value, safe="$!:")


def _drive_path(drive_id: str) -> str:
    return f"/v1.0/drives/{_segment(drive_id)}"


def _permission_path(drive_id: str, permission_id: str) -> str:
    return f"/v1beta1/drives/{_segment(drive_id)}/root/permissions/{_segment(permission_id)}"
