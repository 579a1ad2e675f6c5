"""Which tenant files a stack runs: the same answer for the program and for the runner's checks before it."""

from __future__ import annotations

from pathlib import Path

from dezky.engine.workspace import ROOT, StackName
from dezky.tenants import load_tenants
from dezky.tenants.loader import LoadedTenant


class InvalidTenantFiles(Exception):
    """Tenant files that do not validate, or a stack that names a tenant without a file."""


def tenants_folder(configured: str | None, base: Path = ROOT) -> Path:
    folder = Path(configured or "tenants")
    return folder if folder.is_absolute() else base / folder


def select_tenants(folder: Path, stack: StackName) -> list[LoadedTenant]:
    result = load_tenants([folder])
    if not result.ok:
        lines = "\n".join(problem.render(relative_to=ROOT) for problem in result.problems)
        raise InvalidTenantFiles(f"tenant files are invalid; nothing was applied:\n{lines}")
    selected = [item for item in result.tenants if stack.includes_tenant(item.tenant.slug)]
    if stack.tenant is not None and not selected:
        raise InvalidTenantFiles(
            f"stack {stack} selects tenant `{stack.tenant}`, which has no file in {folder}"
        )
    return selected
