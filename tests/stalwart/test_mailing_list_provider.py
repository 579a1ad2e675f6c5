"""The mailing list provider: a list stores no mail, so it is created, changed and removed freely."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from components.common.provider import ConflictError
from components.stalwart.client import StalwartClient
from components.stalwart.provider import MailingListProvider
from tests.emulators.stalwart import StalwartEmulator

from .conftest import DOMAIN

TEAM = f"team@{DOMAIN}"
LIST: dict[str, Any] = {
    "address": TEAM,
    "display_name": "Team",
    "recipients": [f"ida@{DOMAIN}", "partner@example.org"],
}


@pytest.fixture
def provider(configure: Callable[..., MailingListProvider], domain_id: str) -> MailingListProvider:
    return configure(MailingListProvider)


def test_create_read_and_diff_agree(provider: MailingListProvider, stalwart: StalwartEmulator) -> None:
    created = provider.create({**LIST, "recipients": list(reversed(LIST["recipients"]))})
    stalwart.forget_calls()

    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert not provider.diff(created.id, read.outs, LIST).changes
    assert stalwart.write_count == 0


def test_changed_recipients_are_updated_in_place(
    provider: MailingListProvider, client: StalwartClient
) -> None:
    created = provider.create(LIST)
    news = {**LIST, "recipients": [f"ida@{DOMAIN}"]}

    diff = provider.diff(created.id, created.outs, news)
    provider.update(created.id, created.outs, news)

    assert diff.changes and not diff.replaces
    assert client.find_mailing_list(TEAM)["recipients"] == {f"ida@{DOMAIN}": True}  # type: ignore[index]


def test_different_existing_list_is_refused(
    provider: MailingListProvider, client: StalwartClient, domain_id: str
) -> None:
    client.create(
        "x:MailingList",
        {"name": "team", "domainId": domain_id, "recipients": {"x@example.org": True}},
        "list",
    )

    with pytest.raises(ConflictError):
        provider.create(LIST)


def test_list_is_removed_without_purge(provider: MailingListProvider, client: StalwartClient) -> None:
    created = provider.create(LIST)

    provider.delete(created.id, created.outs)

    assert client.find_mailing_list(TEAM) is None


def test_list_without_recipients_fails_the_check(provider: MailingListProvider) -> None:
    assert [f.property for f in provider.check({}, {**LIST, "recipients": []}).failures] == ["recipients"]


def test_a_lost_reply_on_create_leaves_one_list(
    provider: MailingListProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    stalwart.lose_reply("x:MailingList/set")

    created = provider.create(LIST)

    assert client.query("x:MailingList", {}) == [created.outs["stalwart_id"]]
    stalwart.claim_invalid_requests()
