"""An OCIS client and a configured space provider pointed at the spec-checked emulator, and people to invite."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import stamina
from pulumi.dynamic import Config, ConfigureRequest

from components.common.http import RETRY_ATTEMPTS
from components.ocis.client import OcisClient, OcisSettings
from components.ocis.provider import SpaceProvider
from tests.emulators.ocis import APP_TOKEN, USER, OcisEmulator

IDA = "ida@nordlicht.de"
JONAS = "jonas@nordlicht.de"
MEMBERS_GROUP = "nordlicht-members"
ADMINS_GROUP = "nordlicht-admins"


@pytest.fixture(autouse=True)
def no_retry_waits() -> Iterator[None]:
    """Retries happen as in production, without the waits between them."""
    with stamina.set_testing(True, attempts=RETRY_ATTEMPTS, cap=True):
        yield


@pytest.fixture
def people(ocis: OcisEmulator) -> dict[str, str]:
    """Ida and Jonas have logged in once, so OCIS made their accounts and the tenant's groups."""
    return {
        IDA: ocis.state.add_user(IDA, "Ida Berg"),
        JONAS: ocis.state.add_user(JONAS, "Jonas Wolf"),
        MEMBERS_GROUP: ocis.state.add_group(MEMBERS_GROUP),
        ADMINS_GROUP: ocis.state.add_group(ADMINS_GROUP),
    }


@pytest.fixture
def settings(ocis: OcisEmulator) -> OcisSettings:
    return OcisSettings(ocis.url, USER, APP_TOKEN, request_timeout=2.0)


@pytest.fixture
def client(settings: OcisSettings) -> Iterator[OcisClient]:
    with OcisClient(settings) as client:
        yield client


def configured_provider(url: str, token: str = APP_TOKEN, user: str = USER) -> SpaceProvider:
    provider = SpaceProvider()
    config = {"dezky:ocisUrl": url, "dezky:ocisUser": user, "dezky:ocisToken": token}
    provider.configure(ConfigureRequest(Config(config, "dezky")))
    return provider


@pytest.fixture
def provider(ocis: OcisEmulator, people: dict[str, str]) -> SpaceProvider:
    return configured_provider(ocis.url)


def space_props(**overrides: Any) -> dict[str, Any]:
    """Inputs as the engine hands them over (numbers as floats) for Nordlicht's Marketing space."""
    return {
        "tenant": "nordlicht",
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
