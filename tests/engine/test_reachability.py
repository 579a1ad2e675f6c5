"""A run that needs a service that is down says so at once, once per service, with the URL from the config."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import pytest

from dezky.engine.reachability import ServiceUnreachable, require_reachable, services_of


@pytest.fixture
def listening() -> Iterator[int]:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    yield server.getsockname()[1]
    server.close()


def closed_port() -> int:
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    return port


def test_each_unreachable_service_is_named_once_with_its_url(listening: int):
    down = closed_port()
    config = {
        "dezky:authentikUrl": f"http://127.0.0.1:{listening}",
        "dezky:stalwartUrl": f"http://127.0.0.1:{down}",
        "dezky:ocisUrl": f"https://127.0.0.1:{down}",
        "dezky:powerdnsUrl": f"http://127.0.0.1:{listening}",
    }
    started = time.monotonic()

    with pytest.raises(ServiceUnreachable) as refused:
        require_reachable(config, "dev")

    message = str(refused.value)
    assert time.monotonic() - started < 5
    assert f"  - Stalwart at http://127.0.0.1:{down}: Connection refused" in message
    assert f"  - OCIS at https://127.0.0.1:{down}: Connection refused" in message
    assert message.count(" at ") == 2 and "Authentik" not in message and "PowerDNS" not in message


def test_all_services_up_passes(listening: int):
    require_reachable({"dezky:stalwartUrl": f"http://127.0.0.1:{listening}"}, "dev")


def test_the_dns_backend_the_stack_uses_is_the_one_checked():
    config = {"dezky:dnsBackend": "hetzner", "dezky:hetznerDnsEndpoint": "https://dns.example/v1",
              "dezky:powerdnsUrl": "http://127.0.0.1:8081"}  # fmt: skip

    assert [(s.name, s.url) for s in services_of(config)] == [("Hetzner DNS", "https://dns.example/v1")]
