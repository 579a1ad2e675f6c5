"""The DNS backend over the PowerDNS Authoritative HTTP API (written against 4.7.3, `specs/pdns-auth-4.7.3-…`).

PowerDNS speaks absolute names with a trailing dot and TXT in quoted presentation format; this module is the
only place that knows, so the rest of the program exchanges `RRset`s as `backend.py` defines them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from components.common.http import ApiClient
from components.dns.backend import RRset, quote_txt, unquote_txt

SERVICE = "PowerDNS"
_TXT_TYPES = frozenset({"TXT", "SPF"})


@dataclass(frozen=True)
class PowerDnsSettings:
    """Where the API is: `url` is the webserver's root (`http://127.0.0.1:8081`), without `/api/v1`."""

    url: str
    api_key: str = field(repr=False)
    server_id: str = "localhost"
    nameservers: tuple[str, ...] = ("ns1.dezky.eu", "ns2.dezky.eu")


class PowerDnsBackend(ApiClient):
    """`DnsBackend` over one PowerDNS server. Holds one HTTP client; call `close` (or use `with`) when done.

    `transport` is httpx's own seam for tests: they wrap the real transport to check each exchange against the
    spec, so the code under test stays the code that runs.
    """

    def __init__(self, settings: PowerDnsSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            service=SERVICE,
            error_message=error_message,
            shown={"url": settings.url, "server_id": settings.server_id},
            base_url=f"{settings.url.rstrip('/')}/api/v1/servers/{quote(settings.server_id, safe='')}",
            headers={"X-API-Key": settings.api_key, "Accept": "application/json"},
            transport=transport,
        )
        self._settings = settings

    def zone_exists(self, zone: str) -> bool:
        response = self._send("GET", _zone_path(zone), params={"rrsets": "false"}, ok_statuses={404})
        return response.status_code != 404

    def create_zone(self, zone: str) -> None:
        body = {
            "name": _absolute(zone),
            "kind": "Native",
            "nameservers": [_absolute(ns) for ns in self._settings.nameservers],
        }
        self._send("POST", "/zones", params={"rrsets": "false"}, json=body)

    def delete_zone(self, zone: str) -> None:
        """Remove the zone and everything in it; a zone that is already gone is not an error."""
        self._send("DELETE", _zone_path(zone), ok_statuses={404})

    def get_rrset(self, zone: str, name: str, type_: str) -> RRset | None:
        params = {"rrset_name": _absolute(name), "rrset_type": type_.upper()}
        response = self._send("GET", _zone_path(zone), params=params, ok_statuses={404})
        if response.status_code == 404:
            return None
        return _rrset_from_zone(zone, name, type_, response.json())

    def list_rrsets(self, zone: str) -> list[RRset]:
        response = self._send("GET", _zone_path(zone))
        names = {(r["name"], r["type"]) for r in response.json().get("rrsets") or []}
        found = (_rrset_from_zone(zone, name, type_, response.json()) for name, type_ in sorted(names))
        return [rrset for rrset in found if rrset is not None]

    def put_rrset(self, rrset: RRset) -> None:
        change = {
            "name": _absolute(rrset.name),
            "type": rrset.type.upper(),
            "ttl": rrset.ttl,
            "changetype": "REPLACE",
            "records": [{"content": _wire_content(rrset.type, r), "disabled": False} for r in rrset.records],
        }
        self._send("PATCH", _zone_path(rrset.zone), json={"rrsets": [change]})

    def delete_rrset(self, zone: str, name: str, type_: str) -> None:
        """Remove the RRset. PowerDNS accepts deleting one that is absent; a missing zone holds none either."""
        # No ttl: the spec says it MUST NOT be sent with DELETE; records must be empty.
        change = {"name": _absolute(name), "type": type_.upper(), "changetype": "DELETE", "records": []}
        self._send("PATCH", _zone_path(zone), json={"rrsets": [change]}, ok_statuses={404})


def error_message(response: httpx.Response) -> str:
    """PowerDNS's own words: `error` (and `errors`) from its JSON body, else the plain-text body it sent."""
    try:
        body = response.json()
    except ValueError:
        return response.text.strip()[:500] or response.reason_phrase
    if not isinstance(body, dict) or "error" not in body:
        return response.text[:500]
    details = [str(e) for e in body.get("errors") or [] if str(e) != body["error"]]
    return "; ".join([str(body["error"]), *details])


def _absolute(name: str) -> str:
    return name.rstrip(".").lower() + "."


def _without_dot(name: str) -> str:
    """Our spelling of a name: absolute, but without the trailing dot."""
    return name.rstrip(".").lower()


def _zone_path(zone: str) -> str:
    # The zone id PowerDNS 4.7 assigns is the absolute name; our zone names are LDH punycode, so no escaping
    # beyond URL quoting is needed (PowerDNS only rewrites `/` and similar in ids).
    return f"/zones/{quote(_absolute(zone), safe='')}"


def _wire_content(type_: str, record: str) -> str:
    return quote_txt(record) if type_.upper() in _TXT_TYPES else record


def _read_content(type_: str, content: str) -> str:
    return unquote_txt(content) if type_.upper() in _TXT_TYPES else content


def _rrset_from_zone(zone: str, name: str, type_: str, body: dict[str, Any]) -> RRset | None:
    """The one RRset asked for, from a zone answer; disabled records are not served, so they are not read."""
    wanted = (_absolute(name), type_.upper())
    for rrset in body.get("rrsets") or []:
        if (_absolute(rrset["name"]), rrset["type"].upper()) != wanted:
            continue
        records = tuple(
            _read_content(type_, r["content"]) for r in rrset.get("records") or [] if not r.get("disabled")
        )
        if records:
            return RRset(_without_dot(zone), _without_dot(name), type_.upper(), rrset["ttl"], records)
    return None
