"""Before a run that talks to the services: is each one there? Fail fast, once per service, with its URL.

A provider that cannot connect retries with backoff, per object; with a service down, a drift check of every
tenant would wait minutes before saying anything. One TCP connect per configured service, before the engine
starts, says at once which service is missing and where the stack's config says it is.
"""

from __future__ import annotations

import socket
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

#: the stack config key of each service's URL, by the name an operator knows it by
SERVICE_URL_KEYS = {
    "Authentik": "dezky:authentikUrl",
    "Stalwart": "dezky:stalwartUrl",
    "OCIS": "dezky:ocisUrl",
}
DNS_URL_KEYS = {
    "powerdns": ("PowerDNS", "dezky:powerdnsUrl"),
    "hetzner": ("Hetzner DNS", "dezky:hetznerDnsEndpoint"),
}
CONNECT_TIMEOUT = 3.0


class ServiceUnreachable(Exception):
    """A service the run needs does not answer at the URL the stack's config gives; nothing was run."""


@dataclass(frozen=True)
class Service:
    name: str
    url: str


def services_of(config: Mapping[str, str]) -> list[Service]:
    found = [Service(name, config[key]) for name, key in SERVICE_URL_KEYS.items() if config.get(key)]
    dns_name, dns_key = DNS_URL_KEYS.get(
        config.get("dezky:dnsBackend") or "powerdns", DNS_URL_KEYS["powerdns"]
    )
    if config.get(dns_key):
        found.append(Service(dns_name, config[dns_key]))
    return found


def unreachable(services: list[Service], timeout: float = CONNECT_TIMEOUT) -> list[tuple[Service, str]]:
    """Each service that refuses or ignores a TCP connection, with the reason."""
    failed = []
    for service in services:
        parts = urlsplit(service.url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
        try:
            with socket.create_connection((parts.hostname or "", port), timeout=timeout):
                pass
        except OSError as exc:
            failed.append((service, exc.strerror or type(exc).__name__))
    return failed


def require_reachable(config: Mapping[str, str], stack: str) -> None:
    failed = unreachable(services_of(config))
    if failed:
        lines = [f"  - {service.name} at {service.url}: {reason}" for service, reason in failed]
        raise ServiceUnreachable(
            "\n".join(
                [
                    f"stack {stack} needs services that do not answer; nothing was run:",
                    *lines,
                    "Start them (locally: `make sandbox`), or fix their URLs in the stack's config.",
                ]
            )
        )
