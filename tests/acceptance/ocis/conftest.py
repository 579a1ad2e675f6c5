"""The real OCIS behind the recording proxy, the project's own client and space provider pointed at it.

Besides `DEZKY_ACC_OCIS_URL`, `_USER` (the service account) and `_TOKEN` (an app token of it, sent as HTTP
Basic as the providers send it), the directory must hold the people the tests invite (`PROVISIONED_USERS`,
`PROVISIONED_GROUPS`, the same the emulator starts with, so a recording replays there). With
`DEZKY_ACC_OCIS_ADMIN_USER` and `DEZKY_ACC_OCIS_ADMIN_TOKEN` (an app token of an account with the Admin role)
the session makes them when they are missing; without, it checks they exist and skips if not.

Each test works in a tenant of its own (`acc<random>`), so no run clashes with another; what it leaves is
disabled and purged afterwards, straight at the server, so the cleanup is not part of the recording.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.ocis.client import OcisClient, OcisSettings, is_disabled
from components.ocis.provider import SpaceProvider
from tests.acceptance.conftest import RealServer, Recorder
from tests.emulators.ocis_state import PROVISIONED_GROUPS, PROVISIONED_USERS

IDA, JONAS = (name for name, _ in PROVISIONED_USERS)
MEMBERS_GROUP, ADMINS_GROUP = PROVISIONED_GROUPS


@pytest.fixture(scope="session")
def ocis_server() -> RealServer:
    server = RealServer.from_env("ocis")
    if not server.user:
        pytest.skip(
            "ocis: set DEZKY_ACC_OCIS_USER, the service account whose app token DEZKY_ACC_OCIS_TOKEN is"
        )
    return server


def direct_settings(server: RealServer) -> OcisSettings:
    """Straight at the server, past the proxy: for setup and cleanup, which no recording should hold."""
    return OcisSettings(server.url, server.user, server.token, request_timeout=60)


def direct_client(server: RealServer) -> OcisClient:
    """The project's client straight at the server, accepting its self-signed loopback certificate."""
    return OcisClient(direct_settings(server), transport=httpx.HTTPTransport(verify=False))


@pytest.fixture(scope="session")
def people(ocis_server: RealServer) -> dict[str, str]:
    """The ids of the people the tests invite, made by an admin when missing."""
    admin_user, admin_token = (os.environ.get(f"DEZKY_ACC_OCIS_ADMIN_{k}") for k in ("USER", "TOKEN"))
    ids: dict[str, str] = {}
    with direct_client(ocis_server) as client:
        missing = [name for name, _ in PROVISIONED_USERS if client.user(name) is None]
        missing += [name for name in PROVISIONED_GROUPS if client.group(name) is None]
        if missing and not (admin_user and admin_token):
            pytest.skip(
                f"ocis: the directory lacks {missing}; set DEZKY_ACC_OCIS_ADMIN_USER/_TOKEN to make them"
            )
        if missing:
            _provision(ocis_server.url, admin_user or "", admin_token or "")
        for name, _ in PROVISIONED_USERS:
            ids[name] = (client.user(name) or {})["id"]
        for name in PROVISIONED_GROUPS:
            ids[name] = (client.group(name) or {})["id"]
    return ids


def _provision(url: str, admin_user: str, admin_token: str) -> None:
    auth = httpx.BasicAuth(admin_user, admin_token)
    with httpx.Client(base_url=url + "/graph/v1.0", auth=auth, verify=False, timeout=60) as admin:
        for name, display in PROVISIONED_USERS:
            if admin.get(f"/users/{name}").status_code == 404:
                body = {
                    "onPremisesSamAccountName": name,
                    "displayName": display,
                    "mail": name,
                    "passwordProfile": {"password": secrets.token_urlsafe(24)},
                }
                admin.post("/users", json=body).raise_for_status()
        for name in PROVISIONED_GROUPS:
            if admin.get(f"/groups/{name}").status_code == 404:
                admin.post("/groups", json={"displayName": name}).raise_for_status()


@pytest.fixture
def rec(recorded: Callable[[RealServer], Recorder], ocis_server: RealServer) -> Recorder:
    return recorded(ocis_server)


@pytest.fixture
def settings(rec: Recorder, ocis_server: RealServer) -> OcisSettings:
    return OcisSettings(rec.url, ocis_server.user, ocis_server.token, request_timeout=60)


@pytest.fixture
def client(settings: OcisSettings) -> Iterator[OcisClient]:
    with OcisClient(settings) as client:
        yield client


@pytest.fixture
def provider(rec: Recorder, ocis_server: RealServer, people: dict[str, str]) -> SpaceProvider:
    provider = SpaceProvider()
    config = {
        "dezky:ocisUrl": rec.url,
        "dezky:ocisUser": ocis_server.user,
        "dezky:ocisToken": ocis_server.token,
    }
    provider.configure(ConfigureRequest(Config(config, "dezky")))
    return provider


@pytest.fixture
def tenant(ocis_server: RealServer) -> Iterator[str]:
    """A tenant slug no other run uses; every space under it is purged after the test."""
    slug = f"acc{secrets.token_hex(4)}"
    yield slug
    with direct_client(ocis_server) as client:
        for drive in client.project_drives():
            if str(drive.get("driveAlias", "")).startswith(f"project/{slug}."):
                if not is_disabled(drive):
                    client.disable_drive(drive["id"])
                client.purge_drive(drive["id"])


def space_props(tenant: str, **overrides: Any) -> dict[str, Any]:
    """Inputs as the engine hands them over (numbers as floats) for the tenant's Marketing space."""
    return {
        "tenant": tenant,
        "name": "Marketing",
        "description": "Kampagnen und Messen",
        "quota": 5_000_000_000.0,
        "members": [
            {"principal": f"user:{IDA}", "role": "manager"},
            {"principal": f"group:{MEMBERS_GROUP}", "role": "editor"},
        ],
        "enabled": True,
        "purge": False,
        **overrides,
    }
