"""The DNS backend over the Hetzner Cloud DNS API (`https://api.hetzner.cloud/v1`, zones and RRsets).

Written against `specs/hetzner-cloud-api-2026-07-08-cloud.spec.json`. Hetzner names RRsets relative to the zone
(`@` is the apex), identifies them as `{name}/{type}`, wants TXT quoted and split into 255-character strings,
and answers every change with an asynchronous action that must reach `success` before the change is served.
This module is the only place that knows, so the rest of the program exchanges `RRset`s as `backend.py` defines.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from typing import Any, NotRequired, TypedDict
from urllib.parse import quote

import httpx

from components.common.http import ApiError, send
from components.dns.backend import RRset, quote_txt, unquote_txt

SERVICE = "Hetzner DNS"
PER_PAGE = 50  # the most the API allows on /zones (RRset lists allow 100)
_TXT_TYPES = frozenset({"TXT"})


@dataclass(frozen=True)
class HetznerDnsSettings:
    """How to reach the API. `token` is a Cloud project API token with read-write access.

    `request_timeout` bounds each HTTP call (retried by `send`); `action_timeout` bounds the wait for one change's
    action, polled every `poll_interval` seconds. Tests shorten all three.
    """

    token: str = field(repr=False)
    endpoint: str = "https://api.hetzner.cloud/v1"
    action_timeout: float = 60.0
    request_timeout: float = 10.0
    poll_interval: float = 0.5


class WireRecord(TypedDict):
    value: str
    comment: NotRequired[str]


class WireRRset(TypedDict):
    name: str
    type: str
    ttl: int | None
    records: list[WireRecord]


class ActionError(TypedDict):
    code: str
    message: str


class WireAction(TypedDict):
    id: int
    command: str
    status: str  # running | success | error
    error: ActionError | None


class ActionTimeoutError(ApiError, TimeoutError):
    """An action the API accepted did not finish in time; the change may still be applied later."""


class HetznerDnsBackend:
    """`DnsBackend` over one Hetzner Cloud project. Holds one HTTP client; call `close` (or use `with`) when done.

    `transport` is httpx's own seam for tests, so the code under test stays the code that runs.
    """

    def __init__(self, settings: HetznerDnsSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        self._settings = settings
        self._client = httpx.Client(
            base_url=settings.endpoint.rstrip("/"),
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=httpx.Timeout(settings.request_timeout, connect=min(5.0, settings.request_timeout)),
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"HetznerDnsBackend(endpoint={self._settings.endpoint!r})"

    def __enter__(self) -> HetznerDnsBackend:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        self._client.close()

    def zone_exists(self, zone: str) -> bool:
        return any(
            found["name"] == zone.lower() for found in self._paginate("/zones", "zones", name=zone.lower())
        )

    def list_zones(self) -> list[str]:
        return [found["name"] for found in self._paginate("/zones", "zones")]

    def create_zone(self, zone: str) -> None:
        """Create a primary zone; Hetzner adds the SOA and NS RRsets itself. An existing zone is an ApiError."""
        self._change("POST", "/zones", json={"name": zone.lower(), "mode": "primary"})

    def delete_zone(self, zone: str) -> None:
        """Remove the zone and everything in it; a zone that is already gone is not an error."""
        self._change("DELETE", _zone_path(zone), ok_statuses={404})

    def get_rrset(self, zone: str, name: str, type_: str) -> RRset | None:
        wire = self._get_wire_rrset(zone, name, type_)
        return None if wire is None else self._rrset_from_wire(zone, wire)

    def list_rrsets(self, zone: str) -> list[RRset]:
        """Every RRset in the zone, SOA and NS included, as `get_rrset` would return each."""
        wires: list[WireRRset] = list(self._paginate(f"{_zone_path(zone)}/rrsets", "rrsets"))
        return [self._rrset_from_wire(zone, wire) for wire in wires]

    def put_rrset(self, rrset: RRset) -> None:
        """Make the RRset exactly this; writes only what differs. No records means no RRset, so it is deleted."""
        if not rrset.records:
            self.delete_rrset(rrset.zone, rrset.name, rrset.type)
            return
        wire = self._get_wire_rrset(rrset.zone, rrset.name, rrset.type)
        if wire is None:
            self._create_rrset(rrset)
            return
        current = self._rrset_from_wire(rrset.zone, wire)
        path = _rrset_path(rrset.zone, rrset.name, rrset.type)
        if sorted(current.records) != sorted(rrset.records):
            self._change("POST", f"{path}/actions/set_records", json={"records": _wire_records(rrset)})
        if wire["ttl"] != rrset.ttl:
            self._change("POST", f"{path}/actions/change_ttl", json={"ttl": rrset.ttl})

    def delete_rrset(self, zone: str, name: str, type_: str) -> None:
        """Remove the RRset; one that is already gone (or whose zone is) is not an error."""
        self._change("DELETE", _rrset_path(zone, name, type_), ok_statuses={404})

    def _create_rrset(self, rrset: RRset) -> None:
        body = {
            "name": relative_name(rrset.zone, rrset.name),
            "type": rrset.type.upper(),
            "ttl": rrset.ttl,
            "records": _wire_records(rrset),
        }
        self._change("POST", f"{_zone_path(rrset.zone)}/rrsets", json=body)

    def _get_wire_rrset(self, zone: str, name: str, type_: str) -> WireRRset | None:
        response = self._send("GET", _rrset_path(zone, name, type_), ok_statuses={404})
        return None if response.status_code == 404 else response.json()["rrset"]

    def _rrset_from_wire(self, zone: str, wire: WireRRset) -> RRset:
        # An RRset without its own TTL is served with the zone's default; read reports what is served.
        ttl = wire["ttl"] if wire["ttl"] is not None else self._zone_ttl(zone)
        type_ = wire["type"].upper()
        records = tuple(_read_value(type_, record["value"]) for record in wire["records"])
        return RRset(zone.lower(), absolute_name(zone, wire["name"]), type_, ttl, records)

    def _zone_ttl(self, zone: str) -> int:
        return int(self._send("GET", _zone_path(zone)).json()["zone"]["ttl"])

    def _paginate(self, path: str, key: str, **filters: str) -> Iterator[Any]:
        """Every item of a listing, page after page, as long as `meta.pagination.next_page` names one."""
        page: int | None = 1
        while page is not None:
            params = {**filters, "page": page, "per_page": PER_PAGE}
            body = self._send("GET", path, params=params).json()
            yield from body[key]
            page = body["meta"]["pagination"]["next_page"]

    def _change(self, method: str, path: str, *, ok_statuses: Collection[int] = (), **kwargs: Any) -> None:
        """Send a change and wait for the action it starts; a tolerated non-2xx answer starts none."""
        response = self._send(method, path, ok_statuses=ok_statuses, **kwargs)
        if response.is_success:
            self._wait_for(response.json()["action"], response)

    def _wait_for(self, action: WireAction, started_by: httpx.Response) -> None:
        deadline = time.monotonic() + self._settings.action_timeout
        while action["status"] == "running":
            if time.monotonic() >= deadline:
                waited = f"still running after {self._settings.action_timeout:g} s"
                raise ActionTimeoutError(
                    *_origin(started_by), f"action {action['id']} ({action['command']}) {waited}"
                )
            time.sleep(self._settings.poll_interval)
            action = self._send("GET", f"/zones/actions/{action['id']}").json()["action"]
        if action["status"] == "error":
            error = action["error"] or {"code": "unknown", "message": "no error given"}
            failed = f"failed: {error['code']}: {error['message']}"
            raise ApiError(*_origin(started_by), f"action {action['id']} ({action['command']}) {failed}")

    def _send(
        self, method: str, path: str, *, ok_statuses: Collection[int] = (), **kwargs: Any
    ) -> httpx.Response:
        return send(
            self._client,
            method,
            path,
            service=SERVICE,
            error_message=error_message,
            ok_statuses=frozenset(ok_statuses),
            **kwargs,
        )


def error_message(response: httpx.Response) -> str:
    """Hetzner's own words: `code: message`, plus the fields `invalid_input` names, else the raw body."""
    try:
        error = response.json()["error"]
        text = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:500] or response.reason_phrase
    fields = (error.get("details") or {}).get("fields") or []
    problems = [
        f"{f.get('name')}: {'; '.join(f.get('messages') or [])}" for f in fields if isinstance(f, dict)
    ]
    return f"{text} ({', '.join(problems)})" if problems else text


