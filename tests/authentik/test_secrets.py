"""The API token and the generated client secrets never show in exception texts, reprs or logs."""

from __future__ import annotations

import logging

import pytest
from pulumi.dynamic import ConfigureRequest

from components.authentik import objects
from components.authentik.apps import OAuth2ProviderProvider
from components.authentik.client import AuthentikClient, AuthentikSettings
from components.common.http import ApiError
from components.common.provider import ConflictError
from tests.emulators.authentik import TOKEN, AuthentikEmulator

from .cases import ACME, PORTAL, make_provider
from .conftest import stack_config


@pytest.fixture
def everything_logged(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    caplog.set_level(logging.DEBUG)
    return caplog


def test_the_client_secret_is_an_output_and_nowhere_else(
    configured, authentik: AuthentikEmulator, everything_logged: pytest.LogCaptureFixture
) -> None:
    provider = configured(OAuth2ProviderProvider())
    props = objects.oauth2_provider_props(ACME, PORTAL)

    created = provider.create(props)
    secret = created.outs["client_secret"]
    read = provider.read(created.id, created.outs)
    diff = provider.diff(created.id, created.outs, props)

    assert len(secret) == 128 and read.outs["client_secret"] == secret
    assert "client_secret" not in provider.normalise(created.outs)  # never compared, never shown in a diff
    assert diff.changes is False
    assert secret not in everything_logged.text and TOKEN not in everything_logged.text
    assert secret not in repr(provider) and TOKEN not in repr(provider.settings)


def test_a_conflict_message_masks_the_existing_objects_secret(
    configured, client: AuthentikClient, everything_logged: pytest.LogCaptureFixture
) -> None:
    squatter = make_provider(client)

    with pytest.raises(ConflictError) as caught:
        configured(OAuth2ProviderProvider()).create(objects.oauth2_provider_props(ACME, PORTAL))

    message = str(caught.value)
    assert "client_secret=[secret]" in message
    assert (
        squatter["client_secret"] not in message and squatter["client_secret"] not in everything_logged.text
    )


def test_a_refused_token_is_not_repeated_in_the_error_or_the_logs(
    authentik: AuthentikEmulator, everything_logged: pytest.LogCaptureFixture
) -> None:
    wrong = "ak-wrong-token-7d0c3f"
    provider = OAuth2ProviderProvider()
    provider.configure(ConfigureRequest(stack_config(authentik.url, token=wrong)))

    with pytest.raises(ApiError) as caught:
        provider.create(objects.oauth2_provider_props(ACME, PORTAL))

    assert caught.value.status == 403
    for text in (str(caught.value), repr(caught.value), everything_logged.text, repr(provider.settings)):
        assert wrong not in text
    authentik.claim_invalid_requests()


def test_the_token_is_read_from_the_stack_configuration(authentik: AuthentikEmulator) -> None:
    provider = OAuth2ProviderProvider()
    provider.configure(ConfigureRequest(stack_config(authentik.url)))

    assert provider.settings == AuthentikSettings(authentik.url, TOKEN)
    assert "token" not in repr(provider.settings)
