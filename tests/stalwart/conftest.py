"""A Stalwart client and providers pointed at the registry-checked emulator, with waits short enough for tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import TypeVar

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.stalwart.client import StalwartClient, StalwartSettings
from components.stalwart.provider import DKIM_SELECTOR_TEMPLATE, DKIM_SIGNATURE_TYPES
from tests.emulators.stalwart import TOKEN, StalwartEmulator

DOMAIN = "nordlicht.de"
OTHER_DOMAIN = "nordlicht.eu"
P = TypeVar("P")


def domain_object(name: str = DOMAIN, **overrides: object) -> dict[str, object]:
    """An `x:Domain` as the providers create it."""
    return {
        "name": name,
        "catchAllAddress": None,
        "isEnabled": True,
        "dkimManagement": {
            "@type": "Automatic",
            "algorithms": dict.fromkeys(DKIM_SIGNATURE_TYPES.values(), True),
            "selectorTemplate": DKIM_SELECTOR_TEMPLATE,
        },
        "dnsManagement": {"@type": "Manual"},
        **overrides,
    }


@pytest.fixture
def settings(stalwart: StalwartEmulator) -> StalwartSettings:
    return StalwartSettings(stalwart.url, TOKEN, timeout=1.0, dkim_wait=3.0, poll_interval=0.05)


@pytest.fixture
def client(settings: StalwartSettings) -> Iterator[StalwartClient]:
    with StalwartClient(settings) as client:
        yield client


@pytest.fixture
def configure(stalwart: StalwartEmulator) -> Callable[[type[P]], P]:
    """A provider configured the way the engine does it: from the stack's `dezky:` config."""

    def configured(provider_class: type[P], token: str = TOKEN) -> P:
        provider = provider_class()
        raw = {"dezky:stalwartUrl": stalwart.url, "dezky:stalwartToken": token}
        provider.configure(ConfigureRequest(Config(raw, "dezky")))  # type: ignore[attr-defined]
        quick = {"timeout": 1.0, "dkim_wait": 3.0, "poll_interval": 0.05}
        provider.settings = replace(provider.settings, **quick)  # type: ignore[attr-defined]
        return provider

    return configured


@pytest.fixture
def domain_id(client: StalwartClient) -> str:
    """An existing domain with automatic DKIM, as the domain provider makes it, once both its keys exist
    (the server makes the RSA key after the Ed25519 one)."""
    domain_id = client.create("x:Domain", domain_object(), f"domain {DOMAIN}")
    while len(client.dkim_signatures(domain_id)) < len(DKIM_SIGNATURE_TYPES):
        pass
    return domain_id
