"""A Hetzner DNS backend pointed at the spec-checked emulator, with waits short enough for tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from components.dns.hetzner import HetznerDnsBackend, HetznerDnsSettings
from tests.emulators.hetzner_dns import TOKEN, HetznerDnsEmulator

ZONE = "acme.de"


@pytest.fixture
def settings(hetzner_dns: HetznerDnsEmulator) -> HetznerDnsSettings:
    return HetznerDnsSettings(
        token=TOKEN, endpoint=hetzner_dns.url, action_timeout=2.0, request_timeout=1.0, poll_interval=0.01
    )


@pytest.fixture
def backend(settings: HetznerDnsSettings) -> Iterator[HetznerDnsBackend]:
    with HetznerDnsBackend(settings) as backend:
        yield backend


@pytest.fixture
def zone(backend: HetznerDnsBackend, hetzner_dns: HetznerDnsEmulator) -> str:
    """An existing zone; the calls that made it are cleared so tests see only their own."""
    backend.create_zone(ZONE)
    hetzner_dns.calls.clear()
    return ZONE
