"""The API token and the generated passwords never show in errors, reprs or logs."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import pytest

from components.common.http import ApiError
from components.common.provider import ConflictError
from components.stalwart.client import StalwartClient, StalwartSettings
from components.stalwart.provider import AccountProvider, DomainProvider
from tests.emulators.stalwart import TOKEN, StalwartEmulator

from .conftest import DOMAIN
from .test_account_provider import USER


def everything_said(
    *errors: BaseException, caplog: pytest.LogCaptureFixture, extra: tuple[Any, ...] = ()
) -> str:
    return "\n".join([*(f"{e}\n{e!r}" for e in errors), caplog.text, *(repr(x) for x in extra)])


def test_token_is_in_no_repr_error_or_log(
    settings: StalwartSettings, stalwart: StalwartEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = StalwartSettings(stalwart.url, "wrong-" + TOKEN)
    with StalwartClient(wrong) as client, pytest.raises(ApiError) as caught:
        client.find_domain(DOMAIN)
    stalwart.claim_invalid_requests()

    said = everything_said(caught.value, caplog=caplog, extra=(settings, wrong, client))
    assert TOKEN not in said


def test_generated_password_is_in_no_error_or_log(
    configure: Callable[..., AccountProvider],
    domain_id: str,
    stalwart: StalwartEmulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    accounts = configure(AccountProvider)
    created = accounts.create(USER)
    password = created.outs["password"]
    errors: list[BaseException] = []

    other = configure(AccountProvider)  # the same account declared differently: a conflict naming both sides
    for attempt in (
        lambda: other.create({**USER, "display_name": "Someone else"}),
        lambda: accounts.delete(created.id, created.outs),  # refused: no purge
        lambda: accounts.create({**created.outs, "display_name": "Changed", "password": password}),
    ):
        with pytest.raises(Exception) as caught:  # each attempt fails in its own way
            attempt()
        errors.append(caught.value)

    assert isinstance(errors[0], ConflictError)
    assert password not in everything_said(*errors, caplog=caplog, extra=(accounts, accounts.settings))


def test_configured_provider_repr_hides_the_token(configure: Callable[..., DomainProvider]) -> None:
    provider = configure(DomainProvider)

    assert TOKEN not in repr(provider.settings) and TOKEN not in repr(vars(provider))
