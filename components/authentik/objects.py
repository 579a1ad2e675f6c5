"""The Authentik objects one tenant file asks for, as plain resource inputs: no Pulumi, no HTTP.

Everything tenant-specific lives on the tenant's own hosts under its platform subdomain: the brand answers on
`portal.<sub>`, each application redirects back to its own host there. Users and groups are global in
Authentik, so names carry the tenant's slug and every application is bound to the tenant's members group.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from dezky.tenants.model import Role, Tenant, TenantGroup, TenantStatus, User, UserStatus

# Authentik's own defaults, sent explicitly so the server never fills in something the program did not say.
DEFAULT_LOGO = "/static/dist/assets/icons/icon_left_brand.svg"
DEFAULT_FAVICON = "/static/dist/assets/icons/icon.png"
SIGNING_KEY = "authentik Self-signed Certificate"
SCOPES = tuple(f"goauthentik.io/providers/oauth2/scope-{scope}" for scope in ("openid", "email", "profile"))
BRAND_FLOWS = {
    "flow_authentication": "default-authentication-flow",
    "flow_invalidation": "default-invalidation-flow",
    "flow_user_settings": "default-user-settings-flow",
}
AUTHORIZATION_FLOW = "default-provider-authorization-implicit-consent"
INVALIDATION_FLOW = "default-provider-invalidation-flow"
PUBLISHER = "Dezky"


@dataclass(frozen=True)
class TenantApp:
    """One application in the tenant's launcher, signing in through its own OAuth2 provider."""

    key: str
    title: str
    host: str
    icon: str
    description: str
    callback_path: str = "/oauth2/callback"

    @property
    def launch_url(self) -> str:
        return f"https://{self.host}/"


def portal_host(tenant: Tenant) -> str:
    return f"portal.{tenant.platform_subdomain}"


def group_name(tenant: Tenant, group: TenantGroup) -> str:
    return f"{tenant.slug}-{group.value}"


def app_slug(tenant: Tenant, app: TenantApp) -> str:
    return f"{tenant.slug}-{app.key}"


def tenant_apps(tenant: Tenant) -> tuple[TenantApp, ...]:
    logo = tenant.branding.logo_url if tenant.branding and tenant.branding.logo_url else "fa://fa-th-large"
    return (
        TenantApp("portal", "Portal", portal_host(tenant), logo, f"{tenant.name}'s apps and settings"),
        TenantApp("webmail", "Webmail", f"mail.{tenant.platform_subdomain}", "fa://fa-envelope", "Mail"),
    )


def previous_key(tenant: Tenant, key: Callable[[Tenant], str]) -> str | None:
    """What a name derived from the slug was before the tenant was renamed (`renamed_from`), or None: the
    provider renames the object from it in place."""
    if tenant.renamed_from is None:
        return None
    return key(tenant.model_copy(update={"slug": tenant.renamed_from, "renamed_from": None}))


def identity_state(tenant: Tenant) -> str:
    return "ready" if tenant.status is TenantStatus.ACTIVE else tenant.status.value


def brand_props(tenant: Tenant) -> dict[str, Any]:
    branding = tenant.branding
    return {
        "domain": portal_host(tenant),
        "default": False,
        "branding_title": branding.title if branding else tenant.name,
        "branding_logo": branding.logo_url if branding and branding.logo_url else DEFAULT_LOGO,
        "branding_favicon": DEFAULT_FAVICON,
        **BRAND_FLOWS,
    }


def group_props(tenant: Tenant, group: TenantGroup) -> dict[str, Any]:
    return {
        "name": group_name(tenant, group),
        "is_superuser": False,
        "renamed_from": previous_key(tenant, lambda before: group_name(before, group)),
    }


def user_groups(user: User) -> tuple[TenantGroup, ...]:
    """Every user is a member; admins are in the admins group as well."""
    if user.role is Role.ADMIN:
        return (TenantGroup.MEMBERS, TenantGroup.ADMINS)
    return (TenantGroup.MEMBERS,)


def user_props(tenant: Tenant, user: User) -> dict[str, Any]:
    """The account; its `groups` and `managed_groups` are filled in by the component from the group resources."""
    return {
        "username": user.email,
        "name": user.name,
        "email": user.email,
        "path": f"tenants/{tenant.slug}",
        "is_active": tenant.is_active and user.status is UserStatus.ACTIVE,
        "type": "internal",
        # the login goes for good only with the mailbox: the user's own mark, or the purged tenant's
        "purge": user.purge or (tenant.status is TenantStatus.DELETED and tenant.purge),
    }


def oauth2_provider_props(tenant: Tenant, app: TenantApp) -> dict[str, Any]:
    return {
        "name": app_slug(tenant, app),
        "authorization_flow": AUTHORIZATION_FLOW,
        "invalidation_flow": INVALIDATION_FLOW,
        "client_type": "confidential",
        "redirect_uris": [
            {
                "matching_mode": "strict",
                "url": f"https://{app.host}{app.callback_path}",
                "redirect_uri_type": "authorization",
            },
            {"matching_mode": "strict", "url": app.launch_url, "redirect_uri_type": "logout"},
        ],
        "property_mappings": list(SCOPES),
        "signing_key": SIGNING_KEY,
        "access_code_validity": "minutes=1",
        "access_token_validity": "hours=1",
        "refresh_token_validity": "days=30",
        "sub_mode": "hashed_user_id",
        "issuer_mode": "per_provider",
        "include_claims_in_id_token": True,
        "grant_types": ["authorization_code", "refresh_token"],
        "renamed_from": previous_key(tenant, lambda before: app_slug(before, app)),
    }


def application_props(tenant: Tenant, app: TenantApp) -> dict[str, Any]:
    """The launcher entry; `provider` (the OAuth2 provider's name) is filled in by the component."""
    return {
        "slug": app_slug(tenant, app),
        "name": app.title,
        "meta_launch_url": app.launch_url,
        "meta_icon": app.icon,
        "meta_description": app.description,
        "meta_publisher": PUBLISHER,
        "policy_engine_mode": "any",
        "open_in_new_tab": False,
        "renamed_from": previous_key(tenant, lambda before: app_slug(before, app)),
    }


def binding_props() -> dict[str, Any]:
    """The binding's settings; `application` and `group` are filled in by the component."""
    return {"order": 0, "enabled": True, "negate": False, "timeout": 30, "failure_result": False}


def binding_renamed_from(tenant: Tenant, app: TenantApp) -> str | None:
    """The key of the app's binding to the members group before the tenant was renamed, or None."""
    members = TenantGroup.MEMBERS
    return previous_key(tenant, lambda before: f"{app_slug(before, app)}/{group_name(before, members)}")
