"""The Authentik providers against a real Authentik 2026.5, through the counting and recording proxy.

Every test works on a tenant of its own (`acc<run>`, a random run id): its brand, groups, users, OAuth2
providers, applications and bindings carry the slug, so runs never meet each other on the same server. A
finalizer removes everything of that tenant with a client that bypasses the proxy, so the recordings hold only
what the test itself did.

`Tier.writes()` counts the calls that crossed the proxy with a method other than GET: the only calls that can
change anything in Authentik's REST API.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.authentik import objects
from components.authentik.client import AuthentikClient, AuthentikSettings
from dezky.tenants.model import Tenant, TenantGroup
from tests.acceptance.conftest import RealServer, Recorder
from tests.authentik.conftest import tenant

P = TypeVar("P")
TIMEOUT = 30.0  # a cold real server answers its first calls slowly


@dataclass
class Tier:
    """One test's view of the real server: the proxy, providers and clients through it, its own tenants."""

    server: RealServer
    rec: Recorder
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    tenants: list[Tenant] = field(default_factory=list)

    def tenant(self, label: str = "") -> Tenant:
        """A tenant no other run uses (`acc<run><label>`); all its objects are removed when the test ends."""
        made = tenant(f"acc{self.run}{label}")
        if made.slug not in {t.slug for t in self.tenants}:
            self.tenants.append(made)
        return made

    @property
    def settings(self) -> AuthentikSettings:
        return AuthentikSettings(self.rec.url, self.server.token, request_timeout=TIMEOUT)

    def provider(self, provider_class: type[P]) -> P:
        """A provider configured the way the engine does it, pointed at the proxy."""
        provider = provider_class()
        raw = {"dezky:authentikUrl": self.rec.url, "dezky:authentikToken": self.server.token}
        provider.configure(ConfigureRequest(Config(raw, "dezky")))  # type: ignore[attr-defined]
        provider.settings = AuthentikSettings(  # type: ignore[attr-defined]
            self.rec.url, self.server.token, request_timeout=TIMEOUT
        )
        return provider

    def client(self) -> AuthentikClient:
        """A client through the proxy (recorded), for what a test does by hand."""
        return AuthentikClient(self.settings)

    def direct(self) -> AuthentikClient:
        """A client straight to the server (not recorded, not counted): for looking behind the test's back."""
        return AuthentikClient(AuthentikSettings(self.server.url, self.server.token, request_timeout=TIMEOUT))

    # --- what crossed the proxy -------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.rec.proxy.counter.exchanges)

    def calls(self, since: int = 0) -> list[str]:
        return [f"{e.method} {e.target}" for e in self.rec.proxy.counter.exchanges[since:]]

    def writes(self, since: int = 0) -> list[str]:
        """The calls since `mark()` that could change something (every method but GET)."""
        return [call for call in self.calls(since) if not call.startswith("GET ")]

    # --- signing in, straight to the server (not recorded: the emulator has no flow executor) -----------

    def set_password(self, username: str) -> str:
        """Give a user a generated password, as the user would through the recovery flow; returns it."""
        password = self.rec.secret(f"Acc-{secrets.token_urlsafe(12)}-9!")
        with self.direct() as direct:
            user = direct.find_user(username)
            assert user is not None
            direct._send("POST", f"/core/users/{user['pk']}/set_password/", json={"password": password})
        return password

    def sign_in(self, username: str, password: str) -> bool:
        """Whether the default authentication flow lets the user in with that password."""
        path = "/api/v3/flows/executor/default-authentication-flow/?query="
        with httpx.Client(base_url=self.server.url, timeout=TIMEOUT, follow_redirects=True) as browser:
            browser.get(path).raise_for_status()
            answer = browser.post(path, json={"component": "ak-stage-identification", "uid_field": username})
            if answer.json().get("component") != "ak-stage-password":
                return False
            answer = browser.post(path, json={"component": "ak-stage-password", "password": password})
            return answer.json().get("component") == "xak-flow-redirect"


@pytest.fixture
def server() -> RealServer:
    return RealServer.from_env("authentik")


@pytest.fixture
def tier(server: RealServer, recorded: Callable[[RealServer], Recorder]) -> Iterator[Tier]:
    made = Tier(server, recorded(server))
    yield made
    with made.direct() as direct:
        for each in made.tenants:
            remove_tenant(direct, each)


def remove_tenant(client: AuthentikClient, each: Tenant) -> None:
    """Every object of one tenant: bindings and applications, OAuth2 providers, users, groups, the brand."""
    prefix = f"{each.slug}-"
    # Without `superuser_full_list` the list shows even a superuser only the applications it may use.
    listed = client._paginate("/core/applications/", {"search": each.slug, "superuser_full_list": True})
    for app in list(listed):
        if app["slug"].startswith(prefix):
            for binding in client.list_bindings(app["pk"]):
                client.delete_binding(binding["pk"])
            client.delete_application(app["slug"])
    for found in list(client._paginate("/providers/oauth2/", {"search": each.slug})):
        if found["name"].startswith(prefix):
            client.delete_oauth2_provider(found["pk"])
    for user in list(client._paginate("/core/users/", {"path": f"tenants/{each.slug}"})):
        client.delete_user(user["pk"])
    for group in TenantGroup:
        found = client.find_group(objects.group_name(each, group))
        if found is not None:
            client.delete_group(found["pk"])
    brand = client.find_brand(objects.portal_host(each))
    if brand is not None:
        client.delete_brand(brand["brand_uuid"])


def only(items: list[Any]) -> Any:
    assert len(items) == 1, items
    return items[0]
