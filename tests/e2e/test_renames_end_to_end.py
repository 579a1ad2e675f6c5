"""Renames through the real engine (`renamed_from`): a user's address, a space's name, the tenant's slug. Each
object is renamed in place by its service, its mail and files kept; nothing is deleted or created anew. A moved
primary domain adds the new domain and keeps the previous one receiving mail."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from dezky.engine.workspace import ROOT
from dezky.review.preview import preview_review
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, dns_answer, make_project, powerdns_config, services_config
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

TENANT = ROOT / "tenants" / "acme.yaml"
OLD_EMAIL, NEW_EMAIL = "jonas.weber@acme-werkzeuge.de", "jonas.weber-koch@acme-werkzeuge.de"
OLD_SPACE, NEW_SPACE = "Projekte", "Kundenprojekte"
OLD_DOMAIN, NEW_DOMAIN = "acme-werkzeuge.de", "acme-tools.de"


@pytest.fixture
def project(
    tmp_path,
    powerdns: PowerDnsServer,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
) -> Iterator[Project]:
    config = {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        **services_config(authentik, stalwart, ocis),
    }
    yield make_project(tmp_path, config, [TENANT])
    # Each test's Stalwart makes new DKIM keys: leave no zone behind for the next test to conflict with.
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in [*zones_for(load_one(TENANT)[0].tenant), NEW_DOMAIN]:
            backend.delete_zone(zone)


def rename_user_and_space(project: Project) -> None:
    """Jonas's new address everywhere the file names him (the team list too), and the space's new name."""
    path = project.tenant_file("acme")
    text = path.read_text().replace(OLD_EMAIL, NEW_EMAIL)
    text = text.replace(
        f"  - email: {NEW_EMAIL}\n", f"  - email: {NEW_EMAIL}\n    renamed_from: {OLD_EMAIL}\n"
    )
    text = text.replace(
        f"    - name: {OLD_SPACE}\n", f"    - name: {NEW_SPACE}\n      renamed_from: {OLD_SPACE}\n"
    )
    path.write_text(text)


def login(authentik: AuthentikEmulator, username: str) -> dict | None:
    return next((user for user in authentik.instance.users.values() if user["username"] == username), None)


def operations(result: auto.UpResult) -> set[str]:
    return set(result.summary.resource_changes or {})


def test_renaming_a_user_and_a_space_renames_them_in_place_keeping_mail_and_files(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.up()
    stalwart.deliver(OLD_EMAIL, 5)
    (space,) = ocis.state.spaces.values()
    space.files = 11
    jonas = login(authentik, OLD_EMAIL)
    users_before, spaces_before = len(authentik.instance.users), set(ocis.state.spaces)
    rename_user_and_space(project)

    review = preview_review("dev", project.options)
    renamed = project.up()

    assert not review.blocked and not review.violations
    assert operations(renamed) == {"same", "update"}  # no delete, no create, no replacement
    assert stalwart.message_count(NEW_EMAIL) == 5 and stalwart.message_count(OLD_EMAIL) is None
    assert set(ocis.state.spaces) == spaces_before
    assert (space.name, space.alias, space.files) == (NEW_SPACE, "project/acme.kundenprojekte", 11)
    assert login(authentik, OLD_EMAIL) is None
    assert jonas is not None and login(authentik, NEW_EMAIL)["pk"] == jonas["pk"]
    assert len(authentik.instance.users) == users_before
    assert stalwart.invalid_requests == [] and ocis.invalid_requests == []


def test_the_up_after_a_rename_makes_zero_writes(
    project: Project,
    powerdns: PowerDnsServer,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
):
    project.up()
    rename_user_and_space(project)
    project.up()
    writes = (authentik.writes, stalwart.write_count, ocis.writes, powerdns.write_count())

    preview = project.preview()
    third = project.up()

    assert set(preview.change_summary) == {"same"}
    assert operations(third) == {"same"}
    assert (authentik.writes, stalwart.write_count, ocis.writes, powerdns.write_count()) == writes


def test_a_renamed_user_is_found_under_the_new_address_by_refresh(
    project: Project, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.up()
    rename_user_and_space(project)
    project.up()

    refreshed = project.refresh()

    # Pulumi keeps each object's first id (the old address, the old alias); reads follow the new ones.
    assert set(refreshed.summary.resource_changes or {}) == {"same"}
    assert stalwart.message_count(NEW_EMAIL) == 0


def test_without_renamed_from_the_same_edit_is_refused_before_any_write(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.up()
    rename_user_and_space(project)
    path = project.tenant_file("acme")
    path.write_text("".join(line for line in path.read_text().splitlines(True) if "renamed_from" not in line))
    writes = (authentik.writes, stalwart.write_count, ocis.writes)

    review = preview_review("dev", project.options)

    assert review.blocked
    assert sorted(v.message.split(" would be ")[0].split(": ", 1)[1] for v in review.violations) == [
        "login jonas.weber@acme-werkzeuge.de of tenant acme",
        "mailbox jonas.weber@acme-werkzeuge.de of tenant acme",
        "space Projekte of tenant acme",
    ]
    assert (authentik.writes, stalwart.write_count, ocis.writes) == writes


def rename_tenant(project: Project, slug: str) -> None:
    """The file renamed with its slug; the platform subdomain kept, as validation asks."""
    old = project.tenant_file("acme")
    text = old.read_text().replace("slug: acme\n", f"slug: {slug}\nrenamed_from: acme\n")
    text = text.replace("domains:\n", "domains:\n  platform_subdomain: acme.dezky.eu\n")
    project.tenant_file(slug).write_text(text)
    old.unlink()


def test_renaming_the_tenant_renames_every_object_in_place_and_keeps_logins_mail_and_files(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    first = project.up()
    stalwart.deliver("anna.schmidt@acme-werkzeuge.de", 3)
    (space,) = ocis.state.spaces.values()
    space.files = 4
    client_ids = {p["name"]: p["client_id"] for p in authentik.instance.providers.values()}
    rename_tenant(project, "acme-tools")

    review = preview_review("dev", project.options)
    renamed = project.up()
    preview = project.preview()

    assert not review.blocked and not review.violations
    assert operations(renamed) == {"same", "update"}
    assert renamed.outputs["tenants"].value["acme-tools"] == first.outputs["tenants"].value["acme"]
    assert stalwart.message_count("anna.schmidt@acme-werkzeuge.de") == 3
    assert (space.alias, space.files) == ("project/acme-tools.projekte", 4)
    anna = login(authentik, "anna.schmidt@acme-werkzeuge.de")
    assert anna is not None and anna["path"] == "tenants/acme-tools"
    groups = {g["name"] for g in authentik.instance.groups.values() if anna["pk"] in g["users"]}
    assert groups == {"acme-tools-admins", "acme-tools-members"}
    assert {p["name"]: p["client_id"] for p in authentik.instance.providers.values()} == {
        name.replace("acme-", "acme-tools-", 1): client_id for name, client_id in client_ids.items()
    }
    assert set(preview.change_summary) == {"same"}


def test_moving_the_primary_domain_keeps_the_previous_one_as_a_mail_domain_and_moves_a_user_with_the_mail(
    project: Project, powerdns: PowerDnsServer, stalwart: StalwartEmulator
):
    project.up()
    stalwart.deliver("anna.schmidt@acme-werkzeuge.de", 2)
    path = project.tenant_file("acme")
    text = path.read_text().replace(
        f"  primary: {OLD_DOMAIN}\n", f"  primary: {NEW_DOMAIN}\n  renamed_from: {OLD_DOMAIN}\n"
    )
    # Anna moves to the new domain (wherever the file names her) and keeps her old address as an alias.
    text = text.replace("anna.schmidt@acme-werkzeuge.de", f"anna.schmidt@{NEW_DOMAIN}").replace(
        f"  - email: anna.schmidt@{NEW_DOMAIN}\n",
        f"  - email: anna.schmidt@{NEW_DOMAIN}\n    renamed_from: anna.schmidt@{OLD_DOMAIN}\n",
    )
    path.write_text(text.replace("aliases: [info@", f"aliases: [anna.schmidt@{OLD_DOMAIN}, info@"))

    review = preview_review("dev", project.options)
    moved = project.up()

    assert not review.blocked and not review.violations
    assert operations(moved) == {"create", "same", "update"}  # the new domain's objects only are created
    assert stalwart.message_count(f"anna.schmidt@{NEW_DOMAIN}") == 2
    assert {OLD_DOMAIN, NEW_DOMAIN} <= {d["name"] for d in stalwart.state.objects["x:Domain"].values()}
    assert dns_answer(powerdns, OLD_DOMAIN, "MX") == dns_answer(powerdns, NEW_DOMAIN, "MX") != set()
    assert set(project.preview().change_summary) == {"same"}
