"""Pulumi dynamic provider for OCIS project spaces: one resource per space, with its quota, members and state.

The natural key is the space's `driveAlias`, `project/<tenant slug>.<name label>`: OCIS stores an alias given
at creation as is, returns it in every listing, and shows it only in URLs, so the display name stays the plain
space name the tenant chose (a name like `Nordlicht / Marketing` would not even be allowed: OCIS refuses `/` and
`.` in space names). Slugs contain no dot, so the key of one tenant can never be read as another's.

Suspension disables a space (`DELETE` without `Purge`): members lose access, files stay. Resuming restores it.
Destroying a space and its files needs the resource input `purge` to be true in the state, set by an `up`
before the space leaves the program; otherwise `delete` refuses and says how to allow it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
from pulumi.dynamic import CheckFailure

from components.common.http import ApiError
from components.common.provider import ObjectProvider
from components.ocis.client import (
    ROLE_IDS,
    Drive,
    DriveUpdate,
    NewDrive,
    OcisClient,
    OcisSettings,
    is_disabled,
)
from components.ocis.members import (
    Directory,
    grants_of,
    normalise_members,
    observed_members,
    pending_members,
    sync_members,
)

FORBIDDEN_IN_NAMES = ("/", "\\", ".", ":", "?", "*", '"', ">", "<", "|")  # ocis drives.go validateSpaceName
_SLUG = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_PRINCIPAL = re.compile(r"^(user|group):\S+$")


def ocis_settings_from_config(config: Any) -> OcisSettings:
    """`dezky:ocisUrl`, `dezky:ocisUser` (the service account's username) and `dezky:ocisToken` (an app token
    of that account, a secret): OCIS's proxy takes app tokens as HTTP Basic only."""
    return OcisSettings(
        url=config.require("dezky:ocisUrl"),
        user=config.require("dezky:ocisUser"),
        token=config.require("dezky:ocisToken"),
    )


