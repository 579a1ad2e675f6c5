"""The Storage Box emulator refuses requests outside the shapes derived from hcloud-python, as the API would."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.emulators.storage_box import TOKEN, StorageBoxEmulator

BOX = {
    "name": "dezky-backups",
    "password": "Correct-Horse-7-battery",
    "location": "fsn1",
    "storage_box_type": "bx11",
}


@pytest.fixture
def http(storage_box: StorageBoxEmulator) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=storage_box.url, headers=headers, timeout=5) as client:
        yield client


def refused(storage_box: StorageBoxEmulator, response: httpx.Response) -> dict[str, Any]:
    assert [i.status for i in storage_box.claim_invalid_requests()] == [response.status_code]
    return response.json()["error"]


def fields(error: dict[str, Any]) -> list[str]:
    return [field["name"] for field in error["details"]["fields"]]


def test_misspelt_field_is_invalid_input(http: httpx.Client, storage_box: StorageBoxEmulator) -> None:
    error = refused(storage_box, http.post("/storage_boxes", json={**BOX, "acces_settings": {}}))

    assert error["code"] == "invalid_input"


def test_missing_required_field_is_named(http: httpx.Client, storage_box: StorageBoxEmulator) -> None:
    box = {key: value for key, value in BOX.items() if key != "location"}

    error = refused(storage_box, http.post("/storage_boxes", json=box))

    assert fields(error) == ["location"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"location": "ams1"}, "location"),
        ({"storage_box_type": "bx99"}, "storage_box_type"),
        ({"password": "alllowercase-but-long"}, "password"),
        ({"ssh_keys": ["not a key"]}, "ssh_keys"),
        ({"access_settings": {"ssh_enabled": "yes"}}, "access_settings.ssh_enabled"),
    ],
)
def test_values_the_api_refuses_are_refused(
    http: httpx.Client, storage_box: StorageBoxEmulator, change: dict[str, Any], field: str
) -> None:
    error = refused(storage_box, http.post("/storage_boxes", json={**BOX, **change}))

    assert fields(error) == [field]


def test_home_directory_must_stay_inside_the_box(http: httpx.Client, storage_box: StorageBoxEmulator) -> None:
    box_id = http.post("/storage_boxes", json=BOX).json()["storage_box"]["id"]

    sub = {"home_directory": "../etc", "password": BOX["password"]}
    error = refused(storage_box, http.post(f"/storage_boxes/{box_id}/subaccounts", json=sub))

    assert fields(error) == ["home_directory"]


def test_subaccount_listing_has_no_pagination(http: httpx.Client, storage_box: StorageBoxEmulator) -> None:
    box_id = http.post("/storage_boxes", json=BOX).json()["storage_box"]["id"]

    error = refused(storage_box, http.get(f"/storage_boxes/{box_id}/subaccounts", params={"page": 1}))

    assert fields(error) == ["page"]


def test_duplicate_name_is_a_uniqueness_error_not_a_client_mistake(
    http: httpx.Client, storage_box: StorageBoxEmulator
) -> None:
    http.post("/storage_boxes", json=BOX)

    second = http.post("/storage_boxes", json=BOX)

    assert (second.status_code, second.json()["error"]["code"]) == (409, "uniqueness_error")
    assert storage_box.claim_invalid_requests() == []


def test_path_outside_the_shapes_is_not_found(http: httpx.Client, storage_box: StorageBoxEmulator) -> None:
    error = refused(storage_box, http.get("/storage_boxes/1/snapshots"))

    assert error["code"] == "not_found"


def test_every_request_is_counted_with_rate_limit_headers(
    http: httpx.Client, storage_box: StorageBoxEmulator
) -> None:
    http.get("/storage_boxes")
    http.post("/storage_boxes", json=BOX)

    assert [(c.method, c.status) for c in storage_box.calls] == [("GET", 200), ("POST", 201)]
    assert storage_box.write_count == 1
    assert int(storage_box.calls[1].headers["RateLimit-Remaining"]) < 3600
