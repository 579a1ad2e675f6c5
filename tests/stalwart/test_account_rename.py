"""A user whose address changed (`renamed_from`): the same Stalwart account, its mailbox and password kept."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from components.stalwart.client import StalwartClient
from components.stalwart.component import mail_plan
from components.stalwart.provider import AccountProvider
from dezky.tenants.model import Tenant
from tests.emulators.stalwart import StalwartEmulator

from .conftest import DOMAIN, OTHER_DOMAIN, domain_object

OLD = f"ida@{DOMAIN}"
NEW = f"ida.berg@{DOMAIN}"
GiB = 1024**3
USER: dict[str, Any] = {
    "kind": "user", "address": OLD, "display_name": "Ida Berg", "quota": 5 * GiB, "aliases": [f"info@{DOMAIN}"],
    "member_of": [], "suspended": False, "purge": False, "stalwart_id": None, "password": None,
}  # fmt: skip


def renamed(**changes: Any) -> dict[str, Any]:
    return {**USER, "address": NEW, "renamed_from": OLD, **changes}


@pytest.fixture
def provider(configure: Callable[..., AccountProvider], domain_id: str) -> AccountProvider:
    return configure(AccountProvider)


def test_a_renamed_user_keeps_the_mail_and_the_password_under_the_new_address(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    stalwart.deliver(OLD, 4)

    diff = provider.diff(created.id, created.outs, renamed())
    updated = provider.update(created.id, created.outs, renamed())

    assert diff.changes and diff.replaces == []
    assert stalwart.message_count(NEW) == 4 and stalwart.message_count(OLD) is None
    assert updated.outs["stalwart_id"] == created.outs["stalwart_id"]
    assert updated.outs["password"] == created.outs["password"]
    assert stalwart.can_authenticate(NEW, created.outs["password"])


def test_the_previous_address_can_stay_as_an_alias_in_the_same_change(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    wanted = renamed(aliases=[OLD, f"info@{DOMAIN}"])

    updated = provider.update(created.id, created.outs, wanted)
    read = provider.read(created.id, updated.outs)

    assert read.outs["address"] == NEW and read.outs["aliases"] == sorted([OLD, f"info@{DOMAIN}"])
    assert provider.diff(created.id, read.outs, wanted).changes is False


def test_a_rename_to_another_domain_of_the_tenant_moves_the_account(
    provider: AccountProvider, stalwart: StalwartEmulator, client: StalwartClient
) -> None:
    client.create("x:Domain", domain_object(OTHER_DOMAIN), f"domain {OTHER_DOMAIN}")
    created = provider.create(USER)
    stalwart.deliver(OLD, 2)
    moved = renamed(address=f"ida@{OTHER_DOMAIN}")

    provider.update(created.id, created.outs, moved)

    assert stalwart.message_count(f"ida@{OTHER_DOMAIN}") == 2 and stalwart.message_count(OLD) is None


def test_after_the_rename_a_second_pass_reads_it_under_the_new_address_and_writes_nothing(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    updated = provider.update(created.id, created.outs, renamed())
    stalwart.forget_calls()

    read = provider.read(created.id, updated.outs)

    assert read.outs["address"] == NEW
    assert provider.diff(created.id, read.outs, renamed()).changes is False
    assert stalwart.write_count == 0


def test_a_create_with_renamed_from_renames_the_existing_account_instead_of_making_a_second(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    first = provider.create(USER)
    stalwart.deliver(OLD, 3)

    created = provider.create(renamed())

    assert created.id == NEW and created.outs["stalwart_id"] == first.outs["stalwart_id"]
    assert stalwart.message_count(NEW) == 3 and stalwart.message_count(OLD) is None


def test_without_renamed_from_a_changed_address_is_a_replacement(provider: AccountProvider) -> None:
    created = provider.create(USER)

    assert provider.diff(created.id, created.outs, renamed(renamed_from=None)).replaces == ["address"]


def test_a_renamed_account_is_protected_and_purged_under_its_new_address(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    updated = provider.update(created.id, created.outs, renamed(purge=True))

    provider.delete(created.id, updated.outs)

    assert stalwart.message_count(NEW) is None


def test_the_mail_plan_carries_each_users_previous_address() -> None:
    model = Tenant.model_validate(
        {
            "slug": "nordlicht", "name": "Nordlicht Design", "created": dt.date(2026, 3, 1), "plan": "business",
            "domains": {"primary": DOMAIN},
            "users": [{"email": NEW, "name": "Ida Berg", "role": "admin", "renamed_from": OLD},
                      {"email": f"jonas@{DOMAIN}", "name": "Jonas"}],
        }
    )  # fmt: skip

    assert [(u.address, u.renamed_from) for u in mail_plan(model).users] == [
        (NEW, OLD),
        (f"jonas@{DOMAIN}", None),
    ]
