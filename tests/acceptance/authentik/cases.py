"""One case per Authentik object kind, for a tenant of the test's own: the provider, the declared inputs, what
must exist first, a change made by hand, a foreign object under the same natural key, and how to count the
objects of that key on the server (for the lost-reply check).

The same shape as `tests/authentik/cases.py` (which runs against the emulator with fixed names), with every
name derived from the tenant so the real server can hold many runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from components.authentik import objects
from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.client import AuthentikClient
from components.authentik.provider import AuthentikProvider, BrandProvider, GroupProvider, UserProvider
from dezky.tenants.model import Tenant, TenantGroup

from .conftest import Tier


def portal(t: Tenant) -> objects.TenantApp:
    return objects.tenant_apps(t)[0]


def members(t: Tenant) -> str:
    return objects.group_name(t, TenantGroup.MEMBERS)


def admins(t: Tenant) -> str:
    return objects.group_name(t, TenantGroup.ADMINS)


def user_props(t: Tenant, index: int = 0) -> dict[str, Any]:
    user = t.users[index]
    groups = [objects.group_name(t, g) for g in objects.user_groups(user)]
    return {**objects.user_props(t, user), "groups": groups, "managed_groups": [members(t), admins(t)]}


def provider_props(t: Tenant) -> dict[str, Any]:
    return objects.oauth2_provider_props(t, portal(t))


def app_props(t: Tenant) -> dict[str, Any]:
    return {**objects.application_props(t, portal(t)), "provider": objects.app_slug(t, portal(t))}


def binding_props(t: Tenant) -> dict[str, Any]:
    return {**objects.binding_props(), "application": objects.app_slug(t, portal(t)), "group": members(t)}


# --- what must exist first, made through the providers as earlier resources of the same up would ------------


def make_groups(tier: Tier, t: Tenant) -> None:
    for group in TenantGroup:
        tier.provider(GroupProvider).create(objects.group_props(t, group))


def make_provider(tier: Tier, t: Tenant) -> None:
    tier.provider(OAuth2ProviderProvider).create(provider_props(t))


def make_app(tier: Tier, t: Tenant) -> None:
    make_provider(tier, t)
    tier.provider(ApplicationProvider).create(app_props(t))


def make_app_and_groups(tier: Tier, t: Tenant) -> None:
    make_groups(tier, t)
    make_app(tier, t)


def _nothing(tier: Tier, t: Tenant) -> None:
    return None


# --- hand changes -----------------------------------------------------------------------------------------


def flow(client: AuthentikClient, slug: str) -> str:
    return next(f["pk"] for f in client.flows() if f["slug"] == slug)


def the_binding(client: AuthentikClient, t: Tenant) -> dict[str, Any]:
    app = client.get_application(objects.app_slug(t, portal(t)))
    assert app is not None
    return dict(client.list_bindings(app["pk"])[0])


def squat_provider(client: AuthentikClient, t: Tenant) -> Any:
    return client.create_oauth2_provider(
        {  # type: ignore[typeddict-item]
            "name": objects.app_slug(t, portal(t)),
            "authorization_flow": flow(client, objects.AUTHORIZATION_FLOW),
            "invalidation_flow": flow(client, objects.INVALIDATION_FLOW),
            "redirect_uris": [{"matching_mode": "strict", "url": "https://elsewhere.example/cb"}],
        }
    )


def squat_binding(client: AuthentikClient, t: Tenant) -> Any:
    app, group = client.get_application(objects.app_slug(t, portal(t))), client.find_group(members(t))
    assert app is not None and group is not None
    return client.create_binding({"target": app["pk"], "group": group["pk"], "order": 0, "negate": True})  # type: ignore[typeddict-item]


# --- counting what the server holds under one natural key -------------------------------------------------


def count_bindings(client: AuthentikClient, t: Tenant) -> int:
    app = client.get_application(objects.app_slug(t, portal(t)))
    return 0 if app is None else len(client.list_bindings(app["pk"]))


def count_named(
    path: str, key: str, value: Callable[[Tenant], str]
) -> Callable[[AuthentikClient, Tenant], int]:
    def count(client: AuthentikClient, t: Tenant) -> int:
        return sum(1 for o in client._paginate(path, {key: value(t)}) if o[key] == value(t))

    return count


def as_held(declared: dict[str, Any], outs: dict[str, Any]) -> dict[str, Any]:
    """The declaration as a server holds it: `grant_types` is None where the server has no such field."""
    if "grant_types" in declared and outs.get("grant_types") is None:
        return {**declared, "grant_types": None}
    return declared


@dataclass(frozen=True)
class Case:
    name: str
    provider: type[AuthentikProvider]
    props: Callable[[Tenant], dict[str, Any]]
    setup: Callable[[Tier, Tenant], Any]
    tamper: Callable[[AuthentikClient, Tenant], Any]
    squat: Callable[[AuthentikClient, Tenant], Any]
    drift: str
    create_path: str
    count: Callable[[AuthentikClient, Tenant], int]

    def __str__(self) -> str:
        return self.name


CASES = [
    Case(
        "brand",
        BrandProvider,
        objects.brand_props,
        _nothing,
        lambda c, t: c.update_brand(
            c.find_brand(objects.portal_host(t))["brand_uuid"], {"branding_title": "x"}
        ),  # type: ignore[index, typeddict-item]
        lambda c, t: c.create_brand({"domain": objects.portal_host(t), "branding_title": "Someone else"}),  # type: ignore[typeddict-item]
        "branding_title",
        "/api/v3/core/brands/",
        count_named("/core/brands/", "domain", objects.portal_host),
    ),
    Case(
        "group",
        GroupProvider,
        lambda t: objects.group_props(t, TenantGroup.MEMBERS),
        _nothing,
        lambda c, t: c.update_group(c.find_group(members(t))["pk"], {"is_superuser": True}),  # type: ignore[index, typeddict-item]
        lambda c, t: c.create_group({"name": members(t), "is_superuser": True}),
        "is_superuser",
        "/api/v3/core/groups/",
        count_named("/core/groups/", "name", members),
    ),
    Case(
        "user",
        UserProvider,
        user_props,
        make_groups,
        lambda c, t: c.update_user(c.find_user(t.users[0].email)["pk"], {"is_active": False}),  # type: ignore[index, typeddict-item]
        lambda c, t: c.create_user(
            {  # type: ignore[typeddict-item]
                "username": t.users[0].email,
                "name": "Someone else",
                "email": t.users[0].email,
                "path": f"tenants/{t.slug}",
            }
        ),
        "is_active",
        "/api/v3/core/users/",
        count_named("/core/users/", "username", lambda t: t.users[0].email),
    ),
    Case(
        "oauth2 provider",
        OAuth2ProviderProvider,
        provider_props,
        _nothing,
        lambda c, t: c.update_oauth2_provider(
            c.find_oauth2_provider(objects.app_slug(t, portal(t)))["pk"],  # type: ignore[index]
            {"access_token_validity": "hours=8"},  # type: ignore[typeddict-item]
        ),
        squat_provider,
        "access_token_validity",
        "/api/v3/providers/oauth2/",
        count_named("/providers/oauth2/", "name", lambda t: objects.app_slug(t, portal(t))),
    ),
    Case(
        "application",
        ApplicationProvider,
        app_props,
        make_provider,
        lambda c, t: c.update_application(
            objects.app_slug(t, portal(t)), {"meta_launch_url": "https://evil.example/"}
        ),  # type: ignore[typeddict-item]
        lambda c, t: c.create_application(
            {"name": "Someone else's portal", "slug": objects.app_slug(t, portal(t))}
        ),  # type: ignore[typeddict-item]
        "meta_launch_url",
        "/api/v3/core/applications/",
        count_named("/core/applications/", "slug", lambda t: objects.app_slug(t, portal(t))),
    ),
    Case(
        "policy binding",
        PolicyBindingProvider,
        binding_props,
        make_app_and_groups,
        # the real server answers a binding PATCH without its target with 405 (its validator needs it)
        lambda c, t: c.update_binding(
            the_binding(c, t)["pk"],
            {"negate": True, "target": the_binding(c, t)["target"], "group": the_binding(c, t)["group"]},  # type: ignore[typeddict-item]
        ),
        squat_binding,
        "negate",
        "/api/v3/policies/bindings/",
        count_bindings,
    ),
]
