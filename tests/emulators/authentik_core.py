"""Brands, groups and users of the Authentik emulator, with the rules the real serializers enforce.

Uniqueness (brand domain, group name, username), references that must exist, the single default brand and
the user path rules are checked here because the spec cannot say them; memberships live on the groups and are
shown on both sides, as the server shows them.
"""

from __future__ import annotations

import hashlib
from typing import Any

from tests.emulators.authentik_state import (
    NOW,
    UNIQUE,
    InstanceRecords,
    Json,
    Query,
    already_exists,
    boolean,
    equals,
    field_error,
    filtered,
    merge,
    new_uuid,
    no_such_pk,
    not_found,
    page,
)
from tests.emulators.loopback import Reply

_ANY = lambda obj, value: True  # noqa: E731  (options such as include_users, not filters)
_BRAND_FIELDS = (
    "domain",
    "default",
    "branding_title",
    "branding_logo",
    "branding_favicon",
    "branding_custom_css",
    "branding_default_flow_background",
    "flow_authentication",
    "flow_invalidation",
    "flow_recovery",
    "flow_unenrollment",
    "flow_user_settings",
    "flow_device_code",
    "flow_lockdown",
    "default_application",
    "web_certificate",
    "client_certificates",
    "attributes",
)
_FLOW_FIELDS = tuple(f for f in _BRAND_FIELDS if f.startswith("flow_"))
# What the lists that offer a query language (djangoql) answer as `autocomplete`, as 2026.5.0-rc1 does.
_STR = {"nullable": False, "options": None, "type": "str"}
_BOOL = {"nullable": True, "options": None, "type": "bool"}


def _attributes(model: str) -> Json:
    return {
        "nullable": False,
        "options": None,
        "relation": f"authentik_core.{model}_attributes",
        "type": "relation",
    }


GROUP_AUTOCOMPLETE = {
    "current_model": "authentik_core.group",
    "models": {
        "authentik_core.group": {"attributes": _attributes("group"), "is_superuser": _BOOL, "name": _STR}
    },
}
USER_AUTOCOMPLETE = {
    "current_model": "authentik_core.user",
    "models": {
        "authentik_core.user": {
            "attributes": _attributes("user"),
            "email": _STR,
            "is_active": _BOOL,
            "name": _STR,
            "path": _STR,
            "type": {
                **_STR,
                "options": ["internal", "external", "service_account", "internal_service_account"],
            },
            "username": _STR,
        }
    },
}
_USER_FIELDS = ("username", "name", "email", "is_active", "path", "type", "attributes", "last_login")


