"""What the policy pack knows besides the planned resources: the tenant files and the stack's last checkpoint.

The engine runs the pack as a separate process with the stack's configuration (`PULUMI_CONFIG`), its name and
project (`PULUMI_STACK`, `PULUMI_PROJECT`) and the backend URL in its environment. The last checkpoint is what
the previous run left: the pack compares it with the plan to see data that would be deleted or replaced, which
Pulumi's analyzer protocol does not show a policy otherwise.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from dezky.engine.backend import read_stack_document
from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import StackName
from dezky.review.model import DYNAMIC_PREFIX
from dezky.tenants.loader import LoadedTenant
from dezky.tenants.problems import Location


def short_type(resource_type: str) -> str:
    """`pulumi-python:dynamic/stalwart:Account` -> `stalwart:Account`"""
    return resource_type.removeprefix(DYNAMIC_PREFIX)


def tenant_of(name: str) -> str:
    """Tenant resources are named `<slug>:<what>`; the slug is the tenant's."""
    return name.partition(":")[0]


@dataclass(frozen=True)
class Recorded:
    """One resource as the last run left it in the state."""

    urn: str
    type: str
    inputs: Mapping[str, Any]

    @property
    def name(self) -> str:
        return self.urn.rsplit("::", 1)[-1]


@dataclass(frozen=True)
class Checkpoint:
    #: by (type, name): a resource is found wherever its parent put it, in one look-up
    resources: Mapping[tuple[str, str], Recorded] = field(default_factory=dict)

    def find(self, resource_type: str, name: str) -> Recorded | None:
        """The recorded resource of that type and name (under whichever parent it was)."""
        return self.resources.get((resource_type, name))


def read_checkpoint(backend_url: str, project: str, stack: str) -> Checkpoint:
    """The stack's last checkpoint in a file or S3 backend, or an empty one for a new stack."""
    if urlparse(backend_url).scheme not in ("file", "s3"):
        return Checkpoint()
    document = read_stack_document(backend_url, project, stack)
    return _checkpoint_from(document) if document else Checkpoint()


def _checkpoint_from(document: Mapping[str, Any]) -> Checkpoint:
    latest = (document.get("checkpoint") or {}).get("latest") or {}
    resources: dict[tuple[str, str], Recorded] = {}
    for item in latest.get("resources") or []:
        if item.get("delete"):
            continue  # a replaced resource's old copy awaiting deletion
        recorded = Recorded(item["urn"], short_type(item["type"]), item.get("inputs") or {})
        resources[(recorded.type, recorded.name)] = recorded
    return Checkpoint(resources)


@dataclass(frozen=True)
class TenantFiles:
    """The tenant files the stack runs, and where a field of one of them stands."""

    folder: Path
    loaded: Mapping[str, LoadedTenant]

    def get(self, slug: str) -> LoadedTenant | None:
        return self.loaded.get(slug)

    def locate(self, slug: str, field_path: tuple[str | int, ...] = ()) -> Location:
        found = self.loaded.get(slug)
        if found is None:  # the file was removed (or renamed): point at where it was
            return Location(self.folder / f"{slug}.yaml", 1, 1, ())
        return found.document.locate(field_path, at_key=True)


def load_tenant_files(config: Mapping[str, Any], stack: str) -> TenantFiles:
    folder = tenants_folder(config.get("dezky:tenantsDir"))
    try:
        selected = select_tenants(folder, StackName.parse(stack))
    except InvalidTenantFiles:
        selected = []  # the program stops on invalid files before registering anything
    return TenantFiles(folder, {item.tenant.slug: item for item in selected})


@dataclass(frozen=True)
class PolicyContext:
    stack: str
    tenants: TenantFiles
    checkpoint: Checkpoint


def context_from_environment() -> PolicyContext:
    """The context of the run that started this pack, read from the environment the engine gives it."""
    config = json.loads(os.environ.get("PULUMI_CONFIG") or "{}")
    stack = os.environ.get("PULUMI_STACK", "dev")
    project = os.environ.get("PULUMI_PROJECT", "dezky")
    checkpoint = read_checkpoint(os.environ.get("PULUMI_BACKEND_URL", ""), project, stack)
    return PolicyContext(stack, load_tenant_files(config, stack), checkpoint)
