"""Whole tenants through the TenantIdentity component and the real providers, up after up, on the emulator."""

from __future__ import annotations

import pytest

from components.authentik.client import AuthentikClient
from components.authentik.provider import UserProvider
from tests.emulators.authentik import AuthentikEmulator

from .conftest import tenant
from .engine import ProviderMocks, up

ACME, GLOBEX = tenant("acme"), tenant("globex")


@pytest.fixture
def mocks(configured) -> ProviderMocks:
    return ProviderMocks(configured)


def test_first_up_builds_the_tenant_and_reports_it_ready(
    mocks: ProviderMocks, client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    assert up(mocks, [ACME]) == {"acme": "ready"}

    brand = client.find_brand("portal.acme.dezky.eu")
    assert brand is not None and brand["branding_title"] == "Acme GmbH"
    anna = client.find_user("anna@acme-werkzeuge.de")
    assert sorted(g["name"] for g in anna["groups_obj"]) == ["acme-admins", "acme-members"]
    assert [g["name"] for g in client.find_user("jonas@acme-werkzeuge.de")["groups_obj"]] == ["acme-members"]
    portal = client.get_application("acme-portal")
    assert portal["provider_obj"]["name"] == "acme-portal"
    assert portal["meta_launch_url"] == "https://portal.acme.dezky.eu/"
    assert client.find_oauth2_provider("acme-webmail")["redirect_uris"][0]["url"].startswith(
        "https://mail.acme."
    )


def test_second_up_makes_zero_writes(mocks: ProviderMocks, authentik: AuthentikEmulator) -> None:
    up(mocks, [ACME])
    writes = authentik.writes

    up(mocks, [ACME], refresh=True)

    assert mocks.updated == []
    assert authentik.writes == writes
    assert authentik.invalid_requests == [] and authentik.bugs == []


def test_a_tenants_user_may_use_its_apps_and_not_another_tenants(
    mocks: ProviderMocks, client: AuthentikClient
) -> None:
    up(mocks, [ACME, GLOBEX])
    anna = client.find_user("anna@acme-werkzeuge.de")["pk"]

    assert client.check_access("acme-portal", anna)["passing"] is True
    assert client.check_access("acme-webmail", anna)["passing"] is True
    assert client.check_access("globex-portal", anna)["passing"] is False
    assert client.check_access("globex-webmail", anna)["passing"] is False


def test_suspended_tenants_users_are_inactive_and_its_state_says_so(
    mocks: ProviderMocks, client: AuthentikClient
) -> None:
    up(mocks, [ACME])

    states = up(mocks, [tenant("acme", status="suspended")])

    assert states == {"acme": "suspended"}
    assert mocks.updated == ["acme:user:anna@acme-werkzeuge.de", "acme:user:jonas@acme-werkzeuge.de"]
    assert [u["is_active"] for u in client.list_users("tenants/acme")] == [False, False]


def test_a_user_disabled_by_hand_is_seen_by_refresh_and_enabled_again(
    mocks: ProviderMocks, client: AuthentikClient
) -> None:
    up(mocks, [ACME])
    jonas = client.find_user("jonas@acme-werkzeuge.de")
    client.update_user(jonas["pk"], {"is_active": False})  # type: ignore[typeddict-item]

    up(mocks, [ACME], refresh=True)

    assert mocks.updated == ["acme:user:jonas@acme-werkzeuge.de"]
    assert client.find_user("jonas@acme-werkzeuge.de")["is_active"] is True


def test_a_membership_added_by_hand_to_a_tenant_group_is_seen_and_taken_back(
    mocks: ProviderMocks, client: AuthentikClient
) -> None:
    up(mocks, [ACME])
    jonas = client.find_user("jonas@acme-werkzeuge.de")
    client.add_user_to_group(client.find_group("acme-admins")["pk"], jonas["pk"])

    up(mocks, [ACME], refresh=True)

    assert mocks.updated == ["acme:user:jonas@acme-werkzeuge.de"]
    assert [g["name"] for g in client.find_user("jonas@acme-werkzeuge.de")["groups_obj"]] == ["acme-members"]


def test_a_suspended_user_is_inactive_while_the_others_stay_active(
    mocks: ProviderMocks, client: AuthentikClient
) -> None:
    users = [
        {"email": "anna@acme-werkzeuge.de", "name": "Anna Schmidt", "role": "admin"},
        {"email": "jonas@acme-werkzeuge.de", "name": "Jonas Weber", "status": "suspended"},
    ]

    up(mocks, [tenant("acme", users=users)])

    assert {u["username"]: u["is_active"] for u in client.list_users("tenants/acme")} == {
        "anna@acme-werkzeuge.de": True,
        "jonas@acme-werkzeuge.de": False,
    }


def test_an_adopted_user_removed_from_the_tenant_keeps_its_account_but_leaves_the_groups(
    configured, client: AuthentikClient, mocks: ProviderMocks
) -> None:
    client.create_user(
        {
            "username": "anna@acme-werkzeuge.de",
            "name": "Anna Schmidt",
            "email": "anna@acme-werkzeuge.de",
            "path": "tenants/acme",
            "is_active": True,
            "type": "internal",
        }  # type: ignore[typeddict-item]
    )
    client.create_group({"name": "acme-members", "is_superuser": False})
    client.create_group({"name": "acme-admins", "is_superuser": False})
    anna = client.find_user("anna@acme-werkzeuge.de")
    for group in ("acme-members", "acme-admins"):
        client.add_user_to_group(client.find_group(group)["pk"], anna["pk"])
    up(mocks, [ACME])
    id_, outs = mocks.state["acme:user:anna@acme-werkzeuge.de"]
    assert outs["created_by_program"] is False

    configured(UserProvider()).delete(id_, {**outs, "purge": True})

    assert client.find_user("anna@acme-werkzeuge.de")["groups_obj"] == []


def test_a_user_the_program_created_is_deleted_with_it(
    configured, client: AuthentikClient, mocks: ProviderMocks
) -> None:
    up(mocks, [ACME])
    id_, outs = mocks.state["acme:user:jonas@acme-werkzeuge.de"]
    assert outs["created_by_program"] is True

    configured(UserProvider()).delete(id_, {**outs, "purge": True})

    assert client.find_user("jonas@acme-werkzeuge.de") is None


def test_a_user_update_keeps_knowing_the_program_created_it(
    configured, client: AuthentikClient, mocks: ProviderMocks
) -> None:
    up(mocks, [ACME])
    renamed = [
        {"email": "anna@acme-werkzeuge.de", "name": "Anna Schmidt-Weber", "role": "admin"},
        {"email": "jonas@acme-werkzeuge.de", "name": "Jonas Weber"},
    ]

    up(mocks, [tenant("acme", users=renamed)])

    assert mocks.updated == ["acme:user:anna@acme-werkzeuge.de"]
    assert mocks.state["acme:user:anna@acme-werkzeuge.de"][1]["created_by_program"] is True
    assert client.find_user("anna@acme-werkzeuge.de")["name"] == "Anna Schmidt-Weber"
