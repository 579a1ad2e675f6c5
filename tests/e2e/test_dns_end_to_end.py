"""The real Pulumi engine provisions every tenant's DNS into a real PowerDNS, then keeps it converged.

The tests in this module run in order on one project and one PowerDNS: first up, no-change up, an edit, drift,
destroy. Each leaves the stack converged for the next.
"""

from __future__ import annotations

import httpx
import pytest

from components.dns.backend import RRset
from components.dns.records import tenant_rrsets
from components.stalwart.provider import dkim_selectors
from components.tenant.component import dns_platform
from components.tenant.platform import PlatformSettings
from dezky.tenants import load_tenants
from tests.e2e.conftest import Project, dns_answer
from tests.fixtures.counting_proxy import CountingProxy
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

PLATFORM = dns_platform(PlatformSettings(environment="dev", ingress_ipv4="127.0.0.1", ingress_ipv6="::1"))


def expected_rrsets(project: Project) -> list[RRset]:
    result = load_tenants([project.tenants_dir])
    assert result.ok, result.problems
    return [rrset for item in result.tenants for rrset in tenant_rrsets(item.tenant, PLATFORM)]


def answers_match(powerdns: PowerDnsServer, rrset: RRset) -> bool:
    return dns_answer(powerdns, rrset.name, rrset.type) == set(rrset.records)


def test_first_up_makes_every_expected_record_answer(project: Project, powerdns: PowerDnsServer):
    result = project.up()

    expected = expected_rrsets(project)
    states = result.outputs["tenants"].value
    assert len(expected) >= 25 * len(states) > 0
    assert result.summary.result == "succeeded"
    missing = [f"{r.name}/{r.type}" for r in expected if not answers_match(powerdns, r)]
    assert missing == []
    assert {slug: state["dns"] for slug, state in states.items()} == dict.fromkeys(states, "ready")


def test_second_up_makes_no_write_call_and_powerdns_sees_no_write(
    project: Project, powerdns: PowerDnsServer, pdns_calls: CountingProxy
):
    writes_before = powerdns.write_count()
    pdns_calls.counter.reset()

    result = project.up()

    assert set(result.summary.resource_changes or {}) == {"same"}
    assert pdns_calls.counter.writes == 0
    assert powerdns.write_count() == writes_before


def test_second_preview_after_up_is_empty(project: Project):
    result = project.preview()

    assert set(result.change_summary) == {"same"}


def test_adding_a_mail_domain_previews_only_that_domains_zone_and_records(project: Project):
    tenant_file = project.tenant_file("acme")
    original = tenant_file.read_text()
    tenant_file.write_text(
        original.replace(
            "  primary: acme-werkzeuge.de\n", "  primary: acme-werkzeuge.de\n  mail: [acme-tools.eu]\n"
        )
    )
    events: list = []
    try:
        result = project.preview(on_event=events.append)
        new_records = [r for r in expected_rrsets(project) if r.zone == "acme-tools.eu"]
    finally:
        tenant_file.write_text(original)

    steps = [
        e.resource_pre_event.metadata
        for e in events
        if e.resource_pre_event and e.resource_pre_event.metadata.op.value != "same"
    ]
    assert steps, "the edit must change something"
    assert {step.op.value for step in steps} == {"create"}
    created = {step.urn.rsplit("::", 1)[1] for step in steps}
    assert all("acme-tools.eu" in name for name in created), created
    dns_created = {name for name in created if ":zone:" in name or ":rrset:" in name}
    # the zone, each static RRset and one DKIM RRset per selector Stalwart will sign with
    assert len(dns_created) == 1 + len(new_records) + len(dkim_selectors())
    assert created - dns_created == {"acme:mail:domain:acme-tools.eu"}
    assert result.change_summary["create"] == len(created)


def test_a_record_changed_by_hand_shows_in_refresh_and_up_repairs_it(
    project: Project, powerdns: PowerDnsServer
):
    target = next(
        r for r in expected_rrsets(project) if r.name.startswith("_dmarc.") and r.zone.startswith("acme")
    )
    change_by_hand(powerdns, target, "v=DMARC1; p=none")
    assert dns_answer(powerdns, target.name, "TXT") == {"v=DMARC1; p=none"}

    refreshed = project.refresh()
    repaired = project.up()

    assert refreshed.summary.resource_changes.get("update") == 1
    assert repaired.summary.resource_changes.get("update") == 1
    assert answers_match(powerdns, target)


def test_destroy_removes_only_what_the_program_created(project: Project, powerdns: PowerDnsServer):
    foreign = RRset("acme-werkzeuge.de", "legacy.acme-werkzeuge.de", "A", 300, ("192.0.2.7",))
    create_by_hand(powerdns, foreign)

    # Zones hold data and are destroyed only once marked for purge (tests/e2e/test_data_safety.py).
    record_sets = [
        resource["urn"]
        for resource in project.stack().export_stack().deployment["resources"]
        if resource["type"] == "pulumi-python:dynamic/dns:RRset"
    ]
    result = project.destroy(target=record_sets)

    assert result.summary.result == "succeeded"
    assert dns_answer(powerdns, foreign.name, "A") == {"192.0.2.7"}
    leftovers = [
        r
        for r in expected_rrsets(project)
        if r.zone == "acme-werkzeuge.de" and dns_answer(powerdns, r.name, r.type)
    ]
    assert leftovers == []


def change_by_hand(powerdns: PowerDnsServer, rrset: RRset, text: str) -> None:
    replace_by_hand(powerdns, rrset.zone, rrset.name, "TXT", rrset.ttl, [f'"{text}"'])


def create_by_hand(powerdns: PowerDnsServer, rrset: RRset) -> None:
    replace_by_hand(powerdns, rrset.zone, rrset.name, rrset.type, rrset.ttl, list(rrset.records))


def replace_by_hand(
    powerdns: PowerDnsServer, zone: str, name: str, type_: str, ttl: int, contents: list[str]
) -> None:
    change = {
        "name": name + ".",
        "type": type_,
        "ttl": ttl,
        "changetype": "REPLACE",
        "records": [{"content": content, "disabled": False} for content in contents],
    }
    response = httpx.patch(
        f"{powerdns.api_url}/api/v1/servers/localhost/zones/{zone}.",
        json={"rrsets": [change]},
        headers={"X-API-Key": powerdns.api_key},
    )
    assert response.status_code == 204, response.text
