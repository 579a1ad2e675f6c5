"""The state and rules behind the Hetzner Cloud DNS emulator: one project's zones, RRsets and actions.

Each operation takes the spec-checked query and body and returns the API's reply, or raises `Rejected` with the
API's error. Rules the spec states only in prose (lower-case names, quoted TXT, distinct records, page sizes)
are enforced here, because the real server enforces them.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from werkzeug.datastructures import MultiDict

from tests.emulators.loopback import Reply

NAMESERVERS = ("hydrogen.ns.hetzner.com.", "oxygen.ns.hetzner.com.", "helium.ns.hetzner.de.")
_SOA = f"{NAMESERVERS[0]} dns.hetzner.com. 2026010101 86400 10800 3600000 3600"
_ZONE_NAME = re.compile(r"(?:[a-z0-9](?:[a-z0-9-]*[a-z0-9])?\.)+(?:[a-z]{2,}|xn--[a-z0-9-]+)")
_TXT_VALUE = re.compile(r'"(?:[^"\\]|\\.){0,255}"(?: "(?:[^"\\]|\\.){0,255}")*')
_RRSET = r"/zones/(?P<zone>[^/]+)/rrsets/(?P<name>[^/]+)/(?P<type>[^/]+)"
_ROUTES = [
    (method, re.compile(pattern), operation)
    for method, pattern, operation in [
        ("GET", r"/zones", "list_zones"),
        ("POST", r"/zones", "create_zone"),
        ("GET", r"/(?:zones/)?actions/(?P<id>\d+)", "get_action"),
        ("GET", r"/zones/(?P<zone>[^/]+)", "get_zone"),
        ("DELETE", r"/zones/(?P<zone>[^/]+)", "delete_zone"),
        ("GET", r"/zones/(?P<zone>[^/]+)/rrsets", "list_rrsets"),
        ("POST", r"/zones/(?P<zone>[^/]+)/rrsets", "create_rrset"),
        ("GET", _RRSET, "get_rrset"),
        ("DELETE", _RRSET, "delete_rrset"),
        ("POST", _RRSET + r"/actions/set_records", "set_records"),
        ("POST", _RRSET + r"/actions/change_ttl", "change_ttl"),
    ]
]

Json = dict[str, Any]
Query = MultiDict[str, str]  # as the spec check passed it: types and ranges already valid


class Rejected(Exception):
    """The API refuses. `invalid`: the request is wrong whatever the state (not a 404 or 409 about state)."""

    def __init__(
        self, status: int, code: str, message: str, fields: Sequence[tuple[str, str]] = (), *, invalid: bool
    ):
        super().__init__(f"{status} {code}: {message}")
        self.invalid = invalid
        details = {"fields": [{"name": n, "messages": [m]} for n, m in fields]} if fields else {}
        self.reply = Reply(status, {"error": {"code": code, "message": message, "details": details}})


class NotEmulated(Exception):
    pass


def invalid_input(fields: list[tuple[str, str]]) -> Rejected:
    names = ", ".join(sorted({f"'{name}'" for name, _ in fields}))
    return Rejected(400, "invalid_input", f"invalid input in field(s) {names}", fields, invalid=True)


def error_body(code: str, message: str) -> Json:
    return {"error": {"code": code, "message": message, "details": {}}}


class CloudActions:
    """The actions of one project, as every Cloud-style API keeps them: a change applies at once (unless its
    action is told to fail: then never), and its action reports `running` for `running_polls` polls."""

    actions: dict[int, Json]
    running_polls: int
    failing_actions: list[tuple[str, str]]
    _ids: Iterator[int]

    def get_action(self, id: str | int, **_: Any) -> Reply:
        action = self.actions.get(int(id))
        if action is None:
            raise Rejected(404, "not_found", f"action with ID '{id}' not found", invalid=False)
        if action["_polls_left"] > 0:
            action["_polls_left"] -= 1
        elif action["status"] == "running":
            failure = action["_failure"]
            action |= {"status": "error" if failure else "success", "progress": 100, "finished": now()}
            action["error"] = {"code": failure[0], "message": failure[1]} if failure else None
            if not failure:
                action["_on_success"]()
        return Reply(200, {"action": public(action)})

    def _start_action(
        self,
        command: str,
        resource: Json,
        apply: Callable[[], object],
        on_success: Callable[[], object] = lambda: None,
    ) -> Json:
        """The action for a change to `resource` (`{"id", "type"}`); `on_success` runs when it succeeds."""
        failure = self.failing_actions.pop(0) if self.failing_actions else None
        if failure is None:
            apply()
        action = {
            "id": next(self._ids),
            "command": command,
            "status": "running",
            "progress": 0,
            "started": now(),
            "finished": None,
            "resources": [resource],
            "error": None,
        }
        self.actions[action["id"]] = action | {
            "_polls_left": self.running_polls,
            "_failure": failure,
            "_on_success": on_success,
        }
        return action


class HetznerProject(CloudActions):
    """One Cloud project's DNS. Changes apply at once; their actions report `running` for a few polls."""

    def __init__(self) -> None:
        self.zones: dict[str, Json] = {}
        self.rrsets: dict[str, dict[tuple[str, str], Json]] = {}
        self.actions: dict[int, Json] = {}
        self.running_polls = 1
        self.page_size_cap: int | None = None
        self.failing_actions: list[tuple[str, str]] = []
        self._ids = itertools.count(1)

    def route(self, method: str, path: str, query: Query, body: Json) -> Reply:
        for route_method, pattern, operation in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                handler: Callable[..., Reply] = getattr(self, operation)
                return handler(query=query, body=body, **match.groupdict())
        raise NotEmulated(f"{method} {path}")

    def list_zones(self, query: Query, body: Json) -> Reply:
        zones = [self.zone_json(z) for z in self.zones.values() if query.get("name") in (None, z["name"])]
        return self._page("zones", zones, query, most=50)

    def create_zone(self, query: Query, body: Json) -> Reply:
        name = body["name"]
        if not _ZONE_NAME.fullmatch(name):
            raise invalid_input([("name", "must be a lower-case domain name without a trailing dot")])
        if body["mode"] != "primary":
            raise invalid_input([("mode", "only primary zones are emulated")])
        if name in self.zones:
            raise Rejected(
                409,
                "uniqueness_error",
                "zone name is already used",
                [("name", "already used")],
                invalid=False,
            )
        zone = {"id": next(self._ids), "name": name, "ttl": body.get("ttl", 3600), "created": now()}
        zone["labels"] = body.get("labels", {})

        def apply() -> None:
            self.zones[name] = zone
            soa, ns = _rrset(zone, "@", "SOA", None, [_SOA]), _rrset(zone, "@", "NS", None, list(NAMESERVERS))
            self.rrsets[name] = {("@", "SOA"): soa, ("@", "NS"): ns}

        action = self._start("create_zone", zone, apply)
        return Reply(201, {"zone": self.zone_json(zone), "action": action})

    def get_zone(self, zone: str, query: Query, body: Json) -> Reply:
        return Reply(200, {"zone": self.zone_json(self._zone(zone))})

    def delete_zone(self, zone: str, query: Query, body: Json) -> Reply:
        found = self._zone(zone)

        def apply() -> None:
            del self.zones[found["name"]], self.rrsets[found["name"]]

        return Reply(201, {"action": self._start("delete_zone", found, apply)})

    def list_rrsets(self, zone: str, query: Query, body: Json) -> Reply:
        types = query.getlist("type")
        rrsets = [
            r
            for r in self.rrsets[self._zone(zone)["name"]].values()
            if query.get("name") in (None, r["name"]) and (not types or r["type"] in types)
        ]
        return self._page("rrsets", rrsets, query, most=100)

    def create_rrset(self, zone: str, query: Query, body: Json) -> Reply:
        found = self._zone(zone)
        name, type_ = body["name"], body["type"]
        _check_name(found["name"], name)
        _check_records(type_, body["records"])
        if (name, type_) in self.rrsets[found["name"]]:
            raise Rejected(
                409, "uniqueness_error", "rrset with the same name and type already exists", invalid=False
            )
        rrset = _rrset(found, name, type_, body.get("ttl"), [r["value"] for r in body["records"]])

        def apply() -> None:
            self.rrsets[found["name"]][(name, type_)] = rrset

        return Reply(201, {"rrset": rrset, "action": self._start("create_rrset", found, apply)})

    def get_rrset(self, zone: str, name: str, type: str, **_: Any) -> Reply:
        return Reply(200, {"rrset": self._rrset(zone, name, type)})

    def delete_rrset(self, zone: str, name: str, type: str, **_: Any) -> Reply:
        self._rrset(zone, name, type)
        rrsets = self.rrsets[self._zone(zone)["name"]]
        return Reply(
            201, {"action": self._start("delete_rrset", self._zone(zone), lambda: rrsets.pop((name, type)))}
        )

    def set_records(self, zone: str, name: str, type: str, body: Json, **_: Any) -> Reply:
        rrset = self._rrset(zone, name, type)
        _check_records(type, body["records"])
        records = [{"value": r["value"]} for r in body["records"]]
        action = self._start("set_rrset_records", self._zone(zone), lambda: rrset.update(records=records))
        return Reply(201, {"action": action})

    def change_ttl(self, zone: str, name: str, type: str, body: Json, **_: Any) -> Reply:
        rrset = self._rrset(zone, name, type)
        action = self._start("change_rrset_ttl", self._zone(zone), lambda: rrset.update(ttl=body["ttl"]))
        return Reply(201, {"action": action})

    def zone_json(self, zone: Json) -> Json:
        records = sum(len(r["records"]) for r in self.rrsets.get(zone["name"], {}).values())
        servers = {"assigned": list(NAMESERVERS), "delegated": [], "delegation_last_check": None}
        return zone | {
            "mode": "primary",
            "status": "ok",
            "record_count": records,
            "protection": {"delete": False},
            "authoritative_nameservers": servers | {"delegation_status": "unknown"},
            "registrar": "other",
        }

    def _start(self, command: str, zone: Json, apply: Callable[[], object]) -> Json:
        return self._start_action(command, {"id": zone["id"], "type": "zone"}, apply)

    def _zone(self, id_or_name: str) -> Json:
        for zone in self.zones.values():
            if id_or_name in (zone["name"], str(zone["id"])):
                return zone
        raise Rejected(404, "not_found", f"zone with ID or name '{id_or_name}' not found", invalid=False)

    def _rrset(self, zone: str, name: str, type_: str) -> Json:
        rrset = self.rrsets[self._zone(zone)["name"]].get((name, type_))
        if rrset is None:
            raise Rejected(404, "not_found", f"rrset '{name}/{type_}' not found", invalid=False)
        return rrset

    def _page(self, key: str, items: list[Any], query: Query, most: int) -> Reply:
        page, per_page = int(query.get("page", 1)), int(query.get("per_page", 25))
        if not 1 <= per_page <= most:
            raise invalid_input([("per_page", f"must be between 1 and {most}")])
        if page < 1:
            raise invalid_input([("page", "must be at least 1")])
        per_page = min(per_page, self.page_size_cap or per_page)
        window = items[(page - 1) * per_page : page * per_page]
        return Reply(200, {key: window, "meta": {"pagination": pagination(page, per_page, len(items))}})


