"""A user whose address changed (`renamed_from`), through `AccountProvider`, against a real Stalwart 0.16: the
same account under the new address, its password and the mail in its mailbox kept."""

from __future__ import annotations

from typing import Any

import httpx

from components.stalwart.provider import AccountProvider, DomainProvider

from .conftest import Tier
from .test_accounts import user
from .test_domains import inputs as domain_inputs

MAIL = ["urn:ietf:params:jmap:core", "urn:ietf:params:jmap:mail"]


def as_user(tier: Tier, address: str, password: str, *calls: list[Any]) -> list[Any]:
    """JMAP method calls as the user, straight to the server (not recorded: the emulator has no user API)."""
    session = httpx.get(f"{tier.server.url}/jmap/session", auth=(address, password), timeout=30)
    session.raise_for_status()
    account = session.json()["primaryAccounts"]["urn:ietf:params:jmap:mail"]
    body = {
        "using": MAIL,
        "methodCalls": [[name, {"accountId": account, **args}, tag] for name, args, tag in calls],
    }
    api = tier.server.url + httpx.URL(session.json()["apiUrl"]).path  # the server names its public host
    answer = httpx.post(api, json=body, auth=(address, password), timeout=30)
    answer.raise_for_status()
    return answer.json()["methodResponses"]


def put_a_draft(tier: Tier, address: str, password: str) -> None:
    (mailboxes,) = as_user(tier, address, password, ["Mailbox/get", {}, "m"])
    drafts = next(box["id"] for box in mailboxes[1]["list"] if box.get("role") == "drafts")
    email = {
        "mailboxIds": {drafts: True}, "keywords": {"$draft": True}, "subject": "Angebot",
        "from": [{"email": address}], "bodyValues": {"b": {"value": "Hallo"}},
        "textBody": [{"partId": "b", "type": "text/plain"}],
    }  # fmt: skip
    (created,) = as_user(tier, address, password, ["Email/set", {"create": {"d": email}}, "e"])
    assert "d" in created[1].get("created", {}), created


def subjects(tier: Tier, address: str, password: str) -> list[str]:
    found = as_user(
        tier, address, password,
        ["Email/query", {}, "q"],
        ["Email/get", {"#ids": {"resultOf": "q", "name": "Email/query", "path": "/ids"}, "properties": ["subject"]},
         "g"],
    )  # fmt: skip
    return [email["subject"] for email in found[1][1]["list"]]


def test_a_renamed_user_signs_in_under_the_new_address_with_the_same_password_and_mail(tier: Tier) -> None:
    domain = tier.domain()
    tier.provider(DomainProvider).create(domain_inputs(domain, purge=True))
    provider = tier.provider(AccountProvider)
    old, new = f"ida@{domain}", f"ida.berg@{domain}"
    created = provider.create(user(old))
    password = tier.rec.secret(created.outs["password"])
    put_a_draft(tier, old, password)
    renamed = user(new, renamed_from=old, aliases=[old])

    diff = provider.diff(created.id, created.outs, renamed)
    updated = provider.update(created.id, created.outs, renamed)
    mark = tier.mark()
    read = provider.read(created.id, updated.outs)

    assert diff.replaces == [] and updated.outs["stalwart_id"] == created.outs["stalwart_id"]
    assert read.outs["address"] == new and read.outs["aliases"] == [old]
    assert not provider.diff(created.id, read.outs, renamed).changes and tier.sets(mark) == 0
    assert tier.sign_in(new, password) == 200
    assert subjects(tier, new, password) == ["Angebot"]


def test_a_create_with_renamed_from_renames_the_existing_account(tier: Tier) -> None:
    domain = tier.domain()
    tier.provider(DomainProvider).create(domain_inputs(domain, purge=True))
    provider = tier.provider(AccountProvider)
    old, new = f"ida@{domain}", f"ida.berg@{domain}"
    first = provider.create(user(old))
    password = tier.rec.secret(first.outs["password"])

    created = provider.create(user(new, renamed_from=old))

    assert created.id == new and created.outs["stalwart_id"] == first.outs["stalwart_id"]
    assert tier.sign_in(new, password) == 200
