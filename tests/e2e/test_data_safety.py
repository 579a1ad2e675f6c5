"""Every entry point that could destroy customer data is refused before its first write, through the real engine.

The class, not only the examples: a targeted run (`reconcile`), a plain `up` and a `destroy` are each
previewed first with the same targets and policy pack, so a plan that destroys an unmarked mail domain,
zone, login, mailbox or space, or that the pack refuses, stops before anything is applied; the retention of
a deleted tenant runs from the day the engine applied the deletion, which no tenant file can move.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator

import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from components.stalwart.component import AccountInputs, MailAccount
from dezky.engine import runner
from dezky.engine.workspace import ROOT
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, dns_answer, make_project, powerdns_config, services_config
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator
from tests.fixtures.counting_proxy import CountingProxy, counting_proxy
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

TENANT = ROOT / "tenants" / "acme.yaml"
EXTRA_DOMAIN = "acme-tools.eu"
GiB = 1024**3


@pytest.fixture
def pdns(powerdns: PowerDnsServer) -> Iterator[CountingProxy]:
    with counting_proxy(powerdns.api_url) as proxy:
        yield proxy
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in [*zones_for(load_one(TENANT)[0].tenant), EXTRA_DOMAIN]:
            backend.delete_zone(zone)


@pytest.fixture
def project(
    tmp_path,
    powerdns: PowerDnsServer,
    pdns: CountingProxy,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
) -> Project:
    config = {**powerdns_config(pdns.url, powerdns.api_key), **services_config(authentik, stalwart, ocis)}
    project = make_project(tmp_path, config, [TENANT])
    edit(
        project,
        r"(?m)^  primary: acme-werkzeuge.de$",
        f"  primary: acme-werkzeuge.de\n  mail: [{EXTRA_DOMAIN}]",
    )
    return project


def edit(project: Project, pattern: str, replacement: str) -> None:
    path = project.tenant_file("acme")
    text = path.read_text()
    changed = re.sub(pattern, replacement, text)
    assert changed != text, f"{pattern} not found in {path}"
    path.write_text(changed)


def writes(pdns: CountingProxy, *emulators: AuthentikEmulator | OcisEmulator) -> int:
    return pdns.counter.writes + sum(emulator.writes for emulator in emulators)


def stalwart_domains(stalwart: StalwartEmulator) -> set[str]:
    return {domain["name"] for domain in stalwart.state.objects["x:Domain"].values()}


def test_reconcile_of_a_removed_mail_domain_is_refused_before_any_write(
    project: Project,
    pdns: CountingProxy,
    powerdns: PowerDnsServer,
    stalwart: StalwartEmulator,
    authentik,
    ocis,
):
    project.up()
    edit(project, rf"(?m)^  mail: \[{re.escape(EXTRA_DOMAIN)}\]\n", "")
    pdns.counter.reset()
    authentik.calls.clear()
    ocis.calls.clear()

    with pytest.raises(runner.DataLossRefused) as refused:
        runner.reconcile("dev", "acme", project.options)

    assert f"mail domain {EXTRA_DOMAIN} of tenant acme" in str(refused.value)
    assert f"zone {EXTRA_DOMAIN} of tenant acme" in str(refused.value)
    assert writes(pdns, authentik, ocis) == 0
    assert EXTRA_DOMAIN in stalwart_domains(stalwart)
    assert dns_answer(powerdns, EXTRA_DOMAIN, "MX") != set(), "inbound mail still routed"


def test_moving_the_platform_subdomain_is_refused_before_any_write(
    project: Project, pdns: CountingProxy, authentik, ocis
):
    project.up()
    edit(project, r"(?m)^domains:\n", "domains:\n  platform_subdomain: acme-neu.dezky.eu\n")
    pdns.counter.reset()
    authentik.calls.clear()
    ocis.calls.clear()

    with pytest.raises(runner.DataLossRefused, match=r"zone acme\.dezky\.eu of tenant acme"):
        project.up()

    assert writes(pdns, authentik, ocis) == 0


def test_a_targeted_destroy_of_zones_is_refused_before_any_write(project: Project, pdns: CountingProxy):
    project.up()
    zones = [
        resource["urn"]
        for resource in project.stack().export_stack().deployment["resources"]
        if resource["type"].endswith("dns:Zone")
    ]
    pdns.counter.reset()

    with pytest.raises(runner.DataLossRefused, match=r"zone acme-werkzeuge\.de of tenant acme"):
        project.destroy(target=zones)

    assert pdns.counter.writes == 0


def test_a_policy_refusal_stops_the_up_before_any_write(project: Project, stalwart: StalwartEmulator):
    jonas = "jonas.weber@acme-werkzeuge.de"

    def above_the_plan() -> None:  # a stack rule: Pulumi runs those only after an up's steps
        MailAccount(f"acme:mail:user:{jonas}", AccountInputs("user", jonas, "Jonas Weber", 30 * GiB))

    with pytest.raises(runner.PolicyRefused, match=r"within-plan.*mailbox jonas\.weber@acme-werkzeuge\.de"):
        project.up(program=above_the_plan)

    assert stalwart.writes == 0
    assert stalwart.state.objects["x:Account"] == {}


def test_a_back_dated_deletion_starts_the_retention_clock_on_the_day_it_is_applied(
    project: Project, monkeypatch: pytest.MonkeyPatch, ocis: OcisEmulator, stalwart: StalwartEmulator
):
    today = dt.date(2026, 11, 30)
    monkeypatch.setenv("DEZKY_TODAY", today.isoformat())
    project.up()
    # One change that back-dates the deletion and asks for the purge at once.
    edit(project, r"(?m)^status: active$", "status: deleted\ndeleted_at: 2026-02-04\npurge: true")

    deleted = project.up()

    assert deleted.outputs["tenant_deletions"].value == {"acme": today.isoformat()}
    assert not any(inputs.get("purge") for inputs in data_inputs(project))
    deleted_file = project.tenant_file("acme").read_text()
    project.tenant_file("acme").unlink()
    with pytest.raises(runner.DataLossRefused, match="space Projekte of tenant acme"):
        project.up()
    assert len(ocis.state.spaces) == 1

    # Once the retention has passed since the recorded day, the same file marks everything...
    project.tenant_file("acme").write_text(deleted_file)
    monkeypatch.setenv("DEZKY_TODAY", (today + dt.timedelta(days=30)).isoformat())
    marked = project.up()
    assert marked.outputs["tenant_deletions"].value == {"acme": today.isoformat()}
    assert all(inputs.get("purge") for inputs in data_inputs(project))
    # ...and removing the file then destroys it.
    project.tenant_file("acme").unlink()
    project.up()
    assert ocis.state.spaces == {}
    assert stalwart_domains(stalwart) == set()


def data_inputs(project: Project) -> list[dict]:
    data_types = ("stalwart:Domain", "stalwart:Account", "ocis:Space", "dns:Zone", "authentik:User")
    return [
        resource.get("inputs") or {}
        for resource in project.stack().export_stack().deployment["resources"]
        if resource["type"].removeprefix("pulumi-python:dynamic/") in data_types
    ]


def test_preview_of_a_refused_change_warns_without_applying(project: Project, pdns: CountingProxy):
    project.up()
    edit(project, rf"(?m)^  mail: \[{re.escape(EXTRA_DOMAIN)}\]\n", "")
    pdns.counter.reset()

    with pytest.raises(auto.CommandError):  # the policy pack fails the preview too
        project.preview()

    assert "WARNING: applying this would be refused" in project.printed()
    assert f"mail domain {EXTRA_DOMAIN}" in project.printed()
    assert pdns.counter.writes == 0


# --- the two-step removal of a shared mailbox, an extra mail domain; a list in one step ------------------------

SHARED = "buchhaltung@acme-werkzeuge.de"
SHARED_BLOCK = (
    "  shared_mailboxes:\n"
    f"    - address: {SHARED}\n"
    "      name: Buchhaltung\n"
    "      members: [anna.schmidt@acme-werkzeuge.de]\n"
)


def stalwart_addresses(stalwart: StalwartEmulator, object_name: str) -> set[str]:
    return {stalwart.state.address(found) for found in stalwart.state.objects[object_name].values()}


def recorded_inputs(project: Project, resource_type: str) -> dict[str, dict]:
    """Each recorded resource of the type, by name: the inputs the last run left in the state."""
    return {
        resource["urn"].rsplit("::", 1)[-1]: resource.get("inputs") or {}
        for resource in project.stack().export_stack().deployment["resources"]
        if resource["type"] == f"pulumi-python:dynamic/{resource_type}"
    }


def test_a_shared_mailbox_marked_purge_true_is_removed_by_the_next_change(
    project: Project, stalwart: StalwartEmulator
):
    project.up()
    stalwart.deliver(SHARED, 2)
    edit(project, r"(?m)^      name: Buchhaltung$", "      name: Buchhaltung\n      purge: true")

    project.up()
    assert recorded_inputs(project, "stalwart:Account")[f"acme:mail:group:{SHARED}"]["purge"] is True
    assert stalwart.message_count(SHARED) == 2, "marking alone keeps the mailbox and its mail"
    edit(project, r"(?m)^  shared_mailboxes:\n(?:    .*\n)+", "")

    project.up()

    assert SHARED not in stalwart_addresses(stalwart, "x:Account")
    assert stalwart.message_count(SHARED) is None
    assert "anna.schmidt@acme-werkzeuge.de" in stalwart_addresses(stalwart, "x:Account")


def test_removing_an_unmarked_shared_mailbox_is_refused_before_any_write_naming_file_field_and_line(
    project: Project, stalwart: StalwartEmulator, pdns: CountingProxy, authentik, ocis
):
    project.up()
    text = project.tenant_file("acme").read_text()
    assert SHARED_BLOCK in text
    project.tenant_file("acme").write_text(text.replace(SHARED_BLOCK, ""))
    before = (stalwart.write_count, writes(pdns, authentik, ocis))

    with pytest.raises(runner.DataLossRefused) as refused:
        project.up()

    assert str(refused.value) == (
        "refusing to destroy 1 object(s) that hold customer data:\n"
        f"  - shared mailbox {SHARED} of tenant acme: set `purge: true` on the shared mailbox in "
        "`mail.shared_mailboxes`\n"
        "In the tenant files:\n"
        f"  - tenants/acme.yaml:18:1 mail.shared_mailboxes: shared mailbox {SHARED} of tenant acme would be "
        "deleted (it left the file) but was never marked `purge: true`; keep it, or mark it for purge in one "
        "change (set `purge: true` on the shared mailbox in `mail.shared_mailboxes`) and remove it in a later one\n"
        "Nothing was applied. To remove data for good, first mark it in the tenant file as said above and\n"
        "apply that; then remove it from the file in a later change. A whole tenant: `status: deleted`, and\n"
        "once 30 days have passed since that was applied, `purge: true`."
    )
    assert (stalwart.write_count, writes(pdns, authentik, ocis)) == before
    assert SHARED in stalwart_addresses(stalwart, "x:Account")


def test_an_extra_mail_domain_marked_purge_true_is_removed_with_its_zone_by_the_next_change(
    project: Project, stalwart: StalwartEmulator, powerdns: PowerDnsServer
):
    project.up()
    edit(
        project,
        rf"(?m)^  mail: \[{re.escape(EXTRA_DOMAIN)}\]$",
        f"  mail: [{{domain: {EXTRA_DOMAIN}, purge: true}}]",
    )

    marked = project.up()

    assert recorded_inputs(project, "stalwart:Domain")[f"acme:mail:domain:{EXTRA_DOMAIN}"]["purge"] is True
    assert recorded_inputs(project, "dns:Zone")[f"acme:zone:{EXTRA_DOMAIN}"]["purge"] is True
    assert recorded_inputs(project, "dns:Zone")["acme:zone:acme-werkzeuge.de"]["purge"] is False
    assert marked.summary.resource_changes.get("delete", 0) == 0
    assert EXTRA_DOMAIN in stalwart_domains(stalwart)
    edit(project, r"(?m)^  mail: \[\{domain: .*\}\]\n", "")

    project.up()

    assert stalwart_domains(stalwart) == {"acme-werkzeuge.de"}
    assert dns_answer(powerdns, EXTRA_DOMAIN, "MX") == set()
    assert dns_answer(powerdns, "acme-werkzeuge.de", "MX") != set()


def test_removing_an_unmarked_extra_mail_domain_says_how_to_mark_it(
    project: Project, stalwart: StalwartEmulator
):
    project.up()
    edit(project, rf"(?m)^  mail: \[{re.escape(EXTRA_DOMAIN)}\]\n", "")

    with pytest.raises(runner.DataLossRefused) as refused:
        project.up()

    mark = f"write its entry in `domains.mail` as `{{domain: {EXTRA_DOMAIN}, purge: true}}`"
    assert str(refused.value).splitlines()[:3] == [
        "refusing to destroy 2 object(s) that hold customer data:",
        f"  - mail domain {EXTRA_DOMAIN} of tenant acme: {mark}",
        f"  - zone {EXTRA_DOMAIN} of tenant acme: an extra mail domain's zone goes with it: {mark}; the primary "
        "domain's and the platform subdomain's only with the tenant",
    ]
    assert (
        f"  - tenants/acme.yaml:7:1 domains.mail: mail domain {EXTRA_DOMAIN} of tenant acme would be deleted (it "
        f"left the file) but was never marked `purge: true`; keep it, or mark it for purge in one change ({mark}) "
        "and remove it in a later one"
    ) in str(refused.value).splitlines()
    assert EXTRA_DOMAIN in stalwart_domains(stalwart)


def test_a_mailing_list_holds_no_mail_and_goes_in_one_change(project: Project, stalwart: StalwartEmulator):
    project.up()
    assert stalwart_addresses(stalwart, "x:MailingList") == {"team@acme-werkzeuge.de"}
    edit(project, r"(?m)^  lists:\n(?:    .*\n)+", "")

    project.up()

    assert stalwart.state.objects["x:MailingList"] == {}
