"""The Pulumi program: validated tenant files in, one `Tenant` component per tenant out.

The stack name selects what runs (see `StackName`): `dev` runs every tenant, `dev.acme` only acme, so the same
program serves one big stack or one stack per tenant.
"""

from __future__ import annotations

from pathlib import Path

import pulumi

from components.tenant.component import Tenant, TenantArgs
from components.tenant.platform import PlatformSettings, platform_settings
from dezky.engine.workspace import ROOT, StackName
from dezky.tenants import load_tenants
from dezky.tenants.loader import LoadedTenant


class TenantFilesInvalid(pulumi.RunError):
    """Raised before any resource is registered, so nothing is applied."""


def run() -> None:
    config = pulumi.Config("dezky")
    stack = StackName.parse(pulumi.get_stack())
    platform = platform_settings(config)
    tenants = _selected_tenants(_tenants_dir(config), stack)
    provisioning = {}
    for loaded in tenants:
        component = Tenant(loaded.tenant.slug, TenantArgs(tenant=loaded.tenant, platform=platform))
        provisioning[loaded.tenant.slug] = component.provisioning
    pulumi.export("tenants", provisioning)
    pulumi.export("tenant_count", len(tenants))


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
        raise TenantFilesInvalid(f"stack {stack} selects tenant `{stack.tenant}`, which has no file in {folder}")
    return selected


__all__ = ["PlatformSettings", "run"]
