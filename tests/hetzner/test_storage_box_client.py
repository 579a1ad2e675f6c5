"""The Storage Box client against the emulator: each call, actions waited for, errors mapped, failures retried."""

from __future__ import annotations

import pytest
from werkzeug.datastructures import MultiDict

from components.common.http import ApiError, OutcomeUnknown
from hetzner.storage_box.client import (
    ActionTimeoutError,
    BoxAccess,
    NewStorageBox,
    StorageBoxApiSettings,
    StorageBoxClient,
    SubaccountAccess,
)
from tests.emulators.storage_box import StorageBoxEmulator

PASSWORD = "Correct-Horse-7-battery"
SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDezkyTestKeyOnly restic@ax41"
ACCESS = BoxAccess(
    reachable_externally=False, samba_enabled=False, ssh_enabled=True, webdav_enabled=False, zfs_enabled=False
)
SUB_ACCESS = SubaccountAccess(
    reachable_externally=False, samba_enabled=False, ssh_enabled=True, webdav_enabled=False, readonly=False
)


def new_box(name: str = "dezky-backups", location: str = "fsn1") -> NewStorageBox:
    return {
        "name": name,
        "password": PASSWORD,
        "location": location,
        "storage_box_type": "bx11",
        "ssh_keys": [SSH_KEY],
        "access_settings": ACCESS,
    }


def paths(storage_box: StorageBoxEmulator, method: str) -> list[str]:
    return [c.path for c in storage_box.calls if c.method == method]


def test_created_box_is_waited_for_until_active(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    box = box_client.create_box(new_box())

    assert box["status"] == "active" and box["username"] and box["server"]
    assert box["location"]["name"] == "fsn1" and box["access_settings"] == ACCESS
    assert any(p.startswith("/storage_boxes/actions/") for p in paths(storage_box, "GET"))
    assert storage_box.project.passwords[box["username"]] == PASSWORD


def test_box_is_found_by_name_on_any_page(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    for index in range(55):
        storage_box.project.create_box(MultiDict(), {**new_box(f"box-{index:02d}"), "ssh_keys": []})

    found = box_client.find_box("box-54")

    assert found is not None and found["name"] == "box-54"
    assert box_client.find_box("missing") is None


def test_type_and_access_settings_change_through_actions(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    box = box_client.create_box(new_box())

    box_client.update_access_settings(box["id"], {**ACCESS, "zfs_enabled": True})
    box_client.change_type(box["id"], "bx21")

    changed = box_client.get_box(box["id"])
    assert changed["access_settings"]["zfs_enabled"] and changed["storage_box_type"]["name"] == "bx21"


def test_deleted_box_is_gone_and_deleting_again_is_no_error(box_client: StorageBoxClient) -> None:
    box = box_client.create_box(new_box())

    box_client.delete_box(box["id"])
    box_client.delete_box(box["id"])

    assert box_client.find_box("dezky-backups") is None


def test_subaccount_lifecycle(box_client: StorageBoxClient, storage_box: StorageBoxEmulator) -> None:
    box = box_client.create_box(new_box())
    request = {
        "name": "backups",
        "home_directory": "backups",
        "password": PASSWORD,
        "access_settings": SUB_ACCESS,
        "description": "dezky backups",
    }

    created = box_client.create_subaccount(box["id"], request)  # type: ignore[arg-type]
    box_client.change_home_directory(box["id"], created["id"], "restic")
    box_client.update_subaccount_access(box["id"], created["id"], {**SUB_ACCESS, "readonly": True})
    box_client.update_description(box["id"], created["id"], "restic repository")

    found = box_client.find_subaccount(box["id"], "backups")
    assert found is not None and found["username"] == created["username"]
    assert (found["home_directory"], found["access_settings"]["readonly"], found["description"]) == (
        "restic",
        True,
        "restic repository",
    )
    box_client.delete_subaccount(box["id"], created["id"])
    assert box_client.find_subaccount(box["id"], "backups") is None


def test_failed_action_names_the_action_and_the_call(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    storage_box.fail_next_action("location_unavailable", "no capacity in hel1")

    with pytest.raises(ApiError) as caught:
        box_client.create_box(new_box(location="hel1"))

    assert caught.value.method == "POST" and caught.value.url.endswith("/storage_boxes")
    assert "(create_storage_box) failed: location_unavailable: no capacity in hel1" in caught.value.message


def test_action_that_keeps_running_times_out(
    box_settings: StorageBoxApiSettings, storage_box: StorageBoxEmulator
) -> None:
    storage_box.project.running_polls = 1000
    quick = StorageBoxApiSettings(
        box_settings.token, box_settings.endpoint, action_timeout=0.2, poll_interval=0.05
    )

    with StorageBoxClient(quick) as client, pytest.raises(ActionTimeoutError, match="still running"):
        client.create_box(new_box())


def test_api_refusal_carries_the_fields_at_fault(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    with pytest.raises(ApiError) as caught:
        box_client.create_box({**new_box(), "password": "short"})

    assert caught.value.status == 400
    assert caught.value.message.startswith("invalid_input:") and "password:" in caught.value.message
    assert [i.status for i in storage_box.claim_invalid_requests()] == [400]


def test_rate_limited_call_is_retried_after_the_reset_time(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    storage_box.fail_next("GET", "/storage_boxes", "429")

    assert box_client.find_box("dezky-backups") is None

    limited, retried = [c for c in storage_box.calls if c.path == "/storage_boxes"]
    assert (limited.status, retried.status) == (429, 200)
    assert retried.at >= int(limited.headers["RateLimit-Reset"])


def test_transient_failures_of_a_read_are_retried(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator
) -> None:
    storage_box.fail_next("GET", "/storage_boxes", "drop")  # type: ignore[arg-type]

    assert box_client.find_box("dezky-backups") is None
    assert [c.status for c in storage_box.calls if c.method == "GET"] == [None, 200]


@pytest.mark.parametrize("kind", ["503", "drop"])
def test_a_create_whose_answer_is_lost_is_not_resent_blindly(
    box_client: StorageBoxClient, storage_box: StorageBoxEmulator, kind: str
) -> None:
    storage_box.fail_next("POST", "/storage_boxes", kind)  # type: ignore[arg-type]

    with pytest.raises(OutcomeUnknown, match="no answer"):
        box_client.create_box(new_box())

    assert [c.status for c in storage_box.calls if c.method == "POST"] == [None if kind == "drop" else 503]


def test_wrong_token_is_refused_without_showing_it(
    box_settings: StorageBoxApiSettings, storage_box: StorageBoxEmulator
) -> None:
    secret = "not-the-emulator-token-77aa"
    wrong = StorageBoxApiSettings(secret, box_settings.endpoint)

    with StorageBoxClient(wrong) as client, pytest.raises(ApiError) as caught:
        client.find_box("dezky-backups")

    assert (caught.value.status, caught.value.message) == (401, "unauthorized: unable to authenticate")
    assert secret not in str(caught.value) and secret not in repr(wrong) and secret not in repr(client)
    assert [i.status for i in storage_box.claim_invalid_requests()] == [401]
