"""A tenant's files: one OCIS project space per `files.spaces` entry, with members, suspension and purge."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.ocis.provider import SpaceProvider, space_alias
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Space, SpaceMember, Tenant, TenantStatus

STATES = {TenantStatus.ACTIVE: "ready", TenantStatus.SUSPENDED: "suspended", TenantStatus.DELETED: "deleted"}


class ProjectSpace(Resource, module="ocis", name="Space"):
    drive_id: pulumi.Output[str]
    enabled: pulumi.Output[bool]
    pending_members: pulumi.Output[list[str]]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(SpaceProvider(), name, {"drive_id": None, "pending_members": None, **props}, opts)


@dataclass(frozen=True)
class TenantFilesArgs:
    tenant: Tenant
    platform: PlatformSettings  # the same arguments every tenant integration takes; OCIS needs none of it yet


class TenantFiles(pulumi.ComponentResource):
    """`state` is `ready`, `suspended` or `deleted` (the tenant's status) once every space has been written."""

    def __init__(self, name: str, args: TenantFilesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:ocis:TenantFiles", name, None, opts)
        tenant = args.tenant
        check_unique_aliases(tenant)
        self.spaces: dict[str, ProjectSpace] = {
            space.name: ProjectSpace(
                f"{name}:space:{_label(tenant, space)}",
                space_inputs(tenant, space),
                pulumi.ResourceOptions(parent=self, aliases=_previous_names(name, tenant, space)),
            )
            for space in tenant.files.spaces
        }
        written = [space.enabled for space in self.spaces.values()]
        self.state: pulumi.Output[str] = pulumi.Output.all(*written).apply(lambda _: STATES[tenant.status])
        self.register_outputs({"state": self.state, "spaces": len(self.spaces)})


def space_inputs(tenant: Tenant, space: Space) -> dict[str, Any]:
    """The resource inputs for one space. Members are suspended with the tenant, never left behind."""
    return {
        "tenant": tenant.slug,
        "name": space.name,
        "description": space.description,
        "quota": int(space.quota),
        "members": [_member(tenant, member) for member in space.members],
        "enabled": tenant.is_active,
        # Files are destroyed only on an explicit opt-in: the space's own, or the deleted tenant's after retention.
        "purge": space.purge or (tenant.status is TenantStatus.DELETED and tenant.purge),
        "renamed_from": _previous_alias(tenant, space),
    }


def _previous_alias(tenant: Tenant, space: Space) -> str | None:
    """The space's key before the tenant or the space was renamed: the provider renames it in place."""
    if space.renamed_from is None and tenant.renamed_from is None:
        return None
    return space_alias(tenant.renamed_from or tenant.slug, space.renamed_from or space.name)


def _previous_names(name: str, tenant: Tenant, space: Space) -> list[pulumi.Alias]:
    if space.renamed_from is None:
        return []
    previous = space.model_copy(update={"name": space.renamed_from})
    return [pulumi.Alias(name=f"{name}:space:{_label(tenant, previous)}")]


def _member(tenant: Tenant, member: SpaceMember) -> dict[str, str]:
    # The groups are named as Authentik sends them in the groups claim, which OCIS turns into its groups.
    principal = f"user:{member.user}" if member.user else f"group:{tenant.slug}-{member.group}"
    return {"principal": principal, "role": member.role.value}


def _label(tenant: Tenant, space: Space) -> str:
    """The resource name's tail: the alias's, so a change of case in the name is an update, not a new space."""
    return space_alias(tenant.slug, space.name).split(".", 1)[1]


def check_unique_aliases(tenant: Tenant) -> None:
    """Two spaces whose names reduce to the same alias would be one OCIS space; say so before anything runs."""
    seen: dict[str, str] = {}
    for space in tenant.files.spaces:
        alias = space_alias(tenant.slug, space.name)
        if alias in seen:
            raise ValueError(
                f"tenants/{tenant.slug}.yaml: spaces {seen[alias]!r} and {space.name!r} both become the OCIS "
                f"space {alias}; rename one of them"
            )
        seen[alias] = space.name
