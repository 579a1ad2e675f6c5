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
