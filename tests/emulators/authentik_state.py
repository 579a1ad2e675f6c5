"""The state behind the Authentik emulator: one instance's objects, its built-ins, paging and DRF errors.

Operations take the spec-checked request and return the server's reply, or raise `Rejected` with the body
Django REST framework would send. The object kinds live in `authentik_core.py` (brands, groups, users) and
`authentik_apps.py` (OAuth2 providers, applications, policy bindings, access checks); this module routes
requests to them and holds what they share.
"""

from __future__ import annotations

import math
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from tests.emulators.loopback import Reply

Json = dict[str, Any]
Query = dict[str, str]
NOW = "2026-11-01T09:00:00.000000Z"
DEFAULT_PAGE_SIZE = 20  # Authentik's system setting `pagination_default_page_size`
MAX_PAGE_SIZE = 100

_UUID = r"(?P<pk>[0-9a-fA-F-]{36})"
ROUTES: list[tuple[str, re.Pattern[str], str]] = [
    (method, re.compile(pattern), operation)
    for method, pattern, operation in [
        ("GET", r"/core/brands/", "list_brands"),
        ("POST", r"/core/brands/", "create_brand"),
        ("GET", rf"/core/brands/{_UUID}/", "get_brand"),
        ("PUT", rf"/core/brands/{_UUID}/", "update_brand"),
        ("PATCH", rf"/core/brands/{_UUID}/", "update_brand"),
        ("DELETE", rf"/core/brands/{_UUID}/", "delete_brand"),
        ("GET", r"/core/groups/", "list_groups"),
        ("POST", r"/core/groups/", "create_group"),
        ("GET", rf"/core/groups/{_UUID}/", "get_group"),
        ("PUT", rf"/core/groups/{_UUID}/", "update_group"),
        ("PATCH", rf"/core/groups/{_UUID}/", "update_group"),
        ("DELETE", rf"/core/groups/{_UUID}/", "delete_group"),
        ("POST", rf"/core/groups/{_UUID}/add_user/", "add_user"),
        ("POST", rf"/core/groups/{_UUID}/remove_user/", "remove_user"),
        ("GET", r"/core/users/", "list_users"),
        ("POST", r"/core/users/", "create_user"),
        ("GET", r"/core/users/(?P<pk>\d+)/", "get_user"),
        ("PUT", r"/core/users/(?P<pk>\d+)/", "update_user"),
        ("PATCH", r"/core/users/(?P<pk>\d+)/", "update_user"),
        ("DELETE", r"/core/users/(?P<pk>\d+)/", "delete_user"),
        ("GET", r"/providers/oauth2/", "list_providers"),
        ("POST", r"/providers/oauth2/", "create_provider"),
        ("GET", r"/providers/oauth2/(?P<pk>\d+)/", "get_provider"),
        ("PUT", r"/providers/oauth2/(?P<pk>\d+)/", "update_provider"),
        ("PATCH", r"/providers/oauth2/(?P<pk>\d+)/", "update_provider"),
        ("DELETE", r"/providers/oauth2/(?P<pk>\d+)/", "delete_provider"),
        ("GET", r"/core/applications/", "list_applications"),
        ("POST", r"/core/applications/", "create_application"),
        ("GET", r"/core/applications/(?P<slug>[^/]+)/check_access/", "check_access"),
        ("GET", r"/core/applications/(?P<slug>[^/]+)/", "get_application"),
        ("PUT", r"/core/applications/(?P<slug>[^/]+)/", "update_application"),
        ("PATCH", r"/core/applications/(?P<slug>[^/]+)/", "update_application"),
        ("DELETE", r"/core/applications/(?P<slug>[^/]+)/", "delete_application"),
        ("GET", r"/policies/bindings/", "list_bindings"),
        ("POST", r"/policies/bindings/", "create_binding"),
        ("GET", rf"/policies/bindings/{_UUID}/", "get_binding"),
        ("PUT", rf"/policies/bindings/{_UUID}/", "update_binding"),
        ("PATCH", rf"/policies/bindings/{_UUID}/", "update_binding"),
        ("DELETE", rf"/policies/bindings/{_UUID}/", "delete_binding"),
        ("GET", r"/flows/instances/", "list_flows"),
        ("GET", r"/propertymappings/provider/scope/", "list_scope_mappings"),
        ("GET", r"/crypto/certificatekeypairs/", "list_keypairs"),
    ]
]
# The spec's paths these routes serve: the emulator checks traffic against these operations only.
EMULATED_PATHS = (
    "/core/brands/",
    "/core/brands/{brand_uuid}/",
    "/core/groups/",
    "/core/groups/{group_uuid}/",
    "/core/groups/{group_uuid}/add_user/",
    "/core/groups/{group_uuid}/remove_user/",
    "/core/users/",
    "/core/users/{id}/",
    "/providers/oauth2/",
    "/providers/oauth2/{id}/",
    "/core/applications/",
    "/core/applications/{slug}/",
    "/core/applications/{slug}/check_access/",
    "/policies/bindings/",
    "/policies/bindings/{policy_binding_uuid}/",
    "/flows/instances/",
    "/propertymappings/provider/scope/",
    "/crypto/certificatekeypairs/",
)
# Query parameters the state implements. The spec keeps only these: openapi-core resolves every declared
# parameter on every request (~30 on /core/users/, 4x the time), and one the state lacks is reported as an
# emulator gap by `filtered` instead of being ignored.
QUERY_PARAMETERS = frozenset(
    {
        *("page", "page_size", "name", "slug", "domain", "default", "username", "email", "path"),
        *("path_startswith", "is_active", "is_superuser", "members_by_username", "client_id", "group"),
        *("include_users", "include_children", "include_parents", "include_inherited_roles"),
        *("include_groups", "include_roles", "superuser_full_list", "for_user", "only_with_launch_url"),
        *("target", "enabled", "order", "policy", "policy__isnull", "designation", "flow_uuid"),
        *("managed", "scope_name", "has_key"),
    }
)


