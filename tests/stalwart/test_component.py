"""The mail a tenant file asks for, checked with Pulumi's mocks (no engine, no network)."""

from __future__ import annotations

import base64
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.dns.records import DkimKey
from components.stalwart.component import STATES, TenantMail, TenantMailArgs, mail_plan
from components.tenant.platform import PlatformSettings
from dezky.tenants.catalog import PLANS
from dezky.tenants.model import Tenant
from tests.fixtures.pulumi_mocks import RecordingMocks, mocked

DOMAIN_TYPE = "pulumi-python:dynamic/stalwart:Domain"
ACCOUNT_TYPE = "pulumi-python:dynamic/stalwart:Account"
LIST_TYPE = "pulumi-python:dynamic/stalwart:MailingList"
ED25519 = base64.b64encode(bytes(32)).decode()
RSA = base64.b64encode(bytes.fromhex("30820122")).decode()


class MailMocks(RecordingMocks):
    """Answers as the providers would: DKIM keys for each domain, a password for each user."""

    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        outs: dict[str, Any] = {}
        if args.typ == DOMAIN_TYPE:
            outs["dkim_keys"] = [
                {"selector": "v1-ed25519", "algorithm": "ed25519", "public_key": ED25519},
                {"selector": "v1-rsa", "algorithm": "rsa", "public_key": RSA},
            ]
        if args.typ == ACCOUNT_TYPE and args.inputs["kind"] == "user":
            outs["password"] = f"generated-for-{args.inputs['address']}"
        return outs

    def inputs(self, typ: str) -> dict[str, dict[str, Any]]:
        key = "domain" if typ == DOMAIN_TYPE else "address"
        return {r.inputs[key]: r.inputs for r in self.resources if r.typ == typ}


@pytest.fixture
def mocks() -> Iterator[MailMocks]:
    with mocked(MailMocks()) as recording:
        yield recording


def tenant(status: str = "active", purge: bool = False, **changes: Any) -> Tenant:
    extra = {"deleted_at": dt.date(2026, 10, 1)} if status == "deleted" else {}
    return Tenant.model_validate({
        "slug": "nordlicht", "name": "Nordlicht Design", "status": status, "created": dt.date(2026, 3, 1),
        "plan": "enterprise", "purge": purge, "domains": {"primary": "nordlicht.de", "mail": ["nordlicht.eu"]},
        "users": [
            {"email": "ida@nordlicht.de", "name": "Ida", "role": "admin", "aliases": ["info@nordlicht.eu"],
             "quota": "2GiB"},
            {"email": "tom@nordlicht.de", "name": "Tom", "status": "suspended", "purge": True},
        ],
        "mail": {
            "shared_mailboxes": [{"address": "office@nordlicht.de", "name": "Office", "members": ["ida@nordlicht.de"]}],
            "lists": [{"address": "team@nordlicht.de", "name": "Team", "members": ["ida@nordlicht.de", "x@example.org"]}],
            "catch_all": "ida@nordlicht.de",
        },
        **extra, **changes,
    })  # fmt: skip


def mail(model: Tenant) -> TenantMail:
    return TenantMail("nordlicht", TenantMailArgs(model, PlatformSettings(environment="dev")))


@pulumi.runtime.test
def test_each_domain_account_and_list_gets_one_resource(mocks: MailMocks):
    component = mail(tenant())

    def check(_: object) -> None:
        assert set(mocks.inputs(DOMAIN_TYPE)) == {"nordlicht.de", "nordlicht.eu"}
        assert {a: i["kind"] for a, i in mocks.inputs(ACCOUNT_TYPE).items()} == {
            "ida@nordlicht.de": "user", "tom@nordlicht.de": "user", "office@nordlicht.de": "group",
        }  # fmt: skip
        assert mocks.inputs(LIST_TYPE)["team@nordlicht.de"]["recipients"] == [
            "ida@nordlicht.de",
            "x@example.org",
        ]
        assert {i["catch_all"] for i in mocks.inputs(DOMAIN_TYPE).values()} == {"ida@nordlicht.de"}
        assert sum(r.typ == "dezky:stalwart:TenantMail" for r in mocks.resources) == 1

    return component.state.apply(check)


@pulumi.runtime.test
def test_user_inputs_carry_aliases_quota_and_shared_mailboxes(mocks: MailMocks):
    component = mail(tenant())

    def check(_: object) -> None:
        ida, tom = (mocks.inputs(ACCOUNT_TYPE)[f"{n}@nordlicht.de"] for n in ("ida", "tom"))
        assert (ida["aliases"], ida["member_of"], ida["quota"]) == (
            ["info@nordlicht.eu"],
            ["office@nordlicht.de"],
            2 * 1024**3,
        )
        assert tom["quota"] == PLANS["enterprise"].mailbox_quota, "the plan's mailbox quota is the default"

    return component.state.apply(check)


