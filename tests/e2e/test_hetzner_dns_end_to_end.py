"""The same program with the Hetzner Cloud DNS backend, through the real engine, against the spec-checked
emulator: every record lands, and a second up makes no call that writes."""

from __future__ import annotations

import pytest

from components.dns.hetzner import HetznerDnsBackend, HetznerDnsSettings
from components.dns.records import tenant_rrsets
from dezky.tenants import load_tenants
from tests.e2e.conftest import hetzner_config, make_project, services_config
from tests.e2e.test_dns_end_to_end import PLATFORM
from tests.emulators.hetzner_dns import TOKEN, HetznerDnsEmulator

pytestmark = pytest.mark.engine


def test_hetzner_backend_provisions_every_rrset_and_a_second_up_writes_nothing(
    tmp_path, hetzner_dns: HetznerDnsEmulator, authentik, stalwart, ocis
):
    config = {**hetzner_config(hetzner_dns.url, TOKEN), **services_config(authentik, stalwart, ocis)}
    project = make_project(tmp_path, config)

    first = project.up()
    writes_after_first = hetzner_dns.write_count
    second = project.up()

    assert first.summary.result == "succeeded"
    expected = [
        r
        for item in load_tenants([project.tenants_dir]).tenants
        for r in tenant_rrsets(item.tenant, PLATFORM)
    ]
    assert expected
    with HetznerDnsBackend(HetznerDnsSettings(TOKEN, endpoint=hetzner_dns.url)) as backend:
        stored = {r.key: backend.get_rrset(r.zone, r.name, r.type) for r in expected}
    wrong = [r.key for r in expected if stored[r.key] is None or stored[r.key].normalised() != r.normalised()]
    assert wrong == []
    assert set(second.summary.resource_changes) == {"same"}
    assert hetzner_dns.write_count == writes_after_first
    assert hetzner_dns.invalid_requests == []