#: fields of the 2026.5.6 schema that Authentik 2026.5.0-rc1 does not have (OAuth2 provider, application, brand)
NEWER_FIELDS = frozenset({"grant_types", "meta_hide", "flow_lockdown"})


class InstanceRecords:
    """The records of one Authentik instance, which the endpoint mixins (core, apps, policies) share."""

    brands: dict[str, Json]
    groups: dict[str, Json]
    users: dict[int, Json]
    flows: dict[str, Json]
    keypairs: dict[str, Json]
    scope_mappings: dict[str, Json]
    providers: dict[int, Json]
    applications: dict[str, Json]
    bindings: dict[str, Json]
    next_user_pk: int
    next_provider_pk: int
    token_user: int
    newer_fields: bool

    def kept_fields(self, fields: tuple[str, ...]) -> tuple[str, ...]:
        """The writable fields of this release: a server without a field ignores it (DRF drops unknown keys)."""
        return tuple(f for f in fields if self.newer_fields or f not in NEWER_FIELDS)

    def shown(self, record: Json) -> Json:
        """A record as this release answers it: without the fields it does not have."""
        return {k: v for k, v in record.items() if self.newer_fields or k not in NEWER_FIELDS}


class Rejected(Exception):
    """The server refuses. `invalid`: the request is wrong as sent (not a lookup that found nothing)."""

    def __init__(self, status: int, body: Json, *, invalid: bool) -> None:
        super().__init__(f"{status}: {body}")
        self.invalid = invalid
        self.reply = Reply(status, body)


class NotEmulated(Exception):
    pass


def not_found(model: str = "") -> Rejected:
    """DRF's 404: an object looked up by its URL names its model (`No Group matches the given query.`); a
    referenced object missing inside an action (a group's `add_user`) is only `Not found.`."""
    detail = f"No {model} matches the given query." if model else "Not found."
    return Rejected(404, {"detail": detail}, invalid=False)


def field_error(field: str, message: str) -> Rejected:
    return Rejected(400, {field: [message]}, invalid=True)


def no_such_pk(field: str, value: Any) -> Rejected:
    return field_error(field, f'Invalid pk "{value}" - object does not exist.')


#: DRF's `UniqueValidator` message, which the brand's domain and the user's username answer on 2026.5.0-rc1
UNIQUE = "This field must be unique."


def already_exists(model: str, field: str) -> Rejected:
    return field_error(field, f"{model} with this {field} already exists.")


