"""Zones: created as primary with Hetzner's SOA and NS, found by name, deleted, listed across pages."""

from __future__ import annotations

import pytest

from components.common.http import ApiError
from components.dns.hetzner import HetznerDnsBackend
from tests.emulators.hetzner_dns import HetznerDnsEmulator

from .conftest import ZONE


def test_created_zone_is_found_by_name(backend: HetznerDnsBackend, hetzner_dns: HetznerDnsEmulator) -> None:
    assert not backend.zone_exists(ZONE)

    backend.create_zone(ZONE)

    assert backend.zone_exists(ZONE)
    assert not backend.zone_exists("other.de")
    assert ("POST", "/zones", 201) in [(c.method, c.path, c.status) for c in hetzner_dns.calls]


def test_new_zone_has_hetzners_soa_and_ns(backend: HetznerDnsBackend, zone: str) -> None:
    ns = backend.get_rrset(zone, zone, "NS")
    soa = backend.get_rrset(zone, zone, "SOA")

    assert ns is not None and len(ns.records) == 3
    assert ns.ttl == 3600  # no TTL of its own: read reports the zone default it is served with
    assert soa is not None and soa.name == zone


def test_deleted_zone_is_gone_and_deleting_again_is_fine(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.delete_zone(zone)
    backend.delete_zone(zone)

    assert not backend.zone_exists(zone)
    deletes = [c.status for c in hetzner_dns.calls if c.method == "DELETE"]
    assert deletes == [201, 404]


def test_creating_an_existing_zone_names_the_servers_code_and_message(
    backend: HetznerDnsBackend, zone: str
) -> None:
    with pytest.raises(ApiError) as caught:
        backend.create_zone(zone)

    assert caught.value.status == 409
    assert caught.value.message.startswith("uniqueness_error: zone name is already used")
    assert "POST" in str(caught.value) and "/v1/zones" in str(caught.value)


def test_zone_listing_follows_every_page(backend: HetznerDnsBackend, hetzner_dns: HetznerDnsEmulator) -> None:
    names = [f"tenant{i}.de" for i in range(5)]
    for name in names:
        backend.create_zone(name)
    hetzner_dns.project.page_size_cap = 2
    hetzner_dns.calls.clear()

    assert sorted(backend.list_zones()) == names
    assert [c.path for c in hetzner_dns.calls] == ["/zones"] * 3
