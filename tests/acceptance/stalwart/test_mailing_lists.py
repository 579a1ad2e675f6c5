"""Mailing lists through `MailingListProvider`, and paging past one page, against a real Stalwart 0.16."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.provider import ConflictError
from components.stalwart.client import PAGE_SIZE, Change
from components.stalwart.provider import DomainProvider, MailingListProvider

from .conftest import Tier
from .test_domains import inputs as domain_inputs
from .test_domains import lose_the_reply_of_the_next_create


def mailing_list(address: str, **overrides: Any) -> dict[str, Any]:
    domain = address.split("@")[1]
    return {"address": address, "display_name": "Team", "recipients": [f"ida@{domain}", "partner@example.org"],
            **overrides}  # fmt: skip


@pytest.fixture
def domain(tier: Tier) -> str:
    name = tier.domain()
    tier.provider(DomainProvider).create(domain_inputs(name, purge=True))
    return name


@pytest.fixture
def provider(tier: Tier) -> MailingListProvider:
    return tier.provider(MailingListProvider)


def test_create_reads_back_as_declared(provider: MailingListProvider, domain: str) -> None:
    declared = mailing_list(f"Team@{domain}", recipients=["partner@example.org", f"IDA@{domain}"])

    created = provider.create(declared)

    assert provider.read(created.id, created.outs).outs == created.outs
    assert created.outs["recipients"] == sorted(["partner@example.org", f"ida@{domain}"])


def test_second_apply_makes_no_write_calls(tier: Tier, provider: MailingListProvider, domain: str) -> None:
    created = provider.create(mailing_list(f"team@{domain}"))
    mark = tier.mark()

    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert not provider.diff(created.id, read.outs, mailing_list(f"team@{domain}")).changes
    assert tier.sets(mark) == 0


def test_recipients_changed_by_hand_are_detected_and_repaired(
    tier: Tier, provider: MailingListProvider, domain: str
) -> None:
    declared = mailing_list(f"team@{domain}")
    created = provider.create(declared)
    with tier.client() as client:
        client.update(
            "x:MailingList", created.outs["stalwart_id"], {"recipients": {"x@example.org": True}}, "hand"
        )

    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["recipients"] == ["x@example.org"]
    mark = tier.mark()
    provider.update(created.id, drifted.outs, declared)

    assert tier.sets(mark) == 1
    assert provider.read(created.id, created.outs).outs == created.outs


def test_an_identical_existing_list_is_adopted_and_a_foreign_one_refused(
    tier: Tier, provider: MailingListProvider, domain: str
) -> None:
    domain_id = tier.provider(DomainProvider).read(domain, {}).outs["stalwart_id"]
    recipients = {f"ida@{domain}": True, "partner@example.org": True}
    with tier.client() as client:
        client.create("x:MailingList", {"name": "team", "domainId": domain_id, "description": "Team",
                                        "recipients": recipients}, "by hand")  # fmt: skip
        client.create("x:MailingList", {"name": "board", "domainId": domain_id, "description": "Board",
                                        "recipients": {"boss@example.org": True}}, "by hand")  # fmt: skip
    mark = tier.mark()

    adopted = provider.create(mailing_list(f"team@{domain}"))
    assert adopted.id == f"team@{domain}" and tier.sets(mark) == 0
    with pytest.raises(ConflictError, match=rf"board@{domain} already exists with different content"):
        provider.create(mailing_list(f"board@{domain}"))
    assert tier.sets(mark) == 0


def test_a_list_is_removed_without_purge(provider: MailingListProvider, domain: str) -> None:
    created = provider.create(mailing_list(f"team@{domain}"))

    provider.delete(created.id, created.outs)

    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, created.outs)  # already gone: not an error


def test_a_lost_reply_on_create_leaves_no_duplicate(
    tier: Tier, provider: MailingListProvider, domain: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    lose_the_reply_of_the_next_create(tier, monkeypatch)

    created = provider.create(mailing_list(f"team@{domain}"))

    with tier.client() as client:
        found = client.find([("x:MailingList", {"text": "team"})])[0]
    assert [m["id"] for m in found if m.get("emailAddress") == f"team@{domain}"] == [
        created.outs["stalwart_id"]
    ]


def test_paging_past_one_page_returns_every_object_exactly_once(tier: Tier, domain: str) -> None:
    """More lists than one page (500): `query` and `find` see each exactly once; `find`'s get stays under the
    server's `maxObjectsInGet`."""
    count = PAGE_SIZE + 100
    domain_id = tier.provider(DomainProvider).read(domain, {}).outs["stalwart_id"]
    made: list[str] = []
    with tier.client() as client:
        for start in range(0, count, 100):
            batch = {f"l{n}": {"name": f"paging{n}", "domainId": domain_id, "description": f"paging {tier.run}",
                               "recipients": {"a@example.org": True}} for n in range(start, start + 100)}  # fmt: skip
            made += client.change(Change("x:MailingList", "paging lists", create=batch))[0].values()

        queried = client.query("x:MailingList", {})
        found = client.find([("x:MailingList", {"text": tier.run})])[0]

    assert len(made) == count
    assert len(queried) == len(set(queried)) and set(made) <= set(queried)
    found_ids = [m["id"] for m in found]
    assert len(found_ids) == len(set(found_ids)) and set(found_ids) == set(made)