class CoreObjects(InstanceRecords):
    """The `/core/brands/`, `/core/groups/` and `/core/users/` endpoints over the instance's records."""

    # --- brands ---------------------------------------------------------------------------------------

    def list_brands(self, query: Query, **_: Any) -> Reply:
        filters = {"domain": equals("domain"), "default": lambda b, v: b["default"] == boolean(v)}
        return page([self.shown(b) for b in filtered(self.brands.values(), query, filters, "domain")], query)

    def create_brand(self, body: Json, **_: Any) -> Reply:
        defaults = {
            "brand_uuid": new_uuid(),
            "default": False,
            "branding_title": "authentik",
            "branding_logo": "/static/dist/assets/icons/icon_left_brand.svg",
            "branding_favicon": "/static/dist/assets/icons/icon.png",
            "branding_custom_css": "",
            "branding_default_flow_background": "/static/dist/assets/images/flow_background.jpg",
            **dict.fromkeys((*_FLOW_FIELDS, "default_application", "web_certificate")),
            "client_certificates": [],
            "attributes": {},
        }
        brand = self._checked_brand(merge(defaults, body, self.kept_fields(_BRAND_FIELDS)))
        self.brands[brand["brand_uuid"]] = brand
        return Reply(201, self.shown(brand))

    def get_brand(self, pk: str, **_: Any) -> Reply:
        return Reply(200, self.shown(self._brand(pk)))

    def update_brand(self, pk: str, body: Json, **_: Any) -> Reply:
        brand = self._checked_brand(merge(self._brand(pk), body, self.kept_fields(_BRAND_FIELDS)))
        self.brands[pk] = brand
        return Reply(200, self.shown(brand))

    def delete_brand(self, pk: str, **_: Any) -> Reply:
        del self.brands[self._brand(pk)["brand_uuid"]]
        return Reply(204, {})

    def _brand(self, pk: str) -> Json:
        if pk not in self.brands:
            raise not_found("Brand")
        return self.brands[pk]

    def _checked_brand(self, brand: Json) -> Json:
        others = [b for b in self.brands.values() if b["brand_uuid"] != brand["brand_uuid"]]
        if any(b["domain"] == brand["domain"] for b in others):
            raise field_error("domain", UNIQUE)  # a unique validator of the serializer, not the model
        if brand["default"] and any(b["default"] for b in others):
            raise field_error("default", "Only a single brand can be set as default.")
        for key in _FLOW_FIELDS:
            if brand[key] is not None and brand[key] not in self.flows:
                raise no_such_pk(key, brand[key])
        if brand["web_certificate"] is not None and brand["web_certificate"] not in self.keypairs:
            raise no_such_pk("web_certificate", brand["web_certificate"])
        return brand

    # --- groups ---------------------------------------------------------------------------------------

    def list_groups(self, query: Query, **_: Any) -> Reply:
        filters = {
            "name": equals("name"),
            "is_superuser": lambda g, v: g["is_superuser"] == boolean(v),
            "members_by_username": lambda g, v: any(self.users[u]["username"] == v for u in g["users"]),
            **dict.fromkeys(
                ("include_users", "include_children", "include_parents", "include_inherited_roles"), _ANY
            ),
        }
        groups = filtered(self.groups.values(), query, filters, "name")
        users = boolean(query.get("include_users", "true"))
        return page([self.group_json(g, include_users=users) for g in groups], query, GROUP_AUTOCOMPLETE)

    def create_group(self, body: Json, **_: Any) -> Reply:
        record = {
            "pk": new_uuid(),
            "name": "",
            "is_superuser": False,
            "parents": [],
            "users": [],
            "attributes": {},
        }
        group = self._checked_group(
            merge(record, body, ("name", "is_superuser", "parents", "users", "attributes"))
        )
        if body.get("roles"):
            raise no_such_pk("roles", body["roles"][0])
        self.groups[group["pk"]] = group
        return Reply(201, self.group_json(group))

    def get_group(self, pk: str, query: Query, **_: Any) -> Reply:
        return Reply(200, self.group_json(self._group(pk), boolean(query.get("include_users", "true"))))

    def update_group(self, pk: str, body: Json, **_: Any) -> Reply:
        fields = ("name", "is_superuser", "parents", "users", "attributes")
        group = self._checked_group(merge(self._group(pk), body, fields))
        if body.get("roles"):
            raise no_such_pk("roles", body["roles"][0])
        self.groups[pk] = group
        return Reply(200, self.group_json(group))

    def delete_group(self, pk: str, **_: Any) -> Reply:
        self._group(pk)
        del self.groups[pk]
        for binding in [b for b in self.bindings.values() if b["group"] == pk]:  # the FK cascades
            del self.bindings[binding["pk"]]
        for group in self.groups.values():
            group["parents"] = [p for p in group["parents"] if p != pk]
        return Reply(204, {})

    def add_user(self, pk: str, body: Json, **_: Any) -> Reply:
        group, user_pk = self._group(pk), body["pk"]
        if user_pk not in self.users:
            raise not_found()
        if user_pk not in group["users"]:
            group["users"] = [*group["users"], user_pk]
        return Reply(204, {})

    def remove_user(self, pk: str, body: Json, **_: Any) -> Reply:
        group, user_pk = self._group(pk), body["pk"]
        if user_pk not in self.users:
            raise not_found()
        group["users"] = [u for u in group["users"] if u != user_pk]
        return Reply(204, {})

    def group_json(self, group: Json, include_users: bool = True) -> Json:
        return {
            **group,
            "num_pk": int(str(int(group["pk"].replace("-", ""), 16))[:5]),
            "parents_obj": None,
            "children": [g["pk"] for g in self.groups.values() if group["pk"] in g["parents"]],
            "children_obj": None,
            "roles": [],
            "roles_obj": [],
            "inherited_roles_obj": None,
            "users_obj": [self.partial_user(self.users[u]) for u in group["users"]]
            if include_users
            else None,
        }

    def _group(self, pk: str) -> Json:
        if pk not in self.groups:
            raise not_found("Group")
        return self.groups[pk]

    def _checked_group(self, group: Json) -> Json:
        if any(g["name"] == group["name"] and g["pk"] != group["pk"] for g in self.groups.values()):
            raise already_exists("Group", "name")
        for user_pk in group["users"]:
            if user_pk not in self.users:
                raise no_such_pk("users", user_pk)
        for parent in group["parents"]:
            if parent not in self.groups or parent == group["pk"]:
                raise no_such_pk("parents", parent)
        return group

    # --- users ----------------------------------------------------------------------------------------

    def list_users(self, query: Query, **_: Any) -> Reply:
        filters = {
            "username": equals("username"),
            "email": equals("email"),
            "path": equals("path"),
            "path_startswith": lambda u, v: u["path"].startswith(v),
            "is_active": lambda u, v: u["is_active"] == boolean(v),
            "include_groups": _ANY,
            "include_roles": _ANY,
        }
        users = filtered(self.users.values(), query, filters, "username")
        shown = [self.user_json(u, boolean(query.get("include_groups", "true"))) for u in users]
        return page(shown, query, USER_AUTOCOMPLETE)

    def create_user(self, body: Json, **_: Any) -> Reply:
        pk = self.next_user_pk
        record = {
            "pk": pk,
            "email": "",
            "is_active": True,
            "path": "users",
            "type": "internal",
            "attributes": {},
        }
        user = self._checked_user({**record, "last_login": None, **merge({}, body, _USER_FIELDS)}, body)
        self.next_user_pk += 1
        self.users[pk] = user
        self._set_groups(pk, body)
        return Reply(201, self.user_json(user))

    def get_user(self, pk: str, **_: Any) -> Reply:
        return Reply(200, self.user_json(self._user(int(pk))))

    def update_user(self, pk: str, body: Json, **_: Any) -> Reply:
        user = self._checked_user(merge(self._user(int(pk)), body, _USER_FIELDS), body)
        self.users[user["pk"]] = user
        self._set_groups(user["pk"], body)
        return Reply(200, self.user_json(user))

    def delete_user(self, pk: str, **_: Any) -> Reply:
        user = self._user(int(pk))
        del self.users[user["pk"]]
        for group in self.groups.values():
            group["users"] = [u for u in group["users"] if u != user["pk"]]
        for binding in [b for b in self.bindings.values() if b["user"] == user["pk"]]:
            del self.bindings[binding["pk"]]
        return Reply(204, {})

    def user_json(self, user: Json, include_groups: bool = True) -> Json:
        groups = [g for g in self.groups.values() if user["pk"] in g["users"]]
        uid = hashlib.sha256(f"{user['pk']}-emulator".encode()).hexdigest()
        return {
            **user,
            "uid": uid,
            "uuid": _user_uuid(user["pk"]),
            "groups": [g["pk"] for g in groups],
            "groups_obj": [self.partial_group(g) for g in groups] if include_groups else None,
            "roles": [],
            "roles_obj": [],
            "is_superuser": any(g["is_superuser"] for g in groups),
            "avatar": "data:image/svg+xml;base64,",
            "date_joined": NOW,
            "last_updated": NOW,
            "password_change_date": NOW,
        }

    def partial_user(self, user: Json) -> Json:
        keys = ("pk", "username", "name", "is_active", "last_login", "email", "attributes")
        uid = hashlib.sha256(f"{user['pk']}-emulator".encode()).hexdigest()
        return {**{key: user[key] for key in keys}, "uid": uid}

    def partial_group(self, group: Json) -> Json:
        keys = ("pk", "name", "is_superuser", "attributes")
        return {**{key: group[key] for key in keys}, "num_pk": self.group_json(group, False)["num_pk"]}

    def _user(self, pk: int) -> Json:
        if pk not in self.users:
            raise not_found("User")
        return self.users[pk]

    def _checked_user(self, user: Json, body: Json) -> Json:
        if any(u["username"] == user["username"] and u["pk"] != user["pk"] for u in self.users.values()):
            raise field_error("username", UNIQUE)
        path = user["path"]
        if path.startswith("/") or path.endswith("/"):
            raise field_error("path", "No leading or trailing slashes allowed.")
        if "" in path.split("/"):
            raise field_error("path", "No empty segments in user path allowed.")
        for group in body.get("groups", ()):
            if group not in self.groups:
                raise no_such_pk("groups", group)
        if body.get("roles"):
            raise no_such_pk("roles", body["roles"][0])
        return user

    def _set_groups(self, pk: int, body: Json) -> None:
        """A user's `groups` field replaces its memberships, as the serializer's many-to-many set does."""
        if "groups" not in body:
            return
        for group in self.groups.values():
            members = [u for u in group["users"] if u != pk]
            group["users"] = [*members, pk] if group["pk"] in body["groups"] else members


def _user_uuid(pk: int) -> str:
    digest = hashlib.sha256(f"user-{pk}".encode()).hexdigest()
    return f"{digest[:8]}-{digest[8:12]}-4{digest[13:16]}-a{digest[17:20]}-{digest[20:32]}"
