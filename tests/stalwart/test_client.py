"""The JMAP client against the emulator: each object kind, batching, paging and how errors are reported."""

from __future__ import annotations

import httpx
import pytest

from components.common.http import ApiError
from components.stalwart import client as client_module
from components.stalwart.client import Change, JmapError, MethodCall, StalwartClient, StalwartSettings
from tests.emulators.stalwart import RECOVERY_ADMIN, StalwartEmulator

from .conftest import DOMAIN, domain_object


def test_domain_is_created_found_updated_and_destroyed(client: StalwartClient) -> None:
    domain_id = client.create("x:Domain", domain_object(), f"domain {DOMAIN}")

    found = client.find_domain(DOMAIN)
    assert found is not None and found["id"] == domain_id
    assert found["dkimManagement"]["rotateAfter"] == 90 * 24 * 3600 * 1000, "server defaults are filled in"

    client.update("x:Domain", domain_id, {"catchAllAddress": f"info@{DOMAIN}"}, f"domain {DOMAIN}")
    assert client.find_domain(DOMAIN)["catchAllAddress"] == f"info@{DOMAIN}"  # type: ignore[index]

    while len(signatures := client.dkim_signatures(domain_id)) < 2:  # the RSA key comes after the Ed25519 one
        pass
    client.change(
        Change("x:DkimSignature", "DKIM keys", destroy=tuple(s["id"] for s in signatures)),
        Change("x:Domain", f"domain {DOMAIN}", destroy=(domain_id,)),
    )
    assert client.find_domain(DOMAIN) is None


def test_dkim_signatures_of_a_domain_are_read(
    client: StalwartClient, domain_id: str, stalwart: StalwartEmulator
) -> None:
    signatures = client.dkim_signatures(domain_id)

    assert {(s["@type"], s["selector"], s["publicKey"]) for s in signatures} == {
        (kind, selector, key) for selector, (kind, key) in stalwart.dkim_public_keys(DOMAIN).items()
    }


def test_user_and_group_accounts_are_created_and_found(client: StalwartClient, domain_id: str) -> None:
    group_id = client.create(
        "x:Account", {"@type": "Group", "name": "office", "domainId": domain_id}, "group"
    )
    user_id = client.create(
        "x:Account",
        {"@type": "User", "name": "ida", "domainId": domain_id, "memberGroupIds": {group_id: True}},
        "account ida",
    )

    user = client.find_account(domain_id, "ida")
    assert user is not None and (user["id"], user["emailAddress"]) == (user_id, f"ida@{DOMAIN}")
    assert user["memberGroupIds"] == {group_id: True}
    assert client.find_account(domain_id, "office")["@type"] == "Group"  # type: ignore[index]
    assert client.find_account(domain_id, "id") is None, "a word match is not an account match"


def test_mailing_list_is_found_by_its_exact_address(client: StalwartClient, domain_id: str) -> None:
    client.create(
        "x:MailingList",
        {"name": "team", "domainId": domain_id, "recipients": {f"ida@{DOMAIN}": True}},
        "list",
    )
    client.create(
        "x:MailingList",
        {"name": "team-old", "domainId": domain_id, "recipients": {f"ida@{DOMAIN}": True}},
        "list",
    )

    found = client.find_mailing_list(f"team@{DOMAIN}")

    assert found is not None and found["emailAddress"] == f"team@{DOMAIN}"


def test_several_searches_take_one_round_trip(
    client: StalwartClient, domain_id: str, stalwart: StalwartEmulator
) -> None:
    stalwart.forget_calls()

    domains, signatures = client.find(
        [("x:Domain", {"name": DOMAIN}), ("x:DkimSignature", {"domainId": domain_id})]
    )

    assert [d["name"] for d in domains] == [DOMAIN] and len(signatures) == 2
    assert len(stalwart.calls) == 1
    assert stalwart.calls[0].methods == (
        "x:Domain/query",
        "x:Domain/get",
        "x:DkimSignature/query",
        "x:DkimSignature/get",
    )


def test_query_reads_every_page(
    client: StalwartClient, domain_id: str, monkeypatch: pytest.MonkeyPatch, stalwart: StalwartEmulator
) -> None:
    for n in range(5):
        client.create(
            "x:MailingList",
            {"name": f"list{n}", "domainId": domain_id, "recipients": {"a@b.de": True}},
            "list",
        )
    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
    stalwart.forget_calls()

    assert len(client.query("x:MailingList", {})) == 5
    assert len(stalwart.calls) == 3


def _lists(client: StalwartClient, domain_id: str, count: int, prefix: str = "list") -> list[str]:
    return [
        client.create(
            "x:MailingList",
            {"name": f"{prefix}{n}", "domainId": domain_id, "recipients": {"a@b.de": True}},
            "list",
        )
        for n in range(count)
    ]


