"""The state behind the OCIS emulator: users, groups and project spaces, and the rules the real server applies.

Rules beyond the spec come from the OCIS source (owncloud/ocis `services/graph/pkg/service/v0/drives.go`,
`api_driveitem_permissions.go`, reva `decomposedfs/spaces.go`): the space-name rules, `driveType` other than
`project` refused, unknown body fields refused (OCIS decodes bodies strictly), `Purge: T` only on a disabled
space, `Restore: T` on PATCH, disabled spaces listed with `root.deleted.state: "trashed"` and only their quota
total, the creator of a space made its manager, one recipient per invitation, space permission ids `u:<id>` /
`g:<id>`, and `$filter` on drives honouring only `driveType eq` and `id eq` (anything else under `eq` is ignored).

Checked against the real OCIS 8.2 (tests/acceptance/ocis, its recordings in tests/recordings/ocis), with the
server's own words: listing or inviting on a disabled space answers 404 (`stat: error: not found: …`), but
changing or removing a grant there answers 500; removing a grant that is gone answers 500 `generalException`
(`… error getting grant to remove from storage`), never 404; a second invitation answers 409
`nameAlreadyExists`; a space's grants are visible only to its members, whatever the caller's role; another
user's record shows only id, display name and an empty username unless the caller has the Admin role; grants
are listed in no fixed order (the emulator lists groups first); disabling twice and editing a disabled space's
properties are allowed; unknown fields are `invalid body schema definition` on create but
`invalid request body: error: json: unknown field "…"` on update.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import Headers

from tests.emulators.loopback import Reply

ADMIN_ID = "9d1e7c4a-5b1f-4a55-8f0e-3c2b1a000001"  # the service account's id
SERVICE_USER = "dezky-service"
# The people the acceptance tier's OCIS holds (tests/acceptance/ocis/conftest.py makes them there): a fresh
# emulator holds them too, so a recording of that tier replays here against the same directory.
PROVISIONED_USERS = (("ida@acc.dezky.test", "Ida Acceptance"), ("jonas@acc.dezky.test", "Jonas Acceptance"))
PROVISIONED_GROUPS = ("acc-members", "acc-admins")
STORAGE_ID = "1284d238-aa92-42ce-bdc4-0b0000009157"  # drive ids are `<storage id>$<space id>`
FILE_SIZE = 1024  # bytes per emulated file, so quotas show use
ROLES = {
    "a8d5fe5e-96e3-418d-825b-534dbdf22b99": "viewer",
    "58c63c02-1d89-4572-916a-870abc5a1b7d": "editor",
    "312c0871-5ef7-4b3a-85b6-0e4074c64049": "manager",
}
MANAGER = "312c0871-5ef7-4b3a-85b6-0e4074c64049"
_FORBIDDEN = ["/", "\\", ".", ":", "?", "*", '"', ">", "<", "|"]
_DRIVE_FIELDS = {"id", "createdBy", "createdDateTime", "description", "eTag", "lastModifiedBy"}
_DRIVE_FIELDS |= {"lastModifiedDateTime", "name", "parentReference", "webUrl", "driveType", "driveAlias"}
_DRIVE_FIELDS |= {"owner", "quota", "items", "root", "special"}


class Rejected(Exception):
    """The answer the real server gives to a request it refuses."""

    def __init__(self, status: int, code: str, message: str, *, invalid: bool = False) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.reply = Reply(status, odata_error(code, message))
        self.invalid = invalid  # the client sent something the API would never accept


class NotEmulated(Exception):
    pass


def odata_error(code: str, message: str) -> dict[str, Any]:
    inner = {"date": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"), "request-id": str(uuid.uuid4())}
    return {"error": {"code": code, "message": message, "innererror": inner}}


def go_bool(value: str | None) -> bool:
    """Go's strconv.ParseBool, which OCIS applies to the Purge and Restore headers (errors read as false)."""
    return value in {"1", "t", "T", "TRUE", "true", "True"}


@dataclass
class Space:
    id: str
    name: str
    alias: str
    quota: int | None
    description: str | None = None
    disabled: bool = False
    grants: dict[str, tuple[str, str]] = field(default_factory=dict)  # principal id -> (user|group, role id)
    files: int = 0
    modified: str = field(default_factory=lambda: datetime.now(UTC).isoformat().replace("+00:00", "Z"))


