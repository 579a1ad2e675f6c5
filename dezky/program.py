"""The Pulumi program: validated tenant files in, one `Tenant` component per tenant out.

The stack name selects what runs (see `StackName`): `dev` runs every tenant, `dev.acme` only acme, so the same
program serves one big stack or one stack per tenant. Stacks that include the estate (`dev`, `prod`,
`dev.estate`) also build the Hetzner `Estate` and the platform's OCIS application when their config describes
an estate (`dezky:estate`), and bootstrap its host when it describes one (`dezky:host`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pulumi

from components.authentik.platform import PlatformIdentity
from components.common.connection import PlatformConnection
from components.dns.platform_zone import PlatformDns, platform_dns_args
from components.dns.provider import nameservers_from_config
from components.tenant.component import Tenant, TenantArgs, dns_platform
from components.tenant.platform import PlatformSettings, platform_settings
from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import StackName
from dezky.lifecycle import as_provisioned, deletion_days
from dezky.platform import (
    PlatformConfigInvalid,
    PlatformCredentials,
    PlatformDeployment,
    deploy_platform,
    platform_config,
    tenant_tls_hosts,
)
from dezky.tenants.model import Tenant as TenantModel
from dezky.tenants.model import TenantGroup
from hetzner.estate import Estate, EstateSettings, estate_settings
from hetzner.host import HostBootstrap, bootstrap_args_from_config


class TenantFilesInvalid(pulumi.RunError):
    """Raised before any resource is registered, so nothing is applied."""


def run(
    recorded_deletions: Mapping[str, str] | None = None,
    today: dt.date | None = None,
    tenants_dir: Path | None = None,
) -> None:
    """`recorded_deletions`: the `tenant_deletions` the stack recorded before this run (the runner reads
    them); a tenant's purge counts only once the retention has passed since that day. `tenants_dir`: where
    the tenant files are, instead of the stack's `dezky:tenantsDir` (reconcile reads the deployed commit's)."""
    today = today or dt.datetime.now(dt.UTC).date()
    config = pulumi.Config("dezky")
    stack = StackName.parse(pulumi.get_stack())
    platform = platform_settings(config)
    estate = estate_settings(config) if stack.includes_estate else None  # validated before anything registers
    try:
        tenants = select_tenants(tenants_dir or tenants_folder(config.get("tenantsDir")), stack)
    except InvalidTenantFiles as exc:
        raise TenantFilesInvalid(str(exc)) from None
    deletions = deletion_days((item.tenant for item in tenants), recorded_deletions, today)
    provisioned = [as_provisioned(item.tenant, deletions.get(item.tenant.slug), today) for item in tenants]
    if stack.includes_estate and config.get_bool("platformZone"):  # opt-in: see the README's platform zone
        pulumi.export("platform_zone", _platform_zone(config, platform, provisioned).state)
    deployment = _build_estate(estate, platform, config, provisioned) if estate is not None else None
    # With a platform of its own, every tenant provider is configured from the platform's outputs.
    connection = deployment.connection if deployment is not None else None
    connected = pulumi.ResourceOptions(providers=[connection]) if connection is not None else None
    provisioning = {}
    files_groups: dict[str, pulumi.Output[str]] = {}
    for tenant in provisioned:
        component = Tenant(tenant.slug, TenantArgs(tenant=tenant, platform=platform), connected)
        provisioning[tenant.slug] = component.provisioning
        files_groups[tenant.slug] = component.identity.groups[TenantGroup.MEMBERS].name
    pulumi.export("tenants", provisioning)
    pulumi.export("tenant_count", len(tenants))
    # Read by the runner before the next run: the retention clock of each deleted tenant.
    pulumi.export("tenant_deletions", deletions)
    if deployment is not None:
        _export_platform_identity(deployment, platform, files_groups)


@dataclass
class EstateDeployment:
    estate: Estate
    platform: PlatformDeployment | None
    connection: PlatformConnection | None


def _build_estate(
    settings: EstateSettings, platform: PlatformSettings, config: pulumi.Config, tenants: list[TenantModel]
) -> EstateDeployment:
    """The estate; its host bootstrapped when the stack has `dezky:host`; the platform's services on k3s when
    it has `dezky:platform`. The estate's outputs (the boxes' accounts, the bucket's keys) and the generated
    credentials flow from one to the next."""
    wanted = platform_config(config)  # validated before anything registers
    estate = Estate("estate", settings)
    pulumi.export("estate_monthly_cost_eur", estate.monthly_cost_eur)
    pulumi.export("estate", estate.summary)
    pulumi.export("estate_credentials", estate.credentials)  # secret: box passwords, bucket keys
    credentials = PlatformCredentials("platform:credentials") if wanted or config.get_object("host") else None
    host = None
    if config.get_object("host") is not None and credentials is not None:
        # The host is bootstrapped once Robot's firewall lets SSH in only from the admin networks.
        after_firewall = pulumi.ResourceOptions(parent=estate, depends_on=[estate.firewall])
        args = bootstrap_args_from_config(config, credentials.stalwart_admin_password, estate.backup_accounts)
        host = HostBootstrap("estate:host", args, after_firewall)
        pulumi.export("estate_host", {"dry_run_steps": host.dry_run_steps, "dry_run_log": host.dry_run_log})
        pulumi.export("estate_kubeconfig", host.kubeconfig)  # secret
    if wanted is None or credentials is None:
        return EstateDeployment(estate, None, None)
    deployment = deploy_platform(
        wanted,
        platform.domain,
        platform.mail_host,
        _kubeconfig(config, host),
        credentials,
        estate.ocis_storage(),
        tenant_tls_hosts(tenants),
        host,
        # As the estate's boxes and bucket: Authentik's database and OCIS's metadata volumes hold data.
        opts=pulumi.ResourceOptions(protect=settings.protect),
    )
    pulumi.export(
        "platform",
        {
            "authentik_url": deployment.platform.authentik_url,
            "ocis_url": deployment.platform.ocis_url,
            "collabora_url": deployment.platform.collabora_url,
        },
    )
    return EstateDeployment(estate, deployment, deployment.connection)


def _platform_zone(
    config: pulumi.Config, platform: PlatformSettings, tenants: list[TenantModel]
) -> PlatformDns:
    """The platform's own zone, delegating the platform subdomain of each tenant this stack runs."""
    backend = config.get("dnsBackend") or "powerdns"
    try:
        nameservers = nameservers_from_config(backend, config.get("dnsNameservers"))
        subdomains = [tenant.platform_subdomain for tenant in tenants]
        args = platform_dns_args(platform.domain, dns_platform(platform), subdomains, nameservers)
    except ValueError as exc:
        raise PlatformConfigInvalid(f"dezky:platformZone: {exc}") from None
    return PlatformDns("platform-dns", args)


