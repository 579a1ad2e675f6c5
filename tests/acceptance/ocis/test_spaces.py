"""Project spaces and their members, through the project's own `SpaceProvider`, against the real OCIS.

Every call goes through the recording proxy (`rec`), which counts reads and writes; changes "by hand" are made
with the project's `OcisClient` through the same proxy, as an operator's API call would be. File checks go
straight to the server's WebDAV, which the recordings leave out.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from components.common.provider import ConflictError
from components.ocis.client import ROLE_IDS, Drive, NewDrive, OcisClient, is_disabled
from components.ocis.provider import PurgeRefused, SpaceProvider, space_alias
from tests.acceptance.conftest import RealServer, Recorder

from .conftest import IDA, JONAS, MEMBERS_GROUP, direct_settings, space_props


def created(provider: SpaceProvider, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    result = provider.create(provider.check({}, props).inputs)
    return result.id, result.outs


def comparable(outs: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in outs.items() if key not in {"drive_id", "pending_members"}}


def drives_under(client: OcisClient, alias: str) -> list[Drive]:
    return [d for d in client.project_drives() if d.get("driveAlias") == alias]


def the_drive(client: OcisClient, alias: str) -> Drive:
    [drive] = drives_under(client, alias)
    return drive


def new_drive(props: dict[str, Any], **changes: Any) -> NewDrive:
    drive = NewDrive(
        name=props["name"],
        description=props["description"],
        driveAlias=space_alias(props["tenant"], props["name"]),
        driveType="project",
        quota={"total": int(props["quota"])},
    )
    return NewDrive(**{**drive, **changes})  # type: ignore[typeddict-item]


def webdav(server: RealServer) -> httpx.Client:
    settings = direct_settings(server)
    return httpx.Client(
        base_url=f"{server.url}/dav/spaces/",
        headers={"Authorization": settings.authorization()},
        verify=False,
        timeout=60,
    )


def test_a_created_space_reads_back_equal_to_the_declaration(provider: SpaceProvider, tenant: str) -> None:
    props = space_props(tenant)

    space_id, outs = created(provider, props)
    read = provider.read(space_id, outs).outs

    assert space_id == f"project/{tenant}.marketing"
    assert comparable(outs) == provider.normalise(props)
    assert comparable(read) == provider.normalise(props)
    assert read["pending_members"] == []


def test_second_apply_makes_no_write_calls(provider: SpaceProvider, tenant: str, rec: Recorder) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    rec.reset_counts()

    assert not provider.diff(space_id, outs, provider.check(outs, props).inputs).changes
    again = provider.update(space_id, outs, props).outs  # even an update with nothing to change

    assert rec.writes == 0
    assert comparable(again) == provider.normalise(props)


def test_refresh_shows_no_drift_and_writes_nothing(
    provider: SpaceProvider, tenant: str, rec: Recorder
) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    rec.reset_counts()

    refreshed = provider.read(space_id, outs).outs

    assert not provider.diff(space_id, refreshed, props).changes
    assert rec.writes == 0


def test_declared_members_read_back_by_name_without_the_admin_role(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    # The service account is a Space Admin: OCIS hides other users' usernames from it, yet the declared
    # members read back under their declared names.
    props = space_props(tenant, members=[{"principal": f"user:{JONAS}", "role": "viewer"}])
    space_id, outs = created(provider, props)

    found = client.user(JONAS)
    assert found is not None
    assert not found.get("onPremisesSamAccountName")  # OCIS 8.2 sends it empty to a Space Admin
    assert provider.read(space_id, outs).outs["members"] == [{"principal": f"user:{JONAS}", "role": "viewer"}]


def test_quota_and_description_changed_by_hand_are_seen_and_repaired(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    client.update_drive(outs["drive_id"], {"quota": {"total": 1_000_000}, "description": "von Hand"})

    refreshed = provider.read(space_id, outs).outs
    assert (refreshed["quota"], refreshed["description"]) == (1_000_000, "von Hand")
    assert provider.diff(space_id, refreshed, props).changes

    repaired = provider.update(space_id, refreshed, props).outs
    assert comparable(repaired) == provider.normalise(props)
    assert comparable(provider.read(space_id, repaired).outs) == provider.normalise(props)


def test_members_changed_by_hand_are_seen_and_repaired(
    provider: SpaceProvider, tenant: str, client: OcisClient, people: dict[str, str]
) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    drive_id = outs["drive_id"]
    jonas = (client.user(JONAS) or {})["id"]
    client.invite(drive_id, "user", jonas, ROLE_IDS["editor"])  # someone added by hand
    client.revoke(drive_id, f"g:{people[MEMBERS_GROUP]}")  # a declared member removed by hand
    client.set_role(drive_id, f"u:{people[IDA]}", ROLE_IDS["viewer"])  # a role changed by hand

    refreshed = provider.read(space_id, outs).outs
    assert refreshed["members"] == [
        {"principal": f"user-id:{jonas}", "role": "editor"},  # undeclared: only its id is known
        {"principal": f"user:{IDA}", "role": "viewer"},
    ]
    assert provider.diff(space_id, refreshed, props).changes

    repaired = provider.update(space_id, refreshed, props).outs
    assert comparable(repaired) == provider.normalise(props)
    assert comparable(provider.read(space_id, repaired).outs) == provider.normalise(props)


def test_a_space_disabled_by_hand_is_seen_and_restored(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    client.disable_drive(outs["drive_id"])

    refreshed = provider.read(space_id, outs).outs
    assert refreshed["enabled"] is False
    assert refreshed["members"] == provider.normalise(props)["members"]

    provider.update(space_id, refreshed, props)
    assert not is_disabled(the_drive(client, space_id))


def test_a_space_removed_by_hand_drops_out_of_state(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    space_id, outs = created(provider, space_props(tenant))
    client.disable_drive(outs["drive_id"])
    client.purge_drive(outs["drive_id"])

    assert provider.read(space_id, outs).id is None


def test_an_identical_existing_space_is_adopted_and_completed(
    provider: SpaceProvider, tenant: str, client: OcisClient, rec: Recorder
) -> None:
    props = space_props(tenant)
    made = client.create_drive(new_drive(props))  # made by hand (or by a create that stopped half-way)
    rec.reset_counts()

    space_id, outs = created(provider, props)

    assert outs["drive_id"] == made["id"]
    assert len(drives_under(client, space_id)) == 1
    assert comparable(outs) == provider.normalise(props)
    assert rec.writes == 2  # the two member invitations, no second space


def test_a_foreign_space_under_the_same_alias_is_refused(
    provider: SpaceProvider, tenant: str, client: OcisClient, rec: Recorder
) -> None:
    props = space_props(tenant)
    client.create_drive(new_drive(props, description="someone else's"))
    rec.reset_counts()

    with pytest.raises(ConflictError, match=f"project/{tenant}.marketing"):
        created(provider, props)

    assert rec.writes == 0


def test_import_reads_a_space_by_its_alias_alone(
    provider: SpaceProvider, tenant: str, people: dict[str, str]
) -> None:
    props = space_props(tenant)
    space_id, _ = created(provider, props)

    imported = provider.read(space_id, {})

    assert imported.id == space_id
    assert imported.outs["quota"] == 5_000_000_000
    # A Space Admin reads undeclared users by id; the next up then matches them by id and writes nothing.
    assert {"principal": f"user-id:{people[IDA]}", "role": "manager"} in imported.outs["members"]


def test_suspend_and_resume_keep_the_files_and_the_members(
    provider: SpaceProvider, tenant: str, client: OcisClient, ocis_server: RealServer
) -> None:
    props = space_props(tenant)
    space_id, outs = created(provider, props)
    with webdav(ocis_server) as dav:
        assert dav.put(f"{outs['drive_id']}/angebot.txt", content=b"Messe 2027").status_code == 201

        suspended = provider.update(space_id, outs, space_props(tenant, enabled=False)).outs
        assert suspended["enabled"] is False
        assert is_disabled(the_drive(client, space_id))
        assert not provider.diff(
            space_id, provider.read(space_id, suspended).outs, space_props(tenant, enabled=False)
        ).changes

        resumed = provider.update(space_id, suspended, props).outs
        assert comparable(resumed) == provider.normalise(props)
        assert dav.get(f"{outs['drive_id']}/angebot.txt").content == b"Messe 2027"


def test_delete_without_purge_is_refused_and_keeps_the_space(
    provider: SpaceProvider, tenant: str, client: OcisClient, rec: Recorder
) -> None:
    space_id, outs = created(provider, space_props(tenant))
    rec.reset_counts()

    with pytest.raises(PurgeRefused, match="purge: true"):
        provider.delete(space_id, outs)

    assert rec.writes == 0
    assert not is_disabled(the_drive(client, space_id))


def test_purge_removes_the_space_and_a_second_purge_is_fine(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    props = space_props(tenant, purge=True)
    space_id, outs = created(provider, props)

    provider.delete(space_id, outs)
    provider.delete(space_id, outs)

    assert drives_under(client, space_id) == []


def test_a_lost_reply_on_create_leaves_no_duplicate(
    provider: SpaceProvider, tenant: str, client: OcisClient, rec: Recorder
) -> None:
    props = space_props(tenant)
    rec.proxy.lose_reply("POST", "/graph/v1.0/drives")

    space_id, outs = created(provider, props)

    assert len(drives_under(client, space_id)) == 1
    assert comparable(outs) == provider.normalise(props)


def test_a_create_run_twice_as_a_retry_would_leaves_no_duplicate(
    provider: SpaceProvider, tenant: str, client: OcisClient, rec: Recorder
) -> None:
    props = space_props(tenant)
    created(provider, props)
    rec.reset_counts()

    space_id, outs = created(provider, props)

    assert len(drives_under(client, space_id)) == 1
    assert rec.writes == 0
    assert comparable(outs) == provider.normalise(props)


def test_revoking_a_grant_twice_is_fine(
    provider: SpaceProvider, tenant: str, client: OcisClient, people: dict[str, str]
) -> None:
    _, outs = created(provider, space_props(tenant))
    permission = f"u:{people[IDA]}"

    client.revoke(outs["drive_id"], permission)
    client.revoke(outs["drive_id"], permission)

    assert permission not in [p.get("id") for p in client.permissions(outs["drive_id"])]


def test_a_member_without_an_account_is_pending_without_a_perpetual_diff(
    provider: SpaceProvider, tenant: str
) -> None:
    newcomer = f"lena@{tenant}.dezky.test"
    props = space_props(
        tenant,
        members=[
            {"principal": f"user:{IDA}", "role": "manager"},
            {"principal": f"user:{newcomer}", "role": "editor"},
        ],
    )

    space_id, outs = created(provider, props)
    refreshed = provider.read(space_id, outs).outs

    assert outs["pending_members"] == [f"user:{newcomer}"]
    assert not provider.diff(space_id, refreshed, props).changes
