"""The real Pulumi engine provisions the platform's own zone into a real PowerDNS, then keeps it converged.

The tests run in order on one project: first up, no-change up, removing the records. The tenant is this
module's own (`zonetest`), so the zones it leaves in the session's PowerDNS do not meet other modules' tenants.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import platform_zone_rrsets
from components.tenant.component import dns_platform
from components.tenant.platform import PlatformSettings
from tests.e2e.conftest import Project, dns_answer, make_project, powerdns_config
from tests.fixtures.counting_proxy import CountingProxy
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

DOMAIN = "dezky.eu"
SUBDOMAIN = f"zonetest.{DOMAIN}"
NAMESERVERS = ("ns1.dezky.eu", "ns2.dezky.eu")  # PowerDNS's default (`dezky:dnsNameservers` unset)
PLATFORM = dns_platform(PlatformSettings(environment="dev", ingress_ipv4="127.0.0.1", ingress_ipv6="::1"))
TENANT = """\
slug: zonetest
name: Zone Test GmbH
status: active
created: 2026-02-03
plan: business
domains:
  primary: zonetest-platform.de
users:
  - email: anna@zonetest-platform.de
    name: Anna Zone
    role: admin
"""


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory,
    powerdns: PowerDnsServer,
    pdns_calls: CountingProxy,
    module_services: dict[str, auto.ConfigValue],
) -> Project:
    base = tmp_path_factory.mktemp("platform-zone")
    tenant_file = base / "zonetest.yaml"
    tenant_file.write_text(TENANT)
    config = {
        **powerdns_config(pdns_calls.url, powerdns.api_key),
        **module_services,
        "dezky:platformZone": auto.ConfigValue("true"),
    }
    return make_project(base, config, tenants=[Path(tenant_file)])


def served_in_parent(powerdns: PowerDnsServer, name: str, type_: str) -> tuple[str, ...] | None:
    """What the platform zone itself holds (over the API: over DNS the child zone on the same server answers)."""
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        found = backend.get_rrset(DOMAIN, name, type_)
    return None if found is None else tuple(sorted(found.records))


def test_first_up_makes_the_platform_hosts_answer_and_delegates_the_tenant_zone(
    project: Project, powerdns: PowerDnsServer
):
    result = project.up()

    assert result.summary.result == "succeeded"
    assert result.outputs["platform_zone"].value == "ready"
    assert dns_answer(powerdns, f"id.{DOMAIN}", "A") == {"127.0.0.1"}
    assert dns_answer(powerdns, f"files.{DOMAIN}", "AAAA") == {"::1"}
    assert dns_answer(powerdns, SUBDOMAIN, "NS") == {f"{ns}." for ns in NAMESERVERS}
    assert served_in_parent(powerdns, SUBDOMAIN, "NS") == tuple(f"{ns}." for ns in NAMESERVERS)
    # Receivers ask `<tenant domain>._report._dmarc.<platform>` before sending a tenant's reports to us.
    assert dns_answer(powerdns, f"zonetest-platform.de._report._dmarc.{DOMAIN}", "TXT") == {"v=DMARC1"}
    expected = platform_zone_rrsets(DOMAIN, PLATFORM, [SUBDOMAIN], NAMESERVERS)
    missing = [
        r.key for r in expected if served_in_parent(powerdns, r.name, r.type) != tuple(sorted(r.records))
    ]
    assert missing == []


def test_second_up_makes_no_write_call_and_powerdns_sees_no_write(
    project: Project, powerdns: PowerDnsServer, pdns_calls: CountingProxy
):
    writes_before = powerdns.write_count()
    pdns_calls.counter.reset()

    result = project.up()

    assert set(result.summary.resource_changes or {}) == {"same"}
    assert pdns_calls.counter.writes == 0
    assert powerdns.write_count() == writes_before


def test_removing_the_records_leaves_no_platform_host_answering(project: Project, powerdns: PowerDnsServer):
    # Zones hold data and are destroyed only once marked for purge (tests/e2e/test_data_safety.py).
    record_sets = [
        resource["urn"]
        for resource in project.stack().export_stack().deployment["resources"]
        if resource["type"] == "pulumi-python:dynamic/dns:RRset"
    ]
    result = project.destroy(target=record_sets)

    assert result.summary.result == "succeeded"
    assert dns_answer(powerdns, f"id.{DOMAIN}", "A") == set()
    assert served_in_parent(powerdns, SUBDOMAIN, "NS") is None
