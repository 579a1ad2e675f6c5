"""From what the services hold to the tenant file: values, the plan, and what the file cannot say. No servers."""

from __future__ import annotations

import dataclasses
import datetime as dt
from pathlib import Path

import yaml

from components.authentik.objects import DEFAULT_LOGO
from dezky.importer.found import (
    Customer,
    Login,
    Mailbox,
    MailDomain,
    MailList,
    PortalBrand,
    ProjectSpace,
    SpaceGrant,
)
from dezky.importer.mapping import ImportedTenant, map_customer
from dezky.importer.render import render_imported
from dezky.tenants.loader import load_tenants

TODAY = dt.date(2026, 11, 30)
GiB = 1024**3
EVA = "eva@linde-apotheke.de"


def login(address: str, name: str, *groups: str, active: bool = True, path: str = "tenants/linde") -> Login:
    return Login(address, name, address, path, active, tuple(sorted(groups or ("linde-members",))))


def mailbox(address: str, name: str, **settings: object) -> Mailbox:
    return Mailbox("user", address, name, **{"quota": 5 * GiB, **settings})  # type: ignore[arg-type]


LINDE = Customer(
    slug="linde",
    primary_domain="linde-apotheke.de",
    logins=(login(EVA, "Eva Linde", "linde-admins", "linde-members"),),
    mail_domains=(MailDomain("linde-apotheke.de"),),
    mailboxes=(mailbox(EVA, "Eva Linde"),),
    brand=PortalBrand("Linde Apotheke", DEFAULT_LOGO),
    portal_description="Linde Apotheke's apps and settings",
)


def imported(found: Customer, **options: str) -> ImportedTenant:
    return map_customer(found, today=TODAY, **options)  # type: ignore[arg-type]


def rendered(found: Customer, **options: str) -> str:
    return render_imported(imported(found, **options), command="dezky import --domain linde-apotheke.de")


def test_a_customer_as_the_program_makes_it_becomes_the_file_that_makes_it_with_nothing_to_note():
    text = rendered(LINDE)

    assert text == (
        "# yaml-language-server: $schema=../schema/tenant.schema.json\n"
        "# Imported from Authentik, Stalwart and OCIS on 2026-11-30 by `dezky import --domain linde-apotheke.de`.\n"
        "# Check `created` (the day of the import; no service keeps it) and `plan` (inferred: the smallest plan that\n"
        "# holds what was found).\n"
        "# Everything found is in this file; the next up adopts it as it is.\n"
        "slug: linde\n"
        "name: Linde Apotheke\n"
        "status: active\n"
        "created: 2026-11-30\n"
        "plan: starter\n"
        "domains:\n"
        "  primary: linde-apotheke.de\n"
        "users:\n"
        "  - email: eva@linde-apotheke.de\n"
        "    name: Eva Linde\n"
        "    role: admin\n"
    )
    assert load_tenants([], pending={Path("tenants/linde.yaml"): text}).problems == []


def test_the_plan_is_the_smallest_that_holds_what_was_found_and_its_default_quota_is_left_out():
    shared = dataclasses.replace(
        LINDE, mailboxes=(*LINDE.mailboxes, Mailbox("group", "team@linde-apotheke.de", "Team", quota=5 * GiB))
    )
    catch_all = dataclasses.replace(LINDE, mail_domains=(MailDomain("linde-apotheke.de", EVA),))
    big_mailbox = dataclasses.replace(LINDE, mailboxes=(mailbox(EVA, "Eva Linde", quota=50 * GiB),))

    assert imported(LINDE).data["plan"] == "starter"
    assert imported(shared).data["plan"] == "business"
    assert imported(shared).data["mail"]["shared_mailboxes"] == [
        {"address": "team@linde-apotheke.de", "name": "Team", "quota": 5 * GiB}
    ]
    assert imported(catch_all).data["plan"] == "enterprise"
    assert imported(big_mailbox).data["plan"] == "enterprise"
    assert imported(big_mailbox).data["users"][0]["quota"] == 50 * GiB
    assert imported(LINDE, plan="business").data["users"][0]["quota"] == 5 * GiB
    assert imported(LINDE, plan="business").plan_inferred is False


