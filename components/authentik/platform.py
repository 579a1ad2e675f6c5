"""The platform's own Authentik application: OCIS, which serves every tenant and takes a single OIDC issuer.

Tenants get their own applications (`component.TenantIdentity`); OCIS cannot, since it trusts one issuer for
all its users. Its web client is a public client (a browser app using PKCE, no secret), at `files.<domain>`.
With no policy bound, any Authentik user may sign in; what a user sees in OCIS is decided by space
membership, which each tenant's `TenantFiles` manages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pulumi

from components.authentik.component import Application, OAuth2Provider
from components.authentik.objects import (
    AUTHORIZATION_FLOW,
    INVALIDATION_FLOW,
    PUBLISHER,
    SCOPES,
    SIGNING_KEY,
)

OCIS_SLUG = "ocis"
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


class PlatformIdentity(pulumi.ComponentResource):
    """The OCIS application on the platform's Authentik; `ocis` is what OCIS is configured with."""

    def __init__(self, name: str, domain: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:authentik:PlatformIdentity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        provider = OAuth2Provider(f"{name}:oauth2:{OCIS_SLUG}", ocis_provider_props(domain), child)
        self.application = Application(
            f"{name}:app:{OCIS_SLUG}", {**ocis_application_props(domain), "provider": provider.name}, child
        )
        issuer = f"https://{identity_host(domain)}/application/o/{OCIS_SLUG}/"
        self.ocis = OcisClient(issuer, provider.client_id)
        self.register_outputs({"ocis_issuer": issuer, "ocis_client_id": provider.client_id})
