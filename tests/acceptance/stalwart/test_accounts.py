"""Users (quotas, aliases on two domains, group membership) and shared mailboxes, through `AccountProvider`,
against a real Stalwart 0.16."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.provider import ConflictError
from components.stalwart.client import JmapError
from components.stalwart.provider import AccountProvider, DomainProvider, PurgeRequired

from .conftest import GiB, Tier
from .test_domains import inputs as domain_inputs
from .test_domains import lose_the_reply_of_the_next_create


def user(address: str, **overrides: Any) -> dict[str, Any]:
    return {"kind": "user", "address": address, "display_name": "Ida Berg", "quota": 5 * GiB, "aliases": [],
            "member_of": [], "suspended": False, "purge": False, "stalwart_id": None, "password": None,
            **overrides}  # fmt: skip


def group(address: str, **overrides: Any) -> dict[str, Any]:
    return user(address, kind="group", display_name="Office", quota=None, **overrides)


@pytest.fixture
def domain(tier: Tier) -> str:
    name = tier.domain()
    tier.provider(DomainProvider).create(domain_inputs(name, purge=True))
    return name


@pytest.fixture
def provider(tier: Tier) -> AccountProvider:
    return tier.provider(AccountProvider)


def test_user_with_quota_and_aliases_on_two_domains_reads_back_as_declared(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    other = tier.domain("nordlicht-eu")
    tier.provider(DomainProvider).create(domain_inputs(other))
    declared = user(f"Ida@{domain.upper()}", aliases=[f"ida@{other}", f"INFO@{domain}", f"info@{domain}"])

    created = provider.create(declared)
    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert {k: read.outs[k] for k in provider.normalise(declared)} == provider.normalise(declared)
    assert read.outs["aliases"] == sorted([f"ida@{other}", f"info@{domain}"])
    assert tier.sign_in(f"ida@{domain}", tier.rec.secret(created.outs["password"])) == 200


def test_second_apply_makes_no_write_calls(tier: Tier, provider: AccountProvider, domain: str) -> None:
    provider.create(group(f"office@{domain}"))
    declared = user(f"ida@{domain}", aliases=[f"info@{domain}"], member_of=[f"office@{domain}"])
    created = provider.create(declared)
    tier.rec.secret(created.outs["password"])
    mark = tier.mark()

    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs and not provider.diff(created.id, read.outs, declared).changes
    assert tier.sets(mark) == 0


def test_quota_changed_by_hand_is_detected_and_repaired(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    declared = user(f"ida@{domain}")
    created = provider.create(declared)
    tier.rec.secret(created.outs["password"])
    with tier.client() as client:
        drift = {"quotas/maxDiskQuota": GiB, "description": "Someone"}
        client.update("x:Account", created.outs["stalwart_id"], drift, "by hand")

    drifted = provider.read(created.id, created.outs)
    assert (drifted.outs["quota"], drifted.outs["display_name"]) == (GiB, "Someone")
    assert provider.diff(created.id, drifted.outs, declared).changes
    mark = tier.mark()
    provider.update(created.id, drifted.outs, declared)

    assert tier.sets(mark) == 1
    assert provider.read(created.id, created.outs).outs == created.outs


def test_an_identical_existing_account_is_adopted_without_a_write(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    domain_id = tier.provider(DomainProvider).read(domain, {}).outs["stalwart_id"]
    with tier.client() as client:
        client.create("x:Account", {
            "@type": "User", "name": "ida", "domainId": domain_id, "description": "Ida Berg",
            "quotas": {"maxDiskQuota": 5 * GiB}, "roles": {"@type": "User"},
        }, "by hand")  # fmt: skip
    mark = tier.mark()

    adopted = provider.create(user(f"ida@{domain}"))

    assert tier.sets(mark) == 0
    assert "password" not in adopted.outs, (
        "an adopted account keeps its password; the program never learns it"
    )


def test_a_foreign_account_is_refused(tier: Tier, provider: AccountProvider, domain: str) -> None:
    domain_id = tier.provider(DomainProvider).read(domain, {}).outs["stalwart_id"]
    with tier.client() as client:
        client.create("x:Account", {"@type": "User", "name": "ida", "domainId": domain_id,
                                    "description": "Someone else"}, "by hand")  # fmt: skip
    mark = tier.mark()

    with pytest.raises(ConflictError, match=rf"ida@{domain} already exists with different content"):
        provider.create(user(f"ida@{domain}"))
    assert tier.sets(mark) == 0


def test_suspended_user_cannot_sign_in_and_is_allowed_again_on_resume(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    address = f"ida@{domain}"
    created = provider.create(user(address))
    password = tier.rec.secret(created.outs["password"])
    assert tier.sign_in(address, password) == 200

    suspended = provider.update(created.id, created.outs, user(address, suspended=True)).outs
    assert tier.sign_in(address, password) == 403, "signed in, but may no longer `authenticate`"
    assert provider.read(created.id, suspended).outs["suspended"] is True

    resumed = provider.update(created.id, suspended, user(address)).outs
    assert tier.sign_in(address, password) == 200
    assert provider.read(created.id, resumed).outs == {**created.outs, "suspended": False}


def test_shared_mailbox_membership_reads_back_and_a_group_in_use_is_not_destroyed(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    office = provider.create(group(f"office@{domain}", purge=True))
    member = provider.create(user(f"ida@{domain}", member_of=[f"office@{domain}"]))
    tier.rec.secret(member.outs["password"])

    assert provider.read(member.id, member.outs).outs["member_of"] == [f"office@{domain}"]
    assert "password" not in office.outs, "a shared mailbox has no credential of its own"
    with pytest.raises(JmapError) as caught:
        provider.delete(office.id, office.outs)
    assert caught.value.error_type == "objectIsLinked"
    assert f"still used by Account {member.outs['stalwart_id']}" in str(caught.value)


def test_delete_without_purge_is_refused_and_with_purge_removes_the_account(
    tier: Tier, provider: AccountProvider, domain: str
) -> None:
    created = provider.create(user(f"ida@{domain}"))
    tier.rec.secret(created.outs["password"])
    mark = tier.mark()

    with pytest.raises(PurgeRequired, match=rf"refusing to delete account ida@{domain}"):
        provider.delete(created.id, created.outs)
    assert tier.sets(mark) == 0 and provider.read(created.id, created.outs).id == created.id

    provider.delete(created.id, {**created.outs, "purge": True})
    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, {**created.outs, "purge": True})  # already gone: not an error


def test_a_lost_reply_on_create_leaves_no_duplicate_and_the_password_works(
    tier: Tier, provider: AccountProvider, domain: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lose_the_reply_of_the_next_create(tier, monkeypatch)

    created = provider.create(user(f"ida@{domain}"))

    password = tier.rec.secret(created.outs["password"])
    with tier.client() as client:
        found = client.query(
            "x:Account", {"domainId": tier.provider(DomainProvider).read(domain, {}).outs["stalwart_id"]}
        )
    assert found == [created.outs["stalwart_id"]]
    assert tier.sign_in(f"ida@{domain}", password) == 200
