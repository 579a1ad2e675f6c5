"""A tenant's identity in Authentik: brand, groups, users, and one OAuth2 application per tenant app.

Users and groups are global in Authentik; the policy binding of each application to the tenant's members
group is the tenant boundary. Objects refer to each other by the name outputs of their resources, so Pulumi
orders them (groups before users, provider before application before binding) without extra dependencies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from components.authentik import objects
from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.provider import BrandProvider, GroupProvider, UserProvider
from components.tenant.platform import PlatformSettings
from dezky.tenants.model import Tenant as TenantModel
from dezky.tenants.model import TenantGroup


class Brand(Resource, module="authentik", name="Brand"):
    brand_uuid: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(BrandProvider(), name, {**props, "brand_uuid": None}, opts)


class Group(Resource, module="authentik", name="Group"):
    name: pulumi.Output[str]
    group_uuid: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(GroupProvider(), name, {**props, "group_uuid": None}, opts)


class User(Resource, module="authentik", name="User"):
    pk: pulumi.Output[int]
    is_active: pulumi.Output[bool]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(UserProvider(), name, {**props, "pk": None, "created_by_program": None}, opts)


class OAuth2Provider(Resource, module="authentik", name="OAuth2Provider"):
    name: pulumi.Output[str]
    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        secret = pulumi.ResourceOptions(additional_secret_outputs=list(OAuth2ProviderProvider.secret_outputs))
        outputs = {"pk": None, "client_id": None, "client_secret": None}
        super().__init__(
            OAuth2ProviderProvider(), name, {**props, **outputs}, pulumi.ResourceOptions.merge(opts, secret)
        )


class Application(Resource, module="authentik", name="Application"):
    slug: pulumi.Output[str]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ApplicationProvider(), name, {**props, "pk": None}, opts)


class PolicyBinding(Resource, module="authentik", name="PolicyBinding"):
    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PolicyBindingProvider(), name, {**props, "pk": None}, opts)


@dataclass(frozen=True)
class TenantIdentityArgs:
    tenant: TenantModel
    platform: PlatformSettings


@dataclass(frozen=True)
class OidcClient:
    """What an app needs to sign in through Authentik; the secret stays a Pulumi secret."""

    client_id: pulumi.Output[str]
    client_secret: pulumi.Output[str]
    issuer: str


class TenantIdentity(pulumi.ComponentResource):
    """`state` turns "ready" (or the tenant's status when it is not active) once every object exists."""

    def __init__(
        self, name: str, args: TenantIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dezky:authentik:TenantIdentity", name, None, opts)
        tenant = args.tenant
        child = pulumi.ResourceOptions(parent=self)
        self.brand = Brand(f"{name}:brand", objects.brand_props(tenant), child)
        self.groups = {
            group: Group(f"{name}:group:{group.value}", objects.group_props(tenant, group), child)
            for group in TenantGroup
        }
        self.users = {user.email: self._user(name, tenant, user) for user in tenant.users}
        self.oauth2_providers: dict[str, OAuth2Provider] = {}
        self.applications: dict[str, Application] = {}
        self.bindings: dict[str, PolicyBinding] = {}
        self.clients: dict[str, OidcClient] = {}
        for app in objects.tenant_apps(tenant):
            self._application(name, tenant, app)
        children = [self.brand, *self.groups.values(), *self.users.values(), *self.oauth2_providers.values()]
        children += [*self.applications.values(), *self.bindings.values()]
        state = objects.identity_state(tenant)
        self.state: pulumi.Output[str] = pulumi.Output.all(*[r.id for r in children]).apply(lambda _: state)
        self.register_outputs(
            {"state": self.state, "applications": sorted(self.applications), "users": len(self.users)}
        )

    def _user(self, name: str, tenant: TenantModel, user: Any) -> User:
        props = {
            **objects.user_props(tenant, user),
            "groups": [self.groups[group].name for group in objects.user_groups(user)],
            "managed_groups": [group.name for group in self.groups.values()],
            "renamed_from": user.renamed_from,  # the previous username: the login is renamed, not replaced
        }
        previous = [pulumi.Alias(name=f"{name}:user:{user.renamed_from}")] if user.renamed_from else []
        return User(f"{name}:user:{user.email}", props, pulumi.ResourceOptions(parent=self, aliases=previous))

    def _application(self, name: str, tenant: TenantModel, app: objects.TenantApp) -> None:
        child = pulumi.ResourceOptions(parent=self)
        provider = OAuth2Provider(
            f"{name}:oauth2:{app.key}", objects.oauth2_provider_props(tenant, app), child
        )
        application = Application(
            f"{name}:app:{app.key}",
            {**objects.application_props(tenant, app), "provider": provider.name},
            child,
        )
        members = self.groups[TenantGroup.MEMBERS]
        binding = {
            **objects.binding_props(),
            "application": application.slug,
            "group": members.name,
            "renamed_from": objects.binding_renamed_from(tenant, app),
        }
        self.oauth2_providers[app.key] = provider
        self.applications[app.key] = application
        self.bindings[app.key] = PolicyBinding(f"{name}:binding:{app.key}", binding, child)
        # Authentik derives the issuer from the host the client used: the brand's portal host.
        issuer = f"https://{objects.portal_host(tenant)}/application/o/{objects.app_slug(tenant, app)}/"
        self.clients[app.key] = OidcClient(
            provider.client_id, pulumi.Output.secret(provider.client_secret), issuer
        )
