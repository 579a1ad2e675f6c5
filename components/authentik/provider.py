"""Pulumi dynamic providers for a tenant's brand, groups and users in Authentik.

Every object is found by its natural key (brand domain, group name, username), so an existing identical object
is adopted instead of duplicated. Objects refer to each other by natural key too (a user's groups by name, a
brand's flows by slug); the providers resolve them to the server's ids when writing and back when reading, so
state and previews stay readable and survive an object being recreated. The API token comes from the stack
configuration in `configure`, never from resource inputs.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, cast

from pulumi.dynamic import CheckFailure

from components.authentik import normalise
from components.authentik.client import (
    AuthentikClient,
    AuthentikSettings,
    authentik_settings_from_config,
)
from components.authentik.wire import BrandRequest, GroupRequest, User, UserRequest
from components.common.http import ApiError, OutcomeUnknown
from components.common.provider import ObjectProvider

BRAND_FLOWS = ("flow_authentication", "flow_invalidation", "flow_user_settings")
CREATE_ATTEMPTS = 5  # as the shared `send` retries every other call


class MissingObjectError(LookupError):
    """An object the declared one refers to is not on the server (a built-in flow, a tenant group...)."""


class AuthentikProvider(ObjectProvider):
    service = "Authentik"

    def settings_from_config(self, config: Any) -> AuthentikSettings:
        return authentik_settings_from_config(config)

    @contextmanager
    def session(self) -> Iterator[AuthentikClient]:
        with AuthentikClient(self.settings) as client:
            yield client

    def create_or_recover(
        self, create: Callable[[], Any], find: Callable[[], Any], sent: dict[str, Any]
    ) -> Any:
        """Create the object, idempotently under a lost reply. When the answer to a create never came
        (`OutcomeUnknown`), look the object up by its natural key before sending it again: it may have been
        made. When the server refuses a create because the object exists (a retry by someone else met its
        first attempt), take it if it holds what was sent. Either way an object that differs is reported,
        never duplicated or overwritten."""
        for attempt in range(CREATE_ATTEMPTS):
            try:
                return create()
            except OutcomeUnknown:
                found = find()
                if found is not None:
                    if _holds(found, sent):
                        return found
                    raise
                if attempt == CREATE_ATTEMPTS - 1:
                    raise
                time.sleep(0.2 * 2**attempt)
            except ApiError as exc:
                if exc.status != 400:
                    raise
                found = find()
                if found is None or not _holds(found, sent):
                    raise
                return found
        raise AssertionError("unreachable")


def plain(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A wire object as a plain dict, to merge with values resolved from its references."""
    return dict(obj)


def _holds(found: dict[str, Any], sent: dict[str, Any]) -> bool:
    def comparable(value: Any) -> Any:
        if isinstance(value, list):
            return sorted(json.dumps(item, sort_keys=True) for item in value)
        return value

    # A key the server does not answer is one it does not hold (`grant_types` before 2026.5 final): it
    # cannot disagree with what was sent.
    return all(comparable(found[key]) == comparable(value) for key, value in sent.items() if key in found)


def flow_pk(client: AuthentikClient, slug: str | None) -> str | None:
    if not slug:
        return None
    for flow in client.flows():
        if flow["slug"] == slug:
            return flow["pk"]
    raise MissingObjectError(f"Authentik has no flow `{slug}`; the default blueprints create it")


def flow_slug(client: AuthentikClient, pk: str | None) -> str | None:
    """The slug of a flow the server refers to; an unknown id is shown as it is rather than hidden."""
    if not pk:
        return None
    return next((flow["slug"] for flow in client.flows() if flow["pk"] == pk), pk)


def group_uuids(client: AuthentikClient, names: list[str]) -> dict[str, str]:
    found = {}
    for name in names:
        group = client.find_group(name)
        if group is None:
            raise MissingObjectError(f"Authentik has no group `{name}`")
        found[name] = group["pk"]
    return found


