"""A PowerDNS backend on the session's real server, its traffic checked against the spec, and a fresh zone."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from tests.fixtures.powerdns import PowerDnsServer
from tests.fixtures.powerdns_spec import SpecCheckingTransport

_zone_numbers = itertools.count(1)


@pytest.fixture
def spec_transport() -> SpecCheckingTransport:
    return SpecCheckingTransport()


@pytest.fixture
def pdns_settings(powerdns: PowerDnsServer) -> PowerDnsSettings:
    return PowerDnsSettings(powerdns.api_url, powerdns.api_key, server_id=powerdns.server_id)


@pytest.fixture
def backend(
    pdns_settings: PowerDnsSettings, spec_transport: SpecCheckingTransport
) -> Iterator[PowerDnsBackend]:
    with PowerDnsBackend(pdns_settings, transport=spec_transport) as backend:
        yield backend


@pytest.fixture
def zone(backend: PowerDnsBackend) -> Iterator[str]:
    """A zone of its own for each test, removed afterwards."""
    name = f"t{next(_zone_numbers)}.dns-test.example"
    backend.create_zone(name)
    yield name
    backend.delete_zone(name)
