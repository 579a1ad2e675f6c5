"""Lookalike domains: a label that mixes scripts is refused in its own file, and a domain that looks like
another tenant's (the same Unicode skeleton) is refused in the file of the lookalike, naming the other file."""

from __future__ import annotations

from pathlib import Path

import idna
import pytest

from dezky.tenants.lookalike import CONFUSABLES, is_lookalike, mixed_scripts, skeleton
from dezky.tenants.model import normalise_domain
from tests.tenants.builders import problems, tenant
from tests.tenants.test_crossfile import at, cross_problems, customer

CYRILLIC_A, CYRILLIC_O, CYRILLIC_ES, CYRILLIC_IE = "\u0430", "\u043e", "\u0441", "\u0435"
GREEK_OMICRON, GREEK_NU, ARMENIAN_OH = "\u03bf", "\u03bd", "\u0585"


def puny(domain: str) -> str:
    return normalise_domain(domain)


def mixed_message(domain: str, label: str, scripts: str) -> str:
    return (
        f"`{domain}` ({puny(domain)}) mixes {scripts} letters in `{label}`; use the letters of one script in a "
        "label, so the name cannot pass for another"
    )


def lookalike_message(domain: str, other: str, owner: str) -> str:
    return (
        f"domain `{domain}` ({puny(domain)}) looks like `{other}`, claimed by {owner}; a lookalike of another "
        "tenant's domain is refused"
    )


# --- the skeleton --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lookalike", "looks_like"),
    [
        (f"{CYRILLIC_A}cme.de", "acme.de"),
        (f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de", "ace.de"),  # every letter Cyrillic
        (f"g{GREEK_OMICRON}{GREEK_OMICRON}gle.com", "google.com"),
        (f"{GREEK_NU}ision.de", "vision.de"),
        (f"b{ARMENIAN_OH}ot.de", "boot.de"),
        (f"shop.{CYRILLIC_A}cme.de", "shop.acme.de"),
        (f"m{CYRILLIC_A}\u0308rchen.de", "märchen.de"),  # a Cyrillic a under a diaeresis is still an a
    ],
)
def test_a_lookalike_has_the_skeleton_of_the_name_it_passes_for(lookalike: str, looks_like: str) -> None:
    assert skeleton(puny(lookalike)) == skeleton(puny(looks_like))
    assert is_lookalike(puny(lookalike))
    assert not is_lookalike(puny(looks_like))


@pytest.mark.parametrize(
    ("first", "second"),
    [("müller.de", "muller.de"), ("acme.de", "acne.de"), ("straße.de", "strasse.de"), ("café.de", "cafe.de")],
)
def test_names_that_differ_visibly_have_different_skeletons(first: str, second: str) -> None:
    assert skeleton(puny(first)) != skeleton(puny(second))


def test_ascii_names_are_their_own_skeleton() -> None:
    for domain in ["acme.de", "rnicrosoft.com", "g00gle.com", "a-b.c-d.de"]:
        assert skeleton(domain) == domain
        assert not is_lookalike(domain)


def test_every_confusable_maps_to_one_ascii_letter_or_digit_and_survives_idna() -> None:
    assert len(CONFUSABLES) > 100
    for char, ascii_char in CONFUSABLES.items():
        assert not char.isascii() and ascii_char in "abcdefghijklmnopqrstuvwxyz0123456789"
        label = f"x{char}x"
        assert idna.decode(idna.encode(f"{label}.de", uts46=True)) == f"{label}.de", hex(ord(char))


# --- mixed scripts in one label, per file -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("domain", "label", "scripts"),
    [
        (f"{CYRILLIC_A}cme.de", f"{CYRILLIC_A}cme", "Cyrillic and Latin"),
        (f"g{GREEK_OMICRON}ogle.de", f"g{GREEK_OMICRON}ogle", "Greek and Latin"),
        (f"b{ARMENIAN_OH}ot.de", f"b{ARMENIAN_OH}ot", "Armenian and Latin"),
        (f"sh{CYRILLIC_O}p.kanzlei-berg.de", f"sh{CYRILLIC_O}p", "Cyrillic and Latin"),
        (f"{CYRILLIC_A}\u03b2\u03b3.de", f"{CYRILLIC_A}\u03b2\u03b3", "Cyrillic and Greek"),
    ],
)
def test_a_domain_whose_label_mixes_scripts_is_refused_at_the_domain(
    tmp_path: Path, domain: str, label: str, scripts: str
) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "mail": [domain]})

    assert problems(tmp_path, data) == [("domains.mail[0]", mixed_message(domain, label, scripts))]


def test_the_primary_domain_and_platform_subdomain_are_checked_too(tmp_path: Path) -> None:
    primary = f"{CYRILLIC_A}cme.de"
    admin = {"email": f"admin@{primary}", "name": "Admin", "role": "admin"}
    sub = f"k{CYRILLIC_A}nzlei.dezky.eu"

    found = problems(tmp_path, tenant(domains={"primary": primary, "platform_subdomain": sub}, users=[admin]))

    assert found == [
        ("domains.primary", mixed_message(primary, f"{CYRILLIC_A}cme", "Cyrillic and Latin")),
        ("domains.platform_subdomain", mixed_message(sub, f"k{CYRILLIC_A}nzlei", "Cyrillic and Latin")),
    ]