def space_alias(slug: str, name: str) -> str:
    """`project/<slug>.<label>`, the label an ASCII rendering of the name (a hash when nothing is left of it)."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    label = re.sub(r"[^a-z0-9]+", "-", ascii_name).strip("-")
    return f"project/{slug}.{label or hashlib.sha256(name.encode()).hexdigest()[:12]}"


def name_problem(name: str) -> str | None:
    """Why OCIS would refuse this space name, or None."""
    if not name.strip():
        return "a space needs a name"
    if len(name.strip()) > 255:
        return "OCIS allows at most 255 characters in a space name"
    forbidden = [c for c in FORBIDDEN_IN_NAMES if c in name]
    if forbidden:
        return f"`{name}` cannot be an OCIS space name: it may not contain {' '.join(forbidden)}"
    return None


class PurgeRefused(Exception):
    """The program was asked to destroy a space and its files without the explicit opt-in."""


class SpaceError(Exception):
    """An OCIS call failed; names the tenant, the space and what OCIS said."""


def _named(wanted: dict[str, Any]) -> str:
    """The space as messages name it: tenant, name and alias."""
    return f"tenant {wanted['tenant']}, space {wanted['name']!r} ({wanted['alias']})"


class SpaceProvider(ObjectProvider):
    service = "OCIS"
    replace_keys = ("alias",)
    renames = True  # a renamed space keeps its id, and so its files, under the new name and alias

    def settings_from_config(self, config: Any) -> OcisSettings:
        return ocis_settings_from_config(config)

    def object_id(self, props: dict[str, Any]) -> str:
        return space_alias(str(props["tenant"]), str(props["name"]).strip())

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        if "tenant" not in props or "name" not in props:
            return {}  # `pulumi import` reads with no inputs: everything then comes from the server
        tenant, name = str(props["tenant"]), str(props["name"]).strip()
        return {
            "tenant": tenant,
            "alias": space_alias(tenant, name),
            "name": name,
            "description": str(props.get("description") or ""),
            "quota": int(props["quota"]),  # the engine sends numbers as floats
            "members": normalise_members(props.get("members")),
            "enabled": bool(props.get("enabled", True)),
            "purge": bool(props.get("purge", False)),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        if not _SLUG.match(str(props.get("tenant", ""))):
            failures.append(CheckFailure("tenant", f"`{props.get('tenant')}` is not a tenant slug"))
        if problem := name_problem(str(props.get("name", ""))):
            failures.append(CheckFailure("name", problem))
        quota = props.get("quota")
        if not isinstance(quota, int | float) or int(quota) <= 0:
            failures.append(CheckFailure("quota", "a space needs a quota of at least one byte"))
        failures += _member_failures(props.get("members") or [])
        return failures

    def adoptable(self, existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
        # Creating a space takes several calls (create, invite each member, maybe disable). A space under our
        # key with the declared name, description and quota was made by an earlier create that stopped half-way.
        return all(existing.get(key) == wanted[key] for key in ("name", "description", "quota"))

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        wanted = self._wanted(object_id, props)
        # On refresh, props are the state, whose members are what OCIS had: keep asking about the pending ones.
        still_pending = list(props.get("pending_members") or [])
        with self._session(wanted) as (client, directory):
            drive = _find(client, wanted["alias"])
            return None if drive is None else _observe(drive, wanted, directory, still_pending)

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        with self._session(wanted) as (client, directory):
            drive = _find(client, wanted["alias"]) or client.create_drive(_new_drive(wanted))
            if wanted["enabled"] and is_disabled(drive):
                client.restore_drive(drive["id"])  # first, so members can be changed
            if changes := _property_changes(drive, wanted):
                client.update_drive(drive["id"], changes)
            if wanted["enabled"] or not is_disabled(drive):
                sync_members(client, drive["id"], wanted["members"], directory)
            if not wanted["enabled"] and not is_disabled(drive):
                client.disable_drive(drive["id"])  # last, once members and quota are as declared
            written = _find(client, wanted["alias"])
            if written is None:
                raise SpaceError(f"{_named(wanted)}: the space vanished while it was being written")
            return _observe(written, wanted, directory)

    def rename(self, old_id: str, props: dict[str, Any]) -> bool:
        wanted = self.normalise(props)
        with self._session(wanted) as (client, _):
            drive = _find(client, old_id)
            if drive is None:
                return False
            client.update_drive(drive["id"], DriveUpdate(name=wanted["name"], driveAlias=wanted["alias"]))
        return True

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        wanted = self._wanted(object_id, props)
        if not wanted["purge"]:
            raise PurgeRefused(_purge_refusal(wanted))
        with self._session(wanted) as (client, _):
            drive = _find(client, wanted["alias"])
            if drive is None:
                return
            if not is_disabled(drive):
                client.disable_drive(drive["id"])  # OCIS purges disabled spaces only
            client.purge_drive(drive["id"])

    def _wanted(self, object_id: str, props: dict[str, Any]) -> dict[str, Any]:
        """Normalised props; on import there are none, and the key alone names the space."""
        if "tenant" in props and "name" in props:
            return self.normalise(props)
        slug = object_id.removeprefix("project/").split(".", 1)[0]
        return {"tenant": slug, "alias": object_id, "name": object_id, "members": [], "purge": False}

    @contextmanager
    def _session(self, wanted: dict[str, Any]) -> Iterator[tuple[OcisClient, Directory]]:
        try:
            with OcisClient(self.settings) as client:
                yield client, Directory(client)
        except ApiError as exc:
            raise SpaceError(f"{_named(wanted)}: {exc}") from exc
        except httpx.HTTPError as exc:  # no answer at all, after the retries
            problem = f"{type(exc).__name__}: {exc}"
            raise SpaceError(
                f"{_named(wanted)}: OCIS at {self.settings.url} did not answer ({problem})"
            ) from exc


def _member_failures(members: list[Any]) -> list[CheckFailure]:
    failures, seen = [], set()
    for member in members:
        principal, role = str(member.get("principal", "")), str(member.get("role", ""))
        if not _PRINCIPAL.match(principal):
            failures.append(CheckFailure("members", f"`{principal}` is not user:<username> or group:<name>"))
        if role not in ROLE_IDS:
            failures.append(CheckFailure("members", f"`{role}` is not one of {', '.join(ROLE_IDS)}"))
        if principal.lower() in seen:
            failures.append(CheckFailure("members", f"`{principal}` is listed twice"))
        seen.add(principal.lower())
    return failures


def _find(client: OcisClient, alias: str) -> Drive | None:
    # OCIS filters drives by type or id only, so the alias is matched here.
    return next((d for d in client.project_drives() if d.get("driveAlias") == alias), None)


def _observe(
    drive: Drive, wanted: dict[str, Any], directory: Directory, still_pending: list[str] | None = None
) -> dict[str, Any]:
    """The space as OCIS has it, in the form `normalise` gives inputs, plus its id and pending members."""
    grants = grants_of(drive.get("root", {}).get("permissions") or [], directory.service_account())
    declared = [m["principal"] for m in wanted["members"]] + (still_pending or [])
    directory.resolve_all(declared)
    granted = observed_members(grants, directory)
    pending = pending_members(declared, granted, directory)
    # A member OCIS has no account for cannot hold a grant until their first log-in; counting their declared
    # grant as in place keeps the second preview empty. Once OCIS knows them they stop being pending, so a
    # refresh shows the missing grant and the next up gives it.
    members = normalise_members([*granted, *(m for m in wanted["members"] if m["principal"] in pending)])
    return {
        "tenant": wanted["tenant"],
        "alias": drive.get("driveAlias", wanted["alias"]),
        "name": drive.get("name", ""),
        "description": drive.get("description", ""),
        "quota": int(drive.get("quota", {}).get("total", 0)),
        "members": members,
        "enabled": not is_disabled(drive),
        "purge": wanted["purge"],
        "drive_id": drive["id"],
        "pending_members": pending,
    }


def _new_drive(wanted: dict[str, Any]) -> NewDrive:
    return NewDrive(
        name=wanted["name"],
        description=wanted["description"],
        driveAlias=wanted["alias"],
        driveType="project",
        quota={"total": wanted["quota"]},
    )


def _property_changes(drive: Drive, wanted: dict[str, Any]) -> DriveUpdate:
    changes = DriveUpdate()
    if drive.get("name") != wanted["name"]:
        changes["name"] = wanted["name"]
    if drive.get("description", "") != wanted["description"]:
        changes["description"] = wanted["description"]
    if drive.get("quota", {}).get("total") != wanted["quota"]:
        changes["quota"] = {"total": wanted["quota"]}
    return changes


def _purge_refusal(wanted: dict[str, Any]) -> str:
    return (
        f"OCIS: refusing to destroy {_named(wanted)} and the files in it.\n"
        f"To allow it, set `purge: true` on the space in tenants/{wanted['tenant']}.yaml (or, once the tenant is "
        "deleted and its retention has passed, `purge: true` on the tenant) and run `up` so the opt-in is "
        "recorded; the next `up` without the space then purges it. Until then the space stays as it is. "
        "(To rename a space instead, give it `renamed_from: <its previous name>`: it keeps its files.)"
    )
