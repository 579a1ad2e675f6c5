"""Mail, files and DNS for a tenant through the real engine, against the spec-checked Stalwart and OCIS
emulators and a real PowerDNS: provisioning, DKIM keys published, zero writes on a second up, suspension."""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator

import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from dezky.engine.workspace import ROOT
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, dns_answer, make_project, powerdns_config
from tests.emulators import ocis as ocis_emulator
from tests.emulators import stalwart as stalwart_emulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

TENANT = ROOT / "tenants" / "acme.yaml"


def services_config(stalwart: StalwartEmulator, ocis: OcisEmulator) -> dict[str, auto.ConfigValue]:
    return {
        "dezky:stalwartUrl": auto.ConfigValue(stalwart.url),
        "dezky:stalwartToken": auto.ConfigValue(stalwart_emulator.TOKEN, secret=True),
        "dezky:ocisUrl": auto.ConfigValue(ocis.url),
        "dezky:ocisToken": auto.ConfigValue(ocis_emulator.TOKEN, secret=True),
    }


@pytest.fixture
def project(
    tmp_path, powerdns: PowerDnsServer, stalwart: StalwartEmulator, ocis: OcisEmulator
) -> Iterator[Project]:
    config = {**powerdns_config(powerdns.api_url, powerdns.api_key), **services_config(stalwart, ocis)}
    yield make_project(tmp_path, config, [TENANT])
    # Each test's Stalwart makes new DKIM keys: leave no zone behind for the next test to conflict with.
    tenant = load_one(TENANT)[0]
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in zones_for(tenant.tenant):
            backend.delete_zone(zone)


def set_status(project: Project, status: str) -> None:
    path = project.tenant_file("acme")
    path.write_text(re.sub(r"(?m)^status: \w+$", f"status: {status}", path.read_text()))


def test_up_provisions_mail_and_files_and_publishes_the_dkim_keys_stalwart_made(
    project: Project, powerdns: PowerDnsServer, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    result = project.stack().up(on_output=project.output.append)

    assert result.outputs["tenants"].value["acme"] | {"authentik": None} == {
        "status": "active", "dns": "ready", "stalwart": "ready", "ocis": "ready", "authentik": None
    }
    tenant = load_one(project.tenant_file("acme"))[0].tenant
    for user in tenant.users:
        assert stalwart.message_count(user.email) == 0, f"no mailbox for {user.email}"
    assert {space.name for space in ocis.state.spaces.values()} == {space.name for space in tenant.files.spaces}
    published = dns_answer(powerdns, "v1-ed25519._domainkey.acme-werkzeuge.de", "TXT")
    generated = stalwart.dkim_public_keys("acme-werkzeuge.de")
    ed25519_key = next(key for _type, key in generated.values() if len(base64.b64decode(key)) == 32)
    assert published == {f"v=DKIM1; k=ed25519; p={ed25519_key}"}
    assert dns_answer(powerdns, "v1-rsa._domainkey.acme-werkzeuge.de", "TXT") != set()
    assert stalwart.invalid_requests == [] and ocis.invalid_requests == []


def test_second_up_makes_zero_write_calls_on_every_service(
    project: Project, powerdns: PowerDnsServer, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.stack().up(on_output=project.output.append)
    stalwart_writes, ocis_writes, pdns_writes = stalwart.write_count, ocis.writes, powerdns.write_count()

    preview = project.stack().preview(on_output=project.output.append)
    second = project.stack().up(on_output=project.output.append)

    assert set(preview.change_summary) == {"same"}
    assert set(second.summary.resource_changes) == {"same"}
    assert (stalwart.write_count, ocis.writes, powerdns.write_count()) == (stalwart_writes, ocis_writes, pdns_writes)


def test_suspend_then_resume_disables_and_restores_without_losing_mail_or_files(
    project: Project, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.stack().up(on_output=project.output.append)
    stalwart.deliver("anna.schmidt@acme-werkzeuge.de", 7)
    for space in ocis.state.spaces.values():
        space.files = 11

    set_status(project, "suspended")
    suspended = project.stack().up(on_output=project.output.append)
    disabled_spaces = [space.disabled for space in ocis.state.spaces.values()]
    account = stalwart.state.find_account("anna.schmidt@acme-werkzeuge.de")[1]
    set_status(project, "active")
    resumed = project.stack().up(on_output=project.output.append)

    assert suspended.outputs["tenants"].value["acme"]["stalwart"] == "suspended"
    assert all(disabled_spaces) and disabled_spaces
    assert account["permissions"]["disabledPermissions"] == {"authenticate": True}
    assert resumed.outputs["tenants"].value["acme"]["ocis"] == "ready"
    assert not any(space.disabled for space in ocis.state.spaces.values())
    assert stalwart.state.find_account("anna.schmidt@acme-werkzeuge.de")[1]["permissions"]["@type"] == "Inherit"
    assert stalwart.message_count("anna.schmidt@acme-werkzeuge.de") == 7
    assert {space.files for space in ocis.state.spaces.values()} == {11}


def test_generated_passwords_and_tokens_never_appear_in_state_logs_or_preview(
    project: Project, stalwart: StalwartEmulator
):
    project.stack().up(on_output=project.output.append)
    project.stack().preview(on_output=project.output.append)

    passwords = [cred["secret"] for acc in stalwart.state.objects["x:Account"].values()
                 for cred in (acc.get("credentials") or {}).values() if cred.get("secret")]
    assert passwords, "Stalwart must hold the generated passwords"
    state_files = "".join(p.read_text() for p in (project.work_dir / ".state").rglob("*.json"))
    assert '"ciphertext"' in state_files  # secrets are in the state, encrypted
    for secret in [*passwords, stalwart_emulator.TOKEN, ocis_emulator.TOKEN]:
        assert secret not in state_files
        assert secret not in project.printed()