def test_what_the_file_cannot_say_is_named_in_the_notes_and_at_the_top_of_the_file():
    found = dataclasses.replace(
        LINDE,
        logins=(
            *LINDE.logins,
            login("max@linde-apotheke.de", "Max", path="users"),
            login("ole@elsewhere.org", "Ole"),
        ),
        mailboxes=(*LINDE.mailboxes, mailbox("kasse@linde-apotheke.de", "Kasse")),
        lists=(MailList("leer@linde-apotheke.de", "Leer", ()),),
        spaces=(
            ProjectSpace("project/linde.alt", "Neu", "", GiB, True),
            ProjectSpace(
                "project/linde.rezepte", "Rezepte", "", GiB, True,
                (SpaceGrant("group:linde-members", "editor"), SpaceGrant("group:other-team", "viewer"),
                 SpaceGrant("user-id:4f1c", "viewer")),
            ),
        ),
    )  # fmt: skip

    result = imported(found)

    assert list(result.notes) == [
        "kasse@linde-apotheke.de has a mailbox but no Authentik login: the next up creates the login",
        "Authentik login max@linde-apotheke.de has email `max@linde-apotheke.de` and path `users`; the program "
        "makes the email the username and the path `tenants/linde`, so the next up refuses the login as a "
        "different object: change it in Authentik first",
        "max@linde-apotheke.de has an Authentik login but no mailbox: the next up creates the mailbox",
        "user ole@elsewhere.org is not imported: elsewhere.org is not one of the mail domains Stalwart has for "
        "this customer",
        "mailing list leer@linde-apotheke.de has no recipients, which a tenant file cannot say: not imported",
        "space 'Neu' (project/linde.alt) is not imported: its name gives the alias project/linde.neu, not "
        "project/linde.alt",
        "space 'Rezepte': the grant to group:other-team is not imported (not a user or group of this "
        "customer); the next up removes it",
        "space 'Rezepte': the grant to user-id:4f1c is not imported (not a user or group of this customer); "
        "the next up removes it",
    ]
    assert result.data["files"] == {
        "spaces": [{"name": "Rezepte", "quota": GiB, "members": [{"group": "members", "role": "editor"}]}]
    }
    assert [user["email"] for user in result.data["users"]] == [
        EVA, "kasse@linde-apotheke.de", "max@linde-apotheke.de",
    ]  # fmt: skip
    text = render_imported(result, command="dezky import --domain linde-apotheke.de")
    assert (
        "#   - mailing list leer@linde-apotheke.de has no recipients, which a tenant file cannot say: not "
        "imported\n"
    ) in text


def test_a_customer_whose_logins_mailboxes_and_spaces_are_all_locked_is_imported_suspended():
    found = dataclasses.replace(
        LINDE,
        logins=(login(EVA, "Eva Linde", "linde-admins", "linde-members", active=False),),
        mailboxes=(mailbox(EVA, "Eva Linde", suspended=True),),
        spaces=(ProjectSpace("project/linde.rezepte", "Rezepte", "", GiB, False),),
    )

    result = imported(found)

    assert result.data["status"] == "suspended"
    assert result.data["users"] == [{"email": EVA, "name": "Eva Linde", "role": "admin"}]
    assert result.notes == (
        "every login, mailbox and space is locked: imported as a suspended tenant; which users were "
        "suspended on their own cannot be told, so each user is written active",
    )


def test_a_user_suspended_in_one_service_only_is_imported_suspended_and_the_note_says_so():
    found = dataclasses.replace(LINDE, mailboxes=(mailbox(EVA, "Eva Linde", suspended=True),))

    result = imported(found)

    assert result.data["users"][0]["status"] == "suspended"
    assert result.notes == (
        "eva@linde-apotheke.de is suspended in Stalwart but active in Authentik: imported as suspended, and "
        "the next up suspends it in both",
    )


def test_without_a_portal_application_the_name_comes_from_the_brand_and_the_note_asks_to_check_it():
    found = dataclasses.replace(LINDE, portal_description=None)

    assert imported(found).data["name"] == "Linde Apotheke"
    assert imported(found).notes == (
        "the customer's name was not found (no portal application linde-portal): the file says `Linde "
        "Apotheke`; correct it, or give --name",
    )
    assert imported(found, name="Linde-Apotheke OHG").data["branding"] == {"title": "Linde Apotheke"}


def test_a_brand_logo_that_is_not_https_is_left_out_and_named():
    found = dataclasses.replace(LINDE, brand=PortalBrand("Linde Apotheke", "/media/logo.png"))

    result = imported(found)

    assert "branding" not in result.data
    assert result.notes == (
        "the brand's logo `/media/logo.png` is not an https:// URL, which a tenant file needs: not imported, "
        "and the next up puts Authentik's default logo back",
    )


def test_values_yaml_would_read_otherwise_are_quoted_and_read_back_as_found():
    odd = ["yes", "null", "#team", "Müller: Einkauf", "1.5", "Carla Díaz", "- x", "a #b", "on"]
    found = dataclasses.replace(
        LINDE,
        mailboxes=tuple(Mailbox("group", f"box{n}@linde-apotheke.de", name) for n, name in enumerate(odd)),
    )

    text = render_imported(imported(found, plan="business"), command="dezky import")
    boxes = yaml.safe_load(text)["mail"]["shared_mailboxes"]

    assert [box["name"] for box in boxes] == odd
    assert "    - address: box5@linde-apotheke.de\n      name: Carla Díaz\n" in text
