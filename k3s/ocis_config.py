"""OCIS's configuration files: the role mapping (which only a file can set) and the proxy's CSP."""

from __future__ import annotations

import yaml


def role_mapping(admins_group: str) -> list[dict[str, str]]:
    """OCIS role by the `groups` claim, first match wins: the platform's admins are OCIS admins, everybody
    else Authentik lets into files (a member of some tenant's group) a user. OCIS tries each `claim_value` as
    a literal, then as an anchored regular expression, so `.+` is any group."""
    return [
        {"role_name": "admin", "claim_value": admins_group},
        {"role_name": "user", "claim_value": ".+"},
    ]


def csp(domain: str) -> dict:
    """The proxy's Content-Security-Policy: OCIS web talks to Authentik from the browser (OIDC) and frames
    Collabora; nothing else from outside."""
    identity, office = f"https://id.{domain}/", f"https://office.{domain}/"
    return {
        "directives": {
            "child-src": ["'self'"],
            "connect-src": ["'self'", "blob:", identity],
            "default-src": ["'none'"],
            "font-src": ["'self'", "data:"],
            "frame-ancestors": ["'self'"],
            "frame-src": ["'self'", "blob:", office],
            "img-src": ["'self'", "data:", "blob:", office],
            "manifest-src": ["'self'"],
            "media-src": ["'self'"],
            "object-src": ["'self'", "blob:"],
            "script-src": ["'self'", "'unsafe-inline'"],
            "style-src": ["'self'", "'unsafe-inline'"],
        }
    }


def ocis_config_files(domain: str, admins_group: str) -> dict[str, str]:
    """`ocis.yaml` (the role mapping can only be set in a file) and the CSP it points to."""
    ocis = {
        "proxy": {
            "role_assignment": {
                "driver": "oidc",
                "oidc_role_mapper": {"role_claim": "groups", "role_mapping": role_mapping(admins_group)},
            },
            "csp_config_file_location": "/etc/ocis/csp.yaml",
        }
    }
    return {
        "ocis.yaml": yaml.safe_dump(ocis, sort_keys=False),
        "csp.yaml": yaml.safe_dump(csp(domain), sort_keys=False),
    }
