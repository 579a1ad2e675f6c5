"""The space provider called as the engine calls it: create, diff, read, update, delete against the emulator."""

from __future__ import annotations

from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from components.common.provider import ConflictError
from components.ocis.provider import PurgeRefused, SpaceError, SpaceProvider
from tests.emulators.ocis import OcisEmulator
from tests.emulators.ocis_state import Space
from tests.fixtures.counting_proxy import counting_proxy

from .conftest import IDA, configured_provider, space_props

ALIAS = "project/nordlicht.marketing"


def created(provider: SpaceProvider, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = provider.create(provider.check({}, props).inputs)
    return result.id, result.outs


def space(ocis: OcisEmulator) -> Space:
    found = ocis.state.space_by_alias(ALIAS)
    assert found is not None
    return found


def comparable(outs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in outs.items() if key not in {"drive_id", "pending_members"}}


def test_space_is_created_under_its_alias_with_name_quota_and_description(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, _ = created(provider, space_props())

    assert space_id == ALIAS
    made = space(ocis)
    assert (made.name, made.quota, made.description) == ("Marketing", 5_000_000_000, "Kampagnen und Messen")


def test_diff_with_the_same_inputs_after_create_shows_no_change(provider: SpaceProvider) -> None:
    space_id, outs = created(provider, space_props())

    assert not provider.diff(space_id, outs, space_props()).changes


def test_read_after_create_equals_the_normalised_inputs(provider: SpaceProvider) -> None:
    space_id, outs = created(provider, space_props())

    read = provider.read(space_id, outs)

    assert comparable(read.outs) == provider.normalise(space_props())
    assert read.outs["pending_members"] == []


def test_second_up_after_first_makes_no_writes(provider: SpaceProvider, ocis: OcisEmulator) -> None:
    space_id, outs = created(provider, space_props())
    ocis.calls.clear()

    assert not provider.diff(space_id, outs, provider.check(outs, space_props()).inputs).changes
    assert ocis.writes == 0


def test_quota_changed_by_hand_is_seen_by_refresh_and_repaired_by_up(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props())
    space(ocis).quota = 1_000

    refreshed = provider.read(space_id, outs).outs
    assert refreshed["quota"] == 1_000
    assert provider.diff(space_id, refreshed, space_props()).changes

    provider.update(space_id, refreshed, space_props())
    assert space(ocis).quota == 5_000_000_000


def test_space_disabled_by_hand_is_seen_by_refresh_and_restored_by_up(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props())
    space(ocis).disabled = True

    refreshed = provider.read(space_id, outs).outs
    assert refreshed["enabled"] is False

    provider.update(space_id, refreshed, space_props())
    assert space(ocis).disabled is False


def test_space_removed_by_hand_drops_out_of_state_on_refresh(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props())
    ocis.state.spaces.clear()

    assert provider.read(space_id, outs).id is None


def test_an_identical_existing_space_is_adopted_without_writes(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    created(provider, space_props())
    ocis.calls.clear()

    space_id, outs = created(provider, space_props())

    assert space_id == ALIAS
    assert ocis.writes == 0
    assert len(ocis.state.spaces) == 1
    assert outs["drive_id"] == space(ocis).id


def test_a_different_space_under_the_same_alias_is_refused(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    created(provider, space_props(quota=1_000.0))
    ocis.calls.clear()

    with pytest.raises(ConflictError, match=ALIAS):
        created(provider, space_props())
    assert ocis.writes == 0


def test_a_create_interrupted_before_its_members_is_finished(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    ocis.fail_next("POST", "/v1beta1/drives/*/root/invite", "503", times=5)  # every retry of the first invite
    with pytest.raises(SpaceError, match="HTTP 503"):
        created(provider, space_props())

    _, outs = created(provider, space_props())

    assert comparable(outs) == provider.normalise(space_props())
    assert set(space(ocis).grants) >= {people["ida@nordlicht.de"], people["nordlicht-members"]}


def test_a_case_only_rename_is_an_update_and_a_new_name_is_a_replacement(provider: SpaceProvider) -> None:
    space_id, outs = created(provider, space_props())

    recased = provider.diff(space_id, outs, space_props(name="MARKETING"))
    renamed = provider.diff(space_id, outs, space_props(name="Vertrieb"))

    assert recased.changes and recased.replaces == []
    assert renamed.replaces == ["alias"]


def test_suspension_disables_and_resumption_restores_with_every_file_kept(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props())
    space(ocis).files = 42

    suspended = provider.update(space_id, outs, space_props(enabled=False)).outs
    assert space(ocis).disabled and suspended["enabled"] is False
    assert [c.method for c in ocis.calls][-2:] == ["DELETE", "GET"]
    assert "Purge" not in ocis.calls[-2].headers

    resumed = provider.update(space_id, suspended, space_props()).outs
    assert not space(ocis).disabled and resumed["enabled"] is True
    assert space(ocis).files == 42
    assert comparable(resumed) == provider.normalise(space_props())


def test_a_suspended_tenants_new_space_is_created_disabled(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    _, outs = created(provider, space_props(enabled=False))

    assert space(ocis).disabled
    assert comparable(outs) == provider.normalise(space_props(enabled=False))


def test_delete_without_purge_refuses_and_says_how_to_allow_it(
    provider: SpaceProvider, ocis: OcisEmulator, snapshot: SnapshotAssertion
) -> None:
    space_id, outs = created(provider, space_props())
    ocis.calls.clear()

    with pytest.raises(PurgeRefused) as refused:
        provider.delete(space_id, outs)

    assert str(refused.value) == snapshot
    assert ocis.calls == [] and not space(ocis).disabled


def test_delete_with_purge_disables_then_purges(provider: SpaceProvider, ocis: OcisEmulator) -> None:
    space_id, outs = created(provider, space_props(purge=True))
    ocis.calls.clear()

    provider.delete(space_id, outs)

    deletes = [c for c in ocis.calls if c.method == "DELETE"]
    assert [c.headers.get("Purge") for c in deletes] == [None, "T"]
    assert ocis.state.spaces == {}


def test_purging_a_space_that_is_already_gone_is_not_an_error(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props(purge=True))
    ocis.state.spaces.clear()

    provider.delete(space_id, outs)


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"name": "Acme Inc."}, "name"),
        ({"name": "Q1: Planung"}, "name"),
        ({"quota": 0}, "quota"),
        ({"tenant": "Nordlicht"}, "tenant"),
        ({"members": [{"principal": "ida@nordlicht.de", "role": "viewer"}]}, "members"),
        ({"members": [{"principal": "user:ida@nordlicht.de", "role": "owner"}]}, "members"),
    ],
)
def test_check_refuses_what_ocis_would_refuse_before_any_call(
    provider: SpaceProvider, ocis: OcisEmulator, overrides: dict[str, Any], field: str
) -> None:
    failures = provider.check({}, space_props(**overrides)).failures

    assert [f.property for f in failures] == [field]
    assert ocis.calls == []


def test_an_api_error_names_tenant_space_status_and_the_servers_message(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    ocis.state.max_quota = 1_000_000

    with pytest.raises(SpaceError) as failed:
        created(provider, space_props())

    message = str(failed.value)
    assert message.startswith("tenant nordlicht, space 'Marketing' (project/nordlicht.marketing): OCIS: POST")
    assert "HTTP 400: invalidRequest: decompsedFS: requested quota is higher than allowed" in message


def test_import_finds_a_space_by_its_alias_alone(provider: SpaceProvider, ocis: OcisEmulator) -> None:
    created(provider, space_props())
    ocis.state.service_role = "admin"  # only the Admin role reads other users' usernames

    imported = provider.read(ALIAS, {})

    assert imported.id == ALIAS
    assert comparable(imported.outs) == provider.normalise(space_props())


def test_import_as_a_space_admin_names_users_by_id_and_the_next_up_writes_nothing(
    provider: SpaceProvider, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    created(provider, space_props())

    imported = provider.read(ALIAS, {}).outs
    assert {"principal": f"user-id:{people[IDA]}", "role": "manager"} in imported["members"]
    ocis.calls.clear()
    after = provider.update(ALIAS, imported, space_props()).outs

    assert [c for c in ocis.calls if c.method != "GET"] == []
    assert comparable(after) == provider.normalise(space_props())


def test_purging_a_suspended_space_skips_straight_to_the_purge(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider, space_props(enabled=False, purge=True))
    ocis.calls.clear()

    provider.delete(space_id, outs)

    assert [(c.method, c.headers.get("Purge")) for c in ocis.calls if c.method != "GET"] == [("DELETE", "T")]
    assert ocis.state.spaces == {}


def test_a_lost_reply_on_create_leaves_no_duplicate(ocis: OcisEmulator, people: dict[str, str]) -> None:
    # OCIS does not refuse a second space under an alias it has: the create is looked up before a resend.
    with counting_proxy(ocis.url) as proxy:
        proxy.lose_reply("POST", "/graph/v1.0/drives")
        _, outs = created(configured_provider(proxy.url), space_props())

    assert [s.alias for s in ocis.state.spaces.values()] == [ALIAS]
    assert [c.method for c in ocis.calls if c.method == "POST" and c.path == "/v1.0/drives"] == ["POST"]
    assert outs["drive_id"] == space(ocis).id


def test_a_create_refused_for_good_is_not_resent(provider: SpaceProvider, ocis: OcisEmulator) -> None:
    ocis.state.max_quota = 1_000

    with pytest.raises(SpaceError, match="HTTP 400"):
        created(provider, space_props())

    assert [c.method for c in ocis.calls if c.path == "/v1.0/drives"] == ["POST"]
