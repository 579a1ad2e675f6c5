"""The platform's own names are reserved: no tenant slug or platform subdomain can take a stack's, a top-level
component's or an integration's name, so a tenant can never be confused with the platform."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings

from components.authentik.platform import OCIS_SLUG
from dezky.engine.workspace import StackName
from dezky.review.model import ESTATE
from dezky.tenants.catalog import PLATFORM_NAMES, RESERVED_SLUGS
from tests.tenants.builders import problems, tenant
from tests.tenants.conftest import REPO_ROOT
from tests.tenants.strategies import slugs

ENVIRONMENTS = sorted(path.name.split(".")[1] for path in (REPO_ROOT / "stacks").glob("Pulumi.*.yaml"))


def test_every_platform_name_is_reserved() -> None:
    assert PLATFORM_NAMES <= RESERVED_SLUGS


def test_the_stack_environments_are_platform_names() -> None:
    assert ENVIRONMENTS == ["dev", "prod"]
    assert set(ENVIRONMENTS) <= PLATFORM_NAMES


def test_the_estate_part_of_a_split_stack_is_a_platform_name() -> None:
    assert ESTATE == "estate"
    assert StackName.parse(f"dev.{ESTATE}").tenant is None  # `dev.estate` is the estate's, never a tenant's
    assert ESTATE in PLATFORM_NAMES


def test_the_programs_own_components_and_integrations_are_platform_names() -> None:
    # dezky/program.py names its top-level components `estate` and `platform`; the integrations are folders.
    program = (REPO_ROOT / "dezky" / "program.py").read_text(encoding="utf-8")
    assert 'Estate("estate"' in program
    assert 'PlatformIdentity("platform"' in program
    integrations = {
        path.name for path in (REPO_ROOT / "components").iterdir() if (path / "__init__.py").exists()
    }
    assert integrations - {"common"} <= RESERVED_SLUGS
    assert {"estate", "platform", "hetzner", "policy", "stack"} <= PLATFORM_NAMES


def test_the_platforms_own_authentik_application_is_reserved() -> None:
    assert OCIS_SLUG in PLATFORM_NAMES


@pytest.mark.parametrize("slug", sorted(name for name in PLATFORM_NAMES if len(name) >= 3))
def test_a_slug_that_is_a_platform_name_is_refused(tmp_path: Path, slug: str) -> None:
    assert problems(tmp_path, tenant(slug=slug)) == [
        ("slug", f"`{slug}` is reserved for the platform; choose another slug")
    ]


@pytest.mark.parametrize("label", ["estate", "platform", "dev", "prod", "ocis"])
def test_a_platform_subdomain_that_is_a_platform_name_is_refused(tmp_path: Path, label: str) -> None:
    assert problems(
        tmp_path, tenant(domains={"primary": "kanzlei-berg.de", "platform_subdomain": f"{label}.dezky.eu"})
    ) == [
        (
            "domains.platform_subdomain",
            f"`{label}.dezky.eu` is reserved for the platform; choose another name",
        )
    ]


@given(slugs)
@settings(max_examples=200, deadline=None)
def test_every_slug_a_tenant_may_take_names_its_own_split_stack(slug: str) -> None:
    for environment in ENVIRONMENTS:
        stack = StackName.parse(f"{environment}.{slug}")

        assert stack.tenant == slug
        assert not stack.includes_estate
        assert str(stack) == f"{environment}.{slug}"
