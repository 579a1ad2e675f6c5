"""Rules across tenant files: a slug, a domain and an address belong to one tenant, and every tenant in a
clash is told, naming the other file and line."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dezky.tenants import load_tenants
from tests.tenants.builders import line_of, tenant, write


def customer(slug: str, domain: str, **fields: Any) -> dict[str, Any]:
    admin = {"email": f"admin@{domain}", "name": "Admin", "role": "admin"}
    return tenant(slug=slug, domains={"primary": domain}, users=[admin]) | fields


def cross_problems(folder: Path, *tenants: dict[str, Any]) -> list[tuple[str, str, str]]:
    """`(file, field path, message)` of every problem in the folder."""
    for data in tenants:
        write(folder, data)
    result = load_tenants([folder])
    return [(p.location.path.name, p.location.render_field(), p.message) for p in result.problems]


def at(folder: Path, file_name: str, needle: str) -> str:
    """`file:line` of the first line holding `needle`, as messages name the other side of a clash."""
    return f"{file_name}:{line_of(folder / file_name, needle)}"


def test_tenants_with_their_own_slugs_domains_and_addresses_do_not_clash(tmp_path: Path) -> None:
    assert cross_problems(tmp_path, customer("berg", "berg.de"), customer("tal", "tal.de")) == []


def test_domain_claimed_by_two_tenants_is_reported_in_both_files(tmp_path: Path) -> None:
    second = customer("tal", "tal.de", domains={"primary": "tal.de", "mail": ["berg.de"]})

    found = cross_problems(tmp_path, customer("berg", "berg.de"), second)

    assert found == [
        (
            "berg.yaml",
            "domains.primary",
            f"domain `berg.de` is also claimed by {at(tmp_path, 'tal.yaml', '- berg.de')}",
        ),
        (
            "tal.yaml",
            "domains.mail[0]",
            f"domain `berg.de` is also claimed by {at(tmp_path, 'berg.yaml', 'primary')}",
        ),
    ]


def test_domain_claimed_by_three_tenants_names_both_others(tmp_path: Path) -> None:
    found = cross_problems(
        tmp_path, customer("berg", "berg.de"), customer("tal", "berg.de"), customer("see", "berg.de")
    )

    berg, see, tal = (at(tmp_path, name, "primary") for name in ("berg.yaml", "see.yaml", "tal.yaml"))
    assert {(name, message) for name, field, message in found if field == "domains.primary"} == {
        ("berg.yaml", f"domain `berg.de` is also claimed by {see}, {tal}"),
        ("see.yaml", f"domain `berg.de` is also claimed by {berg}, {tal}"),
        ("tal.yaml", f"domain `berg.de` is also claimed by {berg}, {see}"),
    }


def test_internationalised_domain_and_its_punycode_form_clash_across_tenants(tmp_path: Path) -> None:
    punycode = "xn--mller-bckerei-hfb76a.de"

    found = cross_problems(tmp_path, customer("mueller", "müller-bäckerei.de"), customer("filiale", punycode))

    assert [problem for problem in found if problem[1] == "domains.primary"] == [
        (
            "filiale.yaml",
            "domains.primary",
            f"domain `{punycode}` is also claimed by {at(tmp_path, 'mueller.yaml', 'primary')}",
        ),
        (
            "mueller.yaml",
            "domains.primary",
            f"domain `{punycode}` is also claimed by {at(tmp_path, 'filiale.yaml', 'primary')}",
        ),
    ]


def test_address_claimed_by_two_tenants_is_reported_along_with_its_domain(tmp_path: Path) -> None:
    # An address is in its tenant's own domains, so two tenants can only share one when they share its domain.
    second = customer("tal", "tal.de", domains={"primary": "tal.de", "mail": ["berg.de"]})
    second["users"].append({"email": "admin@berg.de", "name": "Admin Berg"})

    found = cross_problems(tmp_path, customer("berg", "berg.de"), second)

    berg_address, tal_address = at(tmp_path, "berg.yaml", "admin@"), at(tmp_path, "tal.yaml", "admin@berg.de")
    assert (
        "berg.yaml",
        "users[0].email",
        f"address `admin@berg.de` is also claimed by {tal_address}",
    ) in found
    assert (
        "tal.yaml",
        "users[1].email",
        f"address `admin@berg.de` is also claimed by {berg_address}",
    ) in found
    assert [field for name, field, _ in found if name == "tal.yaml"] == ["domains.mail[0]", "users[1].email"]


def test_domain_inside_another_tenants_domain_is_reported_on_both_sides(tmp_path: Path) -> None:
    found = cross_problems(tmp_path, customer("acme", "acme.de"), customer("shop", "shop.acme.de"))

    acme, shop = at(tmp_path, "acme.yaml", "primary"), at(tmp_path, "shop.yaml", "primary")
    assert found == [
        ("acme.yaml", "domains.primary", f"domain `acme.de` contains `shop.acme.de`, claimed by {shop}"),
        ("shop.yaml", "domains.primary", f"domain `shop.acme.de` is inside `acme.de`, claimed by {acme}"),
    ]


def test_a_tenant_may_have_a_subdomain_of_its_own_domain(tmp_path: Path) -> None:
    own = customer("acme", "acme.de", domains={"primary": "acme.de", "mail": ["shop.acme.de"]})

    assert cross_problems(tmp_path, own) == []


def test_domain_inside_another_tenants_platform_subdomain_is_reported(tmp_path: Path) -> None:
    intruder = customer("tal", "tal.de", domains={"primary": "tal.de", "mail": ["mail.berg.dezky.eu"]})

    found = cross_problems(tmp_path, customer("berg", "berg.de"), intruder)

    # berg's platform subdomain is not written out, so it is placed at `domains:`, where it would be.
    berg, tal = at(tmp_path, "berg.yaml", "domains:"), at(tmp_path, "tal.yaml", "- mail.berg")
    assert found == [
        (
            "berg.yaml",
            "domains.platform_subdomain",
            f"domain `berg.dezky.eu` contains `mail.berg.dezky.eu`, claimed by {tal}",
        ),
        (
            "tal.yaml",
            "domains.mail[0]",
            "`mail.berg.dezky.eu` is inside the platform domain dezky.eu; use the tenant's own domain",
        ),
        (
            "tal.yaml",
            "domains.mail[0]",
            f"domain `mail.berg.dezky.eu` is inside `berg.dezky.eu`, claimed by {berg}",
        ),
    ]


def test_platform_subdomain_of_another_tenant_cannot_be_taken(tmp_path: Path) -> None:
    taker = customer("tal", "tal.de", domains={"primary": "tal.de", "platform_subdomain": "berg.dezky.eu"})

    found = cross_problems(tmp_path, customer("berg", "berg.de"), taker)

    berg, tal = at(tmp_path, "berg.yaml", "domains:"), at(tmp_path, "tal.yaml", "berg.dezky.eu")
    assert found == [
        ("berg.yaml", "domains.platform_subdomain", f"domain `berg.dezky.eu` is also claimed by {tal}"),
        ("tal.yaml", "domains.platform_subdomain", f"domain `berg.dezky.eu` is also claimed by {berg}"),
    ]


def test_same_slug_in_a_yaml_and_a_yml_file_is_reported_in_both(tmp_path: Path) -> None:
    write(tmp_path, customer("berg", "berg.de"), file_name="berg.yaml")
    write(tmp_path, customer("berg", "berg-tal.de"), file_name="berg.yml")

    found = [
        (p.location.path.name, p.location.render_field(), p.message)
        for p in load_tenants([tmp_path]).problems
    ]

    assert (
        "berg.yaml",
        "slug",
        f"slug `berg` is also claimed by {at(tmp_path, 'berg.yml', 'slug')}",
    ) in found
    assert (
        "berg.yml",
        "slug",
        f"slug `berg` is also claimed by {at(tmp_path, 'berg.yaml', 'slug')}",
    ) in found


def test_cross_file_clash_is_found_even_when_the_file_breaks_another_rule(tmp_path: Path) -> None:
    """Every problem at once: a quota over the plan does not hide that the domain is taken."""
    greedy = customer("tal", "berg.de", plan="starter")
    greedy["users"][0]["quota"] = "50GiB"

    found = cross_problems(tmp_path, customer("berg", "berg.de"), greedy)

    berg = at(tmp_path, "berg.yaml", "primary")
    assert (
        "tal.yaml",
        "users[0].quota",
        "50.0GiB is above plan `starter`'s mailbox quota of 5.0GiB",
    ) in found
    assert ("tal.yaml", "domains.primary", f"domain `berg.de` is also claimed by {berg}") in found


def test_a_file_with_a_schema_error_still_takes_part_in_cross_file_rules(tmp_path: Path) -> None:
    """Every problem at once: a missing name does not hide that the domain and the address are taken."""
    shapeless = customer("tal", "berg.de")
    del shapeless["name"]

    found = cross_problems(tmp_path, customer("berg", "berg.de"), shapeless)

    assert [(name, field) for name, field, _ in found] == [
        ("berg.yaml", "domains.primary"),
        ("berg.yaml", "users[0].email"),
        ("tal.yaml", "name"),
        ("tal.yaml", "domains.primary"),
        ("tal.yaml", "users[0].email"),
    ]
    assert ("tal.yaml", "name", "required field is missing") in found


def test_values_the_model_refused_take_no_part_in_cross_file_rules(tmp_path: Path) -> None:
    """A slug or domain the model refused is set aside: its placeholder clashes with nothing."""
    first, second = customer("berg", "berg.de"), customer("tal", "tal.de")
    for broken in (first, second):
        broken["slug"] = "-"
        broken["domains"] = {"primary": "not a domain"}

    found = cross_problems(tmp_path, first, second)

    assert sorted({field for _, field, _ in found}) == ["domains.primary", "slug"]
    assert not any("claimed by" in message for _, _, message in found)


def test_only_tenants_without_problems_of_their_own_are_returned(tmp_path: Path) -> None:
    write(tmp_path, customer("berg", "berg.de"))
    write(tmp_path, customer("tal", "tal.de", purge=True))

    result = load_tenants([tmp_path])

    assert not result.ok
    assert result.files == 2
    assert [item.tenant.slug for item in result.tenants] == ["berg"]
