"""The state and rules behind the Storage Box emulator: one project's boxes, subaccounts and actions.

The spec check (storage_box_spec.py) has already passed the query and body; what it cannot say lives here, as
the API enforces it: known locations and types, unique names, the password policy, OpenSSH public keys,
relative home directories and each type's subaccount limit. Errors are the Cloud API's (`Rejected`).
"""

from __future__ import annotations

import itertools
import re
import string
from collections.abc import Callable
from typing import Any

from tests.emulators.hetzner_dns_state import (
    CloudActions,
    NotEmulated,
    Query,
    Rejected,
    invalid_input,
    now,
    pagination,
    public,
)
from tests.emulators.loopback import Reply

LOCATIONS = {
    "fsn1": {
        "id": 1,
        "name": "fsn1",
        "description": "Falkenstein DC Park 1",
        "country": "DE",
        "city": "Falkenstein",
        "network_zone": "eu-central",
    },
    "nbg1": {
        "id": 2,
        "name": "nbg1",
        "description": "Nuremberg DC Park 1",
        "country": "DE",
        "city": "Nuremberg",
        "network_zone": "eu-central",
    },
    "hel1": {
        "id": 3,
        "name": "hel1",
        "description": "Helsinki DC Park 1",
        "country": "FI",
        "city": "Helsinki",
        "network_zone": "eu-central",
    },
}
TYPES = {
    "bx11": {
        "name": "bx11",
        "description": "BX11",
        "size": 1099511627776,
        "subaccounts_limit": 100,
        "snapshot_limit": 10,
        "automatic_snapshot_limit": 10,
        "prices": [],
        "deprecation": None,
    },
    "bx21": {
        "name": "bx21",
        "description": "BX21",
        "size": 5497558138880,
        "subaccounts_limit": 200,
        "snapshot_limit": 20,
        "automatic_snapshot_limit": 20,
        "prices": [],
        "deprecation": None,
    },
}
_SSH_KEY = re.compile(r"^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/=]+( .*)?$")
_HOME = re.compile(r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+)*/?$")
_BOX = r"/storage_boxes/(?P<box>\d+)"
_SUB = _BOX + r"/subaccounts/(?P<sub>\d+)"
_ROUTES = [
    (method, re.compile(pattern), operation)
    for method, pattern, operation in [
        ("GET", r"/storage_boxes", "list_boxes"),
        ("POST", r"/storage_boxes", "create_box"),
        ("GET", r"/storage_boxes/actions/(?P<id>\d+)", "get_action"),
        ("GET", _BOX, "get_box"),
        ("DELETE", _BOX, "delete_box"),
        ("POST", _BOX + "/actions/change_type", "change_type"),
        ("POST", _BOX + "/actions/update_access_settings", "update_box_access"),
        ("GET", _BOX + "/subaccounts", "list_subaccounts"),
        ("POST", _BOX + "/subaccounts", "create_subaccount"),
        ("GET", _SUB, "get_subaccount"),
        ("PUT", _SUB, "update_subaccount"),
        ("DELETE", _SUB, "delete_subaccount"),
        ("POST", _SUB + "/actions/change_home_directory", "change_home_directory"),
        ("POST", _SUB + "/actions/update_access_settings", "update_subaccount_access"),
    ]
]

QUERY_PARAMETERS = {
    "list_boxes": {"name", "label_selector", "sort", "page", "per_page"},
    "list_subaccounts": {"name", "username", "label_selector", "sort"},
}

Json = dict[str, Any]