class OcisState:
    """One OCIS instance: the admin the token belongs to, the directory and the spaces."""

    def __init__(self) -> None:
        self.users: dict[str, dict[str, str]] = {}
        self.groups: dict[str, dict[str, str]] = {}
        self.spaces: dict[str, Space] = {}
        self.default_quota: int | None = 1_000_000_000
        self.max_quota: int | None = None
        # The service account the emulator's credentials belong to (`tests.emulators.ocis.USER`), with the
        # least role the providers need: Space Admin. As `"admin"` (the Admin role) it also reads every
        # user's username and mail, as the real server's `filterOutPrivateUserAttrs` allows only that role.
        self.service_role = "spaceadmin"
        self.add_user(SERVICE_USER, "Dezky Service", user_id=ADMIN_ID)
        for username, display_name in PROVISIONED_USERS:
            self.add_user(username, display_name)
        for group in PROVISIONED_GROUPS:
            self.add_group(group)

    # --- what tests set up and look at ------------------------------------------------------------------

    def add_user(self, username: str, display_name: str | None = None, *, user_id: str | None = None) -> str:
        """A user as OCIS auto-provisions one at first login: the username is what Authentik sends."""
        user_id = user_id or str(uuid.uuid4())
        # As an admin reads a user the directory holds (OCIS 8.2 with its built-in IDM).
        self.users[user_id] = {
            "accountEnabled": True,
            "id": user_id,
            "displayName": display_name or username,
            "onPremisesSamAccountName": username,
            "mail": username if "@" in username else f"{username}@example.org",
            "surname": username,
            "userType": "Member",
        }
        return user_id

    def add_group(self, name: str) -> str:
        group_id = str(uuid.uuid4())
        self.groups[group_id] = {"id": group_id, "displayName": name, "groupTypes": []}
        return group_id

    def space_by_alias(self, alias: str) -> Space | None:
        return next((s for s in self.spaces.values() if s.alias == alias), None)

    # --- routing ------------------------------------------------------------------------------------------

    def route(self, method: str, path: str, query: dict[str, Any], headers: Headers, body: Any) -> Reply:
        for pattern, verb, handler in _ROUTES:
            match = re.fullmatch(pattern, path)
            if match and verb == method:
                # looked up on the instance, so a test can replace one handler of one emulator
                method_of_self = getattr(self, handler.__name__)
                return method_of_self(*match.groups(), query=query, headers=headers, body=body)
        raise NotEmulated(f"{method} {path}")

    def me(self, **_: Any) -> Reply:
        me = self.users[ADMIN_ID]
        keys = ("displayName", "id", "mail", "onPremisesSamAccountName", "userType")
        identity = {"issuer": "https://localhost:9200", "issuerAssignedId": ADMIN_ID}
        return Reply(200, {**{k: me[k] for k in keys}, "identities": [identity], "preferredLanguage": "en"})

    def get_user(self, key: str, **_: Any) -> Reply:
        user = self._by_name_or_id(self.users, key, "onPremisesSamAccountName", "user")
        if self.service_role == "admin" or user["id"] == ADMIN_ID:
            return Reply(200, user)
        # ocis graph `filterOutPrivateUserAttrs`: without the account-management permission of the Admin role
        # a caller sees another user's id and display name only, not the username or mail.
        # OCIS 8.2 then sends the username empty rather than leaving it out.
        public = {key: user[key] for key in ("id", "displayName")}
        return Reply(200, {**public, "onPremisesSamAccountName": "", "userType": "Member"})

    def get_group(self, key: str, **_: Any) -> Reply:
        return Reply(200, self._by_name_or_id(self.groups, key, "displayName", "group"))

    def list_drives(self, version: str, *, query: dict[str, Any], **_: Any) -> Reply:
        wanted = _drive_filter(query.get("$filter"))
        spaces = [s for s in self.spaces.values() if all(_matches(s, k, v) for k, v in wanted.items())]
        return Reply(200, {"value": [self.drive_json(s, beta=version == "v1beta1") for s in spaces]})

    def get_drive(self, drive_id: str, **_: Any) -> Reply:
        if drive_id not in self.spaces:
            raise Rejected(404, "itemNotFound", "no drive returned from storage")
        return Reply(200, self.drive_json(self.spaces[drive_id], beta=False))

    def create_drive(self, *, body: dict[str, Any], **_: Any) -> Reply:
        _strict(body, "invalid body schema definition")
        name = _space_name(body.get("name", ""), "invalidRequest", "invalid spacename: ")
        if body.get("driveType", "project") != "project":
            raise Rejected(
                400, "invalidRequest", "drives of this type cannot be created via this api", invalid=True
            )
        total = body.get("quota", {}).get("total")
        quota = total if total is not None and total >= 0 else self.default_quota
        self._within_max_quota(quota, "invalidRequest")
        space_id = f"{STORAGE_ID}${uuid.uuid4()}"
        alias = body.get("driveAlias") or f"project/{name.lower().replace(' ', '-')}"
        space = Space(space_id, name, alias, quota, body.get("description"))
        space.grants[ADMIN_ID] = ("user", MANAGER)  # the creator manages the space it made
        self.spaces[space_id] = space
        return Reply(201, self.drive_json(space, beta=False))

    def update_drive(self, drive_id: str, *, headers: Headers, body: dict[str, Any], **_: Any) -> Reply:
        space = self._space(drive_id)
        _strict(body, 'invalid request body: error: json: unknown field "{}"')
        if body.get("name"):
            space.name = _space_name(body["name"], "generalException", "")
        if "quota" in body and body["quota"].get("total") is not None:
            self._within_max_quota(body["quota"]["total"], "notAllowed")
            space.quota = body["quota"]["total"]
        if "description" in body:
            space.description = body["description"]
        if body.get("driveAlias"):
            space.alias = body["driveAlias"]
        if go_bool(headers.get("Restore")):
            space.disabled = False
        return Reply(200, self.drive_json(space, beta=False))

    def delete_drive(self, drive_id: str, *, headers: Headers, **_: Any) -> Reply:
        space = self._space(drive_id)
        if not go_bool(headers.get("Purge")):
            space.disabled = True
        elif not space.disabled:
            raise Rejected(400, "invalidRequest", "error: bad request: can't purge enabled space")
        else:
            del self.spaces[drive_id]
        return Reply(204, {})

    def list_permissions(self, drive_id: str, **_: Any) -> Reply:
        space = self._enabled_space(drive_id, missing="getting space")
        value = [self._permission(space, pid, beta=True) for pid in self._grant_order(space)]
        return Reply(200, {**_ALLOWED_VALUES, "value": value})

    def invite(self, drive_id: str, *, body: dict[str, Any], **_: Any) -> Reply:
        space = self._enabled_space(drive_id, missing="getting space")
        recipients, roles = body.get("recipients") or [], body.get("roles") or []
        if not recipients or len(roles) != 1 or roles[0] not in ROLES:
            raise Rejected(
                400, "invalidRequest", "one recipient and one space role are required", invalid=True
            )
        recipient = recipients[0]  # OCIS acts on the first recipient only
        kind = recipient.get("@libre.graph.recipient.type", "user")
        directory = self.groups if kind == "group" else self.users
        if recipient.get("objectId") not in directory:
            raise Rejected(400, "invalidRequest", "itemNotFound: not found")
        if recipient["objectId"] in space.grants:
            raise Rejected(409, "nameAlreadyExists", f"add grant: error: already exists:{space.name}")
        space.grants[recipient["objectId"]] = (kind, roles[0])
        granted = self._permission(space, recipient["objectId"], beta=True)
        invited_by = {"user": _identity(self.users[ADMIN_ID], "user")}
        return Reply(200, {"value": [{**granted, "invitation": {"invitedBy": invited_by}}]})

    def update_permission(
        self, drive_id: str, permission_id: str, *, body: dict[str, Any], **_: Any
    ) -> Reply:
        space = self._space(drive_id)
        if space.disabled:  # the root cannot be stat'ed
            raise Rejected(
                500, "generalException", "unexpected status code while getting resource: CODE_NOT_FOUND"
            )
        principal = permission_id.partition(":")[2]
        if permission_id[:2] not in {"u:", "g:"} or principal not in space.grants:
            message = f'error: not found: no shares found by id:opaque_id:"{permission_id}"'
            raise Rejected(404, "itemNotFound", message)
        if set(body) - {"roles", "expirationDateTime"} or len(body.get("roles", [])) != 1:
            raise Rejected(400, "invalidRequest", "only one role may be set", invalid=True)
        if body["roles"][0] not in ROLES:
            raise Rejected(400, "invalidRequest", "role not applicable to this resource", invalid=True)
        space.grants[principal] = (space.grants[principal][0], body["roles"][0])
        return Reply(200, self._permission(space, principal, beta=True))

    def delete_permission(self, drive_id: str, permission_id: str, **_: Any) -> Reply:
        space = self._space(drive_id)
        principal = permission_id.partition(":")[2]
        if space.disabled or permission_id[:2] not in {"u:", "g:"} or principal not in space.grants:
            # OCIS 8.2 answers a grant that is gone (or any grant of a disabled space) so, never 404.
            message = "rpc error: code = Unknown desc = gateway: error getting grant to remove from storage"
            raise Rejected(500, "generalException", message)
        del space.grants[principal]
        return Reply(204, {})

    def drive_json(self, space: Space, *, beta: bool) -> dict[str, Any]:
        space_uuid = space.id.partition("$")[2]
        root: dict[str, Any] = {
            "eTag": f'"{_etag(space)}"',
            "id": space.id,
            "webDavUrl": f"https://localhost:9200/dav/spaces/{space.id}",
        }
        if space.grants:
            root["permissions"] = [self._permission(space, p, beta=beta) for p in self._grant_order(space)]
        quota: dict[str, Any] = {"total": space.quota or 0}
        if space.disabled:
            root["deleted"] = {"state": "trashed"}  # and OCIS reads no usage of a disabled space
        else:
            used = space.files * FILE_SIZE
            quota |= {"used": used, "remaining": max((space.quota or 0) - used, 0), "state": "normal"}
        drive = {"id": space.id, "name": space.name, "driveType": "project", "driveAlias": space.alias}
        drive |= {
            "lastModifiedDateTime": space.modified,
            "owner": {"user": {"displayName": "", "id": space_uuid}},
        }
        drive |= {"quota": quota, "root": root, "webUrl": f"https://localhost:9200/f/{space.id}"}
        if space.description:  # OCIS leaves an empty description out
            drive["description"] = space.description
        return drive

    # --- helpers ------------------------------------------------------------------------------------------

    def _by_name_or_id(self, table: dict[str, dict[str, str]], key: str, name: str, kind: str) -> dict:
        found = table.get(key) or next((e for e in table.values() if e[name] == key), None)
        if found is None:
            raise Rejected(404, "itemNotFound", "not found")
        return found

    def _space(self, drive_id: str) -> Space:
        if drive_id not in self.spaces:
            raise Rejected(404, "itemNotFound", "drive not found")
        return self.spaces[drive_id]

    def _enabled_space(self, drive_id: str, *, missing: str = "drive not found") -> Space:
        if drive_id not in self.spaces:
            raise Rejected(404, "itemNotFound", missing)
        space = self.spaces[drive_id]
        if space.disabled:  # its root cannot be stat'ed
            raise Rejected(404, "itemNotFound", f"stat: error: not found: {drive_id.partition('$')[2]}")
        if ADMIN_ID not in space.grants:
            # Neither Space Admin nor Admin may see the grants of a space they are no member of: only the
            # space's own managers can (OCIS 8.2 answers as if its root did not exist).
            root = f"{drive_id}!{drive_id.partition('$')[2]}"
            raise Rejected(404, "itemNotFound", f"stat: error: not found: {root}")
        return space

    @staticmethod
    def _grant_order(space: Space) -> list[str]:
        """Grants as OCIS lists them: by permission id, so groups (`g:`) before users (`u:`)."""
        return sorted(space.grants, key=lambda principal: f"{space.grants[principal][0][0]}:{principal}")

    def _within_max_quota(self, quota: int | None, code: str) -> None:
        if self.max_quota is not None and quota is not None and quota > self.max_quota:
            raise Rejected(400, code, "decompsedFS: requested quota is higher than allowed")

    def _permission(self, space: Space, principal: str, *, beta: bool) -> dict[str, Any]:
        kind, role = space.grants[principal]
        entry = (self.groups if kind == "group" else self.users).get(principal, {"id": principal})
        identity = {kind: _identity(entry, kind)}
        if beta:
            return {"grantedToV2": identity, "id": f"{kind[0]}:{principal}", "roles": [role]}
        return {"grantedToIdentities": [identity], "grantedToV2": identity, "roles": [ROLES[role]]}


