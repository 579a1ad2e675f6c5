"""Space members: the role ids they get, changes that touch only what changed, and accounts not made yet."""

from __future__ import annotations

from typing import Any

import pytest

from components.ocis.client import ROLE_IDS
from components.ocis.provider import SpaceError, SpaceProvider
from tests.emulators.ocis import OcisEmulator
from tests.emulators.ocis_state import ADMIN_ID, Space

from .conftest import ADMINS_GROUP, IDA, JONAS, MEMBERS_GROUP, space_props

ALIAS = "project/nordlicht.marketing"


def members(*entries: tuple[str, str]) -> list[dict[str, str]]:
    return [{"principal": principal, "role": role} for principal, role in entries]


def up(provider: SpaceProvider, props: dict[str, Any]) -> dict[str, Any]:
    return provider.create(provider.check({}, props).inputs).outs


def space(ocis: OcisEmulator) -> Space:
    found = ocis.state.space_by_alias(ALIAS)
    assert found is not None
    return found


def writes(ocis: OcisEmulator) -> list[tuple[str, str]]:
    return [(c.method, c.path.rsplit("/", 1)[-1]) for c in ocis.calls if c.method != "GET"]


def test_members_get_the_role_ids_of_their_roles(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    up(
        provider,
        space_props(
            members=members(
                (f"user:{IDA}", "viewer"), (f"user:{JONAS}", "editor"), (f"group:{ADMINS_GROUP}", "manager")
            )
        ),
    )

    assert space(ocis).grants == {
        ADMIN_ID: ("user", ROLE_IDS["manager"]),
        people[IDA]: ("user", ROLE_IDS["viewer"]),
        people[JONAS]: ("user", ROLE_IDS["editor"]),
        people[ADMINS_GROUP]: ("group", ROLE_IDS["manager"]),
    }


def test_changing_one_role_patches_only_that_member(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    outs = up(provider, space_props())
    ocis.calls.clear()
    news = space_props(members=members((f"user:{IDA}", "manager"), (f"group:{MEMBERS_GROUP}", "viewer")))

    provider.update(outs["alias"], outs, news)

    assert writes(ocis) == [("PATCH", f"g:{people[MEMBERS_GROUP]}")]
    assert space(ocis).grants[people[MEMBERS_GROUP]] == ("group", ROLE_IDS["viewer"])


def test_adding_and_removing_members_invites_and_revokes_only_them(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    outs = up(provider, space_props())
    ocis.calls.clear()
    news = space_props(members=members((f"user:{IDA}", "manager"), (f"user:{JONAS}", "editor")))

    after = provider.update(outs["alias"], outs, news).outs

    assert sorted(writes(ocis)) == [("DELETE", f"g:{people[MEMBERS_GROUP]}"), ("POST", "invite")]
    assert after["members"] == provider.normalise(news)["members"]


def test_the_service_accounts_own_manager_grant_is_never_touched(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    outs = up(provider, space_props())

    provider.update(outs["alias"], outs, space_props(members=[]))

    assert space(ocis).grants == {ADMIN_ID: ("user", ROLE_IDS["manager"])}


def test_a_member_added_by_hand_is_drift_and_up_revokes_it(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    outs = up(provider, space_props())
    space(ocis).grants[people[JONAS]] = ("user", ROLE_IDS["editor"])

    refreshed = provider.read(outs["alias"], outs).outs
    # Undeclared, he is named by id: only the Admin role would read his username.
    assert {"principal": f"user-id:{people[JONAS]}", "role": "editor"} in refreshed["members"]
    assert provider.diff(outs["alias"], refreshed, space_props()).changes

    provider.update(outs["alias"], refreshed, space_props())
    assert people[JONAS] not in space(ocis).grants


def test_declared_members_read_back_by_name_without_the_admin_role(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    assert ocis.state.service_role == "spaceadmin"
    outs = up(provider, space_props())

    refreshed = provider.read(outs["alias"], outs).outs

    assert refreshed["members"] == provider.normalise(space_props())["members"]
    assert not provider.diff(outs["alias"], refreshed, space_props()).changes


def test_an_undeclared_member_reads_by_username_with_the_admin_role(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    ocis.state.service_role = "admin"
    outs = up(provider, space_props())
    space(ocis).grants[people[JONAS]] = ("user", ROLE_IDS["editor"])

    refreshed = provider.read(outs["alias"], outs).outs

    assert {"principal": f"user:{JONAS}", "role": "editor"} in refreshed["members"]


def test_a_member_without_an_ocis_account_is_pending_without_a_perpetual_diff_and_granted_after_login(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    newcomer = "lena@nordlicht.de"
    props = space_props(members=members((f"user:{IDA}", "manager"), (f"user:{newcomer}", "editor")))

    outs = up(provider, props)
    assert outs["pending_members"] == [f"user:{newcomer}"]
    refreshed = provider.read(outs["alias"], outs).outs
    assert refreshed["pending_members"] == [f"user:{newcomer}"]
    # Nothing can be done until she logs in, so neither a preview nor a refresh shows a change meanwhile.
    assert not provider.diff(outs["alias"], outs, props).changes
    assert not provider.diff(outs["alias"], refreshed, props).changes

    lena = ocis.state.add_user(newcomer, "Lena Kraft")  # she logs in; OCIS makes her account
    after_login = provider.read(outs["alias"], refreshed).outs
    assert provider.diff(outs["alias"], after_login, props).changes  # refresh now sees the missing grant
    outs = provider.update(outs["alias"], after_login, props).outs

    assert space(ocis).grants[lena] == ("user", ROLE_IDS["editor"])
    assert outs["pending_members"] == []
    assert not provider.diff(outs["alias"], outs, props).changes


def test_members_of_a_suspended_space_are_kept_and_still_read(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    outs = up(provider, space_props())

    suspended = provider.update(outs["alias"], outs, space_props(enabled=False)).outs
    refreshed = provider.read(outs["alias"], suspended).outs

    assert refreshed["members"] == provider.normalise(space_props())["members"]
    assert not provider.diff(outs["alias"], refreshed, space_props(enabled=False)).changes


def test_members_of_a_space_the_service_account_is_no_member_of_cannot_be_managed(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    # As OCIS 8.2 does for Space Admin and Admin alike: only a space's own managers see its grants.
    outs = up(provider, space_props())
    del space(ocis).grants[ADMIN_ID]

    with pytest.raises(SpaceError, match="HTTP 404: itemNotFound: stat: error: not found"):
        provider.update(outs["alias"], outs, space_props(members=[]))
