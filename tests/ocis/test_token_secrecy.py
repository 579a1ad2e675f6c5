"""The OCIS token reaches the server and nothing else: no message, repr, traceback or log line carries it."""

from __future__ import annotations

import logging
import traceback

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.ocis.client import OcisClient, OcisSettings
from components.ocis.provider import SpaceError, SpaceProvider
from tests.emulators.ocis import USER, OcisEmulator, basic, free_port

from .conftest import configured_provider, space_props

SECRET = "ocis-token-that-must-stay-secret-7d2f"


def everything_said_about(error: BaseException) -> str:
    return "".join(traceback.format_exception(error)) + repr(error) + repr(error.__cause__)


def test_a_refused_token_is_not_repeated_in_the_error_or_the_logs(
    ocis: OcisEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = configured_provider(ocis.url, SECRET)

    with pytest.raises(SpaceError) as failed:
        provider.create(space_props())

    assert "HTTP 401" in str(failed.value)
    assert SECRET not in everything_said_about(failed.value)
    assert SECRET not in caplog.text
    assert ocis.calls[0].headers["Authorization"] == basic(USER, SECRET)  # it did reach the server
    ocis.claim_invalid_requests()


def test_an_unreachable_server_error_names_the_space_but_not_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    provider = configured_provider(f"http://127.0.0.1:{free_port()}", SECRET)

    with pytest.raises(SpaceError, match=r"tenant nordlicht, space 'Marketing'.*did not answer") as failed:
        provider.read("project/nordlicht.marketing", space_props())

    assert SECRET not in everything_said_about(failed.value)
    assert SECRET not in caplog.text


def test_settings_client_and_provider_reprs_leave_the_token_out(ocis: OcisEmulator) -> None:
    settings = OcisSettings(ocis.url, USER, SECRET)
    provider = configured_provider(ocis.url, SECRET)

    with OcisClient(settings) as client:
        shown = repr(settings) + repr(client) + repr(provider.settings) + repr(vars(provider))

    assert SECRET not in shown


def test_the_provider_needs_the_service_users_name_with_its_app_token(ocis: OcisEmulator) -> None:
    provider = SpaceProvider()
    config = Config({"dezky:ocisUrl": ocis.url, "dezky:ocisToken": SECRET}, "dezky")

    with pytest.raises(Exception, match="ocisUser") as missing:
        provider.configure(ConfigureRequest(config))

    assert SECRET not in everything_said_about(missing.value)
