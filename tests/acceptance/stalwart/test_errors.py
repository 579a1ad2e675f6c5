"""How a real Stalwart 0.16 refuses what it refuses: the answers the client and the emulator must agree with.

Raw JMAP requests through the recording proxy, so the contract test holds the emulator to each answer.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from components.stalwart.client import USING
from components.stalwart.provider import DomainProvider

from .conftest import Tier
from .test_domains import inputs as domain_inputs

CORE = USING[0]


@pytest.fixture
def raw(tier: Tier) -> httpx.Client:
    return httpx.Client(
        base_url=tier.rec.url, headers={"Authorization": f"Bearer {tier.server.token}"}, timeout=60
    )


def call(
    raw: httpx.Client, name: str, arguments: dict[str, Any], using: tuple[str, ...] = USING
) -> list[Any]:
    response = raw.post("/jmap", json={"using": list(using), "methodCalls": [[name, arguments, "c"]]})
    assert response.status_code == 200, response.text
    return response.json()["methodResponses"][0]


def test_request_level_checks_are_loose(raw: httpx.Client) -> None:
    unknown = raw.post("/jmap", json={"using": [CORE, "urn:example:nope"], "methodCalls": []})
    assert unknown.status_code == 400 and unknown.json()["type"] == "urn:ietf:params:jmap:error:notRequest"

    assert call(raw, "x:Domain/get", {"ids": []}, using=(CORE,))[0] == "x:Domain/get", "no urn:stalwart:jmap"
    assert call(raw, "x:Domain/get", {"ids": [], "limit": 3, "properties": ["colour"]})[0] == "x:Domain/get"
    assert call(raw, "x:Domain/frobnicate", {}) == ["error", {"type": "unknownMethod",
                                                               "description": "x:Domain/frobnicate"}, "c"]  # fmt: skip
    assert call(raw, "x:MailingList/query", {"filter": {"domainId": "b"}})[1]["type"] == "unsupportedFilter"
    assert call(raw, "x:Domain/get", {"ids": [f"x{n}" for n in range(501)]})[1]["type"] == "requestTooLarge"


def test_set_errors_name_the_property_not_the_member(tier: Tier, raw: httpx.Client) -> None:
    domain = tier.domain()
    domain_id = tier.provider(DomainProvider).create(domain_inputs(domain)).outs["stalwart_id"]
    user = {"@type": "User", "name": "ida", "domainId": domain_id}
    cases = [
        ({"@type": "User", "name": "ida", "domainId": domain_id, "colour": "blue"}, "invalidPatch", [""]),
        ({"name": "ida", "domainId": domain_id}, "invalidPatch", [""]),
        ({**user, "quotas": {"maxDiskSpace": 5}}, "invalidPatch", ["quotas"]),
        ({**user, "quotas": {"maxDiskQuota": -5}}, "invalidPatch", ["quotas"]),
        ({**user, "memberGroupIds": {"7": 1}}, "invalidPatch", ["memberGroupIds"]),
        ({**user, "aliases": [{"name": "info", "domainId": domain_id}]}, "invalidPatch", ["aliases"]),
        ({**user, "emailAddress": f"ida@{domain}"}, "invalidPatch", ["emailAddress"]),
        (
            {"@type": "Group", "name": "g", "domainId": domain_id, "credentials": {}},
            "invalidPatch",
            ["credentials"],
        ),
    ]
    for value, error_type, properties in cases:
        error = call(raw, "x:Account/set", {"create": {"a": value}})[1]["notCreated"]["a"]
        assert (error["type"], error.get("properties")) == (error_type, properties), value

    # Passwords are scrubbed from recordings (and replayed as a strong one): weak ones are tried unrecorded.
    with httpx.Client(base_url=tier.server.url, headers=raw.headers, timeout=60) as direct:
        for secret, words in (("abc", "Password must be at least 8"), ("password1", "Password is too weak.")):
            value = {**user, "credentials": {"0": {"@type": "Password", "secret": secret}}}
            error = call(direct, "x:Account/set", {"create": {"a": value}})[1]["notCreated"]["a"]
            assert (error["type"], error["properties"]) == ("invalidProperties", ["secret"])
            assert error["description"].startswith(words)

    missing = call(raw, "x:Account/set", {"create": {"a": {"@type": "User"}}})[1]["notCreated"]["a"]
    assert missing["validationErrors"] == [{"type": "Required", "property": p} for p in ("name", "domainId")]
    group = call(raw, "x:Account/set", {"create": {"a": {**user, "memberGroupIds": {"zzzz": True}}}})
    assert group[1]["notCreated"]["a"] == {"type": "invalidForeignKey", "objectId": {"object": "Account",
                                                                                     "id": "zzzz"}}  # fmt: skip


def test_domain_names_need_a_known_suffix_and_list_recipients_are_taken_as_they_are(
    tier: Tier, raw: httpx.Client
) -> None:
    error = call(raw, "x:Domain/set", {"create": {"d": {"name": f"nordlicht-{tier.run}.notatld"}}})
    assert error[1]["notCreated"]["d"] == {"type": "invalidPatch", "description": "Invalid domain name",
                                           "properties": ["name"]}  # fmt: skip
    domain = tier.domain()
    domain_id = tier.provider(DomainProvider).create(domain_inputs(domain)).outs["stalwart_id"]

    created = call(raw, "x:MailingList/set", {"create": {"l": {
        "name": "team", "domainId": domain_id, "recipients": {"not-an-address": True}}}})  # fmt: skip

    assert "l" in created[1]["created"], "the server does not check recipients: the provider must"
    clash = call(
        raw, "x:Account/set", {"create": {"a": {"@type": "Group", "name": "team", "domainId": domain_id}}}
    )
    error = clash[1]["notCreated"]["a"]
    assert (error["type"], error["properties"], error["objectId"]["object"]) == (
        "primaryKeyViolation", ["email"], "MailingList",
    )  # fmt: skip
