"""A stateful emulator of the Hetzner Cloud DNS API (zones, RRsets, actions), checked against the vendored spec.

Every request and every response goes through openapi-core with `load_spec(HETZNER_CLOUD)`. A request the spec
or the API's documented rules reject gets the real error body (400 `invalid_input` with `details.fields`, 401,
404) and is recorded in `invalid_requests`; the `hetzner_dns` fixture fails a test that leaves one there
unclaimed. A response that breaks the spec is an emulator bug: the client gets status 599 (never retried) and
the test fails at teardown.

The spec is patched on a copy in memory, for two reasons:
- its responses are keyed `4xx`/`5xx`; OpenAPI 3.1 only allows `4XX`/`5XX`, so openapi-spec-validator rejects
  the file as vendored and openapi-core's ResponseFinder would never match an error response;
- only `/zones…` and `/actions/{id}` are kept: checking all 151 paths takes ~12 s, this subset ~1.5 s.
"""

from __future__ import annotations

import copy
import functools

from openapi_core import OpenAPI

from tests.emulators.base import EmulatorBug, InvalidRequest, emulator_fixtures
from tests.emulators.hetzner_cloud import RATE_LIMIT, Call, HetznerCloudEmulator
from tests.emulators.hetzner_dns_state import HetznerProject
from tests.specs import HETZNER_CLOUD, load_spec

__all__ = ["RATE_LIMIT", "TOKEN", "Call", "EmulatorBug", "HetznerDnsEmulator", "InvalidRequest"]

TOKEN = "emulator-token"
_REAL_HOST = "https://api.hetzner.cloud"


@functools.cache
def hetzner_openapi() -> OpenAPI:
    """The DNS part of the Hetzner Cloud spec as openapi-core's OpenAPI object, patched as the module says."""
    spec = copy.deepcopy(load_spec(HETZNER_CLOUD))
    spec["paths"] = {p: v for p, v in spec["paths"].items() if p.startswith("/zones") or p == "/actions/{id}"}
    for operation in (op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)):
        responses = operation.get("responses", {})
        for status in [s for s in responses if s.endswith("xx")]:
            responses[status.upper()] = responses.pop(status)
    return OpenAPI.from_dict(spec)


class HetznerDnsEmulator(HetznerCloudEmulator):
    """The Cloud DNS API of one project, served at `url` once a `LoopbackServer` runs it.

    `fail_next` globs match paths without `/v1` (`/zones/*/rrsets`); a `429` carries RateLimit headers whose
    reset lies `rate_limit_reset_delay` s ahead."""

    token = TOKEN
    real_host = _REAL_HOST

    def _new_project(self) -> HetznerProject:
        return HetznerProject()


hetzner_dns_session, hetzner_dns = emulator_fixtures(
    "hetzner_dns",
    lambda: HetznerDnsEmulator(hetzner_openapi()),
    server_fixture="hetzner_dns_session",
    service="the API",
    url_suffix="/v1",
    doc="A fresh emulated project at `.url` (bearer `TOKEN`); fails the test on unclaimed invalid requests or bugs.",
)
