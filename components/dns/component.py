"""A tenant's DNS: one zone per tenant domain and one resource per RRset it needs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
from pulumi.dynamic import Resource

from components.dns.backend import RRset
from components.dns.provider import RRsetProvider, ZoneProvider


class Zone(Resource, module="dns", name="Zone"):
    zone: pulumi.Output[str]

    def __init__(
        self, name: str, zone: str, purge: bool = False, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(ZoneProvider(), name, {"zone": zone, "purge": purge}, opts)


class RecordSet(Resource, module="dns", name="RRset"):
    records: pulumi.Output[list[str]]

    def __init__(
        self,
        name: str,
        rrset: RRset | DeferredRRset,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "zone": rrset.zone,
            "name": rrset.name,
            "type": rrset.type,
            "ttl": rrset.ttl,
            "records": list(rrset.records) if isinstance(rrset, RRset) else rrset.records,
        }
        super().__init__(RRsetProvider(), name, props, opts)


@dataclass(frozen=True)
class DeferredRRset:
    """An RRset whose records another integration computes (the DKIM keys Stalwart generates)."""

    zone: str
    name: str
    type: str
    ttl: int
    records: pulumi.Input[Sequence[str]]


@dataclass(frozen=True)
class TenantDnsArgs:
    zones: Sequence[str]
    rrsets: Sequence[RRset]
    deferred: Sequence[DeferredRRset] = field(default=())
    purge: bool = False  # the zones may be deleted: the tenant is purged
    purged_zones: frozenset[str] = frozenset()  # may be deleted: their extra mail domain is marked for purge


class TenantDns(pulumi.ComponentResource):
    """Zones first, then each RRset inside its zone; `state` turns `ready` once every record is written."""

    def __init__(self, name: str, args: TenantDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:dns:TenantDns", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.zones = {
            zone: Zone(f"{name}:zone:{zone}", zone, args.purge or zone in args.purged_zones, child)
            for zone in args.zones
        }
        self.record_sets: dict[str, RecordSet] = {}
        for rrset in [*args.rrsets, *args.deferred]:
            zone = self.zones[rrset.zone]
            key = f"{rrset.name}/{rrset.type}"
            self.record_sets[key] = RecordSet(
                f"{name}:rrset:{key}", rrset, pulumi.ResourceOptions(parent=self, depends_on=[zone])
            )
        written = [resource.id for resource in [*self.zones.values(), *self.record_sets.values()]]
        self.state: pulumi.Output[str] = pulumi.Output.all(*written).apply(lambda _: "ready")
        self.register_outputs({"state": self.state, "record_sets": len(self.record_sets)})
