"""The shape of a tenant file: field types, value rules, and how domains and addresses are normalised."""

from __future__ import annotations

from pathlib import Path

import pytest

from dezky.tenants import load_tenants
from dezky.tenants.model import normalise_domain, normalise_email
from tests.tenants.builders import SLUG, problems, tenant, user, write

# --- slug -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "slug", ["Kanzlei", "kanzlei_berg", "kb", "1kanzlei", "kanzlei-", "k" * 33, "kanz lei"]
)
def test_slug_that_is_not_a_dns_label_is_rejected_at_the_slug(tmp_path: Path, slug: str) -> None:
    assert problems(tmp_path, tenant(slug=slug)) == [
        ("slug", "must be a DNS label: 3 to 32 lowercase letters, digits and hyphens, starting with a letter")
    ]


@pytest.mark.parametrize("slug", ["admin", "mail", "webmail", "www", "dezky"])
def test_reserved_slug_is_rejected(tmp_path: Path, slug: str) -> None:
    assert problems(tmp_path, tenant(slug=slug)) == [
        ("slug", f"`{slug}` is reserved for the platform; choose another slug")
    ]


# --- required fields, unknown keys, types ----------------------------------------------------------------


def test_missing_required_field_is_named(tmp_path: Path) -> None:
    data = tenant()
    del data["plan"]

    assert problems(tmp_path, data) == [("plan", "required field is missing")]


def test_missing_field_of_a_user_is_named_with_the_users_position(tmp_path: Path) -> None:
    admin = user("eva.berg", role="admin")
    del admin["name"]

    assert problems(tmp_path, tenant(users=[admin])) == [("users[0].name", "required field is missing")]


def test_unknown_key_suggests_the_closest_known_one(tmp_path: Path) -> None:
    admin = user("eva.berg", role="admin")
    admin["qouta"] = admin.pop("role")

    assert ("users[0].qouta", "unknown key `qouta`; did you mean `quota`?") in problems(
        tmp_path, tenant(users=[admin])
    )


def test_unknown_key_without_a_close_match_lists_the_known_keys(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(branding={"title": "Berg", "favicon": "x.ico"})) == [
        ("branding.favicon", "unknown key `favicon`; known keys: title, primary_color, logo_url")
    ]


def test_a_list_where_a_mapping_belongs_is_explained_in_yaml_terms(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(domains=["kanzlei-berg.de"])) == [
        ("domains", "must be a mapping of `key: value` lines, not a list")
    ]


def test_text_where_a_list_belongs_is_explained_in_yaml_terms(tmp_path: Path) -> None:
    admin = user("eva.berg", role="admin", aliases="info@kanzlei-berg.de")

    assert problems(tmp_path, tenant(users=[admin])) == [("users[0].aliases", "must be a list, not text")]


def test_value_outside_an_enum_lists_the_allowed_ones(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(status="paused")) == [
        ("status", "input should be 'active', 'suspended' or 'deleted'")
    ]


def test_unknown_plan_lists_the_plans(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(plan="premium")) == [
        ("plan", "unknown plan `premium`; choose one of business, enterprise, starter")
    ]


def test_mailing_list_needs_at_least_one_member(tmp_path: Path) -> None:
    mailing_list = {"address": "team@kanzlei-berg.de", "name": "Team", "members": []}

    assert problems(tmp_path, tenant(mail={"lists": [mailing_list]})) == [
        ("mail.lists[0].members", "must list at least 1 entry, not none")
    ]


@pytest.mark.parametrize(
    "member",
    [{"role": "editor"}, {"user": "eva.berg@kanzlei-berg.de", "group": "admins"}],
    ids=["neither", "both"],
)
def test_space_member_names_exactly_one_user_or_group(tmp_path: Path, member: dict[str, str]) -> None:
    space = {"name": "Akten", "quota": "10GiB", "members": [member]}

    assert problems(tmp_path, tenant(files={"spaces": [space]})) == [
        ("files.spaces[0].members[0]", "a member names exactly one of `user` or `group`")
    ]


# --- branding ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://kanzlei-berg.de/logo.svg", "https://", "ftp://x.de/l.png", "logo.svg"]
)
def test_logo_must_be_an_https_url(tmp_path: Path, url: str) -> None:
    branding = {"title": "Berg", "logo_url": url}

    assert problems(tmp_path, tenant(branding=branding)) == [("branding.logo_url", "must be an https:// URL")]


@pytest.mark.parametrize("colour", ["red", "#fff", "1f4e79", "#1f4e7g", "#1f4e7900"])
def test_colour_must_be_six_hex_digits(tmp_path: Path, colour: str) -> None:
    branding = {"title": "Berg", "primary_color": colour}

    assert problems(tmp_path, tenant(branding=branding)) == [
        ("branding.primary_color", "must be a colour like #1a2b3c")
    ]