class StorageBoxProject(CloudActions):
    """One project's Storage Boxes. Changes apply at once; their actions report `running` for a few polls."""

    def __init__(self) -> None:
        self.boxes: dict[int, Json] = {}
        self.subaccounts: dict[int, dict[int, Json]] = {}
        self.passwords: dict[str, str] = {}  # username -> password, to check what clients were told
        self.actions: dict[int, Json] = {}
        self.running_polls = 1
        self.failing_actions: list[tuple[str, str]] = []
        self._ids = itertools.count(1001)

    def route(self, method: str, path: str, query: Query, body: Json) -> Reply:
        for route_method, pattern, operation in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                unknown = sorted(set(query) - QUERY_PARAMETERS.get(operation, set()))
                if unknown:  # openapi-core lets undeclared query parameters pass; the shapes declare them all
                    raise invalid_input([(name, "unknown query parameter") for name in unknown])
                handler: Callable[..., Reply] = getattr(self, operation)
                return handler(query=query, body=body, **{k: int(v) for k, v in match.groupdict().items()})
        raise NotEmulated(f"{method} {path}")

    # --- boxes ------------------------------------------------------------------------------------------

    def list_boxes(self, query: Query, body: Json) -> Reply:
        boxes = [b for b in self.boxes.values() if query.get("name") in (None, b["name"])]
        return _page("storage_boxes", boxes, query)

    def create_box(self, query: Query, body: Json) -> Reply:
        problems = _box_problems(body)
        _refuse(problems)
        if any(b["name"] == body["name"] for b in self.boxes.values()):
            raise Rejected(
                409, "uniqueness_error", "name is already used", [("name", "already used")], invalid=False
            )
        box_id = next(self._ids)
        username = f"u{box_id}"
        access = {
            k: False for k in ("reachable_externally", "samba_enabled", "webdav_enabled", "zfs_enabled")
        }
        box = {
            "id": box_id,
            "username": username,
            "status": "initializing",
            "name": body["name"],
            "storage_box_type": TYPES[body["storage_box_type"]],
            "location": LOCATIONS[body["location"]],
            "access_settings": {**access, "ssh_enabled": False, **body.get("access_settings", {})},
            "server": f"{username}.your-storagebox.de",
            "system": "FSN1-BX355",
            "stats": None,
            "labels": body.get("labels", {}),
            "protection": {"delete": False},
            "snapshot_plan": None,
            "created": now(),
            "_ssh_keys": list(body.get("ssh_keys", [])),
        }

        def apply() -> None:
            self.boxes[box_id] = box
            self.subaccounts[box_id] = {}
            self.passwords[username] = body["password"]

        action = self._start("create_storage_box", box_id, apply, lambda: box.update(status="active"))
        return Reply(201, {"storage_box": public(box), "action": action})

    def get_box(self, box: int, query: Query, body: Json) -> Reply:
        return Reply(200, {"storage_box": public(self._box(box))})

    def delete_box(self, box: int, query: Query, body: Json) -> Reply:
        found = self._box(box)

        def apply() -> None:
            del self.boxes[box], self.subaccounts[box]

        return Reply(201, {"action": self._start("delete_storage_box", found["id"], apply)})

    def change_type(self, box: int, query: Query, body: Json) -> Reply:
        found = self._box(box)
        _refuse(["storage_box_type: unknown type"] if body["storage_box_type"] not in TYPES else [])
        apply = lambda: found.update(storage_box_type=TYPES[body["storage_box_type"]])  # noqa: E731
        return Reply(201, {"action": self._start("change_type", box, apply)})

    def update_box_access(self, box: int, query: Query, body: Json) -> Reply:
        found = self._box(box)
        apply = lambda: found["access_settings"].update(body)  # noqa: E731
        return Reply(201, {"action": self._start("update_access_settings", box, apply)})

    # --- subaccounts ------------------------------------------------------------------------------------

    def list_subaccounts(self, box: int, query: Query, body: Json) -> Reply:
        self._box(box)
        found = [s for s in self.subaccounts[box].values() if query.get("name") in (None, s["name"])]
        return Reply(200, {"subaccounts": found})

    def create_subaccount(self, box: int, query: Query, body: Json) -> Reply:
        owner = self._box(box)
        _refuse([*_check_password(body["password"]), *_check_home(body["home_directory"])])
        taken = self.subaccounts[box]
        if len(taken) >= owner["storage_box_type"]["subaccounts_limit"]:
            raise Rejected(409, "limit_exceeded", "subaccount limit reached", invalid=False)
        name = body.get("name") or f"{owner['username']}-sub{len(taken) + 1}"
        if any(s["name"] == name for s in taken.values()):
            raise Rejected(
                409, "uniqueness_error", "name is already used", [("name", "already used")], invalid=False
            )
        sub_id = next(self._ids)
        access = dict.fromkeys(
            ("reachable_externally", "samba_enabled", "ssh_enabled", "webdav_enabled"), False
        )
        subaccount = {
            "id": sub_id,
            "name": name,
            "username": f"{owner['username']}-sub{len(taken) + 1}",
            "home_directory": body["home_directory"],
            "server": owner["server"],
            "access_settings": {**access, "readonly": False, **body.get("access_settings", {})},
            "description": body.get("description", ""),
            "labels": body.get("labels", {}),
            "storage_box": box,
            "created": now(),
        }

        def apply() -> None:
            taken[sub_id] = subaccount
            self.passwords[subaccount["username"]] = body["password"]

        action = self._start("create_subaccount", box, apply)
        return Reply(201, {"subaccount": {"id": sub_id, "storage_box": box}, "action": action})

    def get_subaccount(self, box: int, sub: int, query: Query, body: Json) -> Reply:
        return Reply(200, {"subaccount": self._subaccount(box, sub)})

    def update_subaccount(self, box: int, sub: int, query: Query, body: Json) -> Reply:
        found = self._subaccount(box, sub)
        found.update(body)
        return Reply(200, {"subaccount": found})

    def delete_subaccount(self, box: int, sub: int, query: Query, body: Json) -> Reply:
        self._subaccount(box, sub)
        action = self._start("delete_subaccount", box, lambda: self.subaccounts[box].pop(sub))
        return Reply(201, {"action": action})

    def change_home_directory(self, box: int, sub: int, query: Query, body: Json) -> Reply:
        found = self._subaccount(box, sub)
        _refuse(_check_home(body["home_directory"]))
        apply = lambda: found.update(home_directory=body["home_directory"])  # noqa: E731
        return Reply(201, {"action": self._start("change_home_directory", box, apply)})

    def update_subaccount_access(self, box: int, sub: int, query: Query, body: Json) -> Reply:
        found = self._subaccount(box, sub)
        apply = lambda: found["access_settings"].update(body)  # noqa: E731
        return Reply(201, {"action": self._start("update_access_settings", box, apply)})

    # --- actions ----------------------------------------------------------------------------------------

    def _start(
        self,
        command: str,
        box_id: int,
        apply: Callable[[], object],
        on_success: Callable[[], object] = lambda: None,
    ) -> Json:
        return self._start_action(command, {"id": box_id, "type": "storage_box"}, apply, on_success)

    def _box(self, box_id: int) -> Json:
        if box_id not in self.boxes:
            raise Rejected(404, "not_found", f"Storage Box with ID '{box_id}' not found", invalid=False)
        return self.boxes[box_id]

    def _subaccount(self, box_id: int, sub_id: int) -> Json:
        found = self.subaccounts.get(self._box(box_id)["id"], {}).get(sub_id)
        if found is None:
            raise Rejected(404, "not_found", f"subaccount with ID '{sub_id}' not found", invalid=False)
        return found


