"""A tenant whose slug changed (`renamed_from`): its groups, OAuth2 providers, applications and bindings are
renamed in place, so memberships, client credentials and the tenant boundary stay."""

from __future__ import annotations

from components.authentik import objects
from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.client import AuthentikClient
from components.authentik.provider import GroupProvider
from dezky.tenants.model import TenantGroup
from tests.emulators.authentik import AuthentikEmulator

from .conftest import tenant

BEFORE = tenant("acme")
AFTER = tenant("acme-tools", renamed_from="acme", domains={"primary": "acme-werkzeuge.de",
               "platform_subdomain": "acme.dezky.eu"})  # fmt: skip
PORTAL = objects.tenant_apps(AFTER)[0]


def test_the_objects_of_a_renamed_tenant_name_their_previous_keys() -> None:
    assert objects.group_props(AFTER, TenantGroup.MEMBERS) == {
        "name": "acme-tools-members", "is_superuser": False, "renamed_from": "acme-members",
    }  # fmt: skip
    assert objects.oauth2_provider_props(AFTER, PORTAL)["renamed_from"] == "acme-portal"
    assert objects.application_props(AFTER, PORTAL)["renamed_from"] == "acme-portal"
    assert objects.binding_renamed_from(AFTER, PORTAL) == "acme-portal/acme-members"
    assert objects.group_props(BEFORE, TenantGroup.MEMBERS)["renamed_from"] is None


def test_a_renamed_group_keeps_its_members(client: AuthentikClient, configured) -> None:
    provider = configured(GroupProvider())
    created = provider.create(objects.group_props(BEFORE, TenantGroup.MEMBERS))
    user = client.create_user({"username": "ida", "name": "Ida", "path": "tenants/acme"})  # type: ignore[typeddict-item]
    client.add_user_to_group(created.outs["group_uuid"], user["pk"])
    renamed = objects.group_props(AFTER, TenantGroup.MEMBERS)

    diff = provider.diff(created.id, created.outs, renamed)
    provider.update(created.id, created.outs, renamed)

    group = client.find_group("acme-tools-members")
    assert diff.changes and diff.replaces == []
    assert group is not None and group["pk"] == created.outs["group_uuid"] and user["pk"] in group["users"]
    assert client.find_group("acme-members") is None


def test_a_renamed_oauth2_provider_keeps_its_client_id_and_secret(
    client: AuthentikClient, configured
) -> None:
    provider = configured(OAuth2ProviderProvider())
    created = provider.create(objects.oauth2_provider_props(BEFORE, objects.tenant_apps(BEFORE)[0]))
    renamed = objects.oauth2_provider_props(AFTER, PORTAL)

    diff = provider.diff(created.id, created.outs, renamed)
    updated = provider.update(created.id, created.outs, renamed)
    read = provider.read(created.id, updated.outs)

    assert diff.replaces == []
    assert (read.outs["name"], read.outs["client_id"], read.outs["client_secret"]) == (
        "acme-tools-portal", created.outs["client_id"], created.outs["client_secret"],
    )  # fmt: skip
    assert provider.diff(created.id, read.outs, renamed).changes is False


def test_a_renamed_application_keeps_its_binding_which_then_only_changes_its_key(
    client: AuthentikClient, configured, authentik: AuthentikEmulator
) -> None:
    before_app = objects.tenant_apps(BEFORE)[0]
    configured(OAuth2ProviderProvider()).create(objects.oauth2_provider_props(BEFORE, before_app))
    groups = configured(GroupProvider())
    group = groups.create(objects.group_props(BEFORE, TenantGroup.MEMBERS))
    apps = configured(ApplicationProvider())
    app = apps.create({**objects.application_props(BEFORE, before_app), "provider": "acme-portal"})
    bindings = configured(PolicyBindingProvider())
    binding = bindings.create(
        {**objects.binding_props(), "application": "acme-portal", "group": "acme-members"}
    )

    # the OAuth2 provider's rename is proven above: here the application keeps naming it as it is
    renamed_app = {**objects.application_props(AFTER, PORTAL), "provider": "acme-portal"}
    apps.update(app.id, app.outs, renamed_app)
    groups.update(group.id, group.outs, objects.group_props(AFTER, TenantGroup.MEMBERS))
    renamed_binding = {
        **objects.binding_props(), "application": "acme-tools-portal", "group": "acme-tools-members",
        "renamed_from": objects.binding_renamed_from(AFTER, PORTAL),
    }  # fmt: skip
    diff = bindings.diff(binding.id, binding.outs, renamed_binding)
    writes = authentik.writes
    updated = bindings.update(binding.id, binding.outs, renamed_binding)

    assert client.get_application("acme-tools-portal")["pk"] == app.outs["pk"]  # type: ignore[index]
    assert diff.replaces == [] and updated.outs["pk"] == binding.outs["pk"]
    assert authentik.writes - writes == 1  # the binding's own settings, sent whole; nothing made anew
    assert len(authentik.instance.bindings) == 1
