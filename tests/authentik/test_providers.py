"""Each provider's protocol against the emulator, called as the engine calls it: create, diff, read, update.

The same promises for every object kind: no change after create, an honest read, drift seen and repaired,
identical objects adopted without a write, different ones refused, and a second up that writes nothing.
"""

from __future__ import annotations

import pytest

from components.authentik.client import AuthentikClient
from components.common.provider import ConflictError
from tests.emulators.authentik import AuthentikEmulator

from .cases import CASES, Case


@pytest.fixture(params=CASES, ids=str)
def case(request: pytest.FixtureRequest, client: AuthentikClient) -> Case:
    return request.param


def test_create_then_diff_against_the_same_inputs_is_no_change(case: Case, client, configured) -> None:
    case.setup(client)
    provider = configured(case.provider())

    created = provider.create(case.props())

    assert provider.diff(created.id, created.outs, case.props()).changes is False


def test_read_after_create_equals_the_normalised_inputs(case: Case, client, configured) -> None:
    case.setup(client)
    provider = configured(case.provider())
    created = provider.create(case.props())

    read = provider.read(created.id, created.outs)

    assert read.id == created.id
    declared = provider.normalise(case.props())
    if "grant_types" in declared:  # the emulator, like Authentik 2026.5.0-rc1, holds no grant types
        assert read.outs["grant_types"] is None
        declared["grant_types"] = None
    assert provider.normalise(read.outs) == declared
    assert provider.diff(read.id, read.outs, case.props()).changes is False


@pytest.mark.parametrize("held", [False, True], ids=["server without grant_types", "server with them"])
def test_grant_types_are_compared_only_where_the_server_holds_them(
    held: bool, authentik: AuthentikEmulator, configured
) -> None:
    from components.authentik import objects
    from components.authentik.apps import OAuth2ProviderProvider

    from .cases import ACME, PORTAL

    authentik.instance.newer_fields = held
    provider = configured(OAuth2ProviderProvider())
    props = objects.oauth2_provider_props(ACME, PORTAL)
    created = provider.create(props)
    read = provider.read(created.id, created.outs)

    assert read.outs["grant_types"] == (["authorization_code", "refresh_token"] if held else None)
    assert provider.diff(read.id, read.outs, props).changes is False
    other = {**props, "grant_types": ["authorization_code"]}
    # a server without the field cannot be changed by writing them: no update that would change nothing
    assert provider.diff(read.id, read.outs, other).changes is held
    # the engine keeps no nulls in the state: the recorded `None` comes back as a missing key
    stored = {key: value for key, value in read.outs.items() if value is not None}
    assert provider.diff(read.id, stored, props).changes is False


def test_read_after_a_change_by_hand_shows_the_drift_and_the_next_up_repairs_it(
    case: Case, client, configured
) -> None:
    case.setup(client)
    provider = configured(case.provider())
    created = provider.create(case.props())
    case.tamper(client)

    drifted = provider.read(created.id, created.outs)
    diff = provider.diff(drifted.id, drifted.outs, case.props())
    assert diff.changes is True and diff.replaces == []
    assert drifted.outs[case.drift] != provider.normalise(case.props())[case.drift]

    updated = provider.update(drifted.id, drifted.outs, case.props())
    repaired = provider.read(created.id, updated.outs)
    assert provider.diff(repaired.id, repaired.outs, case.props()).changes is False


def test_adopting_an_identical_existing_object_makes_no_write(
    case: Case, client, configured, authentik: AuthentikEmulator
) -> None:
    case.setup(client)
    provider = configured(case.provider())
    first = provider.create(case.props())
    writes = authentik.writes

    adopted = configured(case.provider()).create(case.props())

    assert authentik.writes == writes
    assert adopted.id == first.id
    assert provider.normalise(adopted.outs) == provider.normalise(first.outs)


def test_a_different_existing_object_is_refused_with_a_conflict_naming_it(
    case: Case, client, configured, authentik: AuthentikEmulator
) -> None:
    case.squat(client)
    provider = configured(case.provider())
    writes = authentik.writes

    with pytest.raises(ConflictError) as caught:
        provider.create(case.props())

    message = str(caught.value)
    assert provider.object_id(case.props()) in message and "already exists with different content" in message
    assert authentik.writes == writes


def test_a_second_identical_up_makes_zero_writes(
    case: Case, client, configured, authentik: AuthentikEmulator
) -> None:
    case.setup(client)
    provider = configured(case.provider())
    created = provider.create(case.props())
    writes = authentik.writes

    refreshed = provider.read(created.id, created.outs)  # `up --refresh`: read, then diff; no update follows
    diff = provider.diff(refreshed.id, refreshed.outs, provider.check({}, case.props()).inputs)

    assert diff.changes is False
    assert authentik.writes == writes


def test_delete_removes_the_object_and_read_then_drops_it(case: Case, client, configured) -> None:
    case.setup(client)
    provider = configured(case.provider())
    created = provider.create(case.props())
    marked = {**created.outs, "purge": True}  # a login is deleted only once marked (tests/safety)

    provider.delete(created.id, marked)

    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, marked)  # already gone: not an error


def test_a_user_whose_create_stopped_before_its_groups_is_finished_not_refused(
    client: AuthentikClient, configured, authentik: AuthentikEmulator
) -> None:
    # A killed run created the account and joined one group of two; the next up's create meets it.
    user_case = next(c for c in CASES if str(c) == "user")
    user_case.setup(client)
    props = user_case.props()
    half = client.create_user(
        {key: props[key] for key in ("username", "name", "email", "path", "type", "is_active")}
    )
    client.add_user_to_group(client.find_group(props["groups"][0])["pk"], half["pk"])

    created = configured(user_case.provider()).create(props)

    found = client.find_user(props["username"])
    assert sorted(group["name"] for group in found["groups_obj"]) == sorted(props["groups"])
    assert (
        created.id == props["username"] and "created_by_program" not in created.outs
    )  # adopted: never deleted
