"""The Libre Graph client against the emulator: spaces, their states, lookups, OData errors and retries."""

from __future__ import annotations

import httpx
import pytest

from components.common.http import ApiError
from components.ocis.client import ROLE_IDS, NewDrive, OcisClient, OcisSettings, is_disabled
from tests.emulators.ocis import APP_TOKEN, USER, OcisEmulator, basic
from tests.emulators.ocis_state import Rejected

from .conftest import IDA, MEMBERS_GROUP


def new_drive(name: str = "Marketing", quota: int = 10_000) -> NewDrive:
    alias = f"project/nordlicht.{name.lower()}"
    return NewDrive(
        name=name, description="Kampagnen", driveAlias=alias, driveType="project", quota={"total": quota}
    )


def statuses(ocis: OcisEmulator, method: str) -> list[int | None]:
    return [call.status for call in ocis.calls if call.method == method]


def test_created_space_is_listed_with_its_alias_quota_and_description(client: OcisClient) -> None:
    created = client.create_drive(new_drive())

    [listed] = client.project_drives()

    assert listed["id"] == created["id"]
    assert (listed["driveAlias"], listed["quota"]["total"], listed["description"]) == (
        "project/nordlicht.marketing",
        10_000,
        "Kampagnen",
    )


def test_disabled_space_is_listed_as_trashed_and_restore_brings_it_back(client: OcisClient) -> None:
    drive_id = client.create_drive(new_drive())["id"]

    client.disable_drive(drive_id)
    assert is_disabled(client.project_drives()[0])

    client.restore_drive(drive_id)
    assert not is_disabled(client.project_drives()[0])


def test_purging_an_enabled_space_is_refused_in_the_servers_words(client: OcisClient) -> None:
    drive_id = client.create_drive(new_drive())["id"]

    with pytest.raises(ApiError) as refused:
        client.purge_drive(drive_id)

    assert refused.value.status == 400
    assert refused.value.message == "invalidRequest: error: bad request: can't purge enabled space"
    assert client.project_drives() != []


def test_purging_a_disabled_space_removes_it(client: OcisClient) -> None:
    drive_id = client.create_drive(new_drive())["id"]
    client.disable_drive(drive_id)

    client.purge_drive(drive_id)

    assert client.project_drives() == []


def test_users_and_groups_are_found_by_name_and_missing_ones_are_none(
    client: OcisClient, people: dict[str, str]
) -> None:
    assert client.user(IDA)["id"] == people[IDA]  # type: ignore[index]
    assert client.group(MEMBERS_GROUP)["id"] == people[MEMBERS_GROUP]  # type: ignore[index]
    assert client.user("never.logged.in@nordlicht.de") is None


def test_an_invited_member_holds_the_role_id_they_were_given(
    client: OcisClient, people: dict[str, str]
) -> None:
    drive_id = client.create_drive(new_drive())["id"]

    granted = client.invite(drive_id, "user", people[IDA], ROLE_IDS["editor"])

    assert granted["roles"] == [ROLE_IDS["editor"]]
    assert {k: v for k, v in granted.items() if k != "invitation"} in client.permissions(drive_id)


def test_the_space_creator_is_its_manager_as_ocis_does_it(client: OcisClient) -> None:
    drive_id = client.create_drive(new_drive())["id"]

    [grant] = client.permissions(drive_id)

    assert grant["grantedToV2"]["user"]["id"] == client.me()["id"]
    assert grant["roles"] == [ROLE_IDS["manager"]]


@pytest.mark.parametrize("kind", ["429", "503", "drop"])
def test_transient_failures_are_retried(client: OcisClient, ocis: OcisEmulator, kind: str) -> None:
    ocis.fail_next("POST", "/v1.0/drives", kind)  # type: ignore[arg-type]

    client.create_drive(new_drive())

    assert len(client.project_drives()) == 1
    assert statuses(ocis, "POST")[-1] == 201


def test_a_call_that_hangs_past_the_timeout_is_retried(settings: OcisSettings, ocis: OcisEmulator) -> None:
    ocis.hang_seconds = 1.0
    ocis.fail_next("GET", "/v1beta1/drives", "hang")

    with OcisClient(OcisSettings(settings.url, settings.user, settings.token, request_timeout=0.2)) as quick:
        assert quick.project_drives() == []

    assert statuses(ocis, "GET") == [None, 200]


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (
            {"name": "Personal", "driveType": "personal"},
            400,
            "invalidRequest: drives of this type cannot be created via this api",
        ),
        (
            {"name": "Acme Inc."},
            400,
            'invalidRequest: invalid spacename: spacenames must not contain [/ \\ . : ? * " > < |]',
        ),
        ({"name": "Marketing", "colour": "red"}, 400, "invalidRequest: invalid body schema definition"),
        (
            {"name": "Marketing", "quota": {"total": "lots"}},
            400,
            "invalidRequest: invalid body schema definition",
        ),
        ({"description": "no name"}, 400, "invalidRequest: invalid spacename: spacename must not be empty"),
    ],
)
def test_the_emulator_refuses_what_ocis_refuses(
    client: OcisClient, ocis: OcisEmulator, body: dict, status: int, message: str
) -> None:
    with pytest.raises(ApiError) as refused:
        client.create_drive(body)  # type: ignore[arg-type]

    assert refused.value.status == status
    assert refused.value.message == message  # word for word as OCIS 8.2 says it
    assert [r.status for r in ocis.claim_invalid_requests()] == [status]


