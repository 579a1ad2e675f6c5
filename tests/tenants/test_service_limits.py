"""What the services refuse is refused by `dezky validate` first, at the file's line: OCIS space names and the
OCIS space a name becomes, the Authentik username a user's address becomes, and the DNS names published under
a mail domain.

Each limit is checked at its boundary (the last value the service takes and the first it refuses) and for
every character or form it covers, so a valid file can never fail half-way through an `up`.
"""

from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.authentik import objects
from components.dns.records import DkimKey, DnsPlatform, mail_domain_rrsets
from components.ocis.provider import FORBIDDEN_IN_NAMES
from components.ocis.provider import space_alias as provider_space_alias
from components.stalwart.provider import dkim_selectors
from dezky.tenants.limits import (
    AUTHENTIK_USERNAME_MAX,
    DNS_NAME_MAX,
    LONGEST_MAIL_DOMAIN_PREFIX,
    MAIL_DOMAIN_MAX,
    OCIS_SPACE_NAME_FORBIDDEN,
    OCIS_SPACE_NAME_MAX_BYTES,
    space_alias,
)
from dezky.tenants.model import Tenant, TenantGroup
from tests.tenants.builders import SLUG, problems, tenant
from tests.tenants.test_schema import committed_schema


def spaces(*names: str) -> dict[str, Any]:
    return {"spaces": [{"name": name, "quota": "1GiB"} for name in names]}


# --- OCIS space names: the characters and the length OCIS refuses ------------------------------------------


def test_the_forbidden_characters_are_the_ones_ocis_and_the_provider_refuse() -> None:
    # owncloud/ocis drives.go `_invalidSpaceNameCharacters`, which the OCIS provider repeats for its own check.
    assert OCIS_SPACE_NAME_FORBIDDEN == ("/", "\\", ".", ":", "?", "*", '"', ">", "<", "|")
    assert set(OCIS_SPACE_NAME_FORBIDDEN) == set(FORBIDDEN_IN_NAMES)


def test_the_schemas_pattern_refuses_the_same_characters() -> None:
    pattern = committed_schema()["$defs"]["Space"]["properties"]["name"]["pattern"]

    for char in OCIS_SPACE_NAME_FORBIDDEN:
        assert not re.fullmatch(pattern, f"a{char}b"), char
    assert re.fullmatch(pattern, "Büro & Co (2026) - 営業")


@pytest.mark.parametrize("char", OCIS_SPACE_NAME_FORBIDDEN)
def test_each_character_ocis_refuses_in_a_space_name_is_refused(tmp_path: Path, char: str) -> None:
    name = f"Akten{char}2026"

    assert problems(tmp_path, tenant(files=spaces(name))) == [
        (
            "files.spaces[0].name",
            f"`{name}` cannot be an OCIS space name: OCIS does not allow `{char}` in one",
        )
    ]


def test_every_forbidden_character_in_a_name_is_named_at_once(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(files=spaces("v1.2: a/b"))) == [
        (
            "files.spaces[0].name",
            "`v1.2: a/b` cannot be an OCIS space name: OCIS does not allow `/` `.` `:` in one",
        )
    ]


@pytest.mark.parametrize(
    "name", ["Büro & Co", "Akten (2026)", "Projekte - Kunde #4", "営業", "Ærø; ½ + ¼", "a,b;c=d!e'f"]
)
def test_names_with_other_characters_are_accepted(tmp_path: Path, name: str) -> None:
    assert problems(tmp_path, tenant(files=spaces(name))) == []


@pytest.mark.parametrize(
    ("char", "count"),
    [("€", 85), ("翻", 85), ("😀", 63), ("ü", 100)],  # 3, 3, 4 and 2 bytes: 255, 255, 252, 200 bytes
)
def test_a_name_of_at_most_255_utf8_bytes_is_accepted(tmp_path: Path, char: str, count: int) -> None:
    assert len((char * count).encode()) <= OCIS_SPACE_NAME_MAX_BYTES

    assert problems(tmp_path, tenant(files=spaces(char * count))) == []


@pytest.mark.parametrize(("char", "count", "size"), [("€", 86, 258), ("翻", 86, 258), ("😀", 64, 256)])
def test_a_name_over_255_utf8_bytes_is_refused_though_it_has_few_characters(
    tmp_path: Path, char: str, count: int, size: int
) -> None:
    assert problems(tmp_path, tenant(files=spaces(char * count))) == [
        (
            "files.spaces[0].name",
            f"the name has {size} bytes in UTF-8; OCIS allows at most 255 bytes in a space name",
        )
    ]


def test_the_bytes_are_counted_after_the_name_is_trimmed_as_ocis_trims_it(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(files=spaces("  " + "€" * 85 + "  "))) == []


# --- two names, one OCIS space ------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=60))
@settings(max_examples=300, deadline=None)
def test_the_alias_is_the_one_the_ocis_provider_derives(name: str) -> None:
    """The rule is only as good as its copy of the provider's key: they must agree for every name."""
    assert space_alias(SLUG, name) == provider_space_alias(SLUG, name)