class BrandProvider(AuthentikProvider):
    """The tenant's brand: the portal host's title, logo and flows."""

    replace_keys = ("domain",)

    def object_id(self, props: dict[str, Any]) -> str:
        return normalise.domain(props["domain"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "domain": normalise.domain(props["domain"]),
            "default": bool(props.get("default", False)),
            "branding_title": str(props["branding_title"]),
            "branding_logo": str(props["branding_logo"]),
            "branding_favicon": str(props["branding_favicon"]),
            **{key: props.get(key) or None for key in BRAND_FLOWS},
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        if not normalise.domain(props.get("domain", "")):
            failures.append(CheckFailure("domain", "a brand needs the domain it answers on"))
        if not str(props.get("branding_title", "")).strip():
            failures.append(CheckFailure("branding_title", "a brand needs a title"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            brand = client.find_brand(object_id)
            if brand is None:
                return None
            server = {**plain(brand), **{key: flow_slug(client, plain(brand)[key]) for key in BRAND_FLOWS}}
        return {**self.normalise(server), "brand_uuid": brand["brand_uuid"]}

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        with self.session() as client:
            body = cast(
                BrandRequest, {**wanted, **{key: flow_pk(client, wanted[key]) for key in BRAND_FLOWS}}
            )
            current = client.find_brand(wanted["domain"])
            if current is not None:
                return {"brand_uuid": client.update_brand(current["brand_uuid"], body)["brand_uuid"]}
            brand = self.create_or_recover(
                lambda: client.create_brand(body), lambda: client.find_brand(wanted["domain"]), dict(body)
            )
        return {"brand_uuid": brand["brand_uuid"]}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.session() as client:
            brand = client.find_brand(object_id)
            if brand is not None:
                client.delete_brand(brand["brand_uuid"])


class GroupProvider(AuthentikProvider):
    """One of the tenant's groups. Its members are managed by the users, one membership each."""

    replace_keys = ("name",)
    renames = True  # a renamed tenant's group: the same group, its members kept

    def object_id(self, props: dict[str, Any]) -> str:
        return str(props["name"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"name": str(props["name"]), "is_superuser": bool(props.get("is_superuser", False))}

    def rename(self, old_id: str, props: dict[str, Any]) -> bool:
        with self.session() as client:
            group = client.find_group(old_id)
            if group is None:
                return False
            client.update_group(group["pk"], cast(GroupRequest, {"name": self.object_id(props)}))
        return True

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            group = client.find_group(object_id)
        return None if group is None else {**self.normalise(dict(group)), "group_uuid": group["pk"]}

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        body = cast(GroupRequest, self.normalise(props))
        with self.session() as client:
            current = client.find_group(body["name"])
            if current is not None:
                return {"group_uuid": client.update_group(current["pk"], body)["pk"]}
            group = self.create_or_recover(
                lambda: client.create_group(body), lambda: client.find_group(body["name"]), dict(body)
            )
        return {"group_uuid": group["pk"]}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.session() as client:
            group = client.find_group(object_id)
            if group is not None:
                client.delete_group(group["pk"])


class UserProvider(AuthentikProvider):
    """A tenant user: its account and its memberships among the tenant's groups (`managed_groups`).

    Memberships in groups the tenant does not own are left alone. A user the program adopted is never
    deleted: removing it from the tenant only takes it out of the tenant's groups.
    """

    replace_keys = ("username",)
    kept_state = ("created_by_program",)
    holds_data = True  # the login: password, second factors, consents
    renames = True  # a changed address: the same login under the new username

    def object_id(self, props: dict[str, Any]) -> str:
        return str(props["username"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        managed = normalise.names(props.get("managed_groups"))
        return {
            "username": str(props["username"]),
            "name": str(props["name"]),
            "email": str(props.get("email") or ""),
            "path": normalise.user_path(props.get("path") or "users"),
            "is_active": bool(props.get("is_active", True)),
            "type": str(props.get("type") or "internal"),
            "groups": [g for g in normalise.names(props.get("groups")) if g in managed],
            "managed_groups": managed,
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        path = str(props.get("path", ""))
        if path != path.strip("/") or "//" in path:
            failures.append(CheckFailure("path", f"`{path}` has leading, trailing or doubled slashes"))
        outside = set(props.get("groups") or ()) - set(props.get("managed_groups") or ())
        if outside:
            failures.append(
                CheckFailure("groups", f"not among the tenant's groups: {', '.join(sorted(outside))}")
            )
        return failures

    def adoptable(self, existing: dict[str, Any], wanted: dict[str, Any]) -> bool:
        # Creating a user takes several calls: the account, then one per group. An account with the declared
        # identity under the tenant's own path, in only some of the declared groups, is what an earlier
        # create left when it stopped half-way (a killed run); the next up finishes it.
        same = all(existing.get(key) == wanted[key] for key in ("username", "name", "email", "path", "type"))
        return same and set(existing.get("groups") or ()) <= set(wanted["groups"])

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            user = client.find_user(object_id)
        if user is None:
            return None
        server = {**user, "groups": _group_names(user), "managed_groups": props.get("managed_groups")}
        return {
            **self.normalise(server),
            "pk": user["pk"],
            "created_by_program": bool(props.get("created_by_program")),
        }

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        body = cast(UserRequest, {key: wanted[key] for key in UserRequest.__annotations__})
        with self.session() as client:
            current = client.find_user(wanted["username"])
            if current is None:
                user = self.create_or_recover(
                    lambda: client.create_user(body), lambda: client.find_user(body["username"]), dict(body)
                )
            else:
                user = client.update_user(current["pk"], body)
            self._set_memberships(client, user, wanted)
        # Only a creation sets the mark; an update keeps what the state says (`kept_state`).
        return {"pk": user["pk"], **({"created_by_program": True} if current is None else {})}

    def rename(self, old_id: str, props: dict[str, Any]) -> bool:
        wanted = self.normalise(props)
        with self.session() as client:
            user = client.find_user(old_id)
            if user is None:
                return False
            client.update_user(
                user["pk"], cast(UserRequest, {"username": wanted["username"], "email": wanted["email"]})
            )
        return True

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.session() as client:
            user = client.find_user(object_id)
            if user is None:
                return
            if props.get("created_by_program"):
                client.delete_user(user["pk"])
                return
            leave = {**self.normalise(props), "groups": []}
            self._set_memberships(client, user, leave)

    def _set_memberships(self, client: AuthentikClient, user: User, wanted: dict[str, Any]) -> None:
        has = set(_group_names(user))
        uuids = group_uuids(
            client, [g for g in wanted["managed_groups"] if g in has or g in wanted["groups"]]
        )
        for name in wanted["groups"]:
            if name not in has:
                client.add_user_to_group(uuids[name], user["pk"])
        for name in wanted["managed_groups"]:
            if name in has and name not in wanted["groups"]:
                client.remove_user_from_group(uuids[name], user["pk"])


def _group_names(user: User) -> list[str]:
    return [group["name"] for group in user.get("groups_obj") or ()]
