"""The shape of a tenant file: field types, value rules, and how domains and addresses are normalised."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from dezky.tenants import load_tenants
from dezky.tenants.model import normalise_domain, normalise_email
from tests.tenants.builders import SLUG, problems, problems_in_text, tenant, to_yaml, user, write

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
        ("status", "unknown status `paused`; choose one of active, suspended, deleted")
    ]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"status": "activ"}, "status", "unknown status `activ`; did you mean `active`?"),
        ({"status": "Suspended"}, "status", "unknown status `Suspended`; did you mean `suspended`?"),
        (
            {"users": [user("eva.berg", role="admn")]},
            "users[0].role",
            "unknown role `admn`; did you mean `admin`?",
        ),
        (
            {"files": {"spaces": [{"name": "Akten", "quota": "1GiB", "members": [{"group": "member"}]}]}},
            "files.spaces[0].members[0].group",
            "unknown group `member`; did you mean `members`?",
        ),
        (
            {
                "files": {
                    "spaces": [
                        {"name": "Akten", "quota": "1GiB", "members": [{"group": "members", "role": "edit"}]}
                    ]
                }
            },
            "files.spaces[0].members[0].role",
            "unknown role `edit`; did you mean `editor`?",
        ),
    ],
    ids=["status", "status-capitalised", "user-role", "space-group", "space-role"],
)
def test_misspelt_value_of_an_enum_suggests_the_one_meant(
    tmp_path: Path, fields: dict[str, Any], field: str, message: str
) -> None:
    assert (field, message) in problems(tmp_path, tenant(**fields))


@pytest.mark.parametrize(
    ("plan", "message"),
    [
        ("busines", "unknown plan `busines`; did you mean `business`?"),
        ("Enterprise", "unknown plan `Enterprise`; did you mean `enterprise`?"),
        ("gold", "unknown plan `gold`; choose one of business, enterprise, starter"),
    ],
)
def test_misspelt_plan_suggests_the_one_meant(tmp_path: Path, plan: str, message: str) -> None:
    assert problems(tmp_path, tenant(plan=plan)) == [("plan", message)]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("01.03.2026", "`01.03.2026` is a date in another format; use YYYY-MM-DD: 2026-03-01"),
        ("1.3.2026", "`1.3.2026` is a date in another format; use YYYY-MM-DD: 2026-03-01"),
        ("2026/03/01", "`2026/03/01` is a date in another format; use YYYY-MM-DD: 2026-03-01"),
        ("03/01/2026", "`03/01/2026` is not a date; use YYYY-MM-DD, like 2026-01-31"),
        ("1. März 2026", "`1. März 2026` is not a date; use YYYY-MM-DD, like 2026-01-31"),
        ("2026-02-30", "`2026-02-30` is not a date: day is out of range for month"),
    ],
)
def test_date_in_another_format_says_use_yyyy_mm_dd(tmp_path: Path, value: str, message: str) -> None:
    assert problems(tmp_path, tenant(created=value)) == [("created", message)]


def test_date_with_a_time_of_day_says_use_yyyy_mm_dd(tmp_path: Path) -> None:
    text = to_yaml(tenant()).replace("created: '2026-01-15'", "created: 2026-01-15 09:30:00")

    assert "created: 2026-01-15 09:30:00" in text
    assert problems_in_text(tmp_path, text) == [
        f"{SLUG}.yaml:5:10 created: `2026-01-15 09:30:00` has a time of day; use YYYY-MM-DD: 2026-01-15"
    ]


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            "https://kanzlei-berg.de/",
            "`https://kanzlei-berg.de/` is a web address (URL); write the domain alone: kanzlei-berg.de",
        ),
        (
            "http://www.kanzlei-berg.de",
            "`http://www.kanzlei-berg.de` is a web address (URL); write the domain alone: www.kanzlei-berg.de",
        ),
        (
            "kanzlei-berg.de/",
            "`kanzlei-berg.de/` is not a bare domain name; write the domain alone: kanzlei-berg.de",
        ),
    ],
    ids=["https", "http-www", "trailing-slash"],
)
def test_domain_written_as_a_url_says_so(tmp_path: Path, value: str, message: str) -> None:
    assert problems(tmp_path, tenant(domains={"primary": value})) == [("domains.primary", message)]


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


def logo_problems(folder: Path, url: str) -> list[tuple[str, str]]:
    return problems(folder, tenant(branding={"title": "Berg", "logo_url": url}))


@pytest.mark.parametrize(
    "url",
    [
        "http://kanzlei-berg.de/logo.svg",
        "ftp://x.de/l.png",
        "logo.svg",
        "//cdn.de/l.png",
        "HTTPS://x.de/l.png",
    ],
)
def test_logo_must_be_an_https_url(tmp_path: Path, url: str) -> None:
    assert logo_problems(tmp_path, url) == [("branding.logo_url", "must be an https:// URL")]


@pytest.mark.parametrize(
    "url",
    [
        "https://kanzlei-berg.de/logo.svg",
        "https://cdn.kanzlei-berg.de:8443/img/logo%20neu.png?v=2&size=64#top",
        "https://xn--mller-kva.de/l.png",  # an internationalised host in punycode
        "https://kanzlei-berg.de",  # no path
        "https://static.kanzlei-berg.de/a_b~c/(1)/logo-2026.svg;v=1",
    ],
)
def test_a_well_formed_https_url_to_a_host_is_accepted(tmp_path: Path, url: str) -> None:
    assert logo_problems(tmp_path, url) == []


@pytest.mark.parametrize(
    ("url", "found"),
    [
        ("https://x.de/logo .png", "U+0020"),  # a space
        ("https://x.de/\tlogo.png", "U+0009"),  # a tab
        ("https://x.de/lo\x00go.png", "U+0000"),
        ("https://x.de/lo\x1bgo.png", "U+001B"),  # escape, which starts a terminal control sequence
        ("https://x.de/logo.png\rX", "U+000D"),
        ("https://x.de/lo\u200bgo.png", "U+200B"),  # a zero-width space
        ("https://x.de/lo\u202ego.png", "U+202E"),  # right-to-left override
        ("https://x.de/\u00a0logo.png", "U+00A0"),  # no-break space
        ("https://x.de/a b\tc.png", "U+0009, U+0020"),  # every one is named
    ],
)
def test_logo_url_with_spaces_or_control_characters_is_refused(tmp_path: Path, url: str, found: str) -> None:
    # The file is written by YAML, which escapes these (`\t`, `\0`, `\u200b`): as a tenant file would spell them.
    assert logo_problems(tmp_path, url) == [
        ("branding.logo_url", f"must not contain spaces or control characters (found {found})")
    ]


def test_whitespace_around_the_logo_url_is_trimmed(tmp_path: Path) -> None:
    assert logo_problems(tmp_path, "  https://x.de/logo.png\n") == []


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ('https://x.de/logo.png"onerror="alert(1)', '`"`'),
        ("https://x.de/logo.png'onerror='alert(1)", "`'`"),
        ("https://x.de/<script>.png", "`<` `>`"),
        ("https://x.de\\@evil.example/logo.png", "`\\`"),
        ("https://x.de/`id`.png", "`` ` ``"),
        ("https://x.de/{a}|b^c.png", "`^` `{` `|` `}`"),
    ],
)
def test_logo_url_with_quotes_or_markup_characters_is_refused(tmp_path: Path, url: str, shown: str) -> None:
    assert logo_problems(tmp_path, url) == [
        ("branding.logo_url", f"must not contain {shown}; write such characters percent-encoded (%XX)")
    ]


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("https://", "must name a host after https://"),
        ("https:///logo.png", "must name a host after https://"),
        ("https://:443/logo.png", "must name a host after https://"),
        ("https://?logo.png", "must name a host after https://"),
        ("https://user@x.de/logo.png", "must not carry a user name or password before the host (`user@`)"),
        ("https://user:pw@x.de/logo.png", "must not carry a user name or password before the host (`user@`)"),
        (
            "https://x.de@evil.example/logo.png",
            "must not carry a user name or password before the host (`user@`)",
        ),
        ("https://x.de:99999/logo.png", "has a port that is not a number from 0 to 65535"),
        ("https://x.de:http/logo.png", "has a port that is not a number from 0 to 65535"),
        ("https://x..de/logo.png", "`x..de` is not a host name; use the logo's fully qualified domain name"),
        (
            "https://localhost/logo.png",
            "`localhost` is not a host name; use the logo's fully qualified domain name",
        ),
        (
            "https://192.0.2.1/logo.png",
            "`192.0.2.1` is not a host name; use the logo's fully qualified domain name",
        ),
        ("https://[::1]/logo.png", "`::1` is not a host name; use the logo's fully qualified domain name"),
        ("https://-x.de/logo.png", "`-x.de` is not a host name; use the logo's fully qualified domain name"),
        ("https://x.de/100%.png", "has a `%` that does not start a percent-encoded byte (%XX)"),
        (
            "https://müller.de/l.png",
            "must be ASCII: write the host in punycode (xn--...) and percent-encode the path",
        ),
    ],
)
def test_logo_url_must_name_a_host_and_nothing_else_before_it(tmp_path: Path, url: str, message: str) -> None:
    assert logo_problems(tmp_path, url) == [("branding.logo_url", message)]


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
