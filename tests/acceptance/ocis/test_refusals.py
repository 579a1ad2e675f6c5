"""What the real OCIS answers to requests it refuses, sent raw (no retries) so the recordings keep each answer.

These hold the emulator to the real server's statuses and words where the client or the providers rely on them:
a grant that is gone, a disabled space's grants, a second invitation, purging an enabled space, bad bodies.
"""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from components.ocis.client import ROLE_IDS, OcisClient, OcisSettings
from components.ocis.provider import space_alias

from .conftest import IDA


@pytest.fixture
def raw(settings: OcisSettings) -> Iterator[httpx.Client]:
    headers = {"Authorization": settings.authorization(), "Accept": "application/json"}
    with httpx.Client(base_url=f"{settings.url}/graph", headers=headers, timeout=60) as client:
        yield client


def error(answer: httpx.Response) -> tuple[int, str, str]:
    body = answer.json()["error"]
    return answer.status_code, body["code"], body["message"]


def test_grant_refusals_are_answered_as_ocis_answers_them(
    client: OcisClient, raw: httpx.Client, tenant: str
) -> None:
    alias = space_alias(tenant, "Refusals")
    drive = client.create_drive(
        {
            "name": "Refusals",
            "description": "",
            "driveAlias": alias,
            "driveType": "project",
            "quota": {"total": 10**6},
        }
    )
    ida = (client.user(IDA) or {})["id"]
    root = f"/v1beta1/drives/{drive['id']}/root"
    invite = {
        "recipients": [{"objectId": ida, "@libre.graph.recipient.type": "user"}],
        "roles": [ROLE_IDS["editor"]],
    }
    assert raw.post(f"{root}/invite", json=invite).status_code == 200

    again = raw.post(f"{root}/invite", json=invite)
    assert error(again) == (409, "nameAlreadyExists", "add grant: error: already exists:Refusals")

    assert raw.delete(f"{root}/permissions/u:{ida}").status_code == 204
    gone = raw.delete(f"{root}/permissions/u:{ida}")
    assert error(gone)[:2] == (500, "generalException")  # not 404: why revoke reads the grants first
    assert "error getting grant to remove from storage" in error(gone)[2]
    patch_gone = raw.patch(f"{root}/permissions/u:{ida}", json={"roles": [ROLE_IDS["viewer"]]})
    assert error(patch_gone)[:2] == (404, "itemNotFound")

    stranger = raw.post(
        f"{root}/invite",
        json={
            **invite,
            "recipients": [
                {"objectId": drive["id"].partition("$")[2], "@libre.graph.recipient.type": "user"}
            ],
        },
    )
    assert error(stranger) == (400, "invalidRequest", "itemNotFound: not found")


def test_a_disabled_space_refuses_changes_to_its_grants(
    client: OcisClient, raw: httpx.Client, tenant: str
) -> None:
    alias = space_alias(tenant, "Disabled")
    drive = client.create_drive(
        {
            "name": "Disabled",
            "description": "",
            "driveAlias": alias,
            "driveType": "project",
            "quota": {"total": 10**6},
        }
    )
    me = client.me()["id"]
    client.disable_drive(drive["id"])
    root = f"/v1beta1/drives/{drive['id']}/root"

    assert error(raw.get(f"{root}/permissions"))[:2] == (404, "itemNotFound")
    patched = raw.patch(f"{root}/permissions/u:{me}", json={"roles": [ROLE_IDS["viewer"]]})
    assert error(patched)[:2] == (500, "generalException")
    assert error(raw.delete(f"{root}/permissions/u:{me}"))[:2] == (500, "generalException")
    # the space's own properties can still be changed, and disabling it again changes nothing
    assert raw.patch(f"/v1.0/drives/{drive['id']}", json={"description": "ruht"}).status_code == 200
    assert raw.delete(f"/v1.0/drives/{drive['id']}").status_code == 204


def test_space_refusals_are_answered_in_ocis_words(
    client: OcisClient, raw: httpx.Client, tenant: str
) -> None:
    alias = space_alias(tenant, "Words")
    body = {
        "name": "Words",
        "description": "",
        "driveAlias": alias,
        "driveType": "project",
        "quota": {"total": 10**6},
    }

    assert error(raw.post("/v1.0/drives", json={**body, "colour": "red"})) == (
        400,
        "invalidRequest",
        "invalid body schema definition",
    )
    assert error(raw.post("/v1.0/drives", json={**body, "name": "Acme Inc."})) == (
        400,
        "invalidRequest",
        'invalid spacename: spacenames must not contain [/ \\ . : ? * " > < |]',
    )
    drive = client.create_drive(body)  # type: ignore[arg-type]
    path = f"/v1.0/drives/{drive['id']}"
    assert error(raw.patch(path, json={"colour": "red"})) == (
        400,
        "invalidRequest",
        'invalid request body: error: json: unknown field "colour"',
    )
    assert error(raw.patch(path, json={"name": "a/b"}))[:2] == (400, "generalException")
    assert error(raw.delete(path, headers={"Purge": "T"})) == (
        400,
        "invalidRequest",
        "error: bad request: can't purge enabled space",
    )
    assert raw.delete(path).status_code == 204
    assert raw.delete(path, headers={"Purge": "T"}).status_code == 204
    assert error(raw.delete(path, headers={"Purge": "T"})) == (404, "itemNotFound", "drive not found")
    assert error(raw.get(path)) == (404, "itemNotFound", "no drive returned from storage")
    assert error(raw.get("/v1.0/users/nobody@acc.dezky.test")) == (404, "itemNotFound", "not found")
    assert error(raw.get("/v1.0/groups/nobody")) == (404, "itemNotFound", "not found")
