"""The TenantFiles component checked with Pulumi's mocks: one space resource per declared space, right inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.ocis.component import TenantFiles, TenantFilesArgs
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Tenant
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

SPACE_TYPE = "pulumi-python:dynamic/ocis:Space"


class RecordingMocks(mocks_base.RecordingMocks):
    def spaces(self) -> dict[str, dict[str, Any]]:
        return {r.inputs["name"]: r.inputs for r in self.resources if r.typ == SPACE_TYPE}


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    with mocked(RecordingMocks()) as recording:
        yield recording


def nordlicht(status: str = "active", *, purge: bool = False, spaces: list[dict] | None = None) -> Tenant:
    extra = {"deleted_at": dt.date(2026, 10, 1)} if status == "deleted" else {}
    return Tenant.model_validate(
        {
            "slug": "nordlicht",
            "name": "Nordlicht Design",
            "status": status,
            "created": dt.date(2026, 3, 1),
            "plan": "business",
            "domains": {"primary": "nordlicht.de"},
            "users": [{"email": "ida@nordlicht.de", "name": "Ida", "role": "admin"}],
            "files": {"spaces": spaces if spaces is not None else SPACES},
            "purge": purge,
            **extra,
        }
    )


SPACES = [
    {
        "name": "Marketing",
        "quota": "5GB",
        "description": "Kampagnen",
        "members": [{"group": "members", "role": "editor"}, {"user": "Ida@Nordlicht.de", "role": "manager"}],
    },
    {"name": "Archiv", "quota": "1GiB", "purge": True},
]


def files(tenant: Tenant) -> TenantFiles:
    return TenantFiles("nordlicht", TenantFilesArgs(tenant, PlatformSettings(environment="dev")))


@pulumi.runtime.test
def test_each_declared_space_becomes_one_space_resource_with_its_inputs(mocks: RecordingMocks):
    component = files(nordlicht())

    def check(_: object) -> None:
        marketing = mocks.spaces()["Marketing"]
        assert (marketing["tenant"], marketing["quota"], marketing["description"]) == (
            "nordlicht",
            5_000_000_000,
            "Kampagnen",
        )
        assert marketing["members"] == [
            {"principal": "group:nordlicht-members", "role": "editor"},
            {"principal": "user:ida@nordlicht.de", "role": "manager"},
        ]
        assert set(mocks.spaces()) == {"Marketing", "Archiv"}
        assert {r.name for r in mocks.resources if r.typ == SPACE_TYPE} == {
            "nordlicht:space:marketing",
            "nordlicht:space:archiv",
        }

    return component.state.apply(check)


@pytest.mark.parametrize(
    ("status", "tenant_purge", "state", "enabled", "purges"),
    [
        ("active", False, "ready", True, {"Marketing": False, "Archiv": True}),
        ("suspended", False, "suspended", False, {"Marketing": False, "Archiv": True}),
        ("deleted", False, "deleted", False, {"Marketing": False, "Archiv": True}),
        ("deleted", True, "deleted", False, {"Marketing": True, "Archiv": True}),
    ],
)
def test_tenant_status_sets_state_enabled_and_purge(
    mocks: RecordingMocks, status: str, tenant_purge: bool, state: str, enabled: bool, purges: dict[str, bool]
):
    @pulumi.runtime.test
    def run():
        component = files(nordlicht(status, purge=tenant_purge))

        def check(value: str) -> None:
            assert value == state
            assert {name: s["enabled"] for name, s in mocks.spaces().items()} == dict.fromkeys(
                purges, enabled
            )
            assert {name: s["purge"] for name, s in mocks.spaces().items()} == purges

        return component.state.apply(check)

    run()


@pulumi.runtime.test
def test_the_component_has_its_type_and_no_resource_carries_credentials(mocks: RecordingMocks):
    component = files(nordlicht())

    def check(_: object) -> None:
        assert [r.typ for r in mocks.resources].count("dezky:ocis:TenantFiles") == 1
        assert not [r for r in mocks.resources if "token" in str(r.inputs).lower()]

    return component.state.apply(check)


def test_two_names_that_become_one_alias_are_refused_before_anything_runs(mocks: RecordingMocks) -> None:
    clash = [{"name": "Team Nord", "quota": "1GB"}, {"name": "team-nord", "quota": "1GB"}]

    with pytest.raises(ValueError, match="'Team Nord' and 'team-nord' both become the OCIS space"):
        files(nordlicht(spaces=clash))
