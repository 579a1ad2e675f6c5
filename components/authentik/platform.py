"""The platform's own Authentik application: OCIS, which serves every tenant and takes a single OIDC issuer.

Tenants get their own applications (`component.TenantIdentity`); OCIS cannot, since it trusts one issuer for
all its users. Its web client is a public client (a browser app using PKCE, no secret), at `files.<domain>`.

Who may sign in to files: the platform's admins (`authentik Admins`) and the members of every tenant the
program provisions (each tenant's `<slug>-members` group), nobody else. Users and groups are global in
Authentik, and an application without any policy binding lets every user in, so the application is always
bound to the admins group (never unbound, never open) and to each tenant's members group, in the engine's
`any` mode. A user outside every tenant (an account made by hand, a tenant removed from the files) is refused
by Authentik before OCIS sees it; what a tenant's user sees inside OCIS is decided by space membership, which
each tenant's `TenantFiles` manages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.authentik.component import Application, OAuth2Provider, PolicyBinding
from components.authentik.objects import (
    AUTHORIZATION_FLOW,
    INVALIDATION_FLOW,
    PUBLISHER,
    SCOPES,
    SIGNING_KEY,
    binding_props,
)

OCIS_SLUG = "ocis"
#: Authentik's built-in superuser group (its default blueprints make it): the platform's own admins
PLATFORM_ADMINS = "authentik Admins"
#: OCIS web's own callback pages (ocis `web` service), below the host it is served at
OCIS_CALLBACKS = ("/", "/oidc-callback.html", "/oidc-silent-redirect.html")


@dataclass(frozen=True)
class OcisClient:
    """What OCIS is configured with (`OCIS_OIDC_ISSUER`, `WEB_OIDC_CLIENT_ID`)."""

    issuer: str
    client_id: pulumi.Output[str]


def files_host(domain: str) -> str:
    return f"files.{domain}"


def identity_host(domain: str) -> str:
    """Where users sign in to the platform's Authentik; OCIS trusts the issuer Authentik derives from it."""
    return f"id.{domain}"


def ocis_provider_props(domain: str) -> dict[str, Any]:
    host = files_host(domain)
    redirects = [
        {"matching_mode": "strict", "url": f"https://{host}{path}", "redirect_uri_type": "authorization"}
        for path in OCIS_CALLBACKS
    ]
    return {
        "name": OCIS_SLUG,
        "authorization_flow": AUTHORIZATION_FLOW,
        "invalidation_flow": INVALIDATION_FLOW,
        "client_type": "public",
        "redirect_uris": [
            *redirects,
            {"matching_mode": "strict", "url": f"https://{host}/", "redirect_uri_type": "logout"},
        ],
        "property_mappings": list(SCOPES),
        "signing_key": SIGNING_KEY,
        "access_code_validity": "minutes=1",
        "access_token_validity": "minutes=5",  # OCIS web renews silently; a short token limits a leaked one
        "refresh_token_validity": "days=30",
        # OCIS maps users by their email claim; the subject stays the hashed id tenant apps get too.
        "sub_mode": "hashed_user_id",
        "issuer_mode": "per_provider",
        "include_claims_in_id_token": True,
        "grant_types": ["authorization_code", "refresh_token"],
    }


def ocis_application_props(domain: str) -> dict[str, Any]:
    return {
        "slug": OCIS_SLUG,
        "name": "Files",
        "meta_launch_url": f"https://{files_host(domain)}/",
        "meta_icon": "fa://fa-folder-open",
        "meta_description": "Files and shared spaces (ownCloud Infinite Scale)",
        "meta_publisher": PUBLISHER,
        "policy_engine_mode": "any",
        "open_in_new_tab": False,
    }


def files_binding_props(application: Any, group: Any, order: int) -> dict[str, Any]:
    """One group allowed to sign in to files (`application` and `group` may be resource outputs)."""
    return {**binding_props(), "application": application, "group": group, "order": order}


class PlatformIdentity(pulumi.ComponentResource):
    """The OCIS application on the platform's Authentik; `ocis` is what OCIS is configured with.

    `member_groups` maps each tenant's slug to the name of its members group (the `name` output of the
    tenant's group resource, so Pulumi makes the group first): those tenants' users may sign in to files.
    """

    def __init__(
        self,
        name: str,
        domain: str,
        opts: pulumi.ResourceOptions | None = None,
        *,
        member_groups: Mapping[str, pulumi.Input[str]] | None = None,
    ) -> None:
        super().__init__("dezky:authentik:PlatformIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        provider = OAuth2Provider(f"{name}:oauth2:{OCIS_SLUG}", ocis_provider_props(domain), child)
        self.application = Application(
            f"{name}:app:{OCIS_SLUG}", {**ocis_application_props(domain), "provider": provider.name}, child
        )
        app = self.application.slug
        self.bindings = {
            "": PolicyBinding(
                f"{name}:binding:{OCIS_SLUG}", files_binding_props(app, PLATFORM_ADMINS, 0), child
            ),
            **{
                slug: PolicyBinding(
                    f"{name}:binding:{OCIS_SLUG}:{slug}", files_binding_props(app, group, 10), child
                )
                for slug, group in sorted((member_groups or {}).items())
            },
        }
        issuer = f"https://{identity_host(domain)}/application/o/{OCIS_SLUG}/"
        self.ocis = OcisClient(issuer, provider.client_id)
        self.register_outputs({"ocis_issuer": issuer, "ocis_client_id": provider.client_id})
