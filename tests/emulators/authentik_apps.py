"""OAuth2 providers and applications of the Authentik emulator, and the listings of its built-in objects.

Reproduces what the real server adds and enforces beyond the spec: generated client id and secret, default
token validities, `redirect_uri_type` filled in, provider names and application slugs unique, one application
per provider, and an application list that shows even a superuser only what it may access unless asked.
"""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from tests.emulators.authentik_state import (
    InstanceRecords,
    Json,
    Query,
    already_exists,
    boolean,
    equals,
    field_error,
    filtered,
    merge,
    new_uuid,
    no_such_pk,
    not_found,
    page,
)
from tests.emulators.loopback import Reply

_DURATION_UNITS = ("weeks", "days", "hours", "minutes", "seconds", "milliseconds", "microseconds")
_DURATIONS = (
    "access_code_validity",
    "access_token_validity",
    "refresh_token_validity",
    "refresh_token_threshold",
)
_PROVIDER_FIELDS = (
    "name",
    "authentication_flow",
    "authorization_flow",
    "invalidation_flow",
    "property_mappings",
    "client_type",
    "client_id",
    "client_secret",
    *_DURATIONS,
    "include_claims_in_id_token",
    "signing_key",
    "encryption_key",
    "redirect_uris",
    "logout_uri",
    "logout_method",
    "sub_mode",
    "issuer_mode",
    "jwt_federation_sources",
    "jwt_federation_providers",
    "grant_types",
)
_APP_FIELDS = (
    "name",
    "slug",
    "provider",
    "backchannel_providers",
    "open_in_new_tab",
    "meta_launch_url",
    "meta_icon",
    "meta_description",
    "meta_publisher",
    "meta_hide",
    "policy_engine_mode",
    "group",
)