@pytest.mark.parametrize(
    ("first", "second", "alias"),
    [
        ("Büro", "Buro", "buro"),  # an accent is dropped
        ("Büro", "Bu\u0308ro", "buro"),  # composed and decomposed ü
        ("Café Crème", "cafe creme", "cafe-creme"),  # accents and case
        ("Team A", "Team_A", "team-a"),  # any run of other characters is one hyphen
        ("Team  A", "Team - A", "team-a"),
        ("Akten 2026", "Akten-2026!", "akten-2026"),  # leading and trailing punctuation is dropped
        ("Ｍａｒｋｅｔｉｎｇ", "Marketing", "marketing"),  # full-width letters (NFKD)
        ("ﬁnanz-Akten", "Finanz Akten", "finanz-akten"),  # the ligature ﬁ (NFKD)
    ],
)
def test_names_that_become_one_ocis_space_are_refused_at_the_second(
    tmp_path: Path, first: str, second: str, alias: str
) -> None:
    assert problems(tmp_path, tenant(files=spaces(first, second))) == [
        (
            "files.spaces[1].name",
            (
                f"space `{second}` and space `{first}` (at [0]) "
                f"both become the OCIS space `project/{SLUG}.{alias}`; rename one of them"
            ),
        )
    ]


def test_a_name_that_differs_only_in_case_is_still_reported_as_declared_twice(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(files=spaces("Akten", "AKTEN"))) == [
        ("files.spaces[1].name", "space `AKTEN` is declared twice (also at [0])")
    ]


@pytest.mark.parametrize(
    ("first", "second"),
    [("営業", "経理"), ("Ärger", "Arger-Archiv"), ("Akten", "Akte"), ("Projekt 1", "Projekt 2")],
)
def test_names_that_become_different_ocis_spaces_are_accepted(
    tmp_path: Path, first: str, second: str
) -> None:
    # Names with nothing ASCII left get a hash of the name each.
    assert space_alias(SLUG, first) != space_alias(SLUG, second)

    assert problems(tmp_path, tenant(files=spaces(first, second))) == []


def test_every_later_name_of_one_ocis_space_is_reported_against_the_first(tmp_path: Path) -> None:
    assert problems(tmp_path, tenant(files=spaces("Büro", "Buro", "BÜRO!"))) == [
        (
            "files.spaces[1].name",
            f"space `Buro` and space `Büro` (at [0]) both become the OCIS space `project/{SLUG}.buro`; "
            "rename one of them",
        ),
        (
            "files.spaces[2].name",
            f"space `BÜRO!` and space `Büro` (at [0]) both become the OCIS space `project/{SLUG}.buro`; "
            "rename one of them",
        ),
    ]


# --- Authentik: the user's address is their username --------------------------------------------------------


def address_of_length(length: int) -> str:
    """An address of exactly `length` characters in the test tenant's domain (labels of at most 63)."""
    domain = "kanzlei-berg.de"
    local = "a" * 60
    filler = length - len(local) - 1 - len(domain)
    labels = []
    while filler > 0:
        size = min(filler - 1, 62) if filler > 1 else 0
        labels.append("b" * max(size, 1))
        filler -= max(size, 1) + 1
    assert filler == 0, length
    return f"{local}@{'.'.join([*labels, domain])}"


@pytest.mark.parametrize("length", [AUTHENTIK_USERNAME_MAX - 1, AUTHENTIK_USERNAME_MAX])
def test_an_address_authentik_takes_as_a_username_is_accepted(tmp_path: Path, length: int) -> None:
    email = address_of_length(length)
    domain = email.split("@")[1]

    found = problems(tmp_path, tenant(domains={"primary": domain}, users=[user_at(email, "admin")]))

    assert len(email) == length
    assert found == []


@pytest.mark.parametrize("length", [AUTHENTIK_USERNAME_MAX + 1, 200])
def test_an_address_longer_than_an_authentik_username_is_refused_at_the_user(
    tmp_path: Path, length: int
) -> None:
    email = address_of_length(length)
    domain = email.split("@")[1]

    found = problems(tmp_path, tenant(domains={"primary": domain}, users=[user_at(email, "admin")]))

    assert found == [
        (
            "users[0].email",
            f"`{email}` has {length} characters; it is the user's Authentik username, which holds at most 150",
        )
    ]


def test_the_length_is_that_of_the_punycode_address_authentik_receives(tmp_path: Path) -> None:
    # 120 characters as written, but the address goes to Authentik as `xn--...`: 151 characters.
    unicode_domain = "äöüéèêáàâíìîóòôúùû.ñçåøæœ-grüße-straße.éàèùâêîôûëïÿç.de"
    stored = (
        f"{'a' * 64}@xn--0cabefufitil8bloq1dpsd.xn---gre-strae-73ag1eon3nze6c34g.xn--0caepcdjhxk2cxc2a8c.de"
    )
    admin = user_at(f"{'a' * 64}@{unicode_domain}", "admin")

    found = problems(tmp_path, tenant(domains={"primary": unicode_domain}, users=[admin]))

    assert len(admin["email"]) == 120
    assert found == [
        (
            "users[0].email",
            f"`{stored}` has 151 characters; it is the user's Authentik username, which holds at most 150",
        )
    ]