def test_a_wrong_token_is_refused(settings: OcisSettings, ocis: OcisEmulator) -> None:
    with (
        OcisClient(OcisSettings(settings.url, settings.user, "not-the-token")) as stranger,
        pytest.raises(ApiError) as refused,
    ):
        stranger.project_drives()

    assert refused.value.status == 401
    ocis.claim_invalid_requests()


def test_an_emulator_answer_that_breaks_the_spec_is_caught(client: OcisClient, ocis: OcisEmulator) -> None:
    drive_id = client.create_drive(new_drive())["id"]
    ocis.state.spaces[drive_id].alias = 42  # type: ignore[assignment]

    with pytest.raises(ApiError) as bug:
        client.project_drives()

    assert bug.value.status == 599
    assert "breaks the spec" in ocis.bugs.pop()


def test_the_client_authenticates_with_the_service_users_app_token_as_basic(
    client: OcisClient, ocis: OcisEmulator
) -> None:
    client.me()

    assert ocis.calls[-1].headers["Authorization"] == basic(USER, APP_TOKEN)


def test_an_app_token_sent_as_a_bearer_token_is_refused(ocis: OcisEmulator) -> None:
    # What `dezky:ocisToken` used to be: OCIS has no long-lived bearer token, its proxy takes app tokens as
    # Basic only.
    with httpx.Client(base_url=ocis.url) as raw:
        answer = raw.get("/graph/v1.0/me", headers={"Authorization": f"Bearer {APP_TOKEN}"})

    assert answer.status_code == 401
    ocis.claim_invalid_requests()


def test_an_app_token_of_another_user_is_refused(settings: OcisSettings, ocis: OcisEmulator) -> None:
    with (
        OcisClient(OcisSettings(settings.url, "someone-else", settings.token)) as stranger,
        pytest.raises(ApiError) as refused,
    ):
        stranger.me()

    assert refused.value.status == 401
    ocis.claim_invalid_requests()


def test_revoking_a_grant_twice_is_fine_and_the_second_revoke_sends_no_delete(
    client: OcisClient, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    drive_id = client.create_drive(new_drive())["id"]
    permission = client.invite(drive_id, "user", people[IDA], ROLE_IDS["editor"])

    client.revoke(drive_id, permission["id"])
    client.revoke(drive_id, permission["id"])

    assert [c.method for c in ocis.calls if "/permissions/" in c.path] == ["DELETE"]
    assert people[IDA] not in ocis.state.spaces[drive_id].grants


def test_a_revoke_whose_reply_was_lost_counts_as_done_once_the_grant_is_gone(
    client: OcisClient, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    drive_id = client.create_drive(new_drive())["id"]
    permission = client.invite(drive_id, "user", people[IDA], ROLE_IDS["editor"])
    real_delete = ocis.state.delete_permission

    def delete_then_fail(*args: object, **kwargs: object) -> object:
        # The grant goes, but the client hears a 500 (as OCIS answers a retried delete of a gone grant).
        real_delete(*args, **kwargs)  # type: ignore[arg-type]
        raise Rejected(500, "generalException", "error getting grant to remove from storage")

    ocis.state.delete_permission = delete_then_fail  # type: ignore[method-assign]
    client.revoke(drive_id, permission["id"])

    assert people[IDA] not in ocis.state.spaces[drive_id].grants


def test_a_revoke_the_server_keeps_refusing_is_raised(
    client: OcisClient, ocis: OcisEmulator, people: dict[str, str]
) -> None:
    drive_id = client.create_drive(new_drive())["id"]
    permission = client.invite(drive_id, "user", people[IDA], ROLE_IDS["editor"])
    ocis.fail_next("DELETE", "/v1beta1/drives/*/root/permissions/*", 503, times=10)

    with pytest.raises(ApiError) as refused:
        client.revoke(drive_id, permission["id"])

    assert refused.value.status == 503
    assert people[IDA] in ocis.state.spaces[drive_id].grants
