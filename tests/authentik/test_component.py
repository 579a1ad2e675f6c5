"""The resource tree one tenant's identity produces, checked with Pulumi's mocks (no engine, no network)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator

import pulumi
import pytest
from syrupy.assertion import SnapshotAssertion

from components.authentik.component import TenantIdentity, TenantIdentityArgs
from components.tenant.platform import PlatformSettings
from tests.emulators.authentik import TOKEN
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

from .conftest import tenant

DYNAMIC = "pulumi-python:dynamic/authentik:"


class RecordingMocks(mocks_base.RecordingMocks):
    def inputs(self, kind: str) -> dict[str, dict]:
        return {
            r.name: {k: v for k, v in r.inputs.items() if k != "__provider"}
            for r in self.resources
            if r.typ == DYNAMIC + kind
        }


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    with mocked(RecordingMocks()) as recording:
        yield recording


def identity(status: str = "active", **extra: object) -> TenantIdentity:
    return TenantIdentity(
        "acme", TenantIdentityArgs(tenant("acme", status, **extra), PlatformSettings("dev"))
    )


@pulumi.runtime.test
def test_an_example_tenant_gets_one_resource_per_authentik_object(mocks: RecordingMocks):
    built = identity()

    def check(_: object) -> None:
        kinds = Counter(r.typ.removeprefix(DYNAMIC) for r in mocks.resources)
        assert kinds == {
            "dezky:authentik:TenantIdentity": 1,
            "Brand": 1,
            "Group": 2,
            "User": 2,
            "OAuth2Provider": 2,
            "Application": 2,
            "PolicyBinding": 2,
        }
        assert all(r.name.startswith("acme") for r in mocks.resources)

    return built.state.apply(check)


@pulumi.runtime.test
def test_every_user_is_a_member_and_admins_are_admins_too(mocks: RecordingMocks):
    built = identity()

    def check(_: object) -> None:
        users = mocks.inputs("User")
        anna, jonas = users["acme:user:anna@acme-werkzeuge.de"], users["acme:user:jonas@acme-werkzeuge.de"]
        assert anna["groups"] == ["acme-members", "acme-admins"] and jonas["groups"] == ["acme-members"]
        assert (
            sorted(anna["managed_groups"])
            == sorted(jonas["managed_groups"])
            == ["acme-admins", "acme-members"]
        )
        assert anna["username"] == anna["email"] == "anna@acme-werkzeuge.de"
        assert anna["path"] == "tenants/acme" and anna["is_active"] is True

    return built.state.apply(check)


@pulumi.runtime.test
def test_each_app_is_bound_to_the_tenants_members_group_on_its_own_host(mocks: RecordingMocks):
    built = identity()

    def check(_: object) -> None:
        bindings = mocks.inputs("PolicyBinding")
        assert {(b["application"], b["group"], b["order"]) for b in bindings.values()} == {
            ("acme-portal", "acme-members", 0),
            ("acme-webmail", "acme-members", 0),
        }
        apps = mocks.inputs("Application")
        assert {a["provider"] for a in apps.values()} == {"acme-portal", "acme-webmail"}
        providers = mocks.inputs("OAuth2Provider")
        hosts = {uri["url"].split("/")[2] for p in providers.values() for uri in p["redirect_uris"]}
        assert hosts == {"portal.acme.dezky.eu", "mail.acme.dezky.eu"}

    return built.state.apply(check)


@pytest.mark.parametrize(
    ("status", "state"), [("active", "ready"), ("suspended", "suspended"), ("deleted", "deleted")]
)
def test_state_follows_the_tenant_status_and_inactive_tenants_users_are_inactive(
    mocks: RecordingMocks, status: str, state: str
) -> None:
    @pulumi.runtime.test
    def run():
        built = identity(status)

        def check(value: str) -> None:
            assert value == state
            assert {u["is_active"] for u in mocks.inputs("User").values()} == {status == "active"}

        return built.state.apply(check)

    run()


@pulumi.runtime.test
def test_the_brand_uses_the_tenants_branding_or_its_name(mocks: RecordingMocks):
    built = identity(branding={"title": "ACME Arbeitsplatz", "logo_url": "https://acme.de/logo.svg"})

    def check(_: object) -> None:
        (brand,) = mocks.inputs("Brand").values()
        assert brand["domain"] == "portal.acme.dezky.eu"
        assert (brand["branding_title"], brand["branding_logo"]) == (
            "ACME Arbeitsplatz",
            "https://acme.de/logo.svg",
        )
        assert mocks.inputs("Application")["acme:app:portal"]["meta_icon"] == "https://acme.de/logo.svg"

    return built.state.apply(check)


@pulumi.runtime.test
def test_no_resource_input_carries_the_api_token_and_the_client_secret_is_secret(mocks: RecordingMocks):
    built = identity()

    def check(args: list) -> None:
        is_secret = args[0]
        assert is_secret is True
        everything = json.dumps([r.inputs for r in mocks.resources], default=str)
        assert TOKEN not in everything and "authentikToken" not in everything

    secret = pulumi.Output.from_input(built.clients["portal"].client_secret.is_secret())
    return pulumi.Output.all(secret, built.state).apply(check)


@pulumi.runtime.test
def test_rendered_inputs_of_an_example_tenant(mocks: RecordingMocks, snapshot: SnapshotAssertion):
    built = identity()

    def check(_: object) -> None:
        rendered = sorted(
            (r.typ.removeprefix(DYNAMIC), r.name, {k: v for k, v in r.inputs.items() if k != "__provider"})
            for r in mocks.resources
            if r.typ.startswith(DYNAMIC)
        )
        assert rendered == snapshot

    return built.state.apply(check)
