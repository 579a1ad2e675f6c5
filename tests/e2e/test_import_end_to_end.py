"""`dezky import` of a customer that exists only on the servers, and the up that adopts it with zero writes.

The customer's objects are made on the spec-checked Authentik, Stalwart and OCIS emulators and a real PowerDNS
by an up of a tenant file in one project, and one more user and space are made by hand with the services' own
APIs; that project's state and file are then left behind, so only the servers hold the customer. A second
project, with a fresh stack and no tenant file, imports it and ups it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto
from typer.testing import CliRunner

from components.authentik.client import AuthentikClient, AuthentikSettings
from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.ocis.client import ROLE_IDS, OcisClient, OcisSettings
from components.stalwart.client import StalwartClient, StalwartSettings
from dezky.cli import app
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, make_project, powerdns_config, services_config
from tests.emulators import authentik as authentik_emulator
from tests.emulators import ocis as ocis_emulator
from tests.emulators import stalwart as stalwart_emulator
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

CUSTOMER = """\
slug: kranich
name: Kranich Logistik GmbH
status: active
created: 2024-05-06
plan: enterprise
domains:
  primary: kranich-logistik.de
  mail: [kranich.eu]
users:
  - email: anna.berg@kranich-logistik.de
    name: Anna Berg
    role: admin
    aliases: [info@kranich.eu, zentrale@kranich-logistik.de]
    quota: 10GiB
  - email: bernd.kraus@kranich-logistik.de
    name: Bernd Kraus
    status: suspended
  - email: carla.diaz@kranich-logistik.de
    name: Carla Díaz
mail:
  shared_mailboxes:
    - address: buero@kranich-logistik.de
      name: Büro
      members: [anna.berg@kranich-logistik.de, carla.diaz@kranich-logistik.de]
      quota: 2GiB
  lists:
    - address: alle@kranich-logistik.de
      name: Alle
      members: [anna.berg@kranich-logistik.de, bernd.kraus@kranich-logistik.de, extern@example.org]
  catch_all: anna.berg@kranich-logistik.de
files:
  spaces:
    - name: Archiv
      quota: 10GiB
    - name: Aufträge
      quota: 50GiB
      description: "Laufende Aufträge: 2026"
      members:
        - group: members
          role: editor
        - user: anna.berg@kranich-logistik.de
          role: manager
branding:
  title: Kranich Arbeitsplatz
  logo_url: https://kranich-logistik.de/logo.svg
