"""Pulumi dynamic providers for Storage Boxes and their subaccounts (one subaccount per purpose).

The API token comes from the stack configuration in `configure` (`dezky:hetznerToken`, optionally
`dezky:storageBoxEndpoint`). Passwords are generated here when a box or subaccount is created and leave the
provider only as outputs the resources mark secret; the API never returns them, so state carries them on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from components.common.provider import ConflictError
from hetzner.common import EstateObjectProvider, new_password
from hetzner.storage_box.client import (
    DEFAULT_ENDPOINT,
    BoxAccess,
    StorageBoxApiSettings,
    StorageBoxClient,
    SubaccountAccess,
    WireStorageBox,
    WireSubaccount,
)

BOX_ACCESS_KEYS = ("reachable_externally", "samba_enabled", "ssh_enabled", "webdav_enabled", "zfs_enabled")
SUBACCOUNT_ACCESS_KEYS = (
    "reachable_externally",
    "samba_enabled",
    "ssh_enabled",
    "webdav_enabled",
    "readonly",
)
_SSH_KEY_TYPES = (
    "ssh-ed25519 ",
    "ssh-rsa ",
    "ecdsa-sha2-nistp256 ",
    "ecdsa-sha2-nistp384 ",
    "ecdsa-sha2-nistp521 ",
)


def storage_box_settings_from_config(config: Any) -> StorageBoxApiSettings:
    poll = float(config.get("dezky:estatePollSeconds") or 5.0)
    return StorageBoxApiSettings(
        token=config.require("dezky:hetznerToken"),
        endpoint=config.get("dezky:storageBoxEndpoint") or DEFAULT_ENDPOINT,
        poll_interval=poll,
        action_timeout=max(900.0, 60 * poll),
    )


class _StorageBoxProvider(EstateObjectProvider):
    service = "Hetzner Storage Box"
    kept_state = ("password",)
    secret_outputs = ("password",)

    def settings_from_config(self, config: Any) -> StorageBoxApiSettings:
        return storage_box_settings_from_config(config)

    def client(self) -> StorageBoxClient:
        return StorageBoxClient(self.settings)


class StorageBoxProvider(_StorageBoxProvider):
    """One Storage Box, by name: its location and type, access settings and the SSH keys it is ordered with."""

    replace_keys = ("name", "location")  # a box cannot move; replacing it would lose its backups

    def object_id(self, props: dict[str, Any]) -> str:
        return str(props["name"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "name": str(props["name"]),
            "location": str(props["location"]).lower(),
            "storage_box_type": str(props["storage_box_type"]).lower(),
            "ssh_keys": sorted(" ".join(str(key).split()) for key in props.get("ssh_keys") or []),
            "access_settings": _access(props.get("access_settings") or {}, BOX_ACCESS_KEYS),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        keys = props.get("ssh_keys") or []
        bad = [str(key)[:24] for key in keys if not str(key).strip().startswith(_SSH_KEY_TYPES)]
        return [CheckFailure("ssh_keys", f"not OpenSSH public keys: {bad}")] if bad else []

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.client() as api:
            box = api.find_box(object_id)
        return None if box is None else self._observed(box, props)

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        with self.client() as api:
            box = api.find_box(wanted["name"])
            if box is None and existing is None:
                return self._ordered(api, wanted)
            if box is None:
                raise _gone(f"Storage Box {wanted['name']}")
            if box["storage_box_type"]["name"] != wanted["storage_box_type"]:
                api.change_type(box["id"], wanted["storage_box_type"])
            if _access(box["access_settings"], BOX_ACCESS_KEYS) != wanted["access_settings"]:
                api.update_access_settings(box["id"], BoxAccess(**wanted["access_settings"]))
            if existing is not None and existing.get("ssh_keys") != wanted["ssh_keys"]:
                pulumi.log.warn(
                    f"Storage Box {wanted['name']}: the API sets SSH keys only when a box is ordered; "
                    "add the new keys to .ssh/authorized_keys on the box over SFTP."
                )
            return self._observed(api.get_box(box["id"]), props)

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.client() as api:
            box = api.find_box(object_id)
            if box is not None:
                api.delete_box(box["id"])

    def _ordered(self, api: StorageBoxClient, wanted: dict[str, Any]) -> dict[str, Any]:
        password = new_password()
        box = api.create_box(
            {
                "name": wanted["name"],
                "password": password,
                "location": wanted["location"],
                "storage_box_type": wanted["storage_box_type"],
                "ssh_keys": wanted["ssh_keys"],
                "access_settings": BoxAccess(**wanted["access_settings"]),
                "labels": {"managed-by": "dezky"},
            }
        )
        return {**self._observed(box, wanted), "password": password}

    def _observed(self, box: WireStorageBox, props: Mapping[str, Any]) -> dict[str, Any]:
        return {
            "name": box["name"],
            "location": box["location"]["name"],
            "storage_box_type": box["storage_box_type"]["name"],
            # The API never returns a box's SSH keys; what the program declared is all that can be said.
            "ssh_keys": self.normalise(dict(props))["ssh_keys"],
            "access_settings": _access(box["access_settings"], BOX_ACCESS_KEYS),
            "box_id": box["id"],
            "username": box["username"],
            "server": box["server"],
        }


class SubaccountProvider(_StorageBoxProvider):
    """One subaccount of a Storage Box, by name (its purpose): home directory, access settings, description."""

    replace_keys = ("storage_box_id", "name")

    def object_id(self, props: dict[str, Any]) -> str:
        return f"{int(props['storage_box_id'])}/{props['name']}"

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "storage_box_id": _box_id(props["storage_box_id"]),
            "name": str(props["name"]),
            "home_directory": str(props["home_directory"]).strip("/"),
            "access_settings": _access(props.get("access_settings") or {}, SUBACCOUNT_ACCESS_KEYS),
            "description": str(props.get("description") or ""),
        }

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        box_id, name = object_id.split("/", 1)
        with self.client() as api:
            found = api.find_subaccount(int(box_id), name)
        return None if found is None else _subaccount_props(found)

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        box_id = wanted["storage_box_id"]
        with self.client() as api:
            found = api.find_subaccount(box_id, wanted["name"])
            if found is None and existing is not None:
                raise _gone(f"subaccount {wanted['name']} of Storage Box {box_id}")
            if found is None:
                password = new_password()
                created = api.create_subaccount(box_id, {**_new_subaccount(wanted), "password": password})
                return {**_subaccount_props(created), "password": password}
            current = _subaccount_props(found)
            if current["home_directory"] != wanted["home_directory"]:
                api.change_home_directory(box_id, found["id"], wanted["home_directory"])
            if current["access_settings"] != wanted["access_settings"]:
                access = SubaccountAccess(**wanted["access_settings"])
                api.update_subaccount_access(box_id, found["id"], access)
            if current["description"] != wanted["description"]:
                api.update_description(box_id, found["id"], wanted["description"])
            return _subaccount_props(api.get_subaccount(box_id, found["id"]))

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        box_id, name = object_id.split("/", 1)
        with self.client() as api:
            found = api.find_subaccount(int(box_id), name)
            if found is not None:
                api.delete_subaccount(int(box_id), found["id"])


def _gone(what: str) -> ConflictError:
    # Re-creating it here would hand out a new password while the state keeps the old one.
    return ConflictError(
        f"Hetzner Storage Box: {what} is gone; run `pulumi refresh`, then `up` re-creates it."
    )


def _new_subaccount(wanted: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": wanted["name"],
        "home_directory": wanted["home_directory"],
        "access_settings": SubaccountAccess(**wanted["access_settings"]),
        "description": wanted["description"],
        "labels": {"managed-by": "dezky"},
    }


def _subaccount_props(found: WireSubaccount) -> dict[str, Any]:
    return {
        "storage_box_id": found["storage_box"],
        "name": found["name"],
        "home_directory": found["home_directory"].strip("/"),
        "access_settings": _access(found["access_settings"], SUBACCOUNT_ACCESS_KEYS),
        "description": found["description"] or "",
        "subaccount_id": found["id"],
        "username": found["username"],
        "server": found["server"],
    }


def _box_id(value: Any) -> Any:
    """The box's id as a number; while a preview does not know it yet, Pulumi's placeholder as it is."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return value


def _access(settings: Mapping[str, Any], keys: tuple[str, ...]) -> dict[str, bool]:
    """Every access flag spelled out, so a flag the server adds or omits compares as off."""
    return {key: bool(settings.get(key, False)) for key in keys}
