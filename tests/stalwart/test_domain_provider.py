"""The domain provider called as the engine calls it: adopt, diff, honest reads, DKIM keys, guarded delete."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from components.common.provider import ConflictError
from components.dns.records import DkimKey
from components.stalwart.client import JmapError, StalwartClient
from components.stalwart.provider import DomainProvider, PurgeRequired, dkim_selectors
from tests.emulators.stalwart import StalwartEmulator

from .conftest import DOMAIN, domain_object

INPUTS: dict[str, Any] = {
    "domain": DOMAIN,
    "catch_all": None,
    "purge": False,
    "stalwart_id": None,
    "dkim_keys": None,
}


@pytest.fixture
def provider(configure: Callable[..., DomainProvider]) -> DomainProvider:
    return configure(DomainProvider)


def test_create_then_diff_with_the_same_inputs_shows_no_change(provider: DomainProvider) -> None:
    created = provider.create(INPUTS)

    assert created.id == DOMAIN
    assert not provider.diff(created.id, created.outs, INPUTS).changes


def test_read_after_create_equals_the_normalised_inputs(provider: DomainProvider) -> None:
    created = provider.create({**INPUTS, "domain": "NordLicht.DE", "catch_all": f"Info@{DOMAIN}"})

    read = provider.read(created.id, created.outs)

    assert read.outs == created.outs
    assert read.outs["catch_all"] == f"info@{DOMAIN}"
    assert {k: read.outs[k] for k in provider.normalise(INPUTS)} == provider.normalise(
        {**INPUTS, "catch_all": f"info@{DOMAIN}"}
    )


def test_dkim_keys_read_back_are_the_ones_the_server_generated(
    provider: DomainProvider, stalwart: StalwartEmulator
) -> None:
    keys = provider.create(INPUTS).outs["dkim_keys"]

    generated = stalwart.dkim_public_keys(DOMAIN)
    assert [(k["selector"], k["algorithm"]) for k in keys] == dkim_selectors()
    assert {k["selector"]: k["public_key"] for k in keys} == {s: key for s, (_, key) in generated.items()}
    assert all(DkimKey(**k).record.startswith(f"v=DKIM1; k={k['algorithm']}; p=") for k in keys)


def test_second_pass_without_changes_makes_no_writes(
    provider: DomainProvider, stalwart: StalwartEmulator
) -> None:
    created = provider.create(INPUTS)
    stalwart.forget_calls()

    read = provider.read(created.id, created.outs)
    diff = provider.diff(created.id, read.outs, INPUTS)

    assert not diff.changes
    assert stalwart.write_count == 0


def test_identical_existing_domain_is_adopted_without_a_write(
    provider: DomainProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    domain_id = client.create("x:Domain", domain_object(), "domain")
    client.dkim_signatures(domain_id)  # lets the server's key task run
    stalwart.forget_calls()

    created = provider.create(INPUTS)

    assert stalwart.write_count == 0
    assert created.outs["stalwart_id"] == domain_id and len(created.outs["dkim_keys"]) == 2


def test_different_existing_domain_is_refused_with_both_sides_shown(
    provider: DomainProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    client.create(
        "x:Domain", domain_object(dnsManagement={"@type": "Automatic", "dnsServerId": "99"}), "domain"
    )
    stalwart.claim_invalid_requests()  # (the DNS server id is not checked by this emulator)
    stalwart.forget_calls()

    with pytest.raises(ConflictError) as caught:
        provider.create(INPUTS)

    assert "dns_management='Automatic'" in str(caught.value) and "dns_management='Manual'" in str(
        caught.value
    )
    assert stalwart.write_count == 0


def test_drift_on_the_server_is_visible_to_refresh_and_repaired_by_update(
    provider: DomainProvider, client: StalwartClient
) -> None:
    created = provider.create(INPUTS)
    client.update(
        "x:Domain",
        created.outs["stalwart_id"],
        {"catchAllAddress": f"spam@{DOMAIN}", "isEnabled": False},
        "domain",
    )

    read = provider.read(created.id, created.outs)
    diff = provider.diff(created.id, read.outs, INPUTS)

    assert (read.outs["catch_all"], read.outs["enabled"]) == (f"spam@{DOMAIN}", False)
    assert diff.changes and not diff.replaces
    provider.update(created.id, read.outs, INPUTS)
    assert provider.read(created.id, read.outs).outs == created.outs


def test_domain_removed_on_the_server_reads_as_gone(provider: DomainProvider, client: StalwartClient) -> None:
    created = provider.create({**INPUTS, "purge": True})
    provider.delete(created.id, created.outs)

    assert provider.read(created.id, created.outs).id is None


def test_delete_without_purge_refuses_and_keeps_the_domain(
    provider: DomainProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    created = provider.create(INPUTS)
    stalwart.forget_calls()

    with pytest.raises(PurgeRequired, match=rf"refusing to delete domain {DOMAIN}.*purge: true"):
        provider.delete(created.id, created.outs)

    assert stalwart.write_count == 0 and client.find_domain(DOMAIN) is not None


def test_delete_of_an_unmarked_domain_says_how_to_mark_its_entry(provider: DomainProvider) -> None:
    created = provider.create(INPUTS)

    with pytest.raises(PurgeRequired) as refused:
        provider.delete(created.id, created.outs)

    assert str(refused.value) == (
        f"Stalwart: refusing to delete domain {DOMAIN} (and with it every mailbox on it): it holds mail that would "
        f"be lost for good. To delete it on purpose, set `purge: true` (on its entry in `domains.mail`: "
        f"`{{domain: {DOMAIN}, purge: true}}`, or on the deleted tenant), run `up` so the flag is recorded, then "
        "remove it from the tenant file."
    )


def test_delete_with_purge_removes_the_domain_and_its_keys(
    provider: DomainProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    created = provider.create({**INPUTS, "purge": True})

    provider.delete(created.id, created.outs)

    assert client.find_domain(DOMAIN) is None and stalwart.dkim_public_keys(DOMAIN) == {}
    provider.delete(created.id, created.outs)  # already gone: not an error


def test_keys_that_never_come_fail_with_a_clear_message(
    provider: DomainProvider, stalwart: StalwartEmulator
) -> None:
    stalwart.dkim_tasks_paused = True
    provider.settings = replace(provider.settings, dkim_wait=0.2)

    with pytest.raises(
        TimeoutError, match=rf"domain {DOMAIN} has no DKIM key for ed25519, rsa.*run `up` again"
    ):
        provider.create(INPUTS)


def test_invalid_inputs_fail_the_check(provider: DomainProvider) -> None:
    failures = provider.check({}, {**INPUTS, "domain": "not a domain", "catch_all": "nobody"}).failures

    assert {f.property for f in failures} == {"domain", "catch_all"}


def test_a_lost_reply_on_create_leaves_one_domain(
    provider: DomainProvider, client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    stalwart.lose_reply("x:Domain/set")

    created = provider.create(INPUTS)

    assert client.query("x:Domain", {}) == [created.outs["stalwart_id"]]
    assert len(created.outs["dkim_keys"]) == 2
    stalwart.claim_invalid_requests()


def test_a_purge_of_a_domain_still_in_use_is_refused_and_keeps_its_dkim_keys(
    provider: DomainProvider, client: StalwartClient
) -> None:
    created = provider.create({**INPUTS, "purge": True})
    client.create(
        "x:Account", {"@type": "Group", "name": "office", "domainId": created.outs["stalwart_id"]}, "group"
    )

    with pytest.raises(JmapError, match=r"objectIsLinked.*still used by Account"):
        provider.delete(created.id, created.outs)

    assert provider.read(created.id, created.outs).outs["dkim_keys"] == created.outs["dkim_keys"]
