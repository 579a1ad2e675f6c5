"""The platform's own zone (`dezky.eu`): its hosts, its mail records, and the delegation of tenants' zones.

The zone is created and adopted like a tenant's (`Zone`, same providers), holds data like every zone and is
never marked for purge: removing it from the program only deletes it when nothing foreign lives in it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pulumi

from components.dns.backend import RRset
from components.dns.component import RecordSet, Zone
from components.dns.records import DnsPlatform, platform_zone_rrsets


@dataclass(frozen=True)
class PlatformDnsArgs:
    zone: str
    rrsets: Sequence[RRset]


def platform_dns_args(
    domain: str, platform: DnsPlatform, tenant_subdomains: Iterable[str], nameservers: Sequence[str]
) -> PlatformDnsArgs:
    """`tenant_subdomains`: the platform subdomains of the tenants this stack runs, each a zone of its own."""
    return PlatformDnsArgs(domain, platform_zone_rrsets(domain, platform, tenant_subdomains, nameservers))


class PlatformDns(pulumi.ComponentResource):
    """The zone first, then each RRset in it; `state` turns `ready` once every record is written."""

    def __init__(self, name: str, args: PlatformDnsArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:dns:PlatformDns", name, None, opts)
        self.zone = Zone(f"{name}:zone:{args.zone}", args.zone, False, pulumi.ResourceOptions(parent=self))
        in_zone = pulumi.ResourceOptions(parent=self, depends_on=[self.zone])
        self.record_sets = {
            rrset.key: RecordSet(f"{name}:rrset:{rrset.key}", rrset, in_zone) for rrset in args.rrsets
        }
        written = [resource.id for resource in [self.zone, *self.record_sets.values()]]
        self.state: pulumi.Output[str] = pulumi.Output.all(*written).apply(lambda _: "ready")
        self.register_outputs({"state": self.state, "record_sets": len(self.record_sets)})
