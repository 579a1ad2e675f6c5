"""The DNS backend over the Hetzner Cloud DNS API (`https://api.hetzner.cloud/v1`, zones and RRsets).

Written against `specs/hetzner-cloud-api-2026-07-08-cloud.spec.json`. Hetzner names RRsets relative to the zone
(`@` is the apex), identifies them as `{name}/{type}`, wants TXT quoted and split into 255-character strings,
and answers every change with an asynchronous action that must reach `success` before the change is served.
This module is the only place that knows, so the rest of the program exchanges `RRset`s as `backend.py` defines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NotRequired, TypedDict
from urllib.parse import quote

import httpx

from components.common.hetzner_cloud import ActionTimeoutError, HetznerCloudClient, error_message
from components.dns.backend import RRset, quote_txt, unquote_txt

__all__ = ["ActionTimeoutError", "HetznerDnsBackend", "HetznerDnsSettings", "error_message"]

SERVICE = "Hetzner DNS"
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


class HetznerDnsBackend(HetznerCloudClient):
    """`DnsBackend` over one Hetzner Cloud project. Holds one HTTP client; call `close` (or use `with`) when done.

    `transport` is httpx's own seam for tests, so the code under test stays the code that runs.
    """

    actions_path = "/zones/actions"

    def __init__(self, settings: HetznerDnsSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(SERVICE, settings, transport=transport)

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