@pytest.mark.parametrize(
    "domain",
    [
        "müller-bäckerei.de",  # Latin with accents
        "пример.рф",  # Cyrillic alone
        "παράδειγμα.gr",  # Greek alone
        "日本語テスト.jp",  # Han and Katakana: Japanese
        "sony日本.jp",  # Latin and Han: allowed together
        "한국어test.kr",  # Hangul and Latin
        "مثال٣.com",  # Arabic letters and Arabic-Indic digits
        "shop-24.пример.рф",  # one script per label: a Latin label beside a Cyrillic one
    ],
)
def test_a_domain_in_one_script_per_label_is_accepted(domain: str) -> None:
    assert mixed_scripts(puny(domain)) is None


# --- lookalikes across files -------------------------------------------------------------------------------


def test_a_lookalike_of_another_tenants_domain_is_refused_in_the_lookalikes_file(tmp_path: Path) -> None:
    lookalike = f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de"  # every letter Cyrillic: only the skeleton tells

    found = cross_problems(tmp_path, customer("ace", "ace.de"), customer("ace-kopie", lookalike))

    assert found == [
        (
            "ace-kopie.yaml",
            "domains.primary",
            lookalike_message(lookalike, "ace.de", at(tmp_path, "ace.yaml", "primary:")),
        )
    ]


def test_a_mixed_script_lookalike_is_told_both_problems(tmp_path: Path) -> None:
    lookalike = f"{CYRILLIC_A}cme.de"

    found = cross_problems(tmp_path, customer("acme", "acme.de"), customer("acme-imitat", lookalike))

    assert found == [
        (
            "acme-imitat.yaml",
            "domains.primary",
            mixed_message(lookalike, f"{CYRILLIC_A}cme", "Cyrillic and Latin"),
        ),
        (
            "acme-imitat.yaml",
            "domains.primary",
            lookalike_message(lookalike, "acme.de", at(tmp_path, "acme.yaml", "primary:")),
        ),
    ]


def test_a_lookalike_mail_domain_and_a_lookalike_of_a_mail_domain_are_found(tmp_path: Path) -> None:
    lookalike = f"b{ARMENIAN_OH}{ARMENIAN_OH}t.de"  # Armenian oh twice, with Latin b and t
    original = customer("boot", "boot-werft.de", domains={"primary": "boot-werft.de", "mail": ["boot.de"]})
    copy = customer("kopie", "kopie.de", domains={"primary": "kopie.de", "mail": [lookalike]})

    found = cross_problems(tmp_path, original, copy)

    owner = at(tmp_path, "boot.yaml", "- boot.de")
    assert ("kopie.yaml", "domains.mail[0]", lookalike_message(lookalike, "boot.de", owner)) in found
    assert [f for f in found if f[0] == "boot.yaml"] == []


def test_two_lookalikes_of_one_name_are_each_told(tmp_path: Path) -> None:
    first, second = f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de", f"\u0251{CYRILLIC_ES}{CYRILLIC_IE}.de"

    found = cross_problems(tmp_path, customer("eins", first), customer("zwei", second))

    assert [(name, where) for name, where, message in found if "looks like" in message] == [
        ("eins.yaml", "domains.primary"),
        ("zwei.yaml", "domains.primary"),
    ]


def test_a_lookalike_within_one_tenant_is_left_to_the_mixed_script_rule(tmp_path: Path) -> None:
    lookalike = f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de"
    data = customer("ace", "ace.de", domains={"primary": "ace.de", "mail": [lookalike]})

    assert cross_problems(tmp_path, data) == []


@pytest.mark.parametrize(
    ("first", "second"),
    [("müller.de", "muller.de"), ("acme.de", "acne.de"), ("пример.рф", "example.rf"), ("cafe.de", "café.de")],
)
def test_tenants_with_visibly_different_domains_do_not_clash(tmp_path: Path, first: str, second: str) -> None:
    assert cross_problems(tmp_path, customer("eins", first), customer("zwei", second)) == []


def test_a_lookalike_inside_another_tenants_domain_is_refused(tmp_path: Path) -> None:
    lookalike = f"shop.{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de"  # reads as shop.ace.de

    found = cross_problems(tmp_path, customer("ace", "ace.de"), customer("ace-shop", lookalike))

    owner = at(tmp_path, "ace.yaml", "primary:")
    assert found == [
        (
            "ace-shop.yaml",
            "domains.primary",
            f"domain `{lookalike}` ({puny(lookalike)}) looks like a domain inside `ace.de`, claimed by {owner}; "
            "a lookalike of another tenant's domain is refused",
        )
    ]


def test_a_lookalike_around_another_tenants_domain_is_refused(tmp_path: Path) -> None:
    lookalike = f"{CYRILLIC_A}{CYRILLIC_ES}{CYRILLIC_IE}.de"  # reads as ace.de, the parent of shop.ace.de

    found = cross_problems(tmp_path, customer("ace-shop", "shop.ace.de"), customer("ace-kopie", lookalike))

    owner = at(tmp_path, "ace-shop.yaml", "primary:")
    assert found == [
        (
            "ace-kopie.yaml",
            "domains.primary",
            f"domain `{lookalike}` ({puny(lookalike)}) looks like a domain around `shop.ace.de`, claimed by "
            f"{owner}; a lookalike of another tenant's domain is refused",
        )
    ]


@pytest.mark.parametrize(
    "domain",
    [
        "\u0501\u0435zky.eu",  # Cyrillic komi de and ie: reads as dezky.eu
        "shop.\u0501\u0435zky.eu",
    ],
)
def test_a_lookalike_of_the_platform_domain_is_refused_in_its_file(tmp_path: Path, domain: str) -> None:
    data = tenant(domains={"primary": "kanzlei-berg.de", "mail": [domain]})

    found = problems(tmp_path, data)

    assert (
        "domains.mail[0]",
        f"`{domain}` ({puny(domain)}) looks like the platform domain dezky.eu or a name under it; use the "
        "tenant's own domain",
    ) in found
