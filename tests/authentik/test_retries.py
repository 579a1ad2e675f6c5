"""Transient failures are retried through the shared `send`; a lost reply to a create does not duplicate."""

from __future__ import annotations

import pytest

from components.authentik.apps import PolicyBindingProvider
from components.authentik.client import AuthentikClient, AuthentikSettings
from components.authentik.provider import GroupProvider
from components.common.http import ApiError
from tests.emulators.authentik import AuthentikEmulator


def statuses(authentik: AuthentikEmulator, method: str, path: str) -> list[int | None]:
    return [c.status for c in authentik.calls if (c.method, c.path) == (method, path)]


def test_rate_limited_call_is_retried_after_the_time_the_server_asks(
    client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    authentik.fail_next("POST", "/core/groups/", "429")

    client.create_group({"name": "acme-members", "is_superuser": False})

    limited, retried = [c for c in authentik.calls if (c.method, c.path) == ("POST", "/core/groups/")]
    assert (limited.status, retried.status) == (429, 201)
    assert retried.at - limited.at >= 1.0


def test_unavailable_server_is_retried(client: AuthentikClient, authentik: AuthentikEmulator) -> None:
    authentik.fail_next("GET", "/core/users/", "503", times=2)

    assert client.find_user("akadmin") is not None
    assert statuses(authentik, "GET", "/core/users/") == [503, 503, 200]


def test_call_that_hangs_past_the_timeout_is_retried(
    settings: AuthentikSettings, authentik: AuthentikEmulator
) -> None:
    authentik.hang_seconds = 1.0
    authentik.fail_next("GET", "/core/groups/", "hang")
    quick = AuthentikSettings(settings.url, settings.token, request_timeout=0.2)

    with AuthentikClient(quick) as client:
        assert client.find_group("authentik Admins") is not None

    assert statuses(authentik, "GET", "/core/groups/") == [None, 200]


def test_dropped_connection_is_retried(client: AuthentikClient, authentik: AuthentikEmulator) -> None:
    group = client.create_group({"name": "acme-members", "is_superuser": False})
    authentik.fail_next("DELETE", "/core/groups/*/", "drop")

    client.delete_group(group["pk"])

    assert statuses(authentik, "DELETE", f"/core/groups/{group['pk']}/") == [None, 204]
    assert client.find_group("acme-members") is None


def test_create_whose_reply_was_lost_takes_the_object_it_made(
    configured, authentik: AuthentikEmulator
) -> None:
    authentik.fail_next("POST", "/core/groups/", "lost_reply")
    provider = configured(GroupProvider())

    result = provider.create({"name": "acme-members", "is_superuser": False})

    assert statuses(authentik, "POST", "/core/groups/") == [None]  # made; looked up instead of resent
    assert (
        result.outs["group_uuid"]
        == next(iter(g for g in authentik.instance.groups.values() if g["name"] == "acme-members"))["pk"]
    )


def test_a_lost_reply_to_a_binding_create_leaves_one_binding(
    configured, client: AuthentikClient, authentik: AuthentikEmulator
) -> None:
    # Authentik accepts identical bindings (no uniqueness error to recover from): only the look-up helps.
    group = client.create_group({"name": "acme-members", "is_superuser": False})
    app = client.create_application({"name": "Portal", "slug": "acme-portal"})  # type: ignore[typeddict-item]
    authentik.fail_next("POST", "/policies/bindings/", "lost_reply", times=3)
    provider = configured(PolicyBindingProvider())
    props = {"application": "acme-portal", "group": "acme-members", "order": 0}

    provider.create(props)

    assert statuses(authentik, "POST", "/policies/bindings/") == [None]
    assert [b["group"] for b in client.list_bindings(app["pk"])] == [group["pk"]]


def test_a_create_that_is_lost_and_not_made_is_sent_again(configured, authentik: AuthentikEmulator) -> None:
    authentik.fail_next("POST", "/core/groups/", "drop")
    provider = configured(GroupProvider())

    provider.create({"name": "acme-members", "is_superuser": False})

    assert statuses(authentik, "POST", "/core/groups/") == [None, 201]


def test_wrong_token_is_refused_without_retrying_or_showing_it(
    settings: AuthentikSettings, authentik: AuthentikEmulator
) -> None:
    secret = "not-the-emulator-token-4f9c"
    wrong = AuthentikSettings(settings.url, secret)

    with AuthentikClient(wrong) as client, pytest.raises(ApiError) as caught:
        client.find_group("acme-members")

    assert caught.value.status == 403 and caught.value.message == "Token invalid/expired"
    assert secret not in str(caught.value) and secret not in repr(wrong) and secret not in repr(client)
    assert [i.status for i in authentik.claim_invalid_requests()] == [403]
