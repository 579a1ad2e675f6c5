"""A thin client for the Authentik API (`/api/v3`): the objects one tenant's identity needs, nothing more.

Written against `specs/authentik-2026.5.6-schema.yml`. Lists are paged with `page`/`page_size` and end when
`pagination.next` is 0; a 400 carries DRF field errors (`{"<field>": ["..."]}`), flattened here into messages
that name the field; lookups answer None where the server answers 404. Every request goes through the shared
`send`, so retries on 429, 5xx and timeouts behave as for every other service.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast
from urllib.parse import quote

import httpx

from components.authentik.wire import (
    Application,
    ApplicationRequest,
    Brand,
    BrandRequest,
    CertificateKeyPair,
    Flow,
    Group,
    GroupRequest,
    OAuth2Provider,
    OAuth2ProviderRequest,
    PolicyBinding,
    PolicyBindingRequest,
    PolicyTestResult,
    ScopeMapping,
    User,
    UserRequest,
)
from components.common.http import (
    RETRY_ATTEMPTS,
    RETRY_STATUSES,
    ApiClient,
    ApiError,
    OutcomeUnknown,
    server_asked_wait,
)

SERVICE = "Authentik"
PAGE_SIZE = 100  # the server's maximum page size


@dataclass(frozen=True)
class AuthentikSettings:
    """Where the API is (the server's root URL) and the API token of a superuser, kept out of reprs."""

    url: str
    token: str = field(repr=False)
    request_timeout: float = 10.0


def authentik_settings_from_config(config: Any) -> AuthentikSettings:
    """From the stack configuration a dynamic provider's `configure` receives."""
    return AuthentikSettings(
        url=str(config.require("dezky:authentikUrl")), token=str(config.require("dezky:authentikToken"))
    )


def error_message(response: httpx.Response) -> str:
    """The server's own words, each field error prefixed with its field path (`redirect_uris.0.url: ...`)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:500] or response.reason_phrase
    return "; ".join(_messages(body, ())) or response.reason_phrase


def _messages(body: Any, path: tuple[str, ...]) -> list[str]:
    if isinstance(body, Mapping):
        found: list[str] = []
        for key, value in body.items():
            if key != "code":
                found += _messages(
                    value, path if key in ("detail", "non_field_errors") else (*path, str(key))
                )
        return found
    if isinstance(body, list):
        nested = [(i, item) for i, item in enumerate(body) if isinstance(item, Mapping | list)]
        flat = [item for item in body if not isinstance(item, Mapping | list)]
        return [m for item in flat for m in _messages(item, path)] + [
            m for i, item in nested for m in _messages(item, (*path, str(i)))
        ]
    return [f"{'.'.join(path)}: {body}" if path else str(body)]


class AuthentikClient(ApiClient):
    """One HTTP connection pool to one Authentik server. Use as a context manager or call `close`.

    `transport` is httpx's own seam for tests, so the code under test stays the code that runs.
    """

    def __init__(self, settings: AuthentikSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            service=SERVICE,
            error_message=error_message,
            shown={"url": settings.url},
            base_url=settings.url.rstrip("/").removesuffix("/api/v3") + "/api/v3",
            headers={"Authorization": f"Bearer {settings.token}", "Accept": "application/json"},
            timeout=settings.request_timeout,
            transport=transport,
        )
        self._settings = settings
        self._flows: list[Flow] | None = None
        self._scope_mappings: list[ScopeMapping] | None = None
        self._keypairs: list[CertificateKeyPair] | None = None

    # --- brands ---------------------------------------------------------------------------------------

    def find_brand(self, domain: str) -> Brand | None:
        return cast(Brand | None, self._find("/core/brands/", "domain", domain))

    def create_brand(self, brand: BrandRequest) -> Brand:
        return cast(Brand, self._create("/core/brands/", brand))

    def update_brand(self, brand_uuid: str, brand: BrandRequest) -> Brand:
        return cast(Brand, self._json("PATCH", f"/core/brands/{brand_uuid}/", json=brand))

    def delete_brand(self, brand_uuid: str) -> None:
        self._delete(f"/core/brands/{brand_uuid}/")

    # --- groups ---------------------------------------------------------------------------------------

    def find_group(self, name: str) -> Group | None:
        return cast(Group | None, self._find("/core/groups/", "name", name, include_users=False))

    def create_group(self, group: GroupRequest) -> Group:
        return cast(Group, self._create("/core/groups/", group))

    def update_group(self, group_uuid: str, group: GroupRequest) -> Group:
        return cast(Group, self._json("PATCH", f"/core/groups/{group_uuid}/", json=group))

    def delete_group(self, group_uuid: str) -> None:
        self._delete(f"/core/groups/{group_uuid}/")

    def add_user_to_group(self, group_uuid: str, user_pk: int) -> None:
        self._send("POST", f"/core/groups/{group_uuid}/add_user/", json={"pk": user_pk})

    def remove_user_from_group(self, group_uuid: str, user_pk: int) -> None:
        self._send("POST", f"/core/groups/{group_uuid}/remove_user/", json={"pk": user_pk})

    # --- users ----------------------------------------------------------------------------------------

    def find_user(self, username: str) -> User | None:
        return cast(User | None, self._find("/core/users/", "username", username))

    def list_users(self, path: str) -> list[User]:
        """Every user under exactly this path (`tenants/<slug>`)."""
        return cast(list[User], list(self._paginate("/core/users/", {"path": path})))

    def group_member_usernames(self, name: str) -> list[str]:
        """The usernames of a group's direct members; none when there is no such group."""
        group = self._find("/core/groups/", "name", name, include_users=True)
        return [user["username"] for user in (group or {}).get("users_obj") or ()]

    def create_user(self, user: UserRequest) -> User:
        return cast(User, self._create("/core/users/", user))

    def update_user(self, pk: int, user: UserRequest) -> User:
        return cast(User, self._json("PATCH", f"/core/users/{pk}/", json=user))

    def delete_user(self, pk: int) -> None:
        self._delete(f"/core/users/{pk}/")

    # --- OAuth2 providers -----------------------------------------------------------------------------

    def find_oauth2_provider(self, name: str) -> OAuth2Provider | None:
        return cast(OAuth2Provider | None, self._find("/providers/oauth2/", "name", name))

    def create_oauth2_provider(self, provider: OAuth2ProviderRequest) -> OAuth2Provider:
        return cast(OAuth2Provider, self._create("/providers/oauth2/", provider))

    def update_oauth2_provider(self, pk: int, provider: OAuth2ProviderRequest) -> OAuth2Provider:
        return cast(OAuth2Provider, self._json("PATCH", f"/providers/oauth2/{pk}/", json=provider))

    def delete_oauth2_provider(self, pk: int) -> None:
        self._delete(f"/providers/oauth2/{pk}/")

    # --- applications ---------------------------------------------------------------------------------

    def get_application(self, slug: str) -> Application | None:
        return cast(Application | None, self._get_or_none(f"/core/applications/{quote(slug, safe='')}/"))

    def create_application(self, application: ApplicationRequest) -> Application:
        return cast(Application, self._create("/core/applications/", application))

    def update_application(self, slug: str, application: ApplicationRequest) -> Application:
        path = f"/core/applications/{quote(slug, safe='')}/"
        return cast(Application, self._json("PATCH", path, json=application))

    def delete_application(self, slug: str) -> None:
        self._delete(f"/core/applications/{quote(slug, safe='')}/")

    def check_access(self, slug: str, user_pk: int) -> PolicyTestResult:
        """Whether the user may use the application, as the policy engine decides it now."""
        path = f"/core/applications/{quote(slug, safe='')}/check_access/"
        return cast(PolicyTestResult, self._json("GET", path, params={"for_user": user_pk}))

    # --- policy bindings ------------------------------------------------------------------------------

    def list_bindings(self, target: str) -> list[PolicyBinding]:
        return cast(list[PolicyBinding], list(self._paginate("/policies/bindings/", {"target": target})))

    def create_binding(self, binding: PolicyBindingRequest) -> PolicyBinding:
        return cast(PolicyBinding, self._create("/policies/bindings/", binding))

    def update_binding(self, pk: str, binding: PolicyBindingRequest) -> PolicyBinding:
        """Send the binding whole (`target` and its group): 2026.5.0-rc1 validates a PATCH by the request's
        own `target` and answers 405 when it is missing."""
        return cast(PolicyBinding, self._json("PATCH", f"/policies/bindings/{pk}/", json=binding))

    def delete_binding(self, pk: str) -> None:
        self._delete(f"/policies/bindings/{pk}/")

    # --- built-in objects, listed once per client -----------------------------------------------------

    def flows(self) -> list[Flow]:
        if self._flows is None:
            self._flows = cast(list[Flow], list(self._paginate("/flows/instances/", {})))
        return self._flows

    def scope_mappings(self) -> list[ScopeMapping]:
        if self._scope_mappings is None:
            found = self._paginate("/propertymappings/provider/scope/", {})
            self._scope_mappings = cast(list[ScopeMapping], list(found))
        return self._scope_mappings

    def keypairs(self) -> list[CertificateKeyPair]:
        if self._keypairs is None:
            found = self._paginate("/crypto/certificatekeypairs/", {})
            self._keypairs = cast(list[CertificateKeyPair], list(found))
        return self._keypairs

    # --- transport ------------------------------------------------------------------------------------

    def _find(self, path: str, key: str, value: str, **extra: Any) -> dict[str, Any] | None:
        """The one object whose `key` equals `value` exactly (list filters are exact, `search` is not)."""
        return next((o for o in self._paginate(path, {key: value, **extra}) if o[key] == value), None)

    def _paginate(self, path: str, filters: Mapping[str, Any]) -> Iterator[dict[str, Any]]:
        page = 1
        while page:
            body = self._json("GET", path, params={**_query(filters), "page": page, "page_size": PAGE_SIZE})
            yield from body["results"]
            page = int(body["pagination"]["next"])

    def _create(self, path: str, body: Any) -> Any:
        """POST a new object. Unlike every other call, a create is never resent blindly: when its answer is
        lost (connection dropped, timeout, a 5xx from a proxy) the server may hold the object already, and a
        second POST can make a duplicate (Authentik accepts two identical policy bindings). `OutcomeUnknown`
        lets the caller look the object up by its natural key first (`AuthentikProvider.create_or_recover`).
        A 429 means the server did nothing: it is resent after the wait the server asks for."""
        for attempt in range(RETRY_ATTEMPTS):
            try:
                response = self._client.request("POST", path, json=body)
            except httpx.TransportError as exc:  # timeouts included
                raise OutcomeUnknown(SERVICE, "POST", path, type(exc).__name__) from exc
            if response.status_code != 429 or attempt == RETRY_ATTEMPTS - 1:
                break
            time.sleep(server_asked_wait(response) or 0.2 * 2**attempt)
        if response.status_code in RETRY_STATUSES - {429}:
            raise OutcomeUnknown(SERVICE, "POST", path, f"HTTP {response.status_code}")
        if not response.is_success:
            url = str(response.request.url)
            raise ApiError(SERVICE, "POST", url, response.status_code, error_message(response))
        return response.json()

    def _get_or_none(self, path: str) -> dict[str, Any] | None:
        response = self._send("GET", path, ok_statuses=frozenset({404}))
        return None if response.status_code == 404 else response.json()

    def _json(self, method: str, path: str, **kwargs: Any) -> Any:
        return self._send(method, path, **kwargs).json()

    def _delete(self, path: str) -> None:
        """Remove an object; one that is already gone is not an error."""
        self._send("DELETE", path, ok_statuses=frozenset({404}))


def _query(filters: Mapping[str, Any]) -> dict[str, str]:
    return {
        key: str(value).lower() if isinstance(value, bool) else str(value) for key, value in filters.items()
    }