"""
USERS = ("anna.berg@kranich-logistik.de", "bernd.kraus@kranich-logistik.de", "carla.diaz@kranich-logistik.de")
BY_HAND = "dora.engel@kranich-logistik.de"
GiB = 1024**3


@pytest.fixture
def services(
    powerdns: PowerDnsServer, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
) -> Iterator[dict[str, auto.ConfigValue]]:
    # OCIS knows the users and the tenant's groups (as after their first login), so the spaces' grants exist.
    for user in (*USERS, BY_HAND):
        ocis.state.add_user(user)
    for group in ("kranich-members", "kranich-admins"):
        ocis.state.add_group(group)
    yield {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        **services_config(authentik, stalwart, ocis),
    }
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in ("kranich-logistik.de", "kranich.eu", "kranich.dezky.eu"):
            backend.delete_zone(zone)


@pytest.fixture
def customer_on_the_servers(tmp_path: Path, services: dict[str, auto.ConfigValue]) -> Path:
    """The customer made on the servers by another project, whose state and file are then out of the way."""
    source = tmp_path / "source" / "kranich.yaml"
    source.parent.mkdir()
    source.write_text(CUSTOMER, encoding="utf-8")
    made = make_project(tmp_path / "made", services, [source])
    result = made.up()
    assert result.outputs["tenants"].value["kranich"]["ocis"] == "ready"
    return source


@pytest.fixture
def fresh(tmp_path: Path, services: dict[str, auto.ConfigValue]) -> Project:
    return make_project(tmp_path / "fresh", services, [])


def dezky_import(project: Project, *args: str):
    options = ("--folder", str(project.tenants_dir), "--work-dir", str(project.work_dir))
    state = ("--state-dir", str(project.work_dir / ".state"))
    return CliRunner().invoke(app, ["import", *args, *options, *state])


def writes(
    authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator, powerdns: PowerDnsServer
) -> tuple[int, ...]:
    return (authentik.writes, stalwart.write_count, ocis.writes, powerdns.write_count())


def add_by_hand(authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator) -> None:
    """A user (login and mailbox) and a space an operator made with the services' own APIs, as a customer
    migrated from elsewhere has them: no engine, no state, only the naming conventions the program uses."""
    with AuthentikClient(AuthentikSettings(authentik.url, authentik_emulator.TOKEN)) as client:
        login = client.create_user(
            {"username": BY_HAND, "name": "Dora Engel", "email": BY_HAND, "path": "tenants/kranich",
             "is_active": True, "type": "internal"}
        )  # fmt: skip
        members = client.find_group("kranich-members")
        assert members is not None
        client.add_user_to_group(members["pk"], login["pk"])
    with StalwartClient(StalwartSettings(stalwart.url, stalwart_emulator.TOKEN)) as client:
        domain = client.find_domain("kranich-logistik.de")
        assert domain is not None
        account = {"@type": "User", "name": "dora.engel", "domainId": domain["id"], "description": "Dora Engel",
                   "quotas": {"maxDiskQuota": 3 * GiB}, "permissions": {"@type": "Inherit"},
                   "roles": {"@type": "User"}}  # fmt: skip
        client.create("x:Account", account, f"account {BY_HAND}")
    settings = OcisSettings(ocis.url, ocis_emulator.USER, ocis_emulator.APP_TOKEN)
    with OcisClient(settings) as client:
        drive = client.create_drive(
            {"name": "Handbuch", "description": "", "driveAlias": "project/kranich.handbuch",
             "driveType": "project", "quota": {"total": 1 * GiB}}
        )  # fmt: skip
        admins = client.group("kranich-admins")
        assert admins is not None
        client.invite(drive["id"], "group", admins["id"], ROLE_IDS["viewer"])


BY_HAND_IN_THE_FILE = """\
  - email: dora.engel@kranich-logistik.de
    name: Dora Engel
    quota: 3GiB
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def with_by_hand() -> str:
    """The customer's file as it would read with the hand-made user and space in it."""
    text = CUSTOMER.replace("mail:\n  shared_mailboxes:", BY_HAND_IN_THE_FILE + "mail:\n  shared_mailboxes:")
    space = "    - name: Handbuch\n      quota: 1GiB\n      members:\n        - group: admins\n          role: viewer\n"
    return text.replace("branding:\n", space + "branding:\n")


def test_an_imported_customer_is_adopted_by_the_next_up_with_zero_writes_on_every_service(
    customer_on_the_servers: Path,
    fresh: Project,
    powerdns: PowerDnsServer,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
):
    add_by_hand(authentik, stalwart, ocis)
    before_import = writes(authentik, stalwart, ocis, powerdns)

    result = dezky_import(fresh, "--domain", "kranich-logistik.de")
    after_import = writes(authentik, stalwart, ocis, powerdns)
    written = fresh.tenant_file("kranich")
    text = written.read_text(encoding="utf-8")
    up = fresh.up()

    assert result.exit_code == 0, result.output
    assert after_import == before_import  # the import itself wrote nothing
    assert writes(authentik, stalwart, ocis, powerdns) == before_import  # and neither did the up
    assert up.outputs["tenants"].value["kranich"] == {
        "status": "active", "dns": "ready", "stalwart": "ready", "ocis": "ready", "authentik": "ready",
    }  # fmt: skip
    imported = load_one(written)[0]
    assert imported is not None
    by_hand = load_one(
        write(customer_on_the_servers.parent / "with-hand-made" / "kranich.yaml", with_by_hand())
    )[0]
    assert by_hand is not None
    assert imported.tenant == by_hand.tenant.model_copy(update={"created": dt.date.today()})
    assert BY_HAND_IN_THE_FILE in text
    assert "\nname: Kranich Logistik GmbH\n" in text and "\nplan: enterprise\n" in text
    assert "\ndomains:\n  primary: kranich-logistik.de\n  mail: [kranich.eu]\n" in text
    assert (
        "\n  - email: anna.berg@kranich-logistik.de\n    name: Anna Berg\n    role: admin\n"
        "    aliases: [info@kranich.eu, zentrale@kranich-logistik.de]\n    quota: 10GiB\n"
    ) in text
    assert (
        "\n  - email: bernd.kraus@kranich-logistik.de\n    name: Bernd Kraus\n    status: suspended\n" in text
    )
    assert (
        '\n    - name: Aufträge\n      quota: 50GiB\n      description: "Laufende Aufträge: 2026"\n' in text
    )
    assert (
        "\n#   - branding.primary_color is kept by no service: the file has the default (#1f4e79)\n" in text
    )
    assert result.output.splitlines() == [
        f"✓ wrote {written}",
        "1 thing(s) found that the file does not hold, or that the next up will change (also listed at the "
        "top of the file):",
        "  - branding.primary_color is kept by no service: the file has the default (#1f4e79)",
        f"Next: check {written}, commit it and open a pull request; its review shows what the next up does.",
    ]
    assert (
        authentik.invalid_requests == [] and stalwart.invalid_requests == [] and ocis.invalid_requests == []
    )


