"""Rules over one whole tenant: file name, lifecycle, domains, addresses, members and the plan's limits."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from dezky.tenants import PLANS, load_tenants
from dezky.tenants.catalog import RETENTION_DAYS
from tests.tenants.builders import SLUG, address, problems, tenant, user, write


def admin_and(*members: dict[str, Any]) -> list[dict[str, Any]]:
    return [user("eva.berg", role="admin"), *members]


def space(name: str, quota: str, members: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {"name": name, "quota": quota, "members": members or []}


def test_a_valid_tenant_has_no_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant()) == []


# --- file name -------------------------------------------------------------------------------------------


def test_slug_must_equal_the_file_name(tmp_path: Path) -> None:
    write(tmp_path, tenant(), file_name="berg.yaml")

    found = [(p.location.render_field(), p.message) for p in load_tenants([tmp_path]).problems]

    assert found == [
        ("slug", f"the slug `{SLUG}` must equal the file name `berg.yaml` without its extension")
    ]


def test_a_yml_file_is_a_tenant_file_too(tmp_path: Path) -> None:
    write(tmp_path, tenant(), file_name=f"{SLUG}.yml")

    result = load_tenants([tmp_path])

    assert result.ok
    assert [item.tenant.slug for item in result.tenants] == [SLUG]


# --- lifecycle -------------------------------------------------------------------------------------------


def test_deleted_tenant_without_deleted_at_is_rejected_at_the_status(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(status="deleted")) == [
        ("status", "a deleted tenant needs `deleted_at` (the day of the soft delete)")
    ]


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_deleted_at_on_a_tenant_that_is_not_deleted_is_rejected(tmp_path: Path, status: str) -> None:
    assert problems(tmp_path, tenant(status=status, deleted_at="2026-05-31")) == [
        ("deleted_at", f"`deleted_at` is only for deleted tenants; this one is {status}")
    ]


def test_deleted_at_before_created_is_rejected(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(status="deleted", created="2026-01-15", deleted_at="2025-12-31")) == [
        ("deleted_at", "`deleted_at` is before `created`")
    ]


def test_only_a_deleted_tenant_can_be_purged(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(purge=True)) == [("purge", "only a deleted tenant can be purged")]


def test_soft_deleted_tenant_with_purge_and_no_admin_is_valid(tmp_path: Path) -> None:
    deleted = tenant(status="deleted", deleted_at="2026-05-31", purge=True, users=[user("tim.kohl")])

    assert problems(tmp_path, deleted) == []


def test_purge_before_the_retention_period_has_passed_is_rejected(tmp_path: Path) -> None:
    deleted_at = dt.date.today() - dt.timedelta(days=RETENTION_DAYS - 1)
    deleted = tenant(
        status="deleted", deleted_at=deleted_at.isoformat(), purge=True, users=[user("tim.kohl")]
    )

    purgeable_from = (deleted_at + dt.timedelta(days=RETENTION_DAYS)).isoformat()
    assert problems(tmp_path, deleted) == [
        (
            "purge",
            f"its data is kept {RETENTION_DAYS} days after `deleted_at`; purge is possible from {purgeable_from}",
        )
    ]


def test_suspended_tenant_is_valid(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(status="suspended")) == []


# --- domains ---------------------------------------------------------------------------------------------


def test_primary_domain_inside_the_platform_domain_is_rejected(tmp_path: Path) -> None:
    data = tenant(
        domains={"primary": "berg.dezky.eu"},
        users=[user("eva", role="admin") | {"email": "eva@berg.dezky.eu"}],
    )

    assert problems(tmp_path, data) == [
        (
            "domains.primary",
            "`berg.dezky.eu` is inside the platform domain dezky.eu; use the tenant's own domain",
        )
    ]


def test_the_platform_domain_itself_is_rejected_as_a_mail_domain(tmp_path: Path) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "mail": ["kanzlei-berg.eu", "DEZKY.eu"]})

    assert problems(tmp_path, data) == [
        ("domains.mail[1]", "`dezky.eu` is inside the platform domain dezky.eu; use the tenant's own domain")
    ]


@pytest.mark.parametrize("subdomain", ["berg.example.de", "a.berg.dezky.eu", "dezky.eu"])
def test_platform_subdomain_must_be_one_label_under_the_platform_domain(
    tmp_path: Path, subdomain: str
) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "platform_subdomain": subdomain})

    assert problems(tmp_path, data) == [
        ("domains.platform_subdomain", "must be a single label under dezky.eu")
    ]


@pytest.mark.parametrize("label", ["webmail", "admin", "autodiscover", "mta-sts"])
def test_platform_subdomain_may_not_take_a_reserved_platform_name(tmp_path: Path, label: str) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "platform_subdomain": f"{label}.dezky.eu"})

    assert problems(tmp_path, data) == [
        (
            "domains.platform_subdomain",
            f"`{label}.dezky.eu` is reserved for the platform; choose another name",
        )
    ]


def test_own_platform_subdomain_is_accepted(tmp_path: Path) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "platform_subdomain": "berg.dezky.eu"})

    write(tmp_path, data)

    (loaded,) = load_tenants([tmp_path]).tenants

    assert loaded.tenant.platform_subdomain == "berg.dezky.eu"


# --- addresses -------------------------------------------------------------------------------------------


def test_user_email_outside_the_tenants_domains_is_rejected(tmp_path: Path) -> None:
    outsider = {"email": "tim@gmail.com", "name": "Tim"}

    assert problems(tmp_path, tenant(users=admin_and(outsider))) == [
        ("users[1].email", "`tim@gmail.com` is not in one of the tenant's mail domains (kanzlei-berg.de)")
    ]


def test_alias_in_an_extra_mail_domain_is_accepted(tmp_path: Path) -> None:
    domains = {"primary": "kanzlei-berg.de", "mail": ["berg-recht.de"]}
    member = user("tim.kohl", aliases=[address("tim", "berg-recht.de")])

    assert problems(tmp_path, tenant(domains=domains, users=admin_and(member))) == []


def test_shared_mailbox_outside_the_tenants_domains_is_rejected(tmp_path: Path) -> None:
    box = {"address": "kanzlei@berg-recht.de", "name": "Kanzlei", "members": [address("eva.berg")]}

    assert problems(tmp_path, tenant(mail={"shared_mailboxes": [box]})) == [
        (
            "mail.shared_mailboxes[0].address",
            "`kanzlei@berg-recht.de` is not in one of the tenant's mail domains (kanzlei-berg.de)",
        )
    ]


def test_address_used_twice_is_rejected_where_it_is_used_the_second_time(tmp_path: Path) -> None:
    admin = user("eva.berg", role="admin", aliases=[address("info")])
    box = {"address": address("info"), "name": "Info", "members": [address("eva.berg")]}

    assert problems(tmp_path, tenant(users=[admin], mail={"shared_mailboxes": [box]})) == [
        ("mail.shared_mailboxes[0].address", "`info@kanzlei-berg.de` is already used at users[0].aliases[0]")
    ]


def test_address_differing_only_in_case_is_the_same_address(tmp_path: Path) -> None:
    assert problems(
        tmp_path, tenant(users=admin_and({"email": "Eva.Berg@Kanzlei-Berg.de", "name": "Eva"}))
    ) == [("users[1].email", "`eva.berg@kanzlei-berg.de` is already used at users[0].email")]


def test_catch_all_must_be_an_address_of_the_tenant(tmp_path: Path) -> None:
    data = tenant(plan="enterprise", mail={"catch_all": address("sammel")})

    assert problems(tmp_path, data) == [
        (
            "mail.catch_all",
            "`sammel@kanzlei-berg.de` must be an address of this tenant (a user, alias or mailbox)",
        )
    ]


@pytest.mark.parametrize("target", ["eva.berg", "info", "team"], ids=["user", "alias", "list"])
def test_catch_all_may_be_a_user_an_alias_or_a_list(tmp_path: Path, target: str) -> None:
    admin = user("eva.berg", role="admin", aliases=[address("info")])
    mailing_list = {"address": address("team"), "name": "Team", "members": [address("eva.berg")]}
    data = tenant(
        plan="enterprise", users=[admin], mail={"lists": [mailing_list], "catch_all": address(target)}
    )

    assert problems(tmp_path, data) == []


# --- members ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status", ["active", "suspended"])
def test_tenant_with_users_but_no_admin_is_rejected(tmp_path: Path, status: str) -> None:
    assert problems(tmp_path, tenant(status=status, users=[user("tim.kohl"), user("ida.roth")])) == [
        ("users", "at least one user must have role `admin`")
    ]


def test_tenant_without_users_needs_no_admin(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(users=[])) == []


def test_shared_mailbox_member_must_be_a_user(tmp_path: Path) -> None:
    box = {"address": address("info"), "name": "Info", "members": [address("eva.berg"), address("ida.roth")]}

    assert problems(tmp_path, tenant(mail={"shared_mailboxes": [box]})) == [
        ("mail.shared_mailboxes[0].members[1]", "`ida.roth@kanzlei-berg.de` is not a user of this tenant")
    ]


def test_space_member_must_be_a_user(tmp_path: Path) -> None:
    spaces = [space("Akten", "10GiB", [{"user": address("ida.roth"), "role": "editor"}])]

    assert problems(tmp_path, tenant(files={"spaces": spaces})) == [
        ("files.spaces[0].members[0].user", "`ida.roth@kanzlei-berg.de` is not a user of this tenant")
    ]


def test_space_member_listed_twice_is_rejected(tmp_path: Path) -> None:
    members = [
        {"user": address("eva.berg"), "role": "viewer"},
        {"user": address("eva.berg"), "role": "manager"},
    ]

    assert problems(tmp_path, tenant(files={"spaces": [space("Akten", "10GiB", members)]})) == [
        ("files.spaces[0].members[1]", "`eva.berg@kanzlei-berg.de` is a member twice")
    ]


def test_space_names_differing_only_in_case_are_one_space(tmp_path: Path) -> None:
    spaces = [space("Akten", "10GiB"), space("AKTEN", "10GiB")]

    assert problems(tmp_path, tenant(files={"spaces": spaces})) == [
        ("files.spaces[1].name", "space `AKTEN` is declared twice (also at [0])")
    ]


# --- the plan's limits -----------------------------------------------------------------------------------


def test_as_many_users_as_seats_is_accepted(tmp_path: Path) -> None:
    seats = PLANS["starter"].seats
    users = admin_and(*(user(f"user{n}") for n in range(seats - 1)))

    assert problems(tmp_path, tenant(plan="starter", users=users)) == []


def test_more_users_than_seats_is_rejected_at_the_users(tmp_path: Path) -> None:
    seats = PLANS["starter"].seats
    users = admin_and(*(user(f"user{n}") for n in range(seats)))

    assert problems(tmp_path, tenant(plan="starter", users=users)) == [
        ("users", f"{seats + 1} users, but plan `starter` has {seats} seats")
    ]


def test_user_quota_above_plan_is_rejected_at_the_quota_field(tmp_path: Path) -> None:
    users = admin_and(user("tim.kohl", quota="6GiB"))

    assert problems(tmp_path, tenant(plan="starter", users=users)) == [
        ("users[1].quota", "6.0GiB is above plan `starter`'s mailbox quota of 5.0GiB")
    ]


def test_user_quota_equal_to_the_plans_is_accepted(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(plan="starter", users=admin_and(user("tim.kohl", quota="5GiB")))) == []


def test_shared_mailbox_quota_above_plan_is_rejected_at_its_quota(tmp_path: Path) -> None:
    box = {"address": address("info"), "name": "Info", "quota": "30GiB"}

    assert problems(tmp_path, tenant(mail={"shared_mailboxes": [box]})) == [
        ("mail.shared_mailboxes[0].quota", "30.0GiB is above plan `business`'s mailbox quota of 25.0GiB")
    ]


def test_space_quotas_adding_up_above_the_plan_are_rejected_at_the_spaces(tmp_path: Path) -> None:
    spaces = [space("Akten", "60GiB"), space("Archiv", "41GiB")]

    assert problems(tmp_path, tenant(plan="starter", files={"spaces": spaces})) == [
        ("files.spaces", "spaces add up to 101.0GiB, above plan `starter`'s file quota of 100.0GiB")
    ]


def test_space_quotas_adding_up_to_exactly_the_plan_are_accepted(tmp_path: Path) -> None:
    spaces = [space("Akten", "60GiB"), space("Archiv", "40GiB")]

    assert problems(tmp_path, tenant(plan="starter", files={"spaces": spaces})) == []


@pytest.mark.parametrize(
    ("fields", "field", "feature"),
    [
        ({"domains": {"primary": "kanzlei-berg.de", "mail": ["berg.de"]}}, "domains.mail", "extra domains"),
        (
            {"mail": {"shared_mailboxes": [{"address": "info@kanzlei-berg.de", "name": "Info"}]}},
            "mail.shared_mailboxes",
            "shared mailboxes",
        ),
        (
            {"mail": {"lists": [{"address": "team@kanzlei-berg.de", "name": "Team", "members": ["a@b.de"]}]}},
            "mail.lists",
            "mailing lists",
        ),
        ({"branding": {"title": "Berg"}}, "branding", "custom branding"),
    ],
    ids=["extra-domains", "shared-mailboxes", "mailing-lists", "branding"],
)
def test_feature_not_in_the_plan_is_rejected_where_it_is_used(
    tmp_path: Path, fields: dict[str, Any], field: str, feature: str
) -> None:
    assert problems(tmp_path, tenant(plan="starter", **fields)) == [
        (field, f"plan `starter` does not include {feature}")
    ]


def test_catch_all_needs_the_enterprise_plan(tmp_path: Path) -> None:
    data = tenant(plan="business", mail={"catch_all": address("eva.berg")})

    assert problems(tmp_path, data) == [("mail.catch_all", "plan `business` does not include catch all")]


def test_every_problem_in_a_file_is_reported_at_once(tmp_path: Path) -> None:
    users = [user("tim.kohl", quota="6GiB"), {"email": "ida@gmail.com", "name": "Ida"}]

    fields = {field for field, _ in problems(tmp_path, tenant(plan="starter", purge=True, users=users))}

    assert fields == {"purge", "users", "users[0].quota", "users[1].email"}
