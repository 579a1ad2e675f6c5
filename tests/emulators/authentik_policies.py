"""Policy bindings and access checks of the Authentik emulator: the policy engine, as the real one decides.

A binding names exactly one of policy, group or user; the engine takes the application's enabled bindings in
order, negates each as asked, and combines them by the application's mode: no bindings let everyone in, `any`
needs one passing binding, `all` needs every one. A group binding passes for the group's members whatever their
`is_active` (the engine asks only about membership; an inactive user is stopped at login instead).
"""

from __future__ import annotations

from typing import Any

from tests.emulators.authentik_state import (
    InstanceRecords,
    Json,
    Query,
    Rejected,
    boolean,
    equals,
    filtered,
    merge,
    new_uuid,
    no_such_pk,
    not_found,
    page,
)
from tests.emulators.loopback import Reply

_BINDING_FIELDS = (
    "policy",
    "group",
    "user",
    "target",
    "negate",
    "enabled",
    "order",
    "timeout",
    "failure_result",
)


class PolicyObjects(InstanceRecords):
    """The `/policies/bindings/` endpoints and `/core/applications/{slug}/check_access/`."""

    application_by_slug: Any
    partial_user: Any
    partial_group: Any

    # --- access ---------------------------------------------------------------------------------------

    def check_access(self, slug: str, query: Query, **_: Any) -> Reply:
        app = self.application_by_slug(slug)
        user_pk = int(query.get("for_user") or self.token_user)
        if user_pk not in self.users:
            raise Rejected(400, {"for_user": "User not found"}, invalid=True)  # a string, not a list
        passing = self.passes(app, self.users[user_pk])
        return Reply(200, {"passing": passing, "messages": [], "log_messages": []})

    def passes(self, app: Json, user: Json) -> bool:
        """The policy engine: enabled bindings in order, each negated as asked, combined by the app's mode."""
        bindings = sorted(
            (b for b in self.bindings.values() if b["target"] == app["pk"] and b["enabled"]), key=_order
        )
        results = [self._binding_passes(b, user) != b["negate"] for b in bindings]
        if not results:
            return True
        return all(results) if app["policy_engine_mode"] == "all" else any(results)

    def _binding_passes(self, binding: Json, user: Json) -> bool:
        if binding["group"] is not None:
            return user["pk"] in self.groups[binding["group"]]["users"]
        return binding["user"] == user["pk"]

    # --- policy bindings ------------------------------------------------------------------------------

    def list_bindings(self, query: Query, **_: Any) -> Reply:
        filters = {
            "target": equals("target"),
            "enabled": lambda b, v: b["enabled"] == boolean(v),
            "order": lambda b, v: b["order"] == int(v),
            "policy": equals("policy"),
            "policy__isnull": lambda b, v: (b["policy"] is None) == boolean(v),
        }
        found = sorted(
            filtered(self.bindings.values(), query, filters, "pk"), key=lambda b: (b["target"], _order(b))
        )
        return page([self.binding_json(b) for b in found], query)

    def create_binding(self, body: Json, **_: Any) -> Reply:
        defaults = {"pk": new_uuid(), "policy": None, "group": None, "user": None}
        record = {**defaults, "negate": False, "enabled": True, "timeout": 30, "failure_result": False}
        binding = self._checked_binding(merge(record, body, _BINDING_FIELDS))
        self.bindings[binding["pk"]] = binding
        return Reply(201, self.binding_json(binding))

    def get_binding(self, pk: str, **_: Any) -> Reply:
        return Reply(200, self.binding_json(self._binding(pk)))

    def update_binding(self, pk: str, body: Json, **_: Any) -> Reply:
        if "target" not in body:
            # The real server's validator reads the target from the request alone: without it the update
            # fails inside the server, which answers 405 with no body (seen on 2026.5.0-rc1).
            self._binding(pk)
            raise Rejected(405, {}, invalid=True)
        binding = self._checked_binding(merge(self._binding(pk), body, _BINDING_FIELDS))
        self.bindings[pk] = binding
        return Reply(200, self.binding_json(binding))

    def delete_binding(self, pk: str, **_: Any) -> Reply:
        del self.bindings[self._binding(pk)["pk"]]
        return Reply(204, {})

    def binding_json(self, binding: Json) -> Json:
        group, user = binding["group"], binding["user"]
        return {
            **binding,
            "policy_obj": None,
            "group_obj": self.partial_group(self.groups[group]) if group else None,
            "user_obj": self.partial_user(self.users[user]) if user is not None else None,
        }

    def _binding(self, pk: str) -> Json:
        if pk not in self.bindings:
            raise not_found("PolicyBinding")
        return self.bindings[pk]

    def _checked_binding(self, binding: Json) -> Json:
        count = sum(binding[key] is not None for key in ("policy", "group", "user"))
        if count != 1:
            message = "Only one of 'policy', 'group' or 'user' can be set."
            message = message if count > 1 else "One of 'policy', 'group' or 'user' must be set."
            raise Rejected(400, {"non_field_errors": [message]}, invalid=True)
        if binding["target"] not in self.applications and binding["target"] not in self.flows:
            raise no_such_pk("target", binding["target"])
        if binding["policy"] is not None:
            raise no_such_pk("policy", binding["policy"])  # the emulator holds no policies
        if binding["group"] is not None and binding["group"] not in self.groups:
            raise no_such_pk("group", binding["group"])
        if binding["user"] is not None and binding["user"] not in self.users:
            raise no_such_pk("user", binding["user"])
        return binding


def _order(binding: Json) -> int:
    return int(binding["order"])
