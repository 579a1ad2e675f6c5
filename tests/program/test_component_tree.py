"""The component tree a tenant produces, checked with Pulumi's mocks (no engine, no network)."""

from __future__ import annotations

import base64
import datetime as dt
from collections import Counter
from collections.abc import Iterator

import idna
import pulumi
import pytest

from components.tenant.component import Tenant, TenantArgs
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Domains
from dezky.tenants.model import Tenant as TenantModel
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

FAKE_DKIM_KEYS = [
    {"selector": "v1-ed25519", "algorithm": "ed25519", "public_key": base64.b64encode(bytes(32)).decode()},
    {"selector": "v1-rsa", "algorithm": "rsa", "public_key": base64.b64encode(b"\x30" + bytes(40)).decode()},
]
CREDENTIAL_KEYS = {"token", "api_key", "apiKey", "password", "client_secret", "secret", "authorization"}
IDN_DOMAIN = idna.encode("bücher-nordlicht.de", uts46=True).decode()


class RecordingMocks(mocks_base.RecordingMocks):
    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, object]:
        if args.typ == "pulumi-python:dynamic/stalwart:Domain":
            return {"dkim_keys": FAKE_DKIM_KEYS}  # what Stalwart reports once it generated the domain's keys
        return {}


def two_domain_tenant(status: str = "active") -> TenantModel:
    extra = {"deleted_at": dt.date(2026, 10, 1)} if status == "deleted" else {}
    return TenantModel.model_validate(
        {
            "slug": "nordlicht",
            "name": "Nordlicht Design",
            "status": status,
            "created": dt.date(2026, 3, 1),
            "plan": "business",
            "domains": {"primary": "nordlicht.de", "mail": ["bücher-nordlicht.de"]},
            "users": [{"email": "ida@nordlicht.de", "name": "Ida", "role": "admin"}],
            **extra,
        }
    )


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    with mocked(RecordingMocks()) as recording:
        yield recording


@pulumi.runtime.test
def test_each_tenant_domain_gets_a_zone_and_every_rrset_sits_in_one(mocks: RecordingMocks):
    tenant = Tenant("nordlicht", TenantArgs(two_domain_tenant(), PlatformSettings(environment="dev")))

    def check(_: object) -> None:
        zones = {r.inputs["zone"] for r in mocks.resources if r.typ == "pulumi-python:dynamic/dns:Zone"}
        assert zones == {"nordlicht.de", IDN_DOMAIN, "nordlicht.dezky.eu"}
        rrsets = [r.inputs for r in mocks.resources if r.typ == "pulumi-python:dynamic/dns:RRset"]
        assert all(r["name"] == r["zone"] or r["name"].endswith("." + r["zone"]) for r in rrsets)
        keys = Counter((r["name"], r["type"]) for r in rrsets)
        assert max(keys.values()) == 1, "one resource per RRset (name + type)"
        assert ("nordlicht.de", "MX") in keys and (IDN_DOMAIN, "MX") in keys
        assert ("portal.nordlicht.dezky.eu", "A") in keys
        assert ("v1-rsa._domainkey.nordlicht.de", "TXT") in keys and (
            "v1-ed25519._domainkey." + IDN_DOMAIN,
            "TXT",
        ) in keys

    return tenant.provisioning.apply(check)


@pulumi.runtime.test
def test_provisioning_reports_the_state_of_every_integration(mocks: RecordingMocks):
    tenant = Tenant(
        "nordlicht", TenantArgs(two_domain_tenant("suspended"), PlatformSettings(environment="dev"))
    )

    def check(state: dict[str, str]) -> None:
        assert state["dns"] == "ready"
        assert state["status"] == "suspended"
        assert state["stalwart"] == state["ocis"] == state["authentik"] == "suspended"

    return tenant.provisioning.apply(check)


@pulumi.runtime.test
def test_resources_are_parented_under_the_tenant_component(mocks: RecordingMocks):
    tenant = Tenant("nordlicht", TenantArgs(two_domain_tenant(), PlatformSettings(environment="dev")))

    def check(_: object) -> None:
        by_type = Counter(r.typ for r in mocks.resources)
        assert by_type["dezky:tenant:Tenant"] == 1
        assert by_type["dezky:dns:TenantDns"] == 1
        assert by_type["pulumi-python:dynamic/dns:Zone"] == 3
        credential_inputs = [
            (r.name, key) for r in mocks.resources for key in r.inputs if key in CREDENTIAL_KEYS
        ]
        assert credential_inputs == [], "credentials come from stack config, never from resource inputs"

    return tenant.provisioning.apply(check)


@pulumi.runtime.test
def test_the_zone_of_an_extra_mail_domain_marked_for_purge_is_marked_and_no_other(mocks: RecordingMocks):
    domains = Domains.model_validate(
        {"primary": "nordlicht.de", "mail": [{"domain": "bücher-nordlicht.de", "purge": True}]}
    )
    marked = two_domain_tenant().model_copy(update={"domains": domains})
    tenant = Tenant("nordlicht", TenantArgs(marked, PlatformSettings(environment="dev")))

    def check(_: object) -> None:
        zones = {r.inputs["zone"]: r.inputs["purge"] for r in mocks.resources if r.typ.endswith("dns:Zone")}
        assert zones == {"nordlicht.de": False, IDN_DOMAIN: True, "nordlicht.dezky.eu": False}

    return tenant.provisioning.apply(check)