def test_aliases_and_mailboxes_are_not_usernames_and_may_be_longer(tmp_path: Path) -> None:
    long_address = address_of_length(AUTHENTIK_USERNAME_MAX + 10)
    domain = long_address.split("@")[1]
    admin = user_at(f"eva@{domain}", "admin", aliases=[long_address])

    assert problems(tmp_path, tenant(domains={"primary": domain}, users=[admin])) == []


def user_at(email: str, role: str = "member", **fields: Any) -> dict[str, Any]:
    return {"email": email, "name": "Eva Berg", "role": role, **fields}


# --- DNS: every name published under a mail domain fits a DNS name -----------------------------------------

PLATFORM = DnsPlatform(
    ingress_ipv4="203.0.113.10",
    ingress_ipv6="2001:db8::10",
    mail_host="mail.dezky.eu",
    web_host="webmail.dezky.eu",
    dmarc_rua="mailto:dmarc@dezky.eu",
    tls_rpt_rua="mailto:tlsrpt@dezky.eu",
    caa_iodef="mailto:security@dezky.eu",
    mta_sts_policy_id="20261101",
)
KEYS = {
    "ed25519": base64.b64encode(bytes(32)).decode(),
    "rsa": base64.b64encode(b"\x30\x82\x01\x22" + bytes(290)).decode(),
}


def test_the_longest_name_under_a_mail_domain_is_the_one_the_limit_leaves_room_for() -> None:
    """The rule's prefix is the longest the DNS component publishes, with the selectors Stalwart makes."""
    keys = [DkimKey(selector, algorithm, KEYS[algorithm]) for selector, algorithm in dkim_selectors()]
    domain = "kanzlei-berg.de"

    names = {rrset.name for rrset in mail_domain_rrsets(domain, PLATFORM, keys)}

    longest = max(len(name) - len(domain) for name in names)
    assert f"{LONGEST_MAIL_DOMAIN_PREFIX}{domain}" in names
    assert longest == len(LONGEST_MAIL_DOMAIN_PREFIX)
    assert MAIL_DOMAIN_MAX == DNS_NAME_MAX - longest == 231


def domain_of_length(length: int) -> str:
    labels, left = [], length - len(".de")
    while left > 0:
        size = min(63, left) if left != 64 else 62  # a label, then a dot before the next one
        labels.append("x" * size)
        left -= size + (1 if left > size else 0)
    domain = ".".join(labels) + ".de"
    assert len(domain) == length, (length, len(domain))
    return domain


@pytest.mark.parametrize("length", [MAIL_DOMAIN_MAX - 1, MAIL_DOMAIN_MAX])
def test_a_mail_domain_whose_records_fit_is_accepted(tmp_path: Path, length: int) -> None:
    domains = {"primary": "kanzlei-berg.de", "mail": [domain_of_length(length)]}

    assert problems(tmp_path, tenant(domains=domains)) == []


@pytest.mark.parametrize("length", [MAIL_DOMAIN_MAX + 1, 253])
@pytest.mark.parametrize("field", ["primary", "mail"])
def test_a_mail_domain_too_long_for_its_records_is_refused_at_the_domain(
    tmp_path: Path, length: int, field: str
) -> None:
    long_domain = domain_of_length(length)
    if field == "primary":
        data = tenant(domains={"primary": long_domain}, users=[])
        where = "domains.primary"
    else:
        data = tenant(domains={"primary": "kanzlei-berg.de", "mail": [long_domain]})
        where = "domains.mail[0]"

    assert problems(tmp_path, data) == [
        (
            where,
            f"`{long_domain}` has {length} characters; its DKIM record `v1-ed25519._domainkey.<domain>` must fit "
            "the 253 characters of a DNS name, so a mail domain has at most 231",
        )
    ]


# --- names derived from the slug fit every Authentik version's columns ---------------------------------------


def test_the_longest_slug_makes_authentik_names_within_the_older_column_limits() -> None:
    """Authentik 2026.5.6 gives group names and application slugs no length limit; older versions had
    `Group.name` CharField(max_length=80) and `Application.slug` SlugField (Django's default 50). The slug
    pattern (at most 32 characters) keeps every derived name within both, so no rule is needed for them."""
    data = tenant(slug="k" * 32, domains={"primary": "kanzlei-berg.de"})
    longest = Tenant.model_validate(data)

    apps = objects.tenant_apps(longest)
    assert max(len(objects.app_slug(longest, app)) for app in apps) <= 50
    assert max(len(objects.group_name(longest, group)) for group in TenantGroup) <= 80
    assert len(objects.portal_host(longest)) <= DNS_NAME_MAX
