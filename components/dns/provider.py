"""Pulumi dynamic providers for DNS zones and RRsets, over whichever backend the stack configures.

One resource per RRset (name + type): the program owns exactly the RRsets it declares and never touches
others. Credentials come from the stack configuration in `configure`, never from resource inputs, so they are
not stored in the state.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Literal

import pulumi
from pulumi.dynamic import CheckFailure

from components.common.provider import ObjectProvider
from components.dns.backend import DnsBackend, RRset

# Records a DNS server puts into every zone it creates: deleting a zone that holds only these loses nothing.
ZONE_OWN_TYPES = frozenset({"SOA", "NS"})
SUPPORTED_TYPES = frozenset({"A", "AAAA", "CAA", "CNAME", "MX", "NS", "SRV", "TXT"})
# Who answers for a zone when the stack does not say (`dezky:dnsNameservers`): ours for PowerDNS; for Hetzner
# the set its API reports as `authoritative_nameservers.assigned` for every zone.
DEFAULT_NAMESERVERS = {
    "powerdns": ("ns1.dezky.eu", "ns2.dezky.eu"),
    "hetzner": ("hydrogen.ns.hetzner.com", "oxygen.ns.hetzner.com", "helium.ns.hetzner.de"),
}
_LABELS = re.compile(r"^(?:[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)*[a-z0-9-]+\.[a-z0-9-]+$")


@dataclass(frozen=True)
class DnsSettings:
    backend: Literal["powerdns", "hetzner"]
    url: str
    credential: str
    nameservers: tuple[str, ...] = ("ns1.dezky.eu", "ns2.dezky.eu")


def dns_settings_from_config(config: Any) -> DnsSettings:
    backend = config.get("dezky:dnsBackend") or "powerdns"
    if backend == "powerdns":
        return DnsSettings(
            "powerdns",
            config.require("dezky:powerdnsUrl"),
            config.require("dezky:powerdnsApiKey"),
            nameservers_from_config(backend, config.get("dezky:dnsNameservers")),
        )
    if backend == "hetzner":
        endpoint = config.get("dezky:hetznerDnsEndpoint") or "https://api.hetzner.cloud/v1"
        return DnsSettings("hetzner", endpoint, config.require("dezky:hetznerToken"))
    raise ValueError(f"dezky:dnsBackend must be powerdns or hetzner, not {backend!r}")


def nameservers_from_config(backend: str, raw: str | list[str] | None) -> tuple[str, ...]:
    """`dezky:dnsNameservers` (a list of host names, as the stack's YAML holds it: JSON here), else the backend's
    default. PowerDNS names them in every zone it creates; the platform zone delegates tenants' zones to them."""
    if raw is None or raw == "":
        return DEFAULT_NAMESERVERS.get(backend, DEFAULT_NAMESERVERS["powerdns"])
    try:
        names = json.loads(raw) if isinstance(raw, str) else raw
    except ValueError:
        names = None
    if (
        not isinstance(names, list)
        or not names
        or not all(isinstance(n, str) and _LABELS.match(n) for n in names)
    ):
        raise ValueError(f"dezky:dnsNameservers must be a list of lowercase host names, not {raw!r}")
    return tuple(names)


def open_backend(settings: DnsSettings) -> DnsBackend:
    if settings.backend == "powerdns":
        from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings

        return PowerDnsBackend(
            PowerDnsSettings(settings.url, settings.credential, nameservers=settings.nameservers)
        )
    from components.dns.hetzner import HetznerDnsBackend, HetznerDnsSettings

    return HetznerDnsBackend(HetznerDnsSettings(settings.credential, endpoint=settings.url))


class _DnsProvider(ObjectProvider):
    def settings_from_config(self, config: Any) -> DnsSettings:
        return dns_settings_from_config(config)

    @property
    def service(self) -> str:  # type: ignore[override]
        return "PowerDNS" if self.settings.backend == "powerdns" else "Hetzner DNS"

    @contextmanager
    def session(self) -> Iterator[DnsBackend]:
        backend = open_backend(self.settings)
        try:
            yield backend
        finally:
            backend.close()


class ZoneProvider(_DnsProvider):
    """A tenant domain's zone. Created if missing, adopted if present; only removed when we created it."""

    replace_keys = ("zone",)
    holds_data = True  # every record of the domain, mail routing included

    def object_id(self, props: dict[str, Any]) -> str:
        return props["zone"]

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"zone": str(props["zone"]).lower()}

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        zone = str(props.get("zone", ""))
        return [] if _LABELS.match(zone) else [CheckFailure("zone", f"`{zone}` is not a domain name")]

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as backend:
            exists = backend.zone_exists(object_id)
        return (
            {"zone": object_id, "created_by_program": bool(props.get("created_by_program"))}
            if exists
            else None
        )

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        with self.session() as backend:
            backend.create_zone(props["zone"])
        return {"zone": props["zone"], "created_by_program": True}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        if not props.get("created_by_program"):
            return  # adopted: it was there before us and stays after us
        with self.session() as backend:
            if not backend.zone_exists(object_id):
                return
            foreign = [r.key for r in backend.list_rrsets(object_id) if r.type not in ZONE_OWN_TYPES]
            if foreign:
                # Records someone else added live here: deleting the zone would take them with it.
                pulumi.log.warn(
                    f"zone {object_id} kept: it holds records the program did not create ({', '.join(foreign)})"
                )
                return
            backend.delete_zone(object_id)