def _origin(response: httpx.Response) -> tuple[str, str, str, int]:
    """Service, method, URL and status of the call that started an action, for the errors it ends in."""
    return SERVICE, response.request.method, str(response.request.url), response.status_code


def relative_name(zone: str, name: str) -> str:
    """Hetzner's spelling of an absolute name in `zone`: `@` for the apex, else the labels before the zone."""
    zone, name = zone.lower().rstrip("."), name.lower().rstrip(".")
    if name == zone:
        return "@"
    if not name.endswith(f".{zone}"):
        raise ValueError(f"{name!r} is not inside zone {zone!r}")
    return name[: -len(zone) - 1]


def absolute_name(zone: str, relative: str) -> str:
    zone = zone.lower().rstrip(".")
    return zone if relative == "@" else f"{relative.lower()}.{zone}"


def _zone_path(zone: str) -> str:
    return f"/zones/{quote(zone.lower().rstrip('.'), safe='')}"


def _rrset_path(zone: str, name: str, type_: str) -> str:
    return f"{_zone_path(zone)}/rrsets/{quote(relative_name(zone, name), safe='@*')}/{type_.upper()}"


def _wire_records(rrset: RRset) -> list[WireRecord]:
    return [{"value": _wire_value(rrset.type, record)} for record in rrset.records]


def _wire_value(type_: str, value: str) -> str:
    return quote_txt(value) if type_.upper() in _TXT_TYPES else value


def _read_value(type_: str, value: str) -> str:
    return unquote_txt(value) if type_ in _TXT_TYPES else value
