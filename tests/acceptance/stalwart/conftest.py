"""The Stalwart providers against a real Stalwart 0.16, through the counting and recording proxy.

Every test works on domains of its own (`<label>-<run>.de`, a random run id), made through the providers or by
hand with a client through the proxy, and a finalizer removes every account, list, DKIM key and domain of them
afterwards with a client that bypasses the proxy, so the recordings hold only what the test itself did.

Stalwart's management API is JMAP: every call is a `POST /jmap`, so the proxy's reads and writes (by HTTP
method) say nothing here. `Tier.sets()` counts the `/set` method calls that crossed the proxy instead: the
only calls that can change anything.
"""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

import httpx
import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.stalwart.client import Change, StalwartClient, StalwartSettings
from components.stalwart.provider import DKIM_SELECTOR_TEMPLATE, DKIM_SIGNATURE_TYPES
from tests.acceptance.conftest import RealServer, Recorder
from tests.fixtures.counting_proxy import Exchange

P = TypeVar("P")
GiB = 1024**3


@dataclass
class Tier:
    """One test's view of the real server: the proxy, providers and clients through it, its own domains."""

    server: RealServer
    rec: Recorder
    run: str = field(default_factory=lambda: secrets.token_hex(3))
    domains: list[str] = field(default_factory=list)

    @property
    def settings(self) -> StalwartSettings:
        return StalwartSettings(
            self.rec.url, self.server.token, timeout=30.0, dkim_wait=60.0, poll_interval=0.2
        )

    def domain(self, label: str = "nordlicht") -> str:
        """A domain name no other run uses; removed with everything on it when the test ends."""
        name = f"{label}-{self.run}.de"
        if name not in self.domains:
            self.domains.append(name)
        return name

    def provider(self, provider_class: type[P]) -> P:
        """A provider configured the way the engine does it, pointed at the proxy."""
        provider = provider_class()
        raw = {"dezky:stalwartUrl": self.rec.url, "dezky:stalwartToken": self.server.token}
        provider.configure(ConfigureRequest(Config(raw, "dezky")))  # type: ignore[attr-defined]
        provider.settings = replace(  # type: ignore[attr-defined]
            provider.settings, timeout=30.0, dkim_wait=60.0, poll_interval=0.2
        )
        return provider

    def client(self) -> StalwartClient:
        """A client through the proxy (recorded), for what a test does by hand."""
        return StalwartClient(self.settings)

    # --- what crossed the proxy -------------------------------------------------------------------------

    def mark(self) -> int:
        return len(self.rec.proxy.counter.exchanges)

    def methods(self, since: int = 0) -> list[str]:
        names = []
        for exchange in self.rec.proxy.counter.exchanges[since:]:
            try:
                names += [call[0] for call in json.loads(exchange.request_body)["methodCalls"]]
            except (ValueError, KeyError, TypeError):
                names.append(f"{exchange.method} {exchange.target}")
        return names

    def sets(self, since: int = 0) -> int:
        """`/set` method calls since `mark()`: the writes."""
        return sum(name.endswith("/set") for name in self.methods(since))

    # --- signing in, straight to the server (not recorded: the emulator has no session endpoint) --------

    def sign_in(self, address: str, password: str) -> int:
        """The HTTP status of a JMAP session request with the account's own password."""
        answer = httpx.get(f"{self.server.url}/jmap/session", auth=(address, password), timeout=30)
        return answer.status_code


def domain_object(name: str, **overrides: Any) -> dict[str, Any]:
    """An `x:Domain` as the domain provider creates it."""
    return {
        "name": name,
        "catchAllAddress": None,
        "isEnabled": True,
        "dkimManagement": {
            "@type": "Automatic",
            "algorithms": dict.fromkeys(DKIM_SIGNATURE_TYPES.values(), True),
            "selectorTemplate": DKIM_SELECTOR_TEMPLATE,
        },
        "dnsManagement": {"@type": "Manual"},
        **overrides,
    }


@pytest.fixture
def server() -> RealServer:
    return RealServer.from_env("stalwart")


@pytest.fixture
def tier(server: RealServer, recorded: Callable[[RealServer], Recorder]) -> Iterator[Tier]:
    made = Tier(server, recorded(server))
    yield made
    _keep_one_of_each_repeated_read(made.rec.proxy.counter.exchanges)
    with StalwartClient(StalwartSettings(server.url, server.token, timeout=60.0)) as direct:
        for name in made.domains:
            remove_domain(direct, name)


def _keep_one_of_each_repeated_read(exchanges: list[Exchange]) -> None:
    """Before the recording is written: a read repeated with the same answer (the domain provider polling for
    the DKIM keys, which takes the real server as long as it takes) is kept once. The count of polls is the
    server's timing, not its behaviour; the emulator makes the RSA key after one read of the Ed25519 key
    alone. Writes are never folded, however alike."""
    kept: list[Exchange] = []
    for exchange in exchanges:
        repeated = kept and _key(kept[-1]) == _key(exchange)
        if not (repeated and set(_method_names(exchange)) <= {"get", "query"}):
            kept.append(exchange)
    exchanges[:] = kept


def _key(exchange: Exchange) -> tuple[Any, ...]:
    return (exchange.method, exchange.target, exchange.request_body, exchange.status, exchange.response_body)


def _method_names(exchange: Exchange) -> list[str]:
    try:
        return [call[0].rsplit("/", 1)[-1] for call in json.loads(exchange.request_body)["methodCalls"]]
    except (ValueError, KeyError, TypeError, AttributeError):
        return ["?"]


def wait_for_keys(client: StalwartClient, domain_id: str) -> None:
    """Until the server has made both DKIM keys of a domain made by hand (the RSA key comes later)."""
    deadline = time.monotonic() + 60
    while len(client.dkim_signatures(domain_id)) < len(DKIM_SIGNATURE_TYPES):
        assert time.monotonic() < deadline, "no DKIM keys after 60 s"
        time.sleep(0.1)


def remove_domain(client: StalwartClient, name: str) -> None:
    """Everything on a domain, then the domain: lists, users (members first), groups, DKIM keys."""
    domain = client.find_domain(name)
    if domain is None:
        return
    lists = [m["id"] for m in client.get("x:MailingList") if m.get("domainId") == domain["id"]]
    accounts = client.get("x:Account", client.query("x:Account", {"domainId": domain["id"]}))
    users = [a["id"] for a in accounts if a["@type"] == "User"]
    groups = [a["id"] for a in accounts if a["@type"] == "Group"]
    keys = [s["id"] for s in client.dkim_signatures(domain["id"])]
    for object_name, ids in (("x:MailingList", lists), ("x:Account", users), ("x:Account", groups),
                             ("x:DkimSignature", keys), ("x:Domain", [domain["id"]])):  # fmt: skip
        for start in range(0, len(ids), 100):
            client.change(Change(object_name, f"cleanup of {name}", destroy=tuple(ids[start : start + 100])))
