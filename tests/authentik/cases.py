"""One case per Authentik object kind: its provider, inputs, what must exist first, and two hand-made changes.

`setup` creates what the object refers to (through the client, as earlier resources would have); `tamper`
changes the object by hand the way an admin in the UI would; `squat` makes a different object under the same
natural key before the program runs. `drift` is the input key the tamper changes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.authentik import objects
from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.client import AuthentikClient
from components.authentik.provider import AuthentikProvider, BrandProvider, GroupProvider, UserProvider
from dezky.tenants.model import TenantGroup

from .conftest import tenant

ACME = tenant("acme")
PORTAL = objects.tenant_apps(ACME)[0]
MEMBERS, ADMINS = (objects.group_name(ACME, g) for g in (TenantGroup.MEMBERS, TenantGroup.ADMINS))


def flow(client: AuthentikClient, slug: str) -> str:
    return next(f["pk"] for f in client.flows() if f["slug"] == slug)


def make_groups(client: AuthentikClient) -> None:
    for name in (MEMBERS, ADMINS):
        client.create_group({"name": name, "is_superuser": False})


def make_provider(client: AuthentikClient, **changes: Any) -> dict[str, Any]:
    request = {
        "name": objects.app_slug(ACME, PORTAL),
        "authorization_flow": flow(client, objects.AUTHORIZATION_FLOW),
        "invalidation_flow": flow(client, objects.INVALIDATION_FLOW),
        "redirect_uris": [{"matching_mode": "strict", "url": "https://elsewhere.example/cb"}],
        **changes,
    }
    return dict(client.create_oauth2_provider(request))  # type: ignore[arg-type]


def make_app(client: AuthentikClient, **changes: Any) -> dict[str, Any]:
    return dict(
        client.create_application({"name": "Portal", "slug": objects.app_slug(ACME, PORTAL), **changes})
    )  # type: ignore[typeddict-item]


def make_app_and_groups(client: AuthentikClient) -> None:
    make_groups(client)
    make_app(client)


def user_props() -> dict[str, Any]:
    anna = ACME.users[0]
    return {
        **objects.user_props(ACME, anna),
        "groups": [MEMBERS, ADMINS],
        "managed_groups": [MEMBERS, ADMINS],
    }


def binding(client: AuthentikClient) -> dict[str, Any]:
    app = client.get_application(objects.app_slug(ACME, PORTAL))
    return client.list_bindings(app["pk"])[0]  # type: ignore[index, return-value]


def squat_binding(client: AuthentikClient) -> None:
    make_app_and_groups(client)
    app, group = client.get_application(objects.app_slug(ACME, PORTAL)), client.find_group(MEMBERS)
    client.create_binding({"target": app["pk"], "group": group["pk"], "order": 0, "negate": True})  # type: ignore[index, typeddict-item]


@dataclass(frozen=True)
class Case:
    name: str
    provider: Callable[[], AuthentikProvider]
    props: Callable[[], dict[str, Any]]
    setup: Callable[[AuthentikClient], Any]
    tamper: Callable[[AuthentikClient], Any]
    squat: Callable[[AuthentikClient], Any]
    drift: str

    def __str__(self) -> str:
        return self.name


def _nothing(client: AuthentikClient) -> None:
    return None


CASES = [
    Case(
        "brand",
        BrandProvider,
        lambda: objects.brand_props(ACME),
        _nothing,
        lambda c: c.update_brand(c.find_brand("portal.acme.dezky.eu")["brand_uuid"], {"branding_title": "x"}),  # type: ignore[index, typeddict-item]
        lambda c: c.create_brand({"domain": "portal.acme.dezky.eu", "branding_title": "Someone else"}),  # type: ignore[typeddict-item]
        "branding_title",
    ),
    Case(
        "group",
        GroupProvider,
        lambda: objects.group_props(ACME, TenantGroup.MEMBERS),
        _nothing,
        lambda c: c.update_group(c.find_group(MEMBERS)["pk"], {"is_superuser": True}),  # type: ignore[index, typeddict-item]
        lambda c: c.create_group({"name": MEMBERS, "is_superuser": True}),
        "is_superuser",
    ),
    Case(
        "user",
        UserProvider,
        user_props,
        make_groups,
        lambda c: c.update_user(c.find_user(ACME.users[0].email)["pk"], {"is_active": False}),  # type: ignore[index, typeddict-item]
        lambda c: (
            make_groups(c),
            c.create_user({**objects.user_props(ACME, ACME.users[0]), "name": "Someone else"}),  # type: ignore[typeddict-item]
        ),
        "is_active",
    ),
    Case(
        "oauth2 provider",
        OAuth2ProviderProvider,
        lambda: objects.oauth2_provider_props(ACME, PORTAL),
        _nothing,
        lambda c: c.update_oauth2_provider(
            c.find_oauth2_provider("acme-portal")["pk"], {"access_token_validity": "hours=8"}
        ),  # type: ignore[index, typeddict-item]
        make_provider,
        "access_token_validity",
    ),
    Case(
        "application",
        ApplicationProvider,
        lambda: {**objects.application_props(ACME, PORTAL), "provider": "acme-portal"},
        lambda c: make_provider(
            c, redirect_uris=[{"matching_mode": "strict", "url": "https://portal.acme.dezky.eu/cb"}]
        ),
        lambda c: c.update_application("acme-portal", {"meta_launch_url": "https://evil.example/"}),  # type: ignore[typeddict-item]
        lambda c: make_app(c, name="Someone else's portal"),
        "meta_launch_url",
    ),
    Case(
        "policy binding",
        PolicyBindingProvider,
        lambda: {**objects.binding_props(), "application": "acme-portal", "group": MEMBERS},
        make_app_and_groups,
        lambda c: c.update_binding(
            binding(c)["pk"], {"negate": True, "target": binding(c)["target"], "group": binding(c)["group"]}
        ),  # type: ignore[typeddict-item]
        squat_binding,
        "negate",
    ),
]