def _box_problems(body: Json) -> list[str]:
    problems = _check_password(body["password"])
    if body["location"] not in LOCATIONS:
        problems.append("location: unknown location")
    if body["storage_box_type"] not in TYPES:
        problems.append("storage_box_type: unknown type")
    if not all(_SSH_KEY.match(key) for key in body.get("ssh_keys", [])):
        problems.append("ssh_keys: not an OpenSSH public key")
    return problems


def _check_password(password: str) -> list[str]:
    classes = (string.ascii_lowercase, string.ascii_uppercase, string.digits)
    ok = len(password) >= 12 and all(any(c in group for c in password) for group in classes)
    ok = ok and any(not c.isalnum() for c in password)
    return [] if ok else ["password: at least 12 characters with upper and lower case, a digit and a special"]


def _check_home(home: str) -> list[str]:
    ok = _HOME.match(home) is not None and ".." not in home.split("/")
    return [] if ok else ["home_directory: a relative path inside the Storage Box"]


def _refuse(problems: list[str]) -> None:
    if problems:
        raise invalid_input([tuple(p.split(": ", 1)) for p in problems])  # type: ignore[misc]


def _page(key: str, items: list[Json], query: Query) -> Reply:
    page, per_page = int(query.get("page", 1)), int(query.get("per_page", 25))
    if not 1 <= per_page <= 50 or page < 1:
        raise invalid_input([("per_page", "must be between 1 and 50"), ("page", "must be at least 1")])
    window = [public(i) for i in items[(page - 1) * per_page : page * per_page]]
    return Reply(200, {key: window, "meta": {"pagination": pagination(page, per_page, len(items))}})
