"""The emulator is only worth trusting if it refuses what Stalwart's registry refuses and checks its own answers."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.emulators.stalwart import TOKEN, StalwartEmulator
from tests.emulators.stalwart_jmap import CORE, STALWART

from .conftest import DOMAIN, domain_object


@pytest.fixture
def raw(stalwart: StalwartEmulator) -> httpx.Client:
    return httpx.Client(base_url=stalwart.url, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=5)


def call(
    raw: httpx.Client, name: str, arguments: dict[str, Any], using: tuple[str, ...] = (CORE, STALWART)
) -> Any:
    response = raw.post("/jmap", json={"using": list(using), "methodCalls": [[name, arguments, "c0"]]})
    response.raise_for_status()
    return response.json()["methodResponses"][0]


def create(raw: httpx.Client, object_name: str, value: dict[str, Any]) -> dict[str, Any]:
    _, answer, _ = call(raw, f"{object_name}/set", {"create": {"new": value}})
    return answer.get("notCreated", {}).get("new") or answer["created"]["new"]


USER = {"@type": "User", "name": "ida", "domainId": "1"}


@pytest.mark.parametrize(
    ("object_name", "value", "error_type", "where"),
    [
        ("x:Domain", {"name": "a.de", "colour": "blue"}, "invalidPatch", [""]),
        ("x:Domain", {"name": "a.de", "isEnabled": "yes"}, "invalidPatch", ["isEnabled"]),
        ("x:Domain", {"name": ""}, "invalidPatch", ["name"]),
        (
            "x:Domain",
            {"name": "a.de", "dnsManagement": {"@type": "Sometimes"}},
            "invalidPatch",
            ["dnsManagement"],
        ),
        ("x:Domain", {"name": "a.de", "dnsZoneFile": "x"}, "invalidPatch", ["dnsZoneFile"]),
        ("x:Domain", {"isEnabled": True}, "validationFailed", None),
        ("x:Account", {"name": "ida", "domainId": "1"}, "invalidPatch", [""]),
        ("x:Account", {**USER, "quotas": {"maxDiskSpace": 5}}, "invalidPatch", ["quotas"]),
        ("x:Account", {**USER, "quotas": {"maxDiskQuota": -5}}, "invalidPatch", ["quotas"]),
        ("x:Account", {**USER, "aliases": [{"name": "info", "domainId": "1"}]}, "invalidPatch", ["aliases"]),
        ("x:Account", {**USER, "emailAddress": "ida@nordlicht.de"}, "invalidPatch", ["emailAddress"]),
        ("x:Account", {**USER, "memberGroupIds": {"7": 1}}, "invalidPatch", ["memberGroupIds"]),
        (
            "x:Account",
            {"@type": "Group", "name": "team", "domainId": "1", "credentials": {}},
            "invalidPatch",
            ["credentials"],
        ),
        ("x:MailingList", {"name": "team", "recipients": {"a@b.de": True}}, "validationFailed", None),
        ("x:Domain", {"name": "nordlicht.notatld"}, "invalidPatch", ["name"]),
    ],
)
def test_emulator_rejects_objects_the_registry_rejects(
    raw: httpx.Client,
    stalwart: StalwartEmulator,
    object_name: str,
    value: dict[str, Any],
    error_type: str,
    where: list[str] | None,
) -> None:
    create(raw, "x:Domain", domain_object())

    error = create(raw, object_name, value)

    assert error["type"] == error_type
    assert error.get("properties") == where
    assert [r.error["type"] for r in stalwart.claim_invalid_requests()] == [error_type]


def test_mailing_list_recipients_are_not_checked_as_addresses(raw: httpx.Client) -> None:
    """Stalwart 0.16.18 stores whatever recipients it is given; the providers check them (`normalise_email`)."""
    domain_id = create(raw, "x:Domain", domain_object())["id"]

    created = create(
        raw, "x:MailingList", {"name": "team", "domainId": domain_id, "recipients": {"not-an-address": True}}
    )

    assert "id" in created


def test_weak_and_short_passwords_are_refused(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    domain_id = create(raw, "x:Domain", domain_object())["id"]

    def account(n: int, secret: str) -> dict[str, Any]:
        credentials = {"0": {"@type": "Password", "secret": secret}}
        return {"@type": "User", "name": f"u{n}", "domainId": domain_id, "credentials": credentials}

    errors = [create(raw, "x:Account", account(n, s)) for n, s in enumerate(("abc", "password1"))]

    assert [(e["type"], e["properties"], e["description"][:24]) for e in errors] == [
        ("invalidProperties", ["secret"], "Password must be at leas"),
        ("invalidProperties", ["secret"], "Password is too weak."),
    ]
    stalwart.claim_invalid_requests()


def test_missing_required_fields_are_named(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    error = create(raw, "x:Account", {"@type": "User"})

    assert error["validationErrors"] == [{"type": "Required", "property": p} for p in ("name", "domainId")]
    stalwart.claim_invalid_requests()


def test_unknown_method_is_a_method_error(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    assert call(raw, "x:Domain/frobnicate", {})[1]["type"] == "unknownMethod"
    assert len(stalwart.claim_invalid_requests()) == 1


def test_the_stalwart_capability_may_be_left_out(raw: httpx.Client) -> None:
    """Stalwart 0.16 serves its `x:` objects whether or not `using` names `urn:stalwart:jmap`."""
    assert call(raw, "x:Domain/get", {}, using=(CORE,))[0] == "x:Domain/get"


def test_an_unknown_capability_is_not_a_request(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    """The real server fails to parse `using` and answers `notRequest` (not RFC 8620's unknownCapability)."""
    response = raw.post("/jmap", json={"using": [CORE, "urn:example:nope"], "methodCalls": []})

    assert response.status_code == 400
    assert response.json()["type"] == "urn:ietf:params:jmap:error:notRequest"
    stalwart.claim_invalid_requests()


def test_unknown_arguments_and_properties_are_ignored_but_unknown_filters_refused(
    raw: httpx.Client, stalwart: StalwartEmulator
) -> None:
    assert call(raw, "x:Domain/get", {"ids": None, "limit": 3})[0] == "x:Domain/get"
    assert call(raw, "x:Domain/get", {"properties": ["colour"]})[0] == "x:Domain/get"
    assert call(raw, "x:MailingList/query", {"filter": {"domainId": "1"}})[1]["type"] == "unsupportedFilter"
    assert len(stalwart.claim_invalid_requests()) == 1


@pytest.mark.parametrize("authorization", [None, "Bearer not-an-api-key", "Basic YWRtaW46c2VjcmV0"])
def test_request_without_the_api_key_is_unauthorized(
    stalwart: StalwartEmulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(f"{stalwart.url}/jmap", json={"using": [CORE], "methodCalls": []}, headers=headers)

    assert response.status_code == 401
    assert response.json() == {
        "type": "about:blank", "status": 401, "title": "Unauthorized", "detail": "You have to authenticate first."
    }  # fmt: skip
    assert response.headers["WWW-Authenticate"].startswith('Bearer realm="Stalwart Server"')
    stalwart.claim_invalid_requests()


def test_second_domain_with_the_same_name_violates_the_primary_key(raw: httpx.Client) -> None:
    create(raw, "x:Domain", domain_object())

    assert create(raw, "x:Domain", domain_object())["type"] == "primaryKeyViolation"


def test_address_taken_by_an_alias_violates_the_primary_key(raw: httpx.Client) -> None:
    domain_id = create(raw, "x:Domain", domain_object())["id"]
    create(raw, "x:Account", {"@type": "User", "name": "ida", "domainId": domain_id,
                              "aliases": {"0": {"name": "info", "domainId": domain_id}}})  # fmt: skip

    error = create(
        raw, "x:MailingList", {"name": "info", "domainId": domain_id, "recipients": {"a@b.de": True}}
    )

    assert (error["type"], error["properties"]) == ("primaryKeyViolation", ["email"])
    assert error["objectId"]["object"] == "Account" and "description" not in error


def test_domain_still_used_by_an_account_cannot_be_destroyed(raw: httpx.Client) -> None:
    domain_id = create(raw, "x:Domain", domain_object())["id"]
    account_id = create(raw, "x:Account", {"@type": "User", "name": "ida", "domainId": domain_id})["id"]

    _, answer, _ = call(raw, "x:Domain/set", {"destroy": [domain_id]})

    assert answer["notDestroyed"][domain_id]["type"] == "objectIsLinked"
    error = answer["notDestroyed"][domain_id]
    assert error["objectId"] == {"object": "Domain", "id": domain_id}
    assert {"object": "Account", "id": account_id} in error["linkedObjects"]


def test_dkim_keys_appear_after_the_request_that_created_the_domain(
    raw: httpx.Client, stalwart: StalwartEmulator
) -> None:
    response = raw.post("/jmap", json={"using": [CORE, STALWART], "methodCalls": [
        ["x:Domain/set", {"create": {"d": domain_object()}}, "c0"],
        ["x:DkimSignature/get", {}, "c1"],
    ]})  # fmt: skip
    assert response.json()["methodResponses"][1][1]["list"] == []
    _, first, _ = call(raw, "x:DkimSignature/get", {})
    assert [s["@type"] for s in first["list"]] == ["Dkim1Ed25519Sha256"], (
        "the RSA key takes the server longer"
    )

    _, later, _ = call(raw, "x:DkimSignature/get", {})

    assert {(s["@type"], s["selector"]) for s in later["list"]} == {
        ("Dkim1Ed25519Sha256", "v1-ed25519"), ("Dkim1RsaSha256", "v1-rsa"),
    }  # fmt: skip
    assert {s["selector"]: s["publicKey"] for s in later["list"]} == {
        selector: key for selector, (_, key) in stalwart.dkim_public_keys(DOMAIN).items()
    }


def test_passwords_are_hashed_and_never_read_back(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    domain_id = create(raw, "x:Domain", domain_object())["id"]
    secret = "a long enough password"
    create(raw, "x:Account", {"@type": "User", "name": "ida", "domainId": domain_id,
                              "credentials": {"0": {"@type": "Password", "secret": secret}}})  # fmt: skip

    _, answer, _ = call(raw, "x:Account/get", {})

    assert secret not in str(answer)
    assert stalwart.can_authenticate(f"ida@{DOMAIN}", secret)
    assert not stalwart.can_authenticate(f"ida@{DOMAIN}", "a wrong password!")


def test_an_answer_that_breaks_the_registry_is_an_emulator_bug(
    raw: httpx.Client, stalwart: StalwartEmulator
) -> None:
    create(raw, "x:Domain", domain_object())
    stalwart.state.objects["x:Domain"]["1"]["isEnabled"] = "sometimes"  # an emulator bug, planted

    _, answer, _ = call(raw, "x:Domain/get", {})

    assert answer["type"] == "serverFail"
    assert len(stalwart.bugs) == 1 and "isEnabled" in stalwart.bugs[0]
    stalwart.bugs.clear()


def test_a_suspended_user_signing_in_is_forbidden(raw: httpx.Client, stalwart: StalwartEmulator) -> None:
    """As Stalwart 0.16.18 answers `GET /jmap/session` with Basic auth: 200, 401 for a wrong password, 403 for
    an account that may not `authenticate`."""
    domain_id = create(raw, "x:Domain", domain_object())["id"]
    secret = "a long enough password"
    account_id = create(raw, "x:Account", {"@type": "User", "name": "ida", "domainId": domain_id,
                                           "credentials": {"0": {"@type": "Password", "secret": secret}}})["id"]  # fmt: skip

    def sign_in(password: str) -> int:
        return httpx.get(f"{stalwart.url}/jmap/session", auth=(f"ida@{DOMAIN}", password)).status_code

    assert (sign_in(secret), sign_in("a wrong password!")) == (200, 401)
    suspended = {"@type": "Merge", "enabledPermissions": {}, "disabledPermissions": {"authenticate": True}}
    call(raw, "x:Account/set", {"update": {account_id: {"permissions": suspended}}})
    assert sign_in(secret) == 403