def _etag(space: Space) -> str:
    """Changes whenever the space does, as the root's eTag on the real server."""
    state = (space.name, space.description, space.quota, sorted(space.grants.items()), space.disabled)
    return uuid.uuid5(uuid.NAMESPACE_URL, f"{space.id}{state}{space.files}").hex


def _identity(entry: dict[str, Any], kind: str) -> dict[str, Any]:
    identity = {"displayName": entry.get("displayName", ""), "id": entry["id"]}
    return {"@libre.graph.userType": "Member", **identity} if kind == "user" else identity


# What OCIS 8.2 lists next to a space root's grants: the actions and the roles a grant may have there.
_ACTIONS = ("permissions/create", "children/create", "standard/delete", "path/read", "quota/read")
_ACTIONS += ("content/read", "upload/create", "permissions/read", "children/read", "versions/read")
_ACTIONS += ("deleted/read", "path/update", "permissions/delete", "deleted/delete", "versions/update")
_ACTIONS += ("deleted/update", "basic/read", "permissions/update", "permissions/deny")
_ROLE_TEXTS = {
    "viewer": ("View and download.", "Can view"),
    "editor": (
        "View, download, upload, edit, add, delete, show all versions and restore from trash bin.",
        "Can edit with versions and trash bin",
    ),
    "manager": (
        "View, download, upload, edit, add, delete, show all versions, restore from trash bin, empty the "
        "trash bin and manage members.",
        "Can manage",
    ),
}
_ALLOWED_VALUES = {
    "@libre.graph.permissions.actions.allowedValues": [f"libre.graph/driveItem/{a}" for a in _ACTIONS],
    "@libre.graph.permissions.roles.allowedValues": [
        {"@libre.graph.weight": weight, "description": text, "displayName": shown, "id": role_id}
        for weight, (role_id, name) in enumerate(ROLES.items(), start=1)
        for text, shown in [_ROLE_TEXTS[name]]
    ],
}


