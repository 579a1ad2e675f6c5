"""Clients and providers pointed at the spec-checked Authentik emulator, and two example tenants."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.authentik.client import AuthentikClient, AuthentikSettings
from components.common.provider import ObjectProvider
from dezky.tenants.model import Tenant
from tests.emulators.authentik import TOKEN, AuthentikEmulator


@pytest.fixture
def settings(authentik: AuthentikEmulator) -> AuthentikSettings:
    return AuthentikSettings(authentik.url, TOKEN, request_timeout=1.0)


@pytest.fixture
def client(settings: AuthentikSettings) -> Iterator[AuthentikClient]:
    with AuthentikClient(settings) as client:
        yield client


def stack_config(url: str, token: str = TOKEN) -> Config:
    return Config({"dezky:authentikUrl": url, "dezky:authentikToken": token}, "dezky")


@pytest.fixture
def configured(authentik: AuthentikEmulator):  # type: ignore[no-untyped-def]
    """Configure a provider as the engine would, from the stack's configuration."""

    def configure(provider: ObjectProvider) -> ObjectProvider:
        provider.configure(ConfigureRequest(stack_config(authentik.url)))
        return provider

    return configure


def tenant(slug: str = "acme", status: str = "active", **extra: Any) -> Tenant:
    fields: dict[str, Any] = {
        "slug": slug,
        "name": f"{slug.title()} GmbH",
        "status": status,
        "created": dt.date(2026, 2, 3),
        "plan": "business",
        "domains": {"primary": f"{slug}-werkzeuge.de"},
        "users": [
            {"email": f"anna@{slug}-werkzeuge.de", "name": "Anna Schmidt", "role": "admin"},
            {"email": f"jonas@{slug}-werkzeuge.de", "name": "Jonas Weber"},
        ],
    }
    if status == "deleted":
        fields["deleted_at"] = dt.date(2026, 10, 1)
    return Tenant.model_validate({**fields, **extra})
