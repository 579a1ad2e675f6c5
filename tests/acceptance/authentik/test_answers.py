"""The real server's own answers the emulator must give too: missing objects, pages, refusals, the engine.

Each is recorded (`DEZKY_RECORD=1`) and replayed against the emulator by the contract test.
"""

from __future__ import annotations

import uuid

import httpx
import pytest

from components.authentik import objects
from components.authentik.apps import PolicyBindingProvider
from components.authentik.provider import UserProvider
from components.common.http import ApiError

from .cases import binding_props, make_app, make_groups, members, portal, user_props
from .conftest import Tier


def test_a_missing_object_is_named_in_the_404(tier: Tier) -> None:
    with tier.client() as client:
        missing = client._send("GET", f"/core/groups/{uuid.uuid4()}/", ok_statuses=(404,))
        app = client.get_application(f"acc{tier.run}-nothing")

    assert missing.json() == {"detail": "No Group matches the given query."}
    assert app is None


def test_a_page_past_the_end_is_not_found_and_indexes_start_at_one(tier: Tier) -> None:
    t = tier.tenant()
    make_groups(tier, t)
    with tier.client() as client:
        first = client._send("GET", "/core/groups/", params={"name": members(t)}).json()["pagination"]
        past = client._send("GET", "/core/groups/", params={"page": 999}, ok_statuses=(404,))

    assert (first["count"], first["current"], first["start_index"], first["end_index"]) == (1, 1, 1, 1)
    assert (first["next"], first["previous"], first["total_pages"]) == (0, 0, 1)
    assert past.json() == {"detail": "Invalid page."}


def test_a_name_taken_is_refused_in_the_servers_words(tier: Tier) -> None:
    t = tier.tenant()
    make_groups(tier, t)
    with tier.client() as client, pytest.raises(ApiError) as caught:
        client.create_group({"name": members(t), "is_superuser": False})

    assert (caught.value.status, caught.value.message) == (400, "name: Group with this name already exists.")


def test_check_access_for_an_unknown_user_is_a_field_error(tier: Tier) -> None:
    t = tier.tenant()
    make_app(tier, t)
    with tier.client() as client, pytest.raises(ApiError) as caught:
        client.check_access(objects.app_slug(t, portal(t)), 99999999)

    assert (caught.value.status, caught.value.message) == (400, "for_user: User not found")


def test_the_policy_engine_asks_about_membership_not_whether_the_user_is_active(tier: Tier) -> None:
    # An inactive user still passes the group binding: the sign-in flow is what refuses it
    # (`test_access.test_a_suspended_user_cannot_sign_in_and_a_resumed_one_can`).
    t = tier.tenant()
    make_groups(tier, t)
    user = tier.provider(UserProvider).create({**user_props(t), "is_active": False}).outs
    make_app(tier, t)
    tier.provider(PolicyBindingProvider).create(binding_props(t))
    with tier.client() as client:
        assert client.check_access(objects.app_slug(t, portal(t)), user["pk"])["passing"] is True


def test_a_wrong_token_is_forbidden(server) -> None:  # type: ignore[no-untyped-def]
    # Not recorded: the replay sends the emulator's own token. The emulator's answer is tested alike in
    # `tests/authentik/test_emulator.py`.
    answer = httpx.get(f"{server.url}/api/v3/core/groups/", headers={"Authorization": "Bearer not-a-token"})

    assert (answer.status_code, answer.json()) == (403, {"detail": "Token invalid/expired"})
