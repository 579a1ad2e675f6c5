"""Which customer `dezky import` reads, and its refusals, against the spec-checked emulators (no engine)."""

from __future__ import annotations

import pytest

from components.authentik.client import AuthentikClient, AuthentikSettings
from components.ocis.client import OcisSettings
from components.stalwart.client import StalwartClient, StalwartSettings
from dezky.importer.read import CannotImport, ServiceSettings, read_customer
from tests.emulators import authentik as authentik_emulator
from tests.emulators import ocis as ocis_emulator
from tests.emulators import stalwart as stalwart_emulator
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator


@pytest.fixture
def settings(authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator) -> ServiceSettings:
    return ServiceSettings(
        AuthentikSettings(authentik.url, authentik_emulator.TOKEN),
        StalwartSettings(stalwart.url, stalwart_emulator.TOKEN),
        OcisSettings(ocis.url, ocis_emulator.USER, ocis_emulator.APP_TOKEN),
    )


def add_customer(settings: ServiceSettings, path: str = "tenants/linde") -> None:
    """A login under `path` in the group `linde-members`, and its mailbox, made with the services' APIs."""
    with AuthentikClient(settings.authentik) as authentik:
        user = authentik.create_user(
            {"username": "eva@linde-apotheke.de", "name": "Eva Linde", "email": "eva@linde-apotheke.de",
             "path": path, "is_active": True, "type": "internal"}
        )  # fmt: skip
        group = authentik.create_group({"name": "linde-members", "is_superuser": False})
        authentik.add_user_to_group(group["pk"], user["pk"])
        authentik.create_group({"name": "staff", "is_superuser": False})
    with StalwartClient(settings.stalwart) as stalwart:
        domain = stalwart.create("x:Domain", {"name": "linde-apotheke.de"}, "domain linde-apotheke.de")
        account = {"@type": "User", "name": "eva", "domainId": domain, "description": "Eva Linde"}
        stalwart.create("x:Account", account, "account eva@linde-apotheke.de")


def test_the_slug_comes_from_the_authentik_path_of_the_domains_logins_and_nothing_is_written(
    settings: ServiceSettings, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    add_customer(settings)
    writes = (authentik.writes, stalwart.write_count, ocis.writes)

    found = read_customer(settings, domain="linde-apotheke.de")

    assert found.slug == "linde"
    assert [(login.username, login.groups) for login in found.logins] == [
        ("eva@linde-apotheke.de", ("linde-members",))
    ]
    assert [(box.address, box.display_name) for box in found.mailboxes] == [
        ("eva@linde-apotheke.de", "Eva Linde")
    ]
    assert (authentik.writes, stalwart.write_count, ocis.writes) == writes


def test_the_slug_comes_from_a_tenant_groups_name(settings: ServiceSettings):
    add_customer(settings, path="users")

    found = read_customer(settings, domain="linde-apotheke.de", group="linde-members")

    assert found.slug == "linde"
    assert [login.path for login in found.logins] == ["users"]


def test_a_group_that_does_not_exist_is_refused(settings: ServiceSettings):
    with pytest.raises(CannotImport) as refused:
        read_customer(settings, domain="linde-apotheke.de", group="linde-staff")

    assert str(refused.value) == "--group: Authentik has no group `linde-staff`"


def test_a_group_not_named_like_a_tenants_needs_the_slug_as_well(settings: ServiceSettings):
    add_customer(settings)

    with pytest.raises(CannotImport) as refused:
        read_customer(settings, domain="linde-apotheke.de", group="staff")
    found = read_customer(settings, domain="linde-apotheke.de", group="staff", slug="linde")

    assert str(refused.value) == (
        "--group: `staff` is not named like a tenant's group (<slug>-members or <slug>-admins), so it does not "
        "tell the tenant's slug: give --slug as well"
    )
    assert found.slug == "linde"


def test_a_domain_whose_logins_are_under_no_tenant_path_needs_the_slug(settings: ServiceSettings):
    add_customer(settings, path="users")

    with pytest.raises(CannotImport) as refused:
        read_customer(settings, domain="linde-apotheke.de")

    assert str(refused.value) == (
        "cannot tell the tenant's slug from the Authentik logins of the mailboxes on linde-apotheke.de (none is "
        "under tenants/<slug>): give --slug"
    )


def test_a_slug_taken_from_a_group_name_must_be_a_dns_label_as_it_names_the_file(settings: ServiceSettings):
    with AuthentikClient(settings.authentik) as authentik:
        authentik.create_group({"name": "Linde_Team-members", "is_superuser": False})

    with pytest.raises(CannotImport) as refused:
        read_customer(settings, domain="linde-apotheke.de", group="Linde_Team-members")

    assert (
        str(refused.value)
        == "`Linde_Team` is not a tenant slug (a DNS label, 3 to 32 characters): give --slug"
    )