class AppObjects(InstanceRecords):
    """The OAuth2 provider and application endpoints, and the built-ins' listings."""

    passes: Any  # the policy engine, from PolicyObjects

    # --- built-ins ------------------------------------------------------------------------------------

    def list_flows(self, query: Query, **_: Any) -> Reply:
        filters = {"slug": equals("slug"), "designation": equals("designation"), "flow_uuid": equals("pk")}
        return page(filtered(self.flows.values(), query, {**filters, "name": equals("name")}, "slug"), query)

    def list_scope_mappings(self, query: Query, **_: Any) -> Reply:
        filters = {"managed": equals("managed"), "scope_name": equals("scope_name"), "name": equals("name")}
        return page(filtered(self.scope_mappings.values(), query, filters, "scope_name"), query)

    def list_keypairs(self, query: Query, **_: Any) -> Reply:
        filters = {"name": equals("name"), "has_key": lambda k, v: k["private_key_available"] == boolean(v)}
        return page(filtered(self.keypairs.values(), query, filters, "name"), query)

    # --- OAuth2 providers -----------------------------------------------------------------------------

    def list_providers(self, query: Query, **_: Any) -> Reply:
        filters = {"name": equals("name"), "client_id": equals("client_id")}
        found = filtered(self.providers.values(), query, filters, "name")
        return page([self.provider_json(p) for p in found], query)

    def create_provider(self, body: Json, **_: Any) -> Reply:
        defaults = {
            "pk": self.next_provider_pk,
            "authentication_flow": None,
            "property_mappings": [],
            "client_type": "confidential",
            "client_id": secrets.token_urlsafe(30)[:40],
            "client_secret": secrets.token_urlsafe(96)[:128],
            "access_code_validity": "minutes=1",
            "access_token_validity": "hours=1",
            "refresh_token_validity": "days=30",
            "refresh_token_threshold": "seconds=0",
            "include_claims_in_id_token": True,
            "signing_key": None,
            "encryption_key": None,
            "logout_uri": "",
            "logout_method": "backchannel",
            "sub_mode": "hashed_user_id",
            "issuer_mode": "per_provider",
            "jwt_federation_sources": [],
            "jwt_federation_providers": [],
            "grant_types": ["authorization_code", "refresh_token"],  # unverified: the 2026.5 model default
        }
        provider = self._checked_provider(merge(defaults, body, self._provider_fields()))
        self.next_provider_pk += 1
        self.providers[provider["pk"]] = provider
        return Reply(201, self.provider_json(provider))

    def get_provider(self, pk: str, **_: Any) -> Reply:
        return Reply(200, self.provider_json(self._provider(int(pk))))

    def update_provider(self, pk: str, body: Json, **_: Any) -> Reply:
        provider = self._checked_provider(merge(self._provider(int(pk)), body, self._provider_fields()))
        self.providers[provider["pk"]] = provider
        return Reply(200, self.provider_json(provider))

    def delete_provider(self, pk: str, **_: Any) -> Reply:
        provider = self._provider(int(pk))
        del self.providers[provider["pk"]]
        for app in self.applications.values():
            if app["provider"] == provider["pk"]:
                app["provider"] = None
        return Reply(204, {})

    def provider_json(self, provider: Json) -> Json:
        return {**self.shown(provider), **self._provider_summary(provider)}

    def _provider_fields(self) -> tuple[str, ...]:
        return self.kept_fields(_PROVIDER_FIELDS)

    def _provider_summary(self, provider: Json) -> Json:
        app = next((a for a in self.applications.values() if a["provider"] == provider["pk"]), None)
        keys = ("pk", "name", "authentication_flow", "authorization_flow", "invalidation_flow")
        return {
            **{key: provider[key] for key in keys},
            # a many-to-many field comes back in the database's order, not the order it was sent in
            "property_mappings": sorted(provider["property_mappings"]),
            "component": "ak-provider-oauth2-form",
            "assigned_application_slug": app["slug"] if app else None,
            "assigned_application_name": app["name"] if app else None,
            "assigned_backchannel_application_slug": None,
            "assigned_backchannel_application_name": None,
            "verbose_name": "OAuth2/OpenID Provider",
            "verbose_name_plural": "OAuth2/OpenID Providers",
            "meta_model_name": "authentik_providers_oauth2.oauth2provider",
        }

    def _provider(self, pk: int) -> Json:
        if pk not in self.providers:
            raise not_found("OAuth2Provider")
        return self.providers[pk]

    def _checked_provider(self, provider: Json) -> Json:
        others = [p for p in self.providers.values() if p["pk"] != provider["pk"]]
        if any(p["name"] == provider["name"] for p in others):
            raise already_exists("provider", "name")  # lower case, as 2026.5.0-rc1 words it
        if any(p["client_id"] == provider["client_id"] for p in others):
            raise already_exists("OAuth2/OpenID Provider", "client_id")
        for key in ("authentication_flow", "authorization_flow", "invalidation_flow"):
            if provider[key] is not None and provider[key] not in self.flows:
                raise no_such_pk(key, provider[key])
        for key in ("signing_key", "encryption_key"):
            if provider[key] is not None and provider[key] not in self.keypairs:
                raise no_such_pk(key, provider[key])
        for mapping in provider["property_mappings"]:
            if mapping not in self.scope_mappings:
                raise no_such_pk("property_mappings", mapping)
        for key in _DURATIONS:
            _check_duration(key, provider[key])
        provider["redirect_uris"] = [_redirect_uri(entry) for entry in provider["redirect_uris"]]
        return provider

    # --- applications ---------------------------------------------------------------------------------

    def list_applications(self, query: Query, **_: Any) -> Reply:
        options = ("superuser_full_list", "for_user", "only_with_launch_url")
        filters = {"slug": equals("slug"), "name": equals("name"), "group": equals("group")}
        apps = filtered(
            self.applications.values(), query, {**filters, **dict.fromkeys(options, _any)}, "name"
        )
        reply = page([self.application_json(a) for a in apps], query)
        if not boolean(query.get("superuser_full_list", "false")):
            # Even for a superuser the list shows only what the user may access, unless asked otherwise;
            # the real server pages first and filters the page after (its `pagination` counts every
            # application, a page can come back short or empty while `next` goes on).
            viewer = self.users.get(int(query.get("for_user") or self.token_user))
            reply.body["results"] = [
                a
                for a in reply.body["results"]
                if viewer is not None and self.passes(self.application_by_slug(a["slug"]), viewer)
            ]
        return reply

    def create_application(self, body: Json, **_: Any) -> Reply:
        defaults = {
            "pk": new_uuid(),
            "provider": None,
            "backchannel_providers": [],
            "open_in_new_tab": False,
            "meta_launch_url": "",
            "meta_icon": "",
            "meta_description": "",
            "meta_publisher": "",
            "meta_hide": False,
            "policy_engine_mode": "any",
            "group": "",
        }
        app = self._checked_application(merge(defaults, body, self.kept_fields(_APP_FIELDS)))
        self.applications[app["pk"]] = app
        return Reply(201, self.application_json(app))

    def get_application(self, slug: str, **_: Any) -> Reply:
        return Reply(200, self.application_json(self.application_by_slug(slug)))

    def update_application(self, slug: str, body: Json, **_: Any) -> Reply:
        app = self._checked_application(
            merge(self.application_by_slug(slug), body, self.kept_fields(_APP_FIELDS))
        )
        self.applications[app["pk"]] = app
        return Reply(200, self.application_json(app))

    def delete_application(self, slug: str, **_: Any) -> Reply:
        app = self.application_by_slug(slug)
        del self.applications[app["pk"]]
        for binding in [b for b in self.bindings.values() if b["target"] == app["pk"]]:
            del self.bindings[binding["pk"]]
        return Reply(204, {})

    def application_json(self, app: Json) -> Json:
        provider = self.providers.get(app["provider"]) if app["provider"] is not None else None
        icon = app["meta_icon"]
        return {
            **self.shown(app),
            "provider_obj": self._provider_summary(provider) if provider else None,
            "backchannel_providers_obj": [],
            "launch_url": app["meta_launch_url"] or _guessed_launch_url(provider),
            "meta_icon_url": (icon if icon.startswith(("http", "fa://")) else f"/media/{icon}")
            if icon
            else None,
            "meta_icon_themed_urls": None,
        }

    def application_by_slug(self, slug: str) -> Json:
        found = next((a for a in self.applications.values() if a["slug"] == slug), None)
        if found is None:
            raise not_found("Application")
        return found

    def _checked_application(self, app: Json) -> Json:
        others = [a for a in self.applications.values() if a["pk"] != app["pk"]]
        if any(a["slug"] == app["slug"] for a in others):
            raise already_exists("Application", "slug")
        if app["provider"] is not None:
            if app["provider"] not in self.providers:
                raise no_such_pk("provider", app["provider"])
            if any(a["provider"] == app["provider"] for a in others):
                raise already_exists("Application", "provider")
        for backchannel in app["backchannel_providers"]:
            if backchannel not in self.providers:
                raise no_such_pk("backchannel_providers", backchannel)
        return app


def _any(obj: Json, value: str) -> bool:
    return True


def _check_duration(field: str, value: str) -> None:
    """Authentik's `timedelta_string_validator`: `unit=number` pairs joined by `;`."""
    for part in value.split(";"):
        unit, sep, number = part.strip().partition("=")
        try:
            ok = bool(sep) and unit in _DURATION_UNITS and float(number) >= 0
        except ValueError:
            ok = False
        if not ok:
            raise field_error(field, f"{value} is not in the correct format of 'hours=3;minutes=1'.")


def _redirect_uri(entry: Json) -> Json:
    if entry["matching_mode"] == "regex":
        try:
            re.compile(entry["url"])
        except re.error:
            raise field_error("redirect_uris", f"Invalid Regex Pattern: {entry['url']}") from None
    return {**entry, "redirect_uri_type": entry.get("redirect_uri_type") or "authorization"}


def _guessed_launch_url(provider: Json | None) -> str | None:
    """What the OAuth2 provider offers when the application has no launch URL: its first redirect's origin."""
    if provider is None or not provider["redirect_uris"]:
        return None
    parts = urlsplit(provider["redirect_uris"][0]["url"])
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))
