"""Changes are asynchronous actions: the backend waits for `success` and reports `error` and timeouts clearly."""

from __future__ import annotations

import pytest

from components.common.http import ApiError
from components.dns.backend import RRset
from components.dns.hetzner import ActionTimeoutError, HetznerDnsBackend, HetznerDnsSettings
from tests.emulators.hetzner_dns import HetznerDnsEmulator

from .conftest import ZONE

TXT = RRset(ZONE, f"_dmarc.{ZONE}", "TXT", 3600, ("v=DMARC1; p=reject",))


def action_polls(hetzner_dns: HetznerDnsEmulator) -> list[tuple[str, int | None]]:
    return [(c.path, c.status) for c in hetzner_dns.calls if "/actions/" in c.path and c.method == "GET"]


def test_a_change_returns_only_after_its_action_succeeded(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.project.running_polls = 3

    backend.put_rrset(TXT)

    polls = action_polls(hetzner_dns)
    assert len(polls) == 4 and {path.rsplit("/", 1)[0] for path, _ in polls} == {"/zones/actions"}
    action_id = int(polls[-1][0].rsplit("/", 1)[1])
    assert hetzner_dns.project.actions[action_id]["status"] == "success"


def test_a_failed_action_raises_with_its_code_and_message(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.fail_next_action("rrset_conflict", "the name already holds a CNAME")

    with pytest.raises(ApiError) as caught:
        backend.put_rrset(TXT)

    assert "rrset_conflict: the name already holds a CNAME" in caught.value.message
    assert "create_rrset" in caught.value.message and caught.value.method == "POST"
    assert backend.get_rrset(zone, TXT.name, "TXT") is None


def test_an_action_that_never_finishes_times_out_clearly(
    settings: HetznerDnsSettings, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    hetzner_dns.project.running_polls = 10_000
    impatient = HetznerDnsSettings(settings.token, settings.endpoint, action_timeout=0.2, poll_interval=0.05)

    with HetznerDnsBackend(impatient) as backend, pytest.raises(ActionTimeoutError) as caught:
        backend.put_rrset(TXT)

    assert caught.value.method == "POST" and caught.value.url.endswith("/zones/acme.de/rrsets")
    assert "(create_rrset) still running after 0.2 s" in caught.value.message
    assert isinstance(caught.value, TimeoutError)