def _rrset(zone: Json, name: str, type_: str, ttl: int | None, values: list[str]) -> Json:
    return {
        "id": f"{name}/{type_}",
        "name": name,
        "type": type_,
        "ttl": ttl,
        "labels": {},
        "protection": {"change": False},
        "records": [{"value": v} for v in values],
        "zone": zone["id"],
    }


def _check_name(zone: str, name: str) -> None:
    """The spec's prose: lower case, no trailing dot, not ending in the zone name; `@` for the apex."""
    if name != "@" and (
        name != name.lower() or name.endswith(".") or name == zone or name.endswith(f".{zone}")
    ):
        raise invalid_input([("name", "must be relative to the zone, lower case, without a trailing dot")])


def _check_records(type_: str, records: list[Json]) -> None:
    values = [r["value"] for r in records]
    if not values or len(set(values)) != len(values):
        raise invalid_input([("records", "must not be empty and must only contain distinct values")])
    if type_ == "TXT" and not all(_TXT_VALUE.fullmatch(v) for v in values):
        raise invalid_input([("records", "TXT values must be quoted strings of at most 255 characters each")])


def pagination(page: int, per_page: int, total: int) -> Json:
    """The `meta.pagination` of one page of a listing."""
    last = max(1, math.ceil(total / per_page))
    return {
        "page": page,
        "per_page": per_page,
        "previous_page": page - 1 if page > 1 else None,
        "next_page": page + 1 if page < last else None,
        "last_page": last,
        "total_entries": total,
    }


def public(item: Json) -> Json:
    """The item as the API shows it: without the emulator's own `_` keys."""
    return {k: v for k, v in item.items() if not k.startswith("_")}


def now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
