"""The emulator is only worth trusting if it refuses what the real API refuses and checks its own answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from components.common.http import ApiError
from components.dns.backend import RRset
from components.dns.hetzner import HetznerDnsBackend
from tests.emulators.hetzner_dns import TOKEN, HetznerDnsEmulator

from .conftest import ZONE


@pytest.fixture
def raw(hetzner_dns: HetznerDnsEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=hetzner_dns.url, headers=headers, timeout=5) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/zones", {"mode": "primary"}, "name"),
        ("/zones", {"name": "Acme.DE.", "mode": "primary"}, "name"),
        ("/zones", {"name": "acme.de", "mode": "primary", "ttl": 5}, "ttl"),
        ("/zones/acme.de/rrsets", {"name": "www", "type": "XYZ", "records": [{"value": "1"}]}, "type"),
        (
            "/zones/acme.de/rrsets",
            {"name": "www", "type": "A", "records": [{"value": "1", "x": 1}]},
            "records.0",
        ),
        ("/zones/acme.de/rrsets", {"name": "www.acme.de", "type": "A", "records": [{"value": "1"}]}, "name"),
        (
            "/zones/acme.de/rrsets",
            {"name": "www", "type": "TXT", "records": [{"value": "unquoted"}]},
            "records",
        ),
        ("/zones/acme.de/rrsets", {"name": "@", "type": "A", "records": []}, "records"),
    ],
)
def test_emulator_rejects_what_the_api_rejects(
    raw: httpx.Client, zone: str, hetzner_dns: HetznerDnsEmulator, path: str, body: dict[str, Any], field: str
) -> None:
    response = raw.post(path, json=body)

    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "invalid_input"
    assert field in [f["name"] for f in error["details"]["fields"]]
    assert [(i.method, i.path) for i in hetzner_dns.claim_invalid_requests()] == [("POST", path)]


def test_emulator_rejects_an_unknown_type_in_the_path(
    raw: httpx.Client, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    response = raw.get("/zones/acme.de/rrsets/www/XYZ")

    assert response.status_code == 400
    assert response.json()["error"]["details"]["fields"][0]["name"] == "rr_type"
    assert len(hetzner_dns.claim_invalid_requests()) == 1


def test_emulator_rejects_a_page_larger_than_the_api_allows(
    raw: httpx.Client, hetzner_dns: HetznerDnsEmulator
) -> None:
    assert raw.get("/zones", params={"per_page": 51}).status_code == 400
    assert len(hetzner_dns.claim_invalid_requests()) == 1


def test_emulator_refuses_requests_without_the_token(hetzner_dns: HetznerDnsEmulator) -> None:
    response = httpx.get(f"{hetzner_dns.url}/zones")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
    assert len(hetzner_dns.claim_invalid_requests()) == 1


def test_every_answer_carries_rate_limit_headers(raw: httpx.Client, zone: str) -> None:
    for response in (
        raw.get("/zones"),
        raw.get("/zones/nope.de"),
        raw.post("/zones", json={"name": ZONE, "mode": "primary"}),
    ):
        assert {"ratelimit-limit", "ratelimit-remaining", "ratelimit-reset"} <= set(response.headers)
    assert response.status_code == 409 and response.json()["error"]["code"] == "uniqueness_error"


def test_emulator_answer_that_breaks_the_spec_fails_the_test(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    broken = hetzner_dns.project.zone_json
    monkeypatch.setattr(
        hetzner_dns.project, "zone_json", lambda z: {k: v for k, v in broken(z).items() if k != "ttl"}
    )

    with pytest.raises(ApiError) as caught:
        backend.list_zones()

    assert caught.value.status == 599 and "emulator_bug" in caught.value.message
    assert len(hetzner_dns.bugs) == 1 and "'ttl' is a required property" in hetzner_dns.bugs[0]
    hetzner_dns.bugs.clear()


def test_a_whole_lifecycle_sends_no_request_the_api_would_reject(
    backend: HetznerDnsBackend, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.create_zone(ZONE)
    for name, type_, records in [(ZONE, "MX", ("10 mx.dezky.eu.",)), (f"x.{ZONE}", "TXT", ("t" * 600,))]:
        backend.put_rrset(RRset(ZONE, name, type_, 300, records))
        backend.put_rrset(RRset(ZONE, name, type_, 600, (*records, records[0] + "2")))
        backend.delete_rrset(ZONE, name, type_)
    backend.list_rrsets(ZONE)
    backend.delete_zone(ZONE)

    assert hetzner_dns.invalid_requests == [] and hetzner_dns.bugs == []
    assert {c.status for c in hetzner_dns.calls if c.method != "GET"} == {201}
