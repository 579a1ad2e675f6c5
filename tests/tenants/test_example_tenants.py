"""The tenant files in `tenants/`: valid, editor-ready, and covering the cases a reader looks for."""

from __future__ import annotations

from pathlib import Path

import pytest

from dezky.tenants import load_tenants
from dezky.tenants.loader import LoadedTenant
from dezky.tenants.model import TenantStatus
from dezky.tenants.schema import SCHEMA_COMMENT
from tests.tenants.conftest import REPO_ROOT

TENANTS_DIR = REPO_ROOT / "tenants"
TENANT_FILES = sorted(TENANTS_DIR.glob("*.y*ml"))


@pytest.fixture(scope="module")
def tenants() -> list[LoadedTenant]:
    result = load_tenants([TENANTS_DIR])
    assert result.problems == []
    return result.tenants


@pytest.mark.parametrize("path", TENANT_FILES, ids=lambda path: path.name)
def test_every_tenant_file_starts_with_the_schema_line_for_editors(path: Path) -> None:
    assert path.read_text(encoding="utf-8").splitlines()[0] == SCHEMA_COMMENT


def test_every_tenant_file_is_valid_and_loaded(tenants: list[LoadedTenant]) -> None:
    assert sorted(item.path for item in tenants) == TENANT_FILES


def test_every_example_has_a_few_users(tenants: list[LoadedTenant]) -> None:
    assert all(2 <= len(item.tenant.users) <= 6 for item in tenants)


def test_acme_is_a_small_company_with_one_domain(tenants: list[LoadedTenant]) -> None:
    (acme,) = (item.tenant for item in tenants if item.tenant.slug == "acme")

    assert acme.is_active
    assert acme.domains.mail_domains == ("acme-werkzeuge.de",)


def test_there_is_a_tenant_with_an_internationalised_mail_domain_on_a_plan_that_allows_it(
    tenants: list[LoadedTenant],
) -> None:
    candidates = [
        item.tenant
        for item in tenants
        if item.tenant.plan in ("business", "enterprise")
        and len(item.tenant.domains.mail_domains) >= 2
        and any(label.startswith("xn--") for d in item.tenant.domains.mail for label in d.split("."))
    ]

    assert candidates


@pytest.mark.parametrize("status", list(TenantStatus), ids=str)
def test_there_is_a_tenant_in_every_status(tenants: list[LoadedTenant], status: TenantStatus) -> None:
    assert any(item.tenant.status is status for item in tenants)


def test_the_soft_deleted_tenant_says_when_it_was_deleted(tenants: list[LoadedTenant]) -> None:
    deleted = [item.tenant for item in tenants if item.tenant.status is TenantStatus.DELETED]

    assert deleted
    assert all(tenant.deleted_at is not None and not tenant.purge for tenant in deleted)
