"""The spec checker itself: it must refuse what the PowerDNS spec does not allow, or its passes prove nothing."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.fixtures.powerdns_spec import SpecCheckingTransport, SpecViolation

ZONE_URL = "http://pdns.test/api/v1/servers/localhost/zones/acme.example."
ZONES_URL = "http://pdns.test/api/v1/servers/localhost/zones"
KEY = {"X-API-Key": "k"}
REPLACE = {"name": "www.acme.example.", "type": "A", "ttl": 60, "changetype": "REPLACE", "records": []}
ZONE_BODY = {
    "name": "acme.example.",
    "kind": "Native",
    "rrsets": [{"name": "acme.example.", "type": "NS", "ttl": 3600, "records": [{"content": "ns1.x."}]}],
}


def client_answering(status: int, **response: Any) -> httpx.Client:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, **response)

    return httpx.Client(transport=SpecCheckingTransport(inner=httpx.MockTransport(handler)))


def test_accepts_what_the_backend_sends_and_powerdns_answers() -> None:
    with client_answering(204) as client:
        client.patch(ZONE_URL, headers=KEY, json={"rrsets": [REPLACE]})
    with client_answering(200, json=ZONE_BODY) as client:
        client.get(ZONE_URL, headers=KEY, params={"rrset_name": "acme.example.", "rrset_type": "NS"})
    with client_answering(409, text="Conflict") as client:
        client.post(ZONES_URL, headers=KEY, json={"name": "acme.example.", "kind": "Native"})


@pytest.mark.parametrize(
    ("method", "url", "kwargs", "reason"),
    [
        ("GET", "http://pdns.test/api/v1/servers/localhost/domains", {}, "no such path"),
        ("POST", ZONE_URL, {"json": {}}, "has no POST"),
        ("GET", ZONE_URL, {"params": {"rrset-name": "x."}}, "`rrset-name` is not in the spec"),
        ("GET", ZONE_URL, {"params": {"rrsets": "no"}}, "must be true or false"),
        ("PATCH", ZONE_URL, {"json": {"rrsets": [{**REPLACE, "ttl": None}]}}, "body at rrsets/0"),
        (
            "PATCH",
            ZONE_URL,
            {"json": {"rrsets": [{k: v for k, v in REPLACE.items() if k != "ttl"}]}},
            "rrsets/0",
        ),
        ("PATCH", ZONE_URL, {"json": {"rrsets": [{**REPLACE, "changetype": "DELETE"}]}}, "rrsets/0"),
        ("PATCH", ZONE_URL, {"json": {"rrsets": [{**REPLACE, "changetype": "UPSERT"}]}}, "rrsets/0"),
        ("POST", ZONES_URL, {"json": {"name": "acme.example.", "kind": "Primary"}}, "body at kind"),
        ("PATCH", ZONE_URL, {}, "requires a body"),
    ],
)
def test_refuses_requests_outside_the_spec(
    method: str, url: str, kwargs: dict[str, Any], reason: str
) -> None:
    with client_answering(204) as client, pytest.raises(SpecViolation, match=reason):
        client.request(method, url, headers=KEY, **kwargs)


def test_refuses_a_request_without_the_api_key() -> None:
    with client_answering(200, json=ZONE_BODY) as client, pytest.raises(SpecViolation, match="X-API-Key"):
        client.get(ZONE_URL)


@pytest.mark.parametrize(
    ("status", "response", "reason"),
    [
        (200, {}, "status not listed"),  # PATCH answers 204, never 200
        (204, {"json": {"rrsets": []}}, "declares no body"),
        (422, {"json": {"message": "no"}}, "'error' is a required property"),
    ],
)
def test_refuses_patch_answers_outside_the_spec(status: int, response: dict[str, Any], reason: str) -> None:
    with client_answering(status, **response) as client, pytest.raises(SpecViolation, match=reason):
        client.patch(ZONE_URL, headers=KEY, json={"rrsets": [REPLACE]})


def test_refuses_a_zone_whose_rrset_lacks_a_ttl() -> None:
    broken = {**ZONE_BODY, "rrsets": [{"name": "acme.example.", "type": "NS", "records": []}]}
    with (
        client_answering(200, json=broken) as client,
        pytest.raises(SpecViolation, match="'ttl' is a required"),
    ):
        client.get(ZONE_URL, headers=KEY)
