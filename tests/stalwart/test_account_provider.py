"""The account provider: users with generated passwords, shared mailboxes, suspension that keeps mail, guarded delete."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.common.provider import ConflictError
from components.stalwart.client import StalwartClient
from components.stalwart.provider import AccountProvider, PurgeRequired
from tests.emulators.stalwart import StalwartEmulator

from .conftest import DOMAIN, OTHER_DOMAIN, domain_object

IDA = f"ida@{DOMAIN}"
OFFICE = f"office@{DOMAIN}"
GiB = 1024**3
USER: dict[str, Any] = {
    "kind": "user", "address": IDA, "display_name": "Ida Berg", "quota": 5 * GiB, "aliases": [f"info@{DOMAIN}"],
    "member_of": [], "suspended": False, "purge": False, "stalwart_id": None, "password": None,
}  # fmt: skip
GROUP: dict[str, Any] = {**USER, "kind": "group", "address": OFFICE, "display_name": "Office", "aliases": []}


@pytest.fixture
def provider(configure: Callable[..., AccountProvider], domain_id: str) -> AccountProvider:
    return configure(AccountProvider)


def test_new_user_gets_a_generated_password_it_can_sign_in_with(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    outs = provider.create(USER).outs

    assert len(outs["password"]) >= 32
    assert stalwart.can_authenticate(IDA, outs["password"])


def test_create_then_diff_with_the_same_inputs_shows_no_change(provider: AccountProvider) -> None:
    created = provider.create(USER)

    assert created.id == IDA
    assert not provider.diff(created.id, created.outs, USER).changes


def test_read_equals_the_normalised_inputs_and_keeps_the_password(provider: AccountProvider) -> None:
    created = provider.create(
        {**USER, "address": "Ida@NORDLICHT.de", "aliases": [f"INFO@{DOMAIN}", f"info@{DOMAIN}"]}
    )

    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert {k: read.outs[k] for k in provider.normalise(USER)} == provider.normalise(USER)


def test_second_pass_without_changes_makes_no_writes(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    stalwart.forget_calls()

    read = provider.read(created.id, created.outs)

    assert not provider.diff(created.id, read.outs, USER).changes
    assert stalwart.write_count == 0


def test_identical_existing_account_is_adopted_without_a_write(
    provider: AccountProvider, client: StalwartClient, stalwart: StalwartEmulator, domain_id: str
) -> None:
    client.create("x:Account", {
        "@type": "User", "name": "ida", "domainId": domain_id, "description": "Ida Berg",
        "aliases": {"0": {"name": "info", "domainId": domain_id}}, "quotas": {"maxDiskQuota": 5 * GiB},
        "roles": {"@type": "User"},
    }, "account")  # fmt: skip
    stalwart.forget_calls()

    outs = provider.create(USER).outs

    assert stalwart.write_count == 0
    assert "password" not in outs, "an adopted account keeps the password it has; the program never learns it"


def test_different_existing_account_is_refused(
    provider: AccountProvider, client: StalwartClient, domain_id: str
) -> None:
    client.create(
        "x:Account",
        {"@type": "User", "name": "ida", "domainId": domain_id, "description": "Someone else"},
        "account",
    )

    with pytest.raises(ConflictError, match=r"ida@nordlicht.de already exists with different content"):
        provider.create(USER)


def test_suspended_user_cannot_sign_in_and_keeps_every_message(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    password = created.outs["password"]
    stalwart.deliver(IDA, 42)

    suspended = provider.update(created.id, created.outs, {**USER, "suspended": True}).outs

    assert not stalwart.can_authenticate(IDA, password)
    assert stalwart.message_count(IDA) == 42
    assert (
        suspended["password"] == password and provider.read(created.id, suspended).outs["suspended"] is True
    )

    stalwart.deliver(IDA, 1)  # a suspended account still receives
    provider.update(created.id, suspended, USER)

    assert stalwart.can_authenticate(IDA, password)
    assert stalwart.message_count(IDA) == 43


def test_delete_without_purge_refuses_and_keeps_the_mailbox(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(USER)
    stalwart.deliver(IDA, 7)
    stalwart.forget_calls()

    with pytest.raises(PurgeRequired, match=rf"refusing to delete account {IDA}.*`purge: true`"):
        provider.delete(created.id, created.outs)

    assert stalwart.write_count == 0 and stalwart.message_count(IDA) == 7


def test_delete_of_an_unmarked_shared_mailbox_says_to_mark_the_shared_mailbox(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(GROUP)
    stalwart.forget_calls()

    with pytest.raises(PurgeRequired) as refused:
        provider.delete(created.id, created.outs)

    assert str(refused.value) == (
        f"Stalwart: refusing to delete account {OFFICE}: it holds mail that would be lost for good. To delete it "
        "on purpose, set `purge: true` (on the shared mailbox, or on the deleted tenant), run `up` so the flag is "
        "recorded, then remove it from the tenant file."
    )
    assert stalwart.write_count == 0 and stalwart.message_count(OFFICE) == 0


def test_a_shared_mailbox_marked_for_purge_is_deleted(
    provider: AccountProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create({**GROUP, "purge": True})

    provider.delete(created.id, created.outs)

    assert stalwart.message_count(OFFICE) is None


def test_delete_with_purge_removes_the_account(provider: AccountProvider, stalwart: StalwartEmulator) -> None:
    created = provider.create({**USER, "purge": True})

    provider.delete(created.id, created.outs)

    assert stalwart.message_count(IDA) is None
    provider.delete(created.id, created.outs)  # already gone: not an error


def test_user_joins_a_shared_mailbox(
    provider: AccountProvider, client: StalwartClient, domain_id: str
) -> None:
    group = provider.create(GROUP)
    user = provider.create({**USER, "member_of": [OFFICE]})

    account = client.find_account(domain_id, "ida")
    assert account is not None and account["memberGroupIds"] == {group.outs["stalwart_id"]: True}
    assert provider.read(user.id, user.outs).outs["member_of"] == [OFFICE]
    assert "password" not in group.outs, "a shared mailbox has no credential of its own"


def test_joining_a_shared_mailbox_that_does_not_exist_names_it(provider: AccountProvider) -> None:
    with pytest.raises(LookupError, match=rf"shared mailbox {OFFICE} does not exist"):
        provider.create({**USER, "member_of": [OFFICE]})


def test_aliases_may_use_another_tenant_domain(provider: AccountProvider, client: StalwartClient) -> None:
    client.create("x:Domain", domain_object(OTHER_DOMAIN), "domain")
    created = provider.create({**USER, "aliases": [f"ida@{OTHER_DOMAIN}", f"info@{DOMAIN}"]})

    assert provider.read(created.id, created.outs).outs["aliases"] == [
        f"ida@{OTHER_DOMAIN}",
        f"info@{DOMAIN}",
    ]


def test_quota_drift_is_visible_and_an_update_patches_only_that(
    provider: AccountProvider, client: StalwartClient, stalwart: StalwartEmulator, domain_id: str
) -> None:
    created = provider.create(USER)
    drift = {"quotas/maxDiskQuota": GiB, "quotas/maxEmails": 10}
    client.update("x:Account", created.outs["stalwart_id"], drift, "account")

    read = provider.read(created.id, created.outs)
    assert read.outs["quota"] == GiB and provider.diff(created.id, read.outs, USER).changes
    stalwart.forget_calls()
    provider.update(created.id, read.outs, USER)

    account = client.find_account(domain_id, "ida")
    assert account is not None and account["quotas"] == {"maxDiskQuota": 5 * GiB, "maxEmails": 10}
    assert stalwart.write_count == 1


def test_changing_the_address_replaces_the_account(provider: AccountProvider) -> None:
    created = provider.create(USER)

    diff = provider.diff(created.id, created.outs, {**USER, "address": f"ida.berg@{DOMAIN}"})

    assert diff.replaces == ["address"]


def test_a_lost_reply_on_create_leaves_one_account_with_the_password_sent(
    provider: AccountProvider, client: StalwartClient, stalwart: StalwartEmulator, domain_id: str
) -> None:
    stalwart.lose_reply("x:Account/set")

    outs = provider.create(USER).outs

    assert len(client.query("x:Account", {"domainId": domain_id})) == 1
    assert stalwart.can_authenticate(IDA, outs["password"])
    stalwart.claim_invalid_requests()  # the retried create clashed with the one that landed