def schema_errors(fields: Sequence[tuple[str, str]]) -> Rejected:
    """DRF's nested error body for the fields the spec check found at fault (`redirect_uris.0.url`)."""
    body: Json = {}
    for path, message in fields:
        _insert(body, [p for p in path.split(".") if p != "body"] or ["non_field_errors"], message)
    return Rejected(400, body, invalid=True)


def _insert(node: Json, parts: list[str], message: str) -> None:
    key, rest = parts[0], parts[1:]
    if not rest:
        node.setdefault(key, []).append(message)
    elif rest[0].isdigit():  # a list serializer answers one error object per item, {} for the good ones
        items = node.setdefault(key, [])
        while len(items) <= int(rest[0]):
            items.append({})
        _insert(items[int(rest[0])], rest[1:] or ["non_field_errors"], message)
    else:
        _insert(node.setdefault(key, {}), rest, message)


def new_uuid() -> str:
    return str(uuid.uuid4())


def page(results: list[Json], query: Query, autocomplete: Json | None = None) -> Reply:
    """One page as Authentik's pagination class answers it: `next` and `previous` are 0 where there is none."""
    size = int(query.get("page_size") or DEFAULT_PAGE_SIZE)
    size = DEFAULT_PAGE_SIZE if size < 1 else min(size, MAX_PAGE_SIZE)
    number, count = int(query.get("page") or 1), len(results)
    total = max(1, math.ceil(count / size))
    if not 1 <= number <= total:
        raise Rejected(404, {"detail": "Invalid page."}, invalid=False)
    chunk = results[(number - 1) * size : number * size]
    pagination = {
        "next": number + 1 if number < total else 0,
        "previous": number - 1 if number > 1 else 0,
        "count": count,
        "current": number,
        "total_pages": total,
        "start_index": (number - 1) * size + 1 if count else 0,
        "end_index": (number - 1) * size + len(chunk),
    }
    return Reply(200, {"pagination": pagination, "results": chunk, "autocomplete": autocomplete or {}})


def filtered(
    objects: Iterable[Json], query: Query, filters: dict[str, Callable[[Json, str], bool]], order: str
) -> list[Json]:
    """Objects matching every filter given, in the viewset's default order. An unknown filter is a gap in the
    emulator, not something to ignore: the real server would filter by it."""
    given = {k: v for k, v in query.items() if k not in ("page", "page_size")}
    unknown = set(given) - set(filters)
    if unknown:
        raise NotEmulated(f"filter(s) {', '.join(sorted(unknown))}")
    kept = [o for o in objects if all(filters[key](o, value) for key, value in given.items())]
    return sorted(kept, key=lambda o: o[order])


def equals(field: str) -> Callable[[Json, str], bool]:
    return lambda obj, value: str(obj.get(field)) == value


def boolean(value: str) -> bool:
    return value.lower() in ("true", "1")


def merge(record: Json, body: Json, writable: Iterable[str]) -> Json:
    return {**record, **{key: body[key] for key in writable if key in body}}


