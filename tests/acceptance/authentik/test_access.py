"""Who may use what, as the real Authentik's policy engine decides it: the tenant boundary, suspend/resume,
and the platform's own files application (issue 10)."""

from __future__ import annotations

from typing import Any

from components.authentik import objects
from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.platform import (
    OCIS_SLUG,
    PLATFORM_ADMINS,
    files_binding_props,
    ocis_application_props,
    ocis_provider_props,
)
from components.authentik.provider import GroupProvider, UserProvider
from dezky.tenants.model import Tenant, TenantGroup

from .cases import app_props, binding_props, make_app, make_groups, members, portal, user_props
from .conftest import Tier


def identity(tier: Tier, t: Tenant) -> dict[str, Any]:
    """The tenant's groups, its users and its portal application bound to its members, as `up` makes them."""
    make_groups(tier, t)
    users = {
        u.email: tier.provider(UserProvider).create(user_props(t, i)).outs for i, u in enumerate(t.users)
    }
    make_app(tier, t)
    tier.provider(PolicyBindingProvider).create(binding_props(t))
    return users


def may_use(tier: Tier, slug: str, user_pk: int) -> bool:
    with tier.client() as client:
        return bool(client.check_access(slug, user_pk)["passing"])


def test_a_tenants_application_admits_its_own_members_only(tier: Tier) -> None:
    acme, other = tier.tenant("a"), tier.tenant("b")
    acme_users, other_users = identity(tier, acme), identity(tier, other)
    acme_app, other_app = (objects.app_slug(t, portal(t)) for t in (acme, other))

    assert all(may_use(tier, acme_app, outs["pk"]) for outs in acme_users.values())
    assert not any(may_use(tier, acme_app, outs["pk"]) for outs in other_users.values())
    assert not any(may_use(tier, other_app, outs["pk"]) for outs in acme_users.values())


def test_a_suspended_user_cannot_sign_in_and_a_resumed_one_can(tier: Tier) -> None:
    t = tier.tenant()
    make_groups(tier, t)
    provider, active = tier.provider(UserProvider), user_props(t)
    created = provider.create(active)
    password = tier.set_password(active["username"])
    assert tier.sign_in(active["username"], password)

    suspended = {**active, "is_active": False}
    mark = tier.mark()
    provider.update(created.id, created.outs, suspended)
    assert len(tier.writes(mark)) == 1  # one PATCH of the account; memberships stay
    assert provider.read(created.id, created.outs).outs["is_active"] is False
    assert not tier.sign_in(active["username"], password)

    provider.update(created.id, {**created.outs, "is_active": False}, active)
    assert provider.read(created.id, created.outs).outs["is_active"] is True
    assert tier.sign_in(active["username"], password)


def test_files_admit_platform_admins_and_every_tenants_members_and_nobody_else(tier: Tier) -> None:
    # The platform's OCIS application as `PlatformIdentity` makes it, under a name of this run's own.
    acme, other = tier.tenant("a"), tier.tenant("b")
    acme_users, other_users = identity(tier, acme), identity(tier, other)
    outsider_tenant = tier.tenant("c")  # a user under no tenant the files serve
    make_groups(tier, outsider_tenant)
    outsider = tier.provider(UserProvider).create({**user_props(outsider_tenant), "groups": []}).outs
    files = f"{acme.slug}-{OCIS_SLUG}"  # cleaned up with the first tenant
    tier.provider(OAuth2ProviderProvider).create({**ocis_provider_props("dezky.test"), "name": files})
    app = {**ocis_application_props("dezky.test"), "slug": files, "provider": files}
    tier.provider(ApplicationProvider).create(app)
    for group, order in ((PLATFORM_ADMINS, 0), (members(acme), 10), (members(other), 10)):
        tier.provider(PolicyBindingProvider).create(files_binding_props(files, group, order))

    with tier.client() as client:
        admin = client.find_user("akadmin")
    assert admin is not None and may_use(tier, files, admin["pk"])
    assert all(may_use(tier, files, outs["pk"]) for outs in [*acme_users.values(), *other_users.values()])
    assert not may_use(tier, files, outsider["pk"])


def test_files_are_closed_while_no_tenant_is_bound(tier: Tier) -> None:
    t = tier.tenant()
    users = identity(tier, t)
    files = f"{t.slug}-{OCIS_SLUG}"
    tier.provider(OAuth2ProviderProvider).create({**ocis_provider_props("dezky.test"), "name": files})
    tier.provider(ApplicationProvider).create(
        {**ocis_application_props("dezky.test"), "slug": files, "provider": files}
    )
    tier.provider(PolicyBindingProvider).create(files_binding_props(files, PLATFORM_ADMINS, 0))

    assert not any(may_use(tier, files, outs["pk"]) for outs in users.values())


def test_groups_of_one_tenant_are_its_own(tier: Tier) -> None:
    # The tenant's admins are members too: the admins group alone admits nobody to the apps.
    t = tier.tenant()
    users = identity(tier, t)
    with tier.client() as client:
        for group in TenantGroup:
            found = client.find_group(objects.group_name(t, group))
            assert found is not None and not found["is_superuser"]
    assert set(users) == {u.email for u in t.users}
    assert tier.provider(GroupProvider).read(members(t), {"name": members(t)}).outs["name"] == members(t)
    assert app_props(t)["policy_engine_mode"] == "any"
