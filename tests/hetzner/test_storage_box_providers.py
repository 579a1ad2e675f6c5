"""The Storage Box providers called as the engine calls them: configured from stack config, then check .. delete."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.provider import ConflictError
from hetzner.storage_box.provider import StorageBoxProvider, SubaccountProvider
from tests.emulators.storage_box import StorageBoxEmulator

from .conftest import configured

SSH_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDezkyTestKeyOnly restic@ax41"
BOX_ACCESS = {
    "reachable_externally": False,
    "samba_enabled": False,
    "ssh_enabled": True,
    "webdav_enabled": False,
    "zfs_enabled": False,
}
SUB_ACCESS = {
    "reachable_externally": False,
    "samba_enabled": False,
    "ssh_enabled": True,
    "webdav_enabled": False,
    "readonly": False,
}


@pytest.fixture
def boxes(box_config: dict[str, str]) -> StorageBoxProvider:
    return configured(StorageBoxProvider(), box_config)


@pytest.fixture
def subaccounts(box_config: dict[str, str]) -> SubaccountProvider:
    return configured(SubaccountProvider(), box_config)


def box_props(**change: Any) -> dict[str, Any]:
    return {
        "name": "dezky-backups",
        "location": "fsn1",
        "storage_box_type": "bx11",
        "ssh_keys": [SSH_KEY],
        "access_settings": BOX_ACCESS,
        **change,
    }


def sub_props(box_id: int, **change: Any) -> dict[str, Any]:
    return {
        "storage_box_id": box_id,
        "name": "backups",
        "home_directory": "backups",
        "access_settings": SUB_ACCESS,
        "description": "dezky backups",
        **change,
    }


def test_box_is_ordered_with_a_new_password_only_in_its_outputs(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    created = boxes.create(box_props())

    assert created.id == "dezky-backups"
    assert storage_box.project.passwords[created.outs["username"]] == created.outs["password"]
    assert len(created.outs["password"]) >= 24
    assert created.outs["server"].endswith(".your-storagebox.de")


def test_second_up_after_first_makes_no_writes(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    outs = boxes.create(box_props()).outs
    storage_box.calls.clear()

    assert not boxes.diff("dezky-backups", outs, box_props()).changes
    assert boxes.read("dezky-backups", outs).outs == outs, "read is honest and keeps the password"
    assert storage_box.write_count == 0


def test_identical_box_is_adopted_without_writes(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    boxes.create(box_props())
    storage_box.calls.clear()

    adopted = boxes.create(box_props())

    assert adopted.outs["box_id"] and "password" not in adopted.outs, "an adopted box's password is unknown"
    assert storage_box.write_count == 0


def test_different_box_of_the_same_name_is_refused_untouched(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    boxes.create(box_props(location="hel1"))
    storage_box.calls.clear()

    with pytest.raises(ConflictError, match="already exists with different content"):
        boxes.create(box_props())

    assert storage_box.write_count == 0


def test_access_changed_by_hand_shows_as_drift_and_update_restores_only_that(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    outs = boxes.create(box_props()).outs
    storage_box.project.boxes[outs["box_id"]]["access_settings"]["samba_enabled"] = True

    refreshed = boxes.read("dezky-backups", outs).outs
    assert refreshed["access_settings"]["samba_enabled"] is True
    assert boxes.diff("dezky-backups", refreshed, box_props()).changes
    storage_box.calls.clear()

    updated = boxes.update("dezky-backups", refreshed, box_props()).outs

    writes = [c.path for c in storage_box.calls if c.method != "GET"]
    assert writes == [f"/storage_boxes/{outs['box_id']}/actions/update_access_settings"]
    assert updated["password"] == outs["password"], "the password survives the update"


def test_moving_a_box_replaces_it(boxes: StorageBoxProvider) -> None:
    assert boxes.diff("dezky-backups", box_props(), box_props(location="hel1")).replaces == ["location"]


def test_update_of_a_box_deleted_by_hand_asks_for_a_refresh(
    boxes: StorageBoxProvider, storage_box: StorageBoxEmulator
) -> None:
    outs = boxes.create(box_props()).outs
    storage_box.project.boxes.clear()

    with pytest.raises(ConflictError, match="refresh"):
        boxes.update(
            "dezky-backups",
            outs,
            box_props(storage_box_type="bx11", access_settings=BOX_ACCESS | {"zfs_enabled": True}),
        )


def test_deleted_box_is_gone(boxes: StorageBoxProvider, storage_box: StorageBoxEmulator) -> None:
    outs = boxes.create(box_props()).outs

    boxes.delete("dezky-backups", outs)

    assert storage_box.project.boxes == {} and boxes.read("dezky-backups", outs).id is None


def test_key_that_is_not_an_openssh_public_key_fails_check(boxes: StorageBoxProvider) -> None:
    failures = boxes.check({}, box_props(ssh_keys=["-----BEGIN OPENSSH PRIVATE KEY-----"])).failures

    assert [f.property for f in failures] == ["ssh_keys"]


def test_subaccount_is_created_per_purpose_with_its_own_password(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]

    created = subaccounts.create(sub_props(box_id)).outs

    assert created["name"] == "backups" and created["home_directory"] == "backups"
    assert storage_box.project.passwords[created["username"]] == created["password"]


def test_subaccount_second_up_makes_no_writes_and_read_keeps_the_password(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]
    outs = subaccounts.create(sub_props(box_id)).outs
    storage_box.calls.clear()

    assert not subaccounts.diff(f"{box_id}/backups", outs, sub_props(box_id)).changes
    assert subaccounts.read(f"{box_id}/backups", outs).outs == outs
    assert storage_box.write_count == 0


def test_identical_subaccount_is_adopted_and_a_different_one_refused(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]
    subaccounts.create(sub_props(box_id))
    storage_box.calls.clear()

    assert subaccounts.create(sub_props(box_id)).outs["username"]
    with pytest.raises(ConflictError):
        subaccounts.create(sub_props(box_id, home_directory="elsewhere"))
    assert storage_box.write_count == 0


def test_subaccount_update_writes_only_what_differs(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]
    outs = subaccounts.create(sub_props(box_id)).outs
    storage_box.calls.clear()

    updated = subaccounts.update(f"{box_id}/backups", outs, sub_props(box_id, home_directory="restic")).outs

    assert [c.path.rsplit("/", 1)[-1] for c in storage_box.calls if c.method != "GET"] == [
        "change_home_directory"
    ]
    assert updated["home_directory"] == "restic" and updated["password"] == outs["password"]


def test_deleted_subaccount_is_gone(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]
    outs = subaccounts.create(sub_props(box_id)).outs

    subaccounts.delete(f"{box_id}/backups", outs)

    assert storage_box.project.subaccounts[box_id] == {}


@pytest.mark.parametrize("fault", ["lost_reply", "drop"])
def test_a_lost_reply_on_create_leaves_one_subaccount(
    boxes: StorageBoxProvider, subaccounts: SubaccountProvider, storage_box: StorageBoxEmulator, fault: str
) -> None:
    box_id = boxes.create(box_props()).outs["box_id"]
    storage_box.fail_next("POST", f"/storage_boxes/{box_id}/subaccounts", fault)  # type: ignore[arg-type]

    created = subaccounts.create(sub_props(box_id)).outs

    made = list(storage_box.project.subaccounts[box_id].values())
    assert [s["username"] for s in made] == [created["username"]]
