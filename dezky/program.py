"""The Pulumi program: validated tenant files in, one `Tenant` component per tenant out.

The stack name selects what runs (see `StackName`): `dev` runs every tenant, `dev.acme` only acme, so the same
program serves one big stack or one stack per tenant. Stacks that include the estate (`dev`, `prod`,
`dev.estate`) also build the Hetzner `Estate` when their config describes one (`dezky:estate`).
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.tenant.component import Tenant, TenantArgs
from components.tenant.platform import PlatformSettings, platform_settings
from dezky.engine.workspace import ROOT, StackName
from dezky.tenants import load_tenants
from dezky.tenants.loader import LoadedTenant
from hetzner.estate import Estate, EstateSettings, estate_settings


class TenantFilesInvalid(pulumi.RunError):
    """Raised before any resource is registered, so nothing is applied."""


def run() -> None:
    config = pulumi.Config("dezky")
    stack = StackName.parse(pulumi.get_stack())
    platform = platform_settings(config)
    estate = estate_settings(config) if stack.includes_estate else None  # validated before anything registers
    tenants = _selected_tenants(_tenants_dir(config), stack)
    provisioning = {}
    for loaded in tenants:
        component = Tenant(loaded.tenant.slug, TenantArgs(tenant=loaded.tenant, platform=platform))
        provisioning[loaded.tenant.slug] = component.provisioning
    pulumi.export("tenants", provisioning)
    pulumi.export("tenant_count", len(tenants))
    if estate is not None:
        _export_estate(estate)


def _export_estate(settings: EstateSettings) -> None:
    estate = Estate("estate", settings)
    pulumi.export("estate_monthly_cost_eur", estate.monthly_cost_eur)
    pulumi.export("estate", estate.summary)
    pulumi.export("estate_credentials", estate.credentials)  # secret: box passwords, bucket keys


def _tenants_dir(config: pulumi.Config) -> Path:
    folder = Path(config.get("tenantsDir") or "tenants")
    return folder if folder.is_absolute() else ROOT / folder


def _selected_tenants(folder: Path, stack: StackName) -> list[LoadedTenant]:
    result = load_tenants([folder])
    if not result.ok:
        lines = "\n".join(problem.render(relative_to=ROOT) for problem in result.problems)
        raise TenantFilesInvalid(f"tenant files are invalid; nothing was applied:\n{lines}")
    selected = [item for item in result.tenants if stack.includes_tenant(item.tenant.slug)]
    if stack.tenant is not None and not selected:
        raise TenantFilesInvalid(
            f"stack {stack} selects tenant `{stack.tenant}`, which has no file in {folder}"
        )
    return selected


__all__ = ["PlatformSettings", "run"]
