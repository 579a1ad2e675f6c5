"""`renamed_from`: what a user, a space, the tenant or its primary domain was called before, and what it may name."""

from __future__ import annotations

from pathlib import Path

from dezky.tenants import load_tenants
from tests.tenants.builders import DOMAIN, SLUG, address, problems, problems_in_text, tenant, to_yaml, user


def spaces(*entries: dict[str, str]) -> dict[str, object]:
    return {"spaces": [{"quota": "1GiB", **entry} for entry in entries]}


def test_renames_of_a_user_a_space_the_slug_and_the_primary_domain_are_valid(tmp_path: Path) -> None:
    data = tenant(
        renamed_from="berg-partner",
        domains={
            "primary": DOMAIN,
            "renamed_from": "berg-partner.de",
            "platform_subdomain": "berg-partner.dezky.eu",
        },
        users=[user("eva.berg", role="admin", renamed_from=address("eva.kohl")), user("tim.kohl")],
        files=spaces({"name": "Mandate", "renamed_from": "Akten"}),
    )

    loaded = load_tenants([tmp_path]) if problems(tmp_path, data) == [] else None

    assert loaded is not None and loaded.ok
    model = loaded.tenants[0].tenant
    assert model.renamed_from == "berg-partner"
    assert model.users[0].renamed_from == "eva.kohl@kanzlei-berg.de"
    assert model.files.spaces[0].renamed_from == "Akten"
    # the previous primary stays a mail domain: its mailboxes' old addresses and its zone are kept
    assert model.domains.mail_domains == (DOMAIN, "berg-partner.de")


def test_a_user_may_keep_the_previous_address_as_an_alias(tmp_path: Path) -> None:
    renamed = user("eva.berg", role="admin", renamed_from=address("eva.kohl"), aliases=[address("eva.kohl")])

    assert problems(tmp_path, tenant(users=[renamed, user("tim.kohl")])) == []


def test_renamed_from_the_current_name_is_refused_everywhere(tmp_path: Path) -> None:
    data = tenant(
        renamed_from=SLUG,
        domains={"primary": DOMAIN, "renamed_from": DOMAIN},
        users=[user("eva.berg", role="admin", renamed_from=address("eva.berg")), user("tim.kohl")],
        files=spaces({"name": "Mandate", "renamed_from": "MANDATE"}),
    )

    assert problems(tmp_path, data) == [  # in the order of the file's lines
        (
            "domains.renamed_from",
            "`kanzlei-berg.de` is the primary domain now; `renamed_from` names the previous one",
        ),
        (
            "users[0].renamed_from",
            "`eva.berg@kanzlei-berg.de` is the user's address now; `renamed_from` names the previous one",
        ),
        ("renamed_from", "`kanzlei-berg` is the tenant's slug now; `renamed_from` names the previous one"),
        (
            "files.spaces[0].renamed_from",
            "`MANDATE` is the space's name now; `renamed_from` names the previous one",
        ),
    ]


def test_renamed_from_a_live_address_or_space_is_refused_naming_where_it_lives(tmp_path: Path) -> None:
    data = tenant(
        users=[
            user("eva.berg", role="admin", renamed_from=address("tim.kohl")),
            user("tim.kohl", aliases=[address("kanzlei")]),
            user("ina.vogt", renamed_from=address("kanzlei")),
        ],
        files=spaces({"name": "Mandate"}, {"name": "Akten", "renamed_from": "mandate"}),
    )

    assert problems(tmp_path, data) == [
        (
            "users[0].renamed_from",
            "`tim.kohl@kanzlei-berg.de` is in use at users[1].email; only an address no one has now can be renamed",
        ),
        (
            "users[2].renamed_from",
            "`kanzlei@kanzlei-berg.de` is in use at users[1].aliases[0]; only an address no one has now can be "
            "renamed",
        ),
        (
            "files.spaces[1].renamed_from",
            "`mandate` is the space at files.spaces[0].name; only a name no space has now can be renamed",
        ),
    ]


