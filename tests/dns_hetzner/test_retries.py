"""Transient failures are retried through the shared `send`; the rate-limit reset is waited for, not guessed."""

from __future__ import annotations

import pytest

from components.common.http import ApiError
from components.dns.hetzner import HetznerDnsBackend, HetznerDnsSettings
from tests.emulators.hetzner_dns import HetznerDnsEmulator

from .conftest import ZONE


def statuses(hetzner_dns: HetznerDnsEmulator, method: str, path: str) -> list[int | None]:
    return [c.status for c in hetzner_dns.calls if (c.method, c.path) == (method, path)]


def test_rate_limited_call_is_retried_after_the_reset_time(
    backend: HetznerDnsBackend, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.fail_next("POST", "/zones", "429")

    backend.create_zone(ZONE)

    limited, retried = [c for c in hetzner_dns.calls if (c.method, c.path) == ("POST", "/zones")]
    assert (limited.status, retried.status) == (429, 201)
    assert limited.headers["RateLimit-Remaining"] == "0"
    assert retried.at >= int(limited.headers["RateLimit-Reset"])


def test_unavailable_server_is_retried(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.fail_next("GET", "/zones/*/rrsets/*", "503", times=2)

    assert backend.get_rrset(zone, zone, "NS") is not None
    assert statuses(hetzner_dns, "GET", "/zones/acme.de/rrsets/@/NS") == [503, 503, 200]


def test_call_that_hangs_past_the_timeout_is_retried(
    settings: HetznerDnsSettings, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.hang_seconds = 1.5
    hetzner_dns.fail_next("GET", "/zones", "hang")
    quick = HetznerDnsSettings(settings.token, settings.endpoint, request_timeout=0.5)

    with HetznerDnsBackend(quick) as backend:
        assert backend.zone_exists(zone)

    assert statuses(hetzner_dns, "GET", "/zones") == [None, 200]


def test_dropped_connection_is_retried(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.fail_next("DELETE", "/zones/*", "drop")

    backend.delete_zone(zone)

    assert statuses(hetzner_dns, "DELETE", "/zones/acme.de") == [None, 201]
    assert not backend.zone_exists(zone)


def test_wrong_token_is_refused_without_showing_it(
    settings: HetznerDnsSettings, hetzner_dns: HetznerDnsEmulator
) -> None:
    secret = "not-the-emulator-token-4f9c"
    wrong = HetznerDnsSettings(secret, settings.endpoint)

    with HetznerDnsBackend(wrong) as backend, pytest.raises(ApiError) as caught:
        backend.zone_exists(ZONE)

    assert caught.value.status == 401 and caught.value.message == "unauthorized: unable to authenticate"
    assert secret not in str(caught.value) and secret not in repr(wrong) and secret not in repr(backend)
    assert [i.status for i in hetzner_dns.claim_invalid_requests()] == [401]