def test_pages_past_the_first_return_every_object_exactly_once(
    client: StalwartClient, domain_id: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's default order pages wrongly (later pages repeat the first); the client sorts by id."""
    created = _lists(client, domain_id, 7)
    monkeypatch.setattr(client_module, "PAGE_SIZE", 3)

    ids = client.query("x:MailingList", {})

    assert sorted(ids) == sorted(created) and len(ids) == len(set(ids))


def test_the_default_order_loses_objects_past_the_first_page_as_the_real_server_does(
    client: StalwartClient, domain_id: str
) -> None:
    """What Stalwart 0.16.18 answers without `sort` (seen in the acceptance run): the emulator keeps the quirk,
    so a client that pages without sorting fails here as it would against the real server."""
    _lists(client, domain_id, 5)
    pages = [
        client.request(MethodCall("x:MailingList/query", {"position": p, "limit": 3}, "q"))[0]["ids"]
        for p in (0, 3)
    ]

    assert len(set(pages[0] + pages[1])) < 5


def test_find_with_more_matches_than_a_page_reads_them_all(
    client: StalwartClient, domain_id: str, monkeypatch: pytest.MonkeyPatch, stalwart: StalwartEmulator
) -> None:
    created = _lists(client, domain_id, 7, prefix="team")
    monkeypatch.setattr(client_module, "PAGE_SIZE", 3)
    stalwart.forget_calls()

    found = client.find([("x:MailingList", {"text": "team"}), ("x:Domain", {"name": DOMAIN})])

    assert sorted(m["id"] for m in found[0]) == sorted(created) and [d["name"] for d in found[1]] == [DOMAIN]
    assert len(stalwart.calls) == 3, "the first pages together, then one round trip per further page"


def test_a_get_of_more_ids_than_the_server_allows_is_split(client: StalwartClient, domain_id: str) -> None:
    created = _lists(client, domain_id, 3)

    assert sorted(m["id"] for m in client.get("x:MailingList", created * 200)) == sorted(created * 200)


def test_a_refused_destroy_names_the_objects_still_linked(client: StalwartClient, domain_id: str) -> None:
    account_id = client.create(
        "x:Account", {"@type": "User", "name": "ida", "domainId": domain_id}, "account ida"
    )

    with pytest.raises(JmapError) as caught:
        client.destroy("x:Domain", [domain_id], f"domain {DOMAIN}")

    assert caught.value.error_type == "objectIsLinked"
    assert f"still used by Account {account_id}" in str(caught.value)


def test_set_error_names_the_object_the_type_and_the_property(client: StalwartClient, domain_id: str) -> None:
    with pytest.raises(JmapError) as caught:
        client.create("x:Domain", domain_object(), f"domain {DOMAIN}")

    error = caught.value
    assert (error.error_type, error.subject, error.method) == (
        "primaryKeyViolation",
        f"domain {DOMAIN}",
        "x:Domain/set",
    )
    assert f"domain {DOMAIN}: primaryKeyViolation" in str(error) and "properties: name" in str(error)


def test_validation_errors_are_spelled_out(client: StalwartClient, stalwart: StalwartEmulator) -> None:
    with pytest.raises(JmapError, match=r"validationFailed .*name: Required"):
        client.create("x:Domain", {"isEnabled": True}, "domain without a name")
    stalwart.claim_invalid_requests()


def test_method_error_names_the_method_and_the_server_message(
    client: StalwartClient, stalwart: StalwartEmulator
) -> None:
    with pytest.raises(JmapError) as caught:
        client.request(MethodCall("x:Domain/query", {"filter": {"colour": "blue"}}, "q"))

    assert (caught.value.error_type, caught.value.method) == ("unsupportedFilter", "x:Domain/query")
    assert "not supported" in str(caught.value)
    stalwart.claim_invalid_requests()


def test_wrong_api_key_is_an_http_error_with_the_server_message(stalwart: StalwartEmulator) -> None:
    with (
        StalwartClient(StalwartSettings(stalwart.url, "not-the-key")) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.find_domain(DOMAIN)

    assert caught.value.status == 401
    assert "Unauthorized: You have to authenticate first." in caught.value.message
    assert "must be an API key" in caught.value.message
    stalwart.claim_invalid_requests()


def test_the_recovery_admin_password_signs_in_with_http_basic(stalwart: StalwartEmulator) -> None:
    _user, password = RECOVERY_ADMIN
    settings = StalwartSettings(stalwart.url, admin_password=password)

    with StalwartClient(settings) as client:
        assert client.find_domain(DOMAIN) is None

    assert password not in repr(settings)


def test_a_wrong_recovery_admin_password_is_refused_and_names_both_credentials(
    stalwart: StalwartEmulator,
) -> None:
    with (
        StalwartClient(StalwartSettings(stalwart.url, admin_password="wrong-password")) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.find_domain(DOMAIN)

    assert caught.value.status == 401
    assert "or dezky:stalwartAdminPassword the recovery admin's password" in caught.value.message
    assert "wrong-password" not in caught.value.message
    stalwart.claim_invalid_requests()


def test_settings_without_any_credential_are_refused() -> None:
    with pytest.raises(ValueError, match=r"dezky:stalwartToken .* or dezky:stalwartAdminPassword"):
        StalwartSettings("http://stalwart.invalid")


def test_a_secret_the_server_repeats_is_masked_in_the_error() -> None:
    def server(request: httpx.Request) -> httpx.Response:
        error = {"type": "invalidProperties", "description": "password 'hunter2hunter2' is in a breach list"}
        answer = {"accountId": "a", "notCreated": {"new": error}}
        return httpx.Response(
            200, json={"methodResponses": [["x:Account/set", answer, "s0"]], "sessionState": "0"}
        )

    settings = StalwartSettings("http://stalwart.invalid", "token")
    with (
        StalwartClient(settings, transport=httpx.MockTransport(server)) as client,
        pytest.raises(JmapError) as caught,
    ):
        client.create(
            "x:Account",
            {"credentials": {"0": {"@type": "Password", "secret": "hunter2hunter2"}}},
            "account ida",
        )

    assert "hunter2hunter2" not in str(caught.value) and "[secret]" in str(caught.value)


def test_an_answer_that_is_not_jmap_is_an_api_error() -> None:
    def proxy(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html>maintenance</html>")

    settings = StalwartSettings("http://stalwart.invalid", "token")
    with (
        StalwartClient(settings, transport=httpx.MockTransport(proxy)) as client,
        pytest.raises(ApiError, match="not a JMAP response"),
    ):
        client.find_domain(DOMAIN)