def _strict(body: dict[str, Any], message: str) -> None:
    """OCIS decodes drive bodies with unknown fields disallowed; Go's decoder names the first it meets."""
    unknown = [key for key in body if key not in _DRIVE_FIELDS]
    if unknown:
        raise Rejected(400, "invalidRequest", message.format(unknown[0]), invalid=True)


def _space_name(raw: str, code: str, prefix: str) -> str:
    """OCIS's validateSpaceName, with the error code the calling handler renders it with."""
    name = raw.strip()
    if not name:
        raise Rejected(400, code, prefix + "spacename must not be empty", invalid=True)
    if len(name) > 255:
        raise Rejected(400, code, prefix + "spacename must be smaller than 255", invalid=True)
    if any(c in name for c in _FORBIDDEN):
        # Go's %v of a string slice: `[/ \ . : ? * " > < |]`
        raise Rejected(
            400, code, prefix + f"spacenames must not contain [{' '.join(_FORBIDDEN)}]", invalid=True
        )
    return name


def _drive_filter(raw: str | None) -> dict[str, str]:
    """What OCIS makes of a drives `$filter`: `driveType eq '…'` or `id eq '…'`; other `eq` terms are ignored."""
    if not raw:
        return {}
    match = re.fullmatch(r"\s*(\w+)\s+(\w+)\s+'([^']*)'\s*", raw)
    if match is None or match.group(2) != "eq":
        raise Rejected(501, "notSupported", f"unsupported filter operand: {raw}", invalid=True)
    prop, _, value = match.groups()
    return {prop: value} if prop in {"driveType", "id"} else {}


def _matches(space: Space, prop: str, value: str) -> bool:
    return value == ("project" if prop == "driveType" else space.id)


_DRIVE = r"/v1\.0/drives/([^/]+)"
_ROOT = r"/v1beta1/drives/([^/]+)/root"
_ROUTES = [
    (r"/v1\.0/me", "GET", OcisState.me),
    (r"/v1\.0/users/([^/]+)", "GET", OcisState.get_user),
    (r"/v1\.0/groups/([^/]+)", "GET", OcisState.get_group),
    (r"/(v1\.0|v1beta1)/drives", "GET", OcisState.list_drives),
    (r"/v1\.0/drives", "POST", OcisState.create_drive),
    (_DRIVE, "GET", OcisState.get_drive),
    (_DRIVE, "PATCH", OcisState.update_drive),
    (_DRIVE, "DELETE", OcisState.delete_drive),
    (_ROOT + "/permissions", "GET", OcisState.list_permissions),
    (_ROOT + "/invite", "POST", OcisState.invite),
    (_ROOT + r"/permissions/([^/]+)", "PATCH", OcisState.update_permission),
    (_ROOT + r"/permissions/([^/]+)", "DELETE", OcisState.delete_permission),
]
