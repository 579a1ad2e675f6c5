"""Domains with automatic DKIM, through `DomainProvider`, against a real Stalwart 0.16."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from components.common.provider import ConflictError
from components.dns.records import DkimKey
from components.stalwart.client import JmapError, StalwartClient
from components.stalwart.provider import DomainProvider, PurgeRequired, dkim_selectors

from .conftest import Tier, domain_object, wait_for_keys


def inputs(domain: str, **overrides: Any) -> dict[str, Any]:
    return {"domain": domain, "catch_all": None, "purge": False, "stalwart_id": None, "dkim_keys": None,
            **overrides}  # fmt: skip


def test_create_reads_back_as_declared_with_both_dkim_keys(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    declared = inputs(domain.upper(), catch_all=f"Info@{domain}")

    created = provider.create(declared)
    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert {k: read.outs[k] for k in provider.normalise(declared)} == provider.normalise(declared)
    keys = read.outs["dkim_keys"]
    assert [(k["selector"], k["algorithm"]) for k in keys] == dkim_selectors()
    assert len(base64.b64decode(keys[0]["public_key"])) == 32, "Ed25519: the raw key (RFC 8463)"
    assert all(DkimKey(**k).record.startswith(f"v=DKIM1; k={k['algorithm']}; p=") for k in keys)


def test_second_apply_makes_no_write_calls(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    created = provider.create(inputs(domain))
    mark = tier.mark()

    read = provider.read(created.id, created.outs)  # `up --refresh`: read, then diff
    diff = provider.diff(created.id, read.outs, inputs(domain))

    assert not diff.changes and read.outs == created.outs
    assert tier.sets(mark) == 0


def test_a_change_made_by_hand_is_detected_and_repaired(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    created = provider.create(inputs(domain))
    with tier.client() as client:
        client.update("x:Domain", created.outs["stalwart_id"], {"catchAllAddress": f"x@{domain}"}, "by hand")

    drifted = provider.read(created.id, created.outs)
    assert drifted.outs["catch_all"] == f"x@{domain}"
    assert provider.diff(created.id, drifted.outs, inputs(domain)).changes
    mark = tier.mark()
    provider.update(created.id, drifted.outs, inputs(domain))

    assert tier.sets(mark) == 1
    assert provider.read(created.id, created.outs).outs == created.outs


def test_an_identical_existing_domain_is_adopted_without_a_write(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    with tier.client() as client:
        wait_for_keys(client, client.create("x:Domain", domain_object(domain), "by hand"))
    mark = tier.mark()

    adopted = provider.create(inputs(domain))

    assert tier.sets(mark) == 0 and adopted.id == domain


def test_a_foreign_domain_is_refused(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    with tier.client() as client:
        made = client.create("x:Domain", domain_object(domain, catchAllAddress=f"boss@{domain}"), "by hand")
        wait_for_keys(client, made)
    mark = tier.mark()

    with pytest.raises(ConflictError, match=rf"{domain} already exists with different content"):
        provider.create(inputs(domain))
    assert tier.sets(mark) == 0


def test_import_reads_the_domain_from_the_server_alone(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    created = provider.create(inputs(domain))

    imported = provider.read(domain, {})

    assert imported.outs == {**created.outs, "purge": False}


def test_delete_without_purge_is_refused_and_with_purge_removes_the_domain(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    created = provider.create(inputs(domain))
    mark = tier.mark()

    with pytest.raises(PurgeRequired, match=rf"refusing to delete domain {domain}"):
        provider.delete(created.id, created.outs)
    assert tier.sets(mark) == 0

    provider.delete(created.id, {**created.outs, "purge": True})
    assert provider.read(created.id, created.outs).id is None
    provider.delete(created.id, {**created.outs, "purge": True})  # already gone: not an error


def test_a_refused_destroy_of_a_domain_in_use_is_a_clean_error(tier: Tier) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    created = provider.create(inputs(domain, purge=True))
    with tier.client() as client:
        account_id = client.create(
            "x:Account",
            {"@type": "Group", "name": "office", "domainId": created.outs["stalwart_id"]},
            "by hand",
        )

        with pytest.raises(JmapError) as caught:
            client.destroy("x:Domain", [created.outs["stalwart_id"]], f"domain {domain}")

    assert caught.value.error_type == "objectIsLinked"
    assert f"still used by Account {account_id}" in str(caught.value)
    with pytest.raises(JmapError, match="objectIsLinked"):
        provider.delete(created.id, created.outs)
    assert provider.read(created.id, created.outs).outs["dkim_keys"] == created.outs["dkim_keys"], (
        "a refused delete leaves the domain as it was, DKIM keys included"
    )


def test_a_lost_reply_on_create_leaves_no_duplicate(tier: Tier, monkeypatch: pytest.MonkeyPatch) -> None:
    provider, domain = tier.provider(DomainProvider), tier.domain()
    lose_the_reply_of_the_next_create(tier, monkeypatch)

    created = provider.create(inputs(domain))

    with tier.client() as client:
        found = client.find([("x:Domain", {"name": domain})])[0]
    assert [d["id"] for d in found if d["name"] == domain] == [created.outs["stalwart_id"]]
    assert len(created.outs["dkim_keys"]) == 2


def lose_the_reply_of_the_next_create(tier: Tier, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every JMAP call is `POST /jmap`: the proxy is told to lose a reply just before the create is sent."""
    original = StalwartClient.create

    def create(self: StalwartClient, *args: Any, **kwargs: Any) -> str:
        monkeypatch.setattr(StalwartClient, "create", original)
        tier.rec.proxy.lose_reply("POST", "/jmap")
        return original(self, *args, **kwargs)

    monkeypatch.setattr(StalwartClient, "create", create)