# --- domains and addresses: normalisation ----------------------------------------------------------------


def test_internationalised_domain_is_stored_as_lowercase_punycode() -> None:
    assert normalise_domain("müller-bäckerei.de") == "xn--mller-bckerei-hfb76a.de"
    assert normalise_domain("MÜLLER-Bäckerei.DE.") == "xn--mller-bckerei-hfb76a.de"


def test_punycode_domain_is_kept_as_it_is() -> None:
    assert normalise_domain("xn--mller-bckerei-hfb76a.de") == "xn--mller-bckerei-hfb76a.de"


def test_eszett_is_kept_not_mapped_to_ss() -> None:
    # Nontransitional IDNA 2008: `straße.de` and `strasse.de` are different domains with different owners.
    assert normalise_domain("straße.de") == "xn--strae-oqa.de"
    assert normalise_domain("strasse.de") == "strasse.de"


def test_ascii_domain_is_lowercased_without_its_trailing_dot() -> None:
    assert normalise_domain(" Kanzlei-Berg.DE. ") == "kanzlei-berg.de"


@pytest.mark.parametrize(
    ("domain", "why"),
    [
        ("kanzlei_berg.de", "not a valid domain name"),
        ("-kanzlei.de", "not a valid domain name"),
        ("ab--cd.de", "not a valid domain name"),
        ("kanzlei..de", "not a valid domain name"),
        ("k" * 64 + ".de", "not a valid domain name"),
        ("localhost", "not a fully qualified domain name"),
        ("kanzlei.123", "does not end in a valid top-level domain"),
        ("kanzlei.d", "does not end in a valid top-level domain"),
    ],
)
def test_invalid_domain_is_rejected_with_the_reason(domain: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        normalise_domain(domain)


def test_domain_that_is_not_valid_is_rejected_at_its_field(tmp_path: Path) -> None:
    found = problems(tmp_path, tenant(domains={"primary": "kanzlei_berg.de"}))

    assert [(field, message.split(" (")[0]) for field, message in found] == [
        ("domains.primary", "`kanzlei_berg.de` is not a valid domain name")
    ]


def test_address_keeps_its_local_part_lowercase_and_its_domain_in_punycode() -> None:
    assert normalise_email("Hans.Mueller@Müller-Bäckerei.de") == "hans.mueller@xn--mller-bckerei-hfb76a.de"


@pytest.mark.parametrize(
    "address", ["hans", "hans@@x.de", "hans müller@x.de", "hans..m@x.de", ".hans@x.de", "jörg@x.de"]
)
def test_address_with_a_bad_local_part_or_no_domain_is_rejected(address: str) -> None:
    with pytest.raises(ValueError, match=r"not a mail address|invalid local part"):
        normalise_email(address)


def test_internationalised_address_and_its_punycode_form_are_one_address(tmp_path: Path) -> None:
    idn, puny = "müller-bäckerei.de", "xn--mller-bckerei-hfb76a.de"
    owner = {"email": f"hans@{idn}", "name": "Hans", "role": "admin"}
    copy = {"email": f"hans@{puny}", "name": "Hans again"}

    assert problems(tmp_path, tenant(domains={"primary": idn}, users=[owner, copy])) == [
        ("users[1].email", f"`hans@{puny}` is already used at users[0].email")
    ]


def test_internationalised_mail_domain_and_its_punycode_form_are_listed_twice(tmp_path: Path) -> None:
    domains = {"primary": "kanzlei-berg.de", "mail": ["müller-bäckerei.de", "xn--mller-bckerei-hfb76a.de"]}

    assert problems(tmp_path, tenant(domains=domains)) == [
        ("domains.mail", "listed twice: xn--mller-bckerei-hfb76a.de")
    ]


def test_tenant_loaded_from_a_file_holds_normalised_values(tmp_path: Path) -> None:
    data = tenant(
        domains={"primary": "Müller-Bäckerei.de"},
        users=[{"email": "Hans@Müller-Bäckerei.de", "name": "Hans", "role": "admin"}],
        branding={"title": "Müller", "primary_color": "#C0392B"},
    )
    write(tmp_path, data)

    (loaded,) = load_tenants([tmp_path]).tenants

    assert loaded.tenant.slug == SLUG
    assert loaded.tenant.domains.primary == "xn--mller-bckerei-hfb76a.de"
    assert loaded.tenant.users[0].email == "hans@xn--mller-bckerei-hfb76a.de"
    assert loaded.tenant.branding is not None
    assert loaded.tenant.branding.primary_color == "#c0392b"
    assert loaded.tenant.platform_subdomain == f"{SLUG}.dezky.eu"
