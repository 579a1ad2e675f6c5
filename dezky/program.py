"""The Pulumi program: validated tenant files in, one `Tenant` component per tenant out.

The stack name selects what runs (see `StackName`): `dev` runs every tenant, `dev.acme` only acme, so the same
program serves one big stack or one stack per tenant. Stacks that include the estate (`dev`, `prod`,
`dev.estate`) also build the Hetzner `Estate` and the platform's OCIS application when their config describes
an estate (`dezky:estate`), and bootstrap its host when it describes one (`dezky:host`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path

import pulumi

from components.authentik.platform import PlatformIdentity
from components.tenant.component import Tenant, TenantArgs
from components.tenant.platform import PlatformSettings, platform_settings
from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import StackName
from dezky.lifecycle import as_provisioned, deletion_days
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
    provisioning = {}
    files_groups: dict[str, pulumi.Output[str]] = {}
    for loaded in tenants:
        tenant = as_provisioned(loaded.tenant, deletions.get(loaded.tenant.slug), today)
        component = Tenant(tenant.slug, TenantArgs(tenant=tenant, platform=platform))
        provisioning[tenant.slug] = component.provisioning
        files_groups[tenant.slug] = component.identity.groups[TenantGroup.MEMBERS].name
    pulumi.export("tenants", provisioning)
    pulumi.export("tenant_count", len(tenants))
    # Read by the runner before the next run: the retention clock of each deleted tenant.
    pulumi.export("tenant_deletions", deletions)
    if estate is not None:
        _export_estate(estate, platform, config, files_groups)


def _export_estate(
    settings: EstateSettings,
    platform: PlatformSettings,
    config: pulumi.Config,
    files_groups: Mapping[str, pulumi.Input[str]],
) -> None:
    """The estate, and the platform's files application: open to the platform's admins and to the members
    group of every tenant this stack runs (`files_groups`), to nobody else."""
    estate = Estate("estate", settings)
    pulumi.export("estate_monthly_cost_eur", estate.monthly_cost_eur)
    pulumi.export("estate", estate.summary)
    pulumi.export("estate_credentials", estate.credentials)  # secret: box passwords, bucket keys
    identity = PlatformIdentity("platform", platform.domain, member_groups=files_groups)
    pulumi.export("platform_oidc", {"issuer": identity.ocis.issuer, "client_id": identity.ocis.client_id})
    if config.get_object("host") is not None:
        # The host is bootstrapped once Robot's firewall lets SSH in only from the admin networks.
        after_firewall = pulumi.ResourceOptions(parent=estate, depends_on=[estate.firewall])
        host = HostBootstrap("estate:host", bootstrap_args_from_config(config), after_firewall)
        pulumi.export("estate_host", {"dry_run_steps": host.dry_run_steps, "dry_run_log": host.dry_run_log})
        pulumi.export("estate_kubeconfig", host.kubeconfig)  # secret


__all__ = ["PlatformSettings", "run"]