class RRsetProvider(_DnsProvider):
    """One RRset (name + type) with its TTL and records."""

    replace_keys = ("zone", "name", "type")

    def object_id(self, props: dict[str, Any]) -> str:
        return f"{props['zone']}/{props['name']}/{props['type']}"

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        rrset = _rrset(props).normalised()
        return {
            "zone": rrset.zone.lower(),
            "name": rrset.name,
            "type": rrset.type,
            "ttl": rrset.ttl,
            "records": list(rrset.records),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        zone, name, type_ = str(props.get("zone", "")), str(props.get("name", "")), str(props.get("type", ""))
        if type_ not in SUPPORTED_TYPES:
            failures.append(
                CheckFailure("type", f"`{type_}` is not one of {', '.join(sorted(SUPPORTED_TYPES))}")
            )
        if name != zone and not name.endswith("." + zone):
            failures.append(CheckFailure("name", f"`{name}` is outside the zone `{zone}`"))
        if type_ == "NS" and name == zone:
            failures.append(
                CheckFailure("type", f"the NS records of `{zone}` itself are the DNS server's own")
            )
        if not props.get("records"):
            failures.append(CheckFailure("records", "an RRset needs at least one record"))
        ttl = props.get("ttl")
        if not isinstance(ttl, int | float) or not 60 <= int(ttl) <= 86400:
            failures.append(CheckFailure("ttl", "TTL must be between 60 and 86400 seconds"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        zone, name, type_ = object_id.rsplit("/", 2)
        with self.session() as backend:
            found = backend.get_rrset(zone, name, type_)
        return None if found is None else self.normalise(_props(found))

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        with self.session() as backend:
            backend.put_rrset(_rrset(props))
        return self.normalise(props)

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        zone, name, type_ = object_id.rsplit("/", 2)
        with self.session() as backend:
            backend.delete_rrset(zone, name, type_)


def _rrset(props: dict[str, Any]) -> RRset:
    return RRset(
        zone=str(props["zone"]),
        name=str(props["name"]),
        type=str(props["type"]),
        ttl=int(props["ttl"]),
        records=tuple(str(r) for r in props["records"]),
    )


def _props(rrset: RRset) -> dict[str, Any]:
    return {
        "zone": rrset.zone,
        "name": rrset.name,
        "type": rrset.type,
        "ttl": rrset.ttl,
        "records": rrset.records,
    }
