"""One tenant: a component named by its slug that owns one child component per integration."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.dns.component import TenantDns, TenantDnsArgs
from components.dns.records import tenant_rrsets, zones_for
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Tenant as TenantModel

# Integrations this program does not provision yet report this state instead of pretending to be ready.
NOT_PROVISIONED = "not-provisioned"


@dataclass(frozen=True)
class TenantArgs:
    tenant: TenantModel
    platform: PlatformSettings


class Tenant(pulumi.ComponentResource):
    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:tenant:Tenant", name, None, opts)
        tenant = args.tenant
        self.dns = TenantDns(
            tenant.slug,
            TenantDnsArgs(zones=zones_for(tenant), rrsets=tenant_rrsets(tenant, dns_platform(args.platform))),
            pulumi.ResourceOptions(parent=self),
        )
        self.provisioning: pulumi.Output[dict[str, str]] = pulumi.Output.all(dns=self.dns.state).apply(
            lambda states: {
                "status": tenant.status.value,
                "dns": states["dns"],
                "authentik": NOT_PROVISIONED,
                "stalwart": NOT_PROVISIONED,
                "ocis": NOT_PROVISIONED,
            }
        )
        self.register_outputs({"provisioning": self.provisioning})


def dns_platform(platform: PlatformSettings):  # type: ignore[no-untyped-def]
    from components.dns.records import DnsPlatform

    return DnsPlatform(
        ingress_ipv4=platform.ingress_ipv4,
        ingress_ipv6=platform.ingress_ipv6,
        mail_host=platform.mail_host,
        web_host=platform.web_host,
        dmarc_rua=platform.dmarc_rua,
        tls_rpt_rua=platform.tls_rpt_rua,
        caa_issuer=platform.caa_issuer,
        caa_iodef=platform.caa_iodef,
        mta_sts_policy_id=platform.mta_sts_policy_id,
        ttl=platform.dns_ttl,
    )
