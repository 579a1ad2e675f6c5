"""One tenant: a component named by its slug that owns one child component per integration.

Data flows one way: the tenant model and the platform settings go down to each integration; the only value
that crosses between integrations is the DKIM public keys, which Stalwart generates and DNS publishes.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi

from components.authentik.component import TenantIdentity, TenantIdentityArgs
from components.dns.component import DeferredRRset, TenantDns, TenantDnsArgs
from components.dns.records import DkimKey, DnsPlatform, tenant_rrsets, zones_for
from components.ocis.component import TenantFiles, TenantFilesArgs
from components.stalwart.component import TenantMail, TenantMailArgs
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Tenant as TenantModel
from dezky.tenants.model import TenantStatus


@dataclass(frozen=True)
class TenantArgs:
    tenant: TenantModel
    platform: PlatformSettings


class Tenant(pulumi.ComponentResource):
    """Outputs `provisioning`: the tenant's status and each integration's state (dns, stalwart, ocis, authentik)."""

    def __init__(self, name: str, args: TenantArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        renamed = previous_slug_aliases(name, args.tenant.renamed_from)
        super().__init__("dezky:tenant:Tenant", name, None, pulumi.ResourceOptions.merge(opts, renamed))
        tenant, platform = args.tenant, args.platform
        child = pulumi.ResourceOptions(parent=self)
        self.identity = TenantIdentity(
            tenant.slug, TenantIdentityArgs(tenant=tenant, platform=platform), child
        )
        self.mail = TenantMail(tenant.slug, TenantMailArgs(tenant=tenant, platform=platform), child)
        self.files = TenantFiles(tenant.slug, TenantFilesArgs(tenant=tenant, platform=platform), child)
        dns_settings = dns_platform(platform)
        self.dns = TenantDns(
            tenant.slug,
            TenantDnsArgs(
                zones=zones_for(tenant),
                rrsets=tenant_rrsets(tenant, dns_settings),
                deferred=dkim_rrsets(self.mail, dns_settings.ttl),
                purge=tenant.status is TenantStatus.DELETED and tenant.purge,
                purged_zones=tenant.domains.purged_mail_domains,
            ),
            child,
        )
        self.provisioning: pulumi.Output[dict[str, str]] = pulumi.Output.all(
            authentik=self.identity.state, stalwart=self.mail.state, ocis=self.files.state, dns=self.dns.state
        ).apply(lambda states: {"status": tenant.status.value, **states})
        self.register_outputs({"provisioning": self.provisioning})


def previous_slug_aliases(slug: str, previous: str | None) -> pulumi.ResourceOptions:
    """Every resource of a renamed tenant also answers to its name under the previous slug (`<slug>:...`), so
    the engine updates each object in place instead of replacing it; names a rename of one user or space gave
    an alias get their previous-slug form as well, for both renames in one change."""
    if previous is None:
        return pulumi.ResourceOptions()

    def before(name: str) -> str | None:
        if name == slug or name.startswith(f"{slug}:"):
            return previous + name[len(slug) :]
        return None

    def alias_previous_slug(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult:
        names = [args.name, *(a.name for a in args.opts.aliases or () if isinstance(a, pulumi.Alias))]
        previous_names = [old for name in names if isinstance(name, str) and (old := before(name))]
        aliases = pulumi.ResourceOptions(aliases=[pulumi.Alias(name=old) for old in previous_names])
        return pulumi.ResourceTransformationResult(
            args.props, pulumi.ResourceOptions.merge(args.opts, aliases)
        )

    return pulumi.ResourceOptions(transformations=[alias_previous_slug])


def dkim_rrsets(mail: TenantMail, ttl: int) -> list[DeferredRRset]:
    """One TXT RRset per DKIM selector, declared at preview; its record arrives when Stalwart made the key.

    Each domain's keys come from that domain's own resource, so adding a domain leaves the known keys of the
    others known in the preview (and their RRsets unchanged)."""
    rrsets = []
    for domain, selectors in mail.dkim_selectors.items():
        for selector, _algorithm in selectors:
            records = mail.domains[domain].dkim_keys.apply(
                lambda keys, d=domain, s=selector: _dkim_records(keys or [], d, s)
            )
            rrsets.append(DeferredRRset(domain, f"{selector}._domainkey.{domain}", "TXT", ttl, records))
    return rrsets


def _dkim_records(keys: list[dict[str, str]], domain: str, selector: str) -> list[str]:
    found = [DkimKey(**key).record for key in keys if key["selector"] == selector]
    if not found:
        raise ValueError(
            f"Stalwart reported no DKIM key {selector} for {domain}; run `up` again once it has one"
        )
    return found


def dns_platform(platform: PlatformSettings) -> DnsPlatform:
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