@pytest.mark.parametrize(
    ("status", "ida_suspended", "state"),
    [("active", False, "ready"), ("suspended", True, "suspended"), ("deleted", True, "deleted")],
)
def test_tenant_status_suspends_users_but_keeps_every_account(
    status: str, ida_suspended: bool, state: str
) -> None:
    model = tenant(status)
    plan = mail_plan(model)

    assert STATES[model.status] == state

    assert {u.address: u.suspended for u in plan.users} == {
        "ida@nordlicht.de": ida_suspended,
        "tom@nordlicht.de": True,
    }
    assert len(plan.users) == 2 and len(plan.groups) == 1 and len(plan.domains) == 2


def test_purge_comes_from_the_user_or_from_the_deleted_tenant() -> None:
    active = mail_plan(tenant(purge=False))
    purged = mail_plan(tenant("deleted", purge=True))

    assert {u.address: u.purge for u in active.users} == {"ida@nordlicht.de": False, "tom@nordlicht.de": True}
    assert [d.purge for d in active.domains] == [False, False]
    assert all(x.purge for x in [*purged.users, *purged.groups, *purged.domains])


def test_a_shared_mailbox_and_an_extra_mail_domain_carry_their_own_purge_marks() -> None:
    box = {"address": "office@nordlicht.de", "name": "Office", "members": ["ida@nordlicht.de"], "purge": True}
    marked = tenant(
        domains={"primary": "nordlicht.de", "mail": [{"domain": "nordlicht.eu", "purge": True}]},
        mail={"shared_mailboxes": [box]},
    )

    plan = mail_plan(marked)

    assert {d.domain: d.purge for d in plan.domains} == {"nordlicht.de": False, "nordlicht.eu": True}
    assert {g.address: g.purge for g in plan.groups} == {"office@nordlicht.de": True}
    assert [lst.address for lst in plan.lists] == []


@pulumi.runtime.test
def test_state_reports_the_tenant_status_once_everything_is_written(mocks: MailMocks):
    return mail(tenant("suspended")).state.apply(lambda state: assertion(state == "suspended"))


@pulumi.runtime.test
def test_dkim_keys_map_each_mail_domain_to_keys_the_dns_integration_accepts(mocks: MailMocks):
    component = mail(tenant())

    def check(keys: dict[str, list[dict[str, str]]]) -> None:
        assert set(keys) == {"nordlicht.de", "nordlicht.eu"}
        published = {d: [DkimKey(**k) for k in found] for d, found in keys.items()}
        assert [(k.selector, k.algorithm) for k in published["nordlicht.de"]] == component.dkim_selectors[
            "nordlicht.de"
        ]

    return component.dkim_keys.apply(check)


def test_dkim_selectors_are_known_before_any_key_exists() -> None:
    with mocked(MailMocks(), preview=True):
        component = mail(tenant())

    assert component.dkim_selectors == {
        d: [("v1-ed25519", "ed25519"), ("v1-rsa", "rsa")] for d in ("nordlicht.de", "nordlicht.eu")
    }


@pulumi.runtime.test
def test_passwords_are_secret_outputs_and_never_inputs(mocks: MailMocks):
    component = mail(tenant())

    def check(passwords: dict[str, str]) -> None:
        assert passwords == {a: f"generated-for-{a}" for a in ("ida@nordlicht.de", "tom@nordlicht.de")}
        assert all(not r.inputs.get("password") for r in mocks.resources)
        assert not any("token" in str(r.inputs).lower() for r in mocks.resources)

    return pulumi.Output.all(component.passwords, pulumi.Output.is_secret(component.passwords)).apply(
        lambda pair: (check(pair[0]), assertion(pair[1] is True))
    )


def assertion(condition: bool) -> None:
    assert condition


@pulumi.runtime.test
def test_tenant_with_only_a_domain_has_keys_and_no_passwords(mocks: MailMocks):
    component = mail(tenant(users=[], mail={}))

    def check(pair: list[Any]) -> None:
        state, passwords = pair
        assert (state, passwords) == ("ready", {})
        assert [r.typ for r in mocks.resources].count(ACCOUNT_TYPE) == 0

    return pulumi.Output.all(component.state, component.passwords).apply(check)
