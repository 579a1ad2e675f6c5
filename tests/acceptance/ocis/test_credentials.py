"""The credential the providers use, and the least role it needs, proven on the real OCIS.

Sent straight to the server (not through the recording proxy): the contract test replays recordings with the
emulator's own credential, so a recording of a refused credential could not be replayed.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.ocis.provider import SpaceError, SpaceProvider
from tests.acceptance.conftest import RealServer
from tests.fixtures.counting_proxy import counting_proxy

from .conftest import direct_settings, space_props

SPACE_ADMIN_ROLE = "2aadd357-682c-406b-8874-293091995fdd"


@pytest.fixture
def graph(ocis_server: RealServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=f"{ocis_server.url}/graph/v1.0", verify=False, timeout=60) as client:
        yield client


@pytest.fixture
def admin(ocis_server: RealServer) -> Iterator[httpx.Client]:
    user, token = (os.environ.get(f"DEZKY_ACC_OCIS_ADMIN_{k}") for k in ("USER", "TOKEN"))
    if not (user and token):
        pytest.skip("ocis: set DEZKY_ACC_OCIS_ADMIN_USER/_TOKEN (an app token of an Admin) for this test")
    auth = httpx.BasicAuth(user, token)
    with httpx.Client(base_url=f"{ocis_server.url}/graph", auth=auth, verify=False, timeout=60) as client:
        yield client


def test_the_service_users_app_token_authenticates_as_basic(
    graph: httpx.Client, ocis_server: RealServer
) -> None:
    me = graph.get("/me", headers={"Authorization": direct_settings(ocis_server).authorization()})

    assert me.status_code == 200
    assert me.json()["onPremisesSamAccountName"] == ocis_server.user


def test_an_app_token_sent_as_a_bearer_token_is_refused(graph: httpx.Client, ocis_server: RealServer) -> None:
    refused = graph.get("/me", headers={"Authorization": f"Bearer {ocis_server.token}"})

    assert refused.status_code == 401
    assert refused.content == b""


def test_an_app_token_is_refused_for_another_username(graph: httpx.Client, ocis_server: RealServer) -> None:
    assert graph.get("/me", auth=httpx.BasicAuth("admin", ocis_server.token)).status_code == 401
    assert graph.get("/me", auth=httpx.BasicAuth(ocis_server.user, "not-the-token")).status_code == 401


def test_the_service_user_holds_the_space_admin_role_and_no_more(
    admin: httpx.Client, graph: httpx.Client, ocis_server: RealServer
) -> None:
    me = graph.get("/me", headers={"Authorization": direct_settings(ocis_server).authorization()}).json()

    roles = admin.get(f"/v1.0/users/{me['id']}/appRoleAssignments").json()["value"]

    assert [r["appRoleId"] for r in roles] == [SPACE_ADMIN_ROLE]


def test_a_space_the_service_user_is_no_member_of_cannot_have_its_members_managed(
    admin: httpx.Client, ocis_server: RealServer, people: dict[str, str]
) -> None:
    # Made by someone else (an admin in the web UI), it can be listed and adopted, but OCIS shows its grants
    # only to its members: the provider fails with OCIS's words instead of guessing.
    tenant = f"acc{secrets.token_hex(4)}"
    props = space_props(tenant)
    body = {
        "name": props["name"],
        "description": props["description"],
        "driveAlias": f"project/{tenant}.marketing",
        "driveType": "project",
        "quota": {"total": int(props["quota"])},
    }
    made = admin.post("/v1.0/drives", json=body)
    assert made.status_code == 201
    drive_id = made.json()["id"]
    try:
        # a proxy that records nothing, only to reach the server's self-signed TLS from the provider
        with counting_proxy(ocis_server.url, verify_tls=False) as proxy:
            provider = SpaceProvider()
            config = {"dezky:ocisUrl": proxy.url, "dezky:ocisUser": ocis_server.user}
            config["dezky:ocisToken"] = ocis_server.token
            provider.configure(ConfigureRequest(Config(config, "dezky")))
            with pytest.raises(SpaceError, match="HTTP 404: itemNotFound: stat: error: not found"):
                provider.create(provider.check({}, props).inputs)
    finally:
        admin.delete(f"/v1.0/drives/{drive_id}")
        admin.delete(f"/v1.0/drives/{drive_id}", headers={"Purge": "T"})