FLOWS = (  # the 14 flows the default blueprints of 2026.5 make: slug, name, title, designation, authentication
    (
        "default-authentication-flow",
        "Welcome to authentik!",
        "Welcome to authentik!",
        "authentication",
        "none",
    ),
    (
        "default-authenticator-static-setup",
        "default-authenticator-static-setup",
        "Setup Static OTP Tokens",
        "stage_configuration",
        "require_authenticated",
    ),
    (
        "default-authenticator-totp-setup",
        "default-authenticator-totp-setup",
        "Set up Two-Factor authentication",
        "stage_configuration",
        "require_authenticated",
    ),
    (
        "default-authenticator-webauthn-setup",
        "default-authenticator-webauthn-setup",
        "Setup WebAuthn",
        "stage_configuration",
        "require_authenticated",
    ),
    ("default-invalidation-flow", "Logout", "Default Invalidation Flow", "invalidation", "none"),
    (
        "default-password-change",
        "Change Password",
        "Change password",
        "stage_configuration",
        "require_authenticated",
    ),
    (
        "default-provider-authorization-explicit-consent",
        "Authorize Application",
        "Redirecting to %(app)s",
        "authorization",
        "require_authenticated",
    ),
    (
        "default-provider-authorization-implicit-consent",
        "Authorize Application",
        "Redirecting to %(app)s",
        "authorization",
        "require_authenticated",
    ),
    (
        "default-provider-invalidation-flow",
        "Logged out of application",
        "You've logged out of %(app)s.",
        "invalidation",
        "none",
    ),
    (
        "default-source-authentication",
        "Welcome to authentik!",
        "Welcome to authentik!",
        "authentication",
        "require_unauthenticated",
    ),
    (
        "default-source-enrollment",
        "Welcome to authentik! Please select a username.",
        "Welcome to authentik! Please select a username.",
        "enrollment",
        "none",
    ),
    (
        "default-source-pre-authentication",
        "Pre-Authentication",
        "Pre-authentication",
        "stage_configuration",
        "none",
    ),
    (
        "default-user-settings-flow",
        "User settings",
        "Update your info",
        "stage_configuration",
        "require_authenticated",
    ),
    ("initial-setup", "default-oobe-setup", "Welcome to authentik!", "stage_configuration", "none"),
)
SCOPE_MAPPINGS = (  # the 7 managed scope mappings of 2026.5: managed, name, scope_name, description
    (
        "goauthentik.io/providers/proxy/scope-proxy",
        "authentik default OAuth Mapping: Proxy outpost",
        "ak_proxy",
        "authentik Proxy - User information",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-email",
        "authentik default OAuth Mapping: OpenID 'email'",
        "email",
        "Email address",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-entitlements",
        "authentik default OAuth Mapping: Application Entitlements",
        "entitlements",
        "Application entitlements",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-authentik_api",
        "authentik default OAuth Mapping: authentik API access",
        "goauthentik.io/api",
        "authentik API Access on behalf of your user",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-offline_access",
        "authentik default OAuth Mapping: OpenID 'offline_access'",
        "offline_access",
        "Access to request new tokens without interaction",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-openid",
        "authentik default OAuth Mapping: OpenID 'openid'",
        "openid",
        "",
    ),
    (
        "goauthentik.io/providers/oauth2/scope-profile",
        "authentik default OAuth Mapping: OpenID 'profile'",
        "profile",
        "General Profile Information",
    ),
)
SELF_SIGNED = "authentik Self-signed Certificate"


def seeded_flows() -> dict[str, Json]:
    flows = {}
    for slug, name, title, designation, authentication in FLOWS:
        pk = new_uuid()
        flows[pk] = {
            "pk": pk,
            "policybindingmodel_ptr_id": new_uuid(),
            "name": name,
            "slug": slug,
            "title": title,
            "designation": designation,
            "background": "",
            "background_url": "/static/dist/assets/images/flow_background.jpg",
            "background_themed_urls": None,
            "stages": [],
            "policies": [],
            "cache_count": 0,
            "policy_engine_mode": "any",
            "compatibility_mode": False,
            "export_url": f"/api/v3/flows/instances/{slug}/export/",
            "layout": "stacked",
            "denied_action": "message_continue",
            "authentication": authentication,
        }
    return flows


def seeded_scope_mappings() -> dict[str, Json]:
    mappings = {}
    for managed, name, scope, description in SCOPE_MAPPINGS:
        pk = new_uuid()
        mappings[pk] = {
            "pk": pk,
            "managed": managed,
            "name": name,
            "expression": "return {}",
            "scope_name": scope,
            "description": description,
            "component": "ak-property-mapping-provider-scope-form",
            "verbose_name": "Scope Mapping",
            "verbose_name_plural": "Scope Mappings",
            "meta_model_name": "authentik_providers_oauth2.scopemapping",
        }
    return mappings


def seeded_keypairs() -> dict[str, Json]:
    pk = new_uuid()
    return {
        pk: {
            "pk": pk,
            "name": SELF_SIGNED,
            "fingerprint_sha256": "ab" * 32,
            "fingerprint_sha1": "cd" * 20,
            "cert_expiry": "2027-11-01T09:00:00Z",
            "cert_subject": "CN=authentik Self-signed Certificate",
            "private_key_available": True,
            "key_type": "rsa",
            "certificate_download_url": f"/api/v3/crypto/certificatekeypairs/{pk}/view_certificate/?download",
            "private_key_download_url": f"/api/v3/crypto/certificatekeypairs/{pk}/view_private_key/?download",
            "managed": None,
        }
    }
