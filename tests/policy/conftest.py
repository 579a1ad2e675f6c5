"""Tenant files and checkpoints for the policy rules: the repository's own tenants, copied to a temp folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from dezky.engine.workspace import ROOT
from dezky.policy.state import Checkpoint, PolicyContext, Recorded, load_tenant_files


@pytest.fixture
def tenants_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "tenants"
    folder.mkdir()
    for source in (ROOT / "tenants").glob("*.yaml"):
        shutil.copy(source, folder / source.name)
    return folder


def context_for(tenants_dir: Path, *recorded: Recorded) -> PolicyContext:
    files = load_tenant_files({"dezky:tenantsDir": str(tenants_dir)}, "dev")
    return PolicyContext("dev", files, Checkpoint({(r.type, r.name): r for r in recorded}))


def recorded(type_: str, resource_name: str, **inputs: object) -> Recorded:
    urn = f"urn:pulumi:dev::dezky::dezky:tenant:Tenant$pulumi-python:dynamic/{type_}::{resource_name}"
    return Recorded(urn, type_, inputs)
