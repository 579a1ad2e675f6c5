"""The client against the emulator: each object's lifecycle, lookups, paging and the server's field errors."""

from __future__ import annotations

import pytest

from components.authentik import client as client_module
from components.authentik.client import AuthentikClient
from components.common.http import ApiError
from tests.emulators.authentik import AuthentikEmulator


def flow(client: AuthentikClient, slug: str) -> str:
    return next(f["pk"] for f in client.flows() if f["slug"] == slug)


def user_request(username: str, path: str = "tenants/acme", is_active: bool = True) -> dict:
    return {
        "username": username,
        "name": "Anna",
        "email": username,
        "path": path,
        "is_active": is_active,
        "type": "internal",
    }


def provider_request(client: AuthentikClient, name: str = "acme-portal") -> dict:
    return {
        "name": name,
        "authorization_flow": flow(client, "default-provider-authorization-implicit-consent"),
        "invalidation_flow": flow(client, "default-provider-invalidation-flow"),
        "redirect_uris": [{"matching_mode": "strict", "url": "https://portal.acme.dezky.eu/oauth2/callback"}],
    }


def test_brand_is_created_found_by_domain_updated_and_deleted(client: AuthentikClient) -> None:
    brand = client.create_brand(
        {
            "domain": "portal.acme.dezky.eu",
            "default": False,
            "branding_title": "ACME",
            "branding_logo": "https://acme.de/logo.svg",
            "branding_favicon": "/static/dist/assets/icons/icon.png",
            "flow_authentication": flow(client, "default-authentication-flow"),
            "flow_invalidation": None,
            "flow_user_settings": None,
        }
    )

    assert client.find_brand("portal.acme.dezky.eu") == brand
    updated = client.update_brand(brand["brand_uuid"], {**brand, "branding_title": "ACME Arbeitsplatz"})
    assert updated["branding_title"] == "ACME Arbeitsplatz"
    client.delete_brand(brand["brand_uuid"])
    assert client.find_brand("portal.acme.dezky.eu") is None


def test_group_membership_is_added_and_removed_and_shows_on_the_user(client: AuthentikClient) -> None:
    group = client.create_group({"name": "acme-members", "is_superuser": False})
    user = client.create_user(user_request("anna@acme.de"))

    client.add_user_to_group(group["pk"], user["pk"])
    assert [g["name"] for g in client.find_user("anna@acme.de")["groups_obj"]] == ["acme-members"]
    client.remove_user_from_group(group["pk"], user["pk"])
    assert client.find_user("anna@acme.de")["groups_obj"] == []

    client.delete_group(group["pk"])
    assert client.find_group("acme-members") is None


def test_user_is_created_updated_and_deleted(client: AuthentikClient) -> None:
    user = client.create_user(user_request("anna@acme.de"))

    updated = client.update_user(user["pk"], {**user_request("anna@acme.de"), "is_active": False})
    assert updated["is_active"] is False and updated["path"] == "tenants/acme"
    client.delete_user(user["pk"])
    assert client.find_user("anna@acme.de") is None


def test_oauth2_provider_gets_generated_credentials_and_server_defaults(client: AuthentikClient) -> None:
    provider = client.create_oauth2_provider(provider_request(client))  # type: ignore[arg-type]

    assert len(provider["client_id"]) == 40 and len(provider["client_secret"]) == 128
    assert provider["access_token_validity"] == "hours=1" and provider["client_type"] == "confidential"
    assert provider["redirect_uris"][0]["redirect_uri_type"] == "authorization"
    updated = client.update_oauth2_provider(
        provider["pk"], {**provider, "access_token_validity": "minutes=30"}
    )
    assert (
        updated["access_token_validity"] == "minutes=30"
        and updated["client_secret"] == provider["client_secret"]
    )
    client.delete_oauth2_provider(provider["pk"])
    assert client.find_oauth2_provider("acme-portal") is None


def test_application_is_created_with_its_provider_updated_and_deleted(client: AuthentikClient) -> None:
    provider = client.create_oauth2_provider(provider_request(client))  # type: ignore[arg-type]
    app = client.create_application(
        {
            "name": "Portal",
            "slug": "acme-portal",
            "provider": provider["pk"],
            "meta_launch_url": "https://portal.acme.dezky.eu/",
        }  # type: ignore[typeddict-item]
    )

    assert client.get_application("acme-portal") == app
    assert app["provider_obj"]["name"] == "acme-portal"
    assert client.update_application("acme-portal", {**app, "name": "ACME Portal"})["name"] == "ACME Portal"
    client.delete_application("acme-portal")
    assert client.get_application("acme-portal") is None


def test_binding_is_created_listed_by_target_updated_and_deleted(client: AuthentikClient) -> None:
    group = client.create_group({"name": "acme-members", "is_superuser": False})
    app = client.create_application({"name": "Portal", "slug": "acme-portal"})  # type: ignore[typeddict-item]
    binding = client.create_binding({"target": app["pk"], "group": group["pk"], "order": 0})  # type: ignore[typeddict-item]

    assert client.list_bindings(app["pk"]) == [binding]
    assert binding["group_obj"]["name"] == "acme-members" and binding["enabled"] is True
    assert client.update_binding(binding["pk"], {**binding, "order": 10})["order"] == 10
    client.delete_binding(binding["pk"])
    assert client.list_bindings(app["pk"]) == []


def test_lookups_of_missing_objects_answer_none_and_deleting_them_is_not_an_error(
    client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    assert client.find_brand("nowhere.example") is None
    assert client.find_group("nobody") is None
    assert client.find_user("nobody@example.com") is None
    assert client.find_oauth2_provider("nothing") is None
    assert client.get_application("nothing") is None
    client.delete_application("nothing")
    client.delete_user(999)
    assert authentik.invalid_requests == []


def test_listing_follows_the_pages_until_next_is_zero(
    client: AuthentikClient, authentik: AuthentikEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in range(5):
        client.create_user(user_request(f"user{number}@acme.de"))
    monkeypatch.setattr(client_module, "PAGE_SIZE", 2)
    authentik.calls.clear()

    users = client.list_users("tenants/acme")

    assert [u["username"] for u in users] == [f"user{n}@acme.de" for n in range(5)]
    assert [c.query["page"] for c in authentik.calls] == ["1", "2", "3"]


def test_a_duplicate_is_refused_with_a_message_naming_the_field(
    client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    client.create_user(user_request("anna@acme.de"))

    with pytest.raises(ApiError) as caught:
        client.create_user(user_request("anna@acme.de"))

    assert caught.value.status == 400
    assert caught.value.message == "username: This field must be unique."  # as 2026.5.0-rc1 says
    assert [(i.method, i.path) for i in authentik.claim_invalid_requests()] == [("POST", "/core/users/")]


def test_an_error_inside_a_list_names_the_item_and_its_field(
    client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    request = provider_request(client)
    request["redirect_uris"] = [
        request["redirect_uris"][0],
        {"matching_mode": "fuzzy", "url": "https://x.de/"},
    ]

    with pytest.raises(ApiError) as caught:
        client.create_oauth2_provider(request)  # type: ignore[arg-type]

    assert caught.value.message.startswith("redirect_uris.1.matching_mode: ")
    assert len(authentik.claim_invalid_requests()) == 1