def _kubeconfig(config: pulumi.Config, host: HostBootstrap | None) -> pulumi.Input[str]:
    """The cluster the platform goes to: `dezky:kubeconfig` when the stack names one, else the host's k3s."""
    named = config.get_secret("kubeconfig")
    if named is not None:
        return named
    if host is None or "k3s" in host.dry_run_groups:
        raise PlatformConfigInvalid(
            "dezky:platform needs a cluster: the host's k3s is in dry run or there is no dezky:host; "
            "set the secret dezky:kubeconfig to the cluster's kubeconfig"
        )
    return host.kubeconfig


def _export_platform_identity(
    deployment: EstateDeployment, platform: PlatformSettings, files_groups: Mapping[str, pulumi.Input[str]]
) -> None:
    """The platform's files application: open to the platform's admins and to the members group of every
    tenant this stack runs (`files_groups`), to nobody else. OCIS is configured with its client id."""
    connected = None
    if deployment.platform is not None:
        connected = pulumi.ResourceOptions(providers=[deployment.platform.identity_connection])
    identity = PlatformIdentity("platform", platform.domain, connected, member_groups=files_groups)
    pulumi.export("platform_oidc", {"issuer": identity.ocis.issuer, "client_id": identity.ocis.client_id})
    if deployment.platform is not None:
        deployment.platform.resolve_ocis_client_id(identity.ocis.client_id)


__all__ = ["PlatformSettings", "run"]