def test_import_by_group_finds_the_same_customer(customer_on_the_servers: Path, fresh: Project):
    by_group = dezky_import(fresh, "--domain", "kranich-logistik.de", "--group", "kranich-admins")
    text = fresh.tenant_file("kranich").read_text(encoding="utf-8")

    assert by_group.exit_code == 0, by_group.output
    assert "`dezky import --domain kranich-logistik.de --group kranich-admins --stack dev`" in text
    imported = load_one(fresh.tenant_file("kranich"))[0]
    assert imported is not None
    assert [user.email for user in imported.tenant.users] == list(USERS)


def test_import_refuses_to_overwrite_an_existing_tenant_file(customer_on_the_servers: Path, fresh: Project):
    fresh.tenant_file("kranich").write_text("# kept\n", encoding="utf-8")

    refused = dezky_import(fresh, "--domain", "kranich-logistik.de")

    assert refused.exit_code == 2
    assert refused.output.splitlines() == [
        f"{fresh.tenant_file('kranich')} already exists; not overwritten (move it away, or give --out)"
    ]
    assert fresh.tenant_file("kranich").read_text(encoding="utf-8") == "# kept\n"


def test_a_customer_that_makes_no_valid_tenant_file_is_not_written_and_the_problems_say_why(
    fresh: Project, authentik: AuthentikEmulator
):
    with AuthentikClient(AuthentikSettings(authentik.url, authentik_emulator.TOKEN)) as client:
        client.create_user(
            {"username": "ole@solo-werkstatt.de", "name": "Ole", "email": "ole@solo-werkstatt.de",
             "path": "tenants/solo", "is_active": True, "type": "internal"}
        )  # fmt: skip

    refused = dezky_import(fresh, "--domain", "solo-werkstatt.de", "--slug", "solo")

    assert refused.exit_code == 5
    assert refused.output.splitlines() == [
        "users: at least one user must have role `admin`",
        f"✗ not written: {fresh.tenant_file('solo')} (what was found does not make a valid tenant file)",
    ]
    assert not fresh.tenant_file("solo").exists()


SUSPENDED = """\
slug: kranich
name: Kranich Logistik GmbH
status: suspended
created: 2024-05-06
plan: starter
domains:
  primary: kranich-logistik.de
users:
  - email: anna.berg@kranich-logistik.de
    name: Anna Berg
    role: admin
  - email: bernd.kraus@kranich-logistik.de
    name: Bernd Kraus
files:
  spaces:
    - name: Archiv
      quota: 10GiB
      members:
        - group: members
          role: viewer
"""


def test_a_suspended_customer_is_imported_suspended_and_adopted_with_zero_writes(
    tmp_path: Path,
    services: dict[str, auto.ConfigValue],
    fresh: Project,
    powerdns: PowerDnsServer,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
):
    source = write(tmp_path / "source" / "kranich.yaml", SUSPENDED)
    make_project(tmp_path / "made", services, [source]).up()
    before = writes(authentik, stalwart, ocis, powerdns)

    result = dezky_import(fresh, "--domain", "kranich-logistik.de")
    fresh.up()

    assert result.exit_code == 0, result.output
    assert writes(authentik, stalwart, ocis, powerdns) == before
    imported, original = load_one(fresh.tenant_file("kranich"))[0], load_one(source)[0]
    assert imported is not None and original is not None
    assert imported.tenant == original.tenant.model_copy(update={"created": dt.date.today()})
    assert "  - every login, mailbox and space is locked: imported as a suspended tenant;" in result.output