def test_two_items_renamed_from_the_same_name_are_refused_at_the_second(tmp_path: Path) -> None:
    data = tenant(
        users=[
            user("eva.berg", role="admin", renamed_from=address("eva")),
            user("tim.kohl", renamed_from=address("eva")),
        ],
        files=spaces(
            {"name": "Mandate", "renamed_from": "Akten"}, {"name": "Archiv", "renamed_from": "akten"}
        ),
    )

    assert problems(tmp_path, data) == [
        ("users[1].renamed_from", "`eva@kanzlei-berg.de` is renamed already at users[0].renamed_from"),
        ("files.spaces[1].renamed_from", "`akten` is renamed already at files.spaces[0].renamed_from"),
    ]


def test_a_renamed_slug_needs_the_platform_subdomain_it_keeps(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(renamed_from="berg-partner")) == [
        (
            "renamed_from",
            "the platform subdomain follows the slug unless it is set, and moving it is refused (its zone serves "
            "the tenant's web hosts); keep it with `domains.platform_subdomain: berg-partner.dezky.eu`",
        )
    ]


def test_the_previous_primary_listed_as_an_extra_mail_domain_too_is_refused(tmp_path: Path) -> None:
    data = tenant(
        plan="enterprise", domains={"primary": DOMAIN, "mail": ["berg.de"], "renamed_from": "berg.de"}
    )

    assert problems(tmp_path, data) == [
        (
            "domains.renamed_from",
            "`berg.de` is listed at domains.mail[0] too; the previous primary domain stays a mail domain by "
            "itself, so name it once",
        )
    ]


def test_renamed_from_with_a_bad_value_says_what_is_wrong_where(tmp_path: Path) -> None:
    data = tenant(
        renamed_from="Berg Partner",
        users=[user("eva.berg", role="admin", renamed_from="eva at berg"), user("tim.kohl")],
        files=spaces({"name": "Mandate", "renamed_from": "Akten/2025"}),
    )

    found = problems_in_text(tmp_path, to_yaml(data))

    assert found == [
        "kanzlei-berg.yaml:13:17 users[0].renamed_from: `eva at berg` is not a mail address (local@domain)",
        "kanzlei-berg.yaml:17:15 renamed_from: must be a DNS label: 3 to 32 lowercase letters, digits and "
        "hyphens, starting with a letter",
        "kanzlei-berg.yaml:22:19 files.spaces[0].renamed_from: `Akten/2025` cannot be an OCIS space name: OCIS "
        "does not allow `/` in one",
    ]


def test_a_previous_slug_domain_or_address_another_tenant_has_now_is_a_clash_in_both_files(
    tmp_path: Path,
) -> None:
    other = tenant(slug="berg-partner", domains={"primary": "berg-partner.de"})
    other["users"] = [{**user("eva", role="admin"), "email": "eva@berg-partner.de"}]
    renamed = tenant(
        renamed_from="berg-partner",
        domains={
            "primary": DOMAIN,
            "renamed_from": "berg-partner.de",
            "platform_subdomain": "berg-partner.dezky.eu",
        },
        users=[user("eva.berg", role="admin", renamed_from="eva@berg-partner.de")],
    )

    assert problems(tmp_path, other, renamed) == [
        ("slug", "slug `berg-partner` is also claimed by kanzlei-berg.yaml:16"),
        (
            "domains.platform_subdomain",
            "domain `berg-partner.dezky.eu` is also claimed by kanzlei-berg.yaml:10",
        ),
        ("domains.primary", "domain `berg-partner.de` is also claimed by kanzlei-berg.yaml:9"),
        ("users[0].email", "address `eva@berg-partner.de` is also claimed by kanzlei-berg.yaml:15"),
        ("domains.renamed_from", "domain `berg-partner.de` is also claimed by berg-partner.yaml:8"),
        (
            "domains.platform_subdomain",
            "domain `berg-partner.dezky.eu` is also claimed by berg-partner.yaml:7",
        ),
        ("users[0].renamed_from", "address `eva@berg-partner.de` is also claimed by berg-partner.yaml:10"),
        ("renamed_from", "slug `berg-partner` is also claimed by berg-partner.yaml:2"),
    ]
