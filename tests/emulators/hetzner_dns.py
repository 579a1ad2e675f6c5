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
import json
import math
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from openapi_core import OpenAPI
from werkzeug.datastructures import Headers

from tests.emulators.hetzner_dns_state import HetznerProject, NotEmulated, Rejected, error_body, invalid_input
from tests.emulators.loopback import Drop, FaultKind, Faults, Hang, LoopbackServer, Outcome, Reply
from tests.emulators.openapi_check import SpecRequest, check_request, response_errors
from tests.specs import HETZNER_CLOUD, load_spec

TOKEN = "emulator-token"
RATE_LIMIT = 3600
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


@dataclass
class Call:
    method: str
    path: str  # without `/v1` and the query
    status: int | None  # None: the emulator hung or dropped the connection as told
    at: float
    headers: dict[str, str] = field(default_factory=dict)


@dataclass
class InvalidRequest:
    method: str
    path: str
    status: int
    error: dict[str, Any]


class EmulatorBug(AssertionError):
    pass


class HetznerDnsEmulator:
    """The Cloud DNS API of one project, served at `url` once a `LoopbackServer` runs it."""

    def __init__(self, openapi: OpenAPI) -> None:
        self.openapi = openapi
        self.url = ""
        self.faults = Faults()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """An empty project with default behaviour, as each test starts with."""
        with self._lock:
            self.project = HetznerProject()
            self.calls: list[Call] = []
            self.invalid_requests: list[InvalidRequest] = []
            self.bugs: list[str] = []
            self.faults.clear()
            self.rate_limit_reset_delay = 1.0
            self.hang_seconds = 5.0

    @property
    def write_count(self) -> int:
        """Calls that could change something: every non-GET request received, whatever its answer."""
        return sum(call.method != "GET" for call in self.calls)

    def fail_next(self, method: str, path_pattern: str, kind: FaultKind, times: int = 1) -> None:
        """The next `times` METHOD calls to a path matching the glob (`/zones/*/rrsets`, no `/v1`) fail so:
        `429` (with RateLimit headers, reset `rate_limit_reset_delay` s ahead), `503`, `hang` (past the
        client's timeout, for `hang_seconds`) or `drop` (the connection closes unanswered)."""
        self.faults.add(method, path_pattern, kind, times)

    def fail_next_action(self, code: str = "action_failed", message: str = "the action failed") -> None:
        """The next change is not applied; its action ends in `error` with this code and message."""
        with self._lock:
            self.project.failing_actions.append((code, message))

    def claim_invalid_requests(self) -> list[InvalidRequest]:
        """Take the recorded invalid requests, for a test that sent them on purpose."""
        with self._lock:
            claimed, self.invalid_requests = self.invalid_requests, []
        return claimed

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        request = SpecRequest.from_http(method, target, headers, body, _REAL_HOST)
        path = request.path.removeprefix("/v1")
        with self._lock:
            outcome = self._outcome(method, path, request)
            if isinstance(outcome, Reply):
                outcome.headers = {**self._rate_limit_headers(), **outcome.headers}
                outcome = self._checked(request, outcome)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, status, time.time(), getattr(outcome, "headers", {})))
        return outcome

    def _outcome(self, method: str, path: str, request: SpecRequest) -> Outcome:
        try:
            self._check(request)
            fault = self.faults.take(method, path)
            if fault is not None:
                return self._fault(fault)
            body = json.loads(request.body) if request.body else {}
            return self.project.route(method, path, request.parameters.query, body)
        except Rejected as rejected:
            if rejected.invalid:
                error = rejected.reply.body["error"]
                self.invalid_requests.append(InvalidRequest(method, path, rejected.reply.status, error))
            return rejected.reply
        except NotEmulated as exc:
            self.bugs.append(f"{exc} is in the spec but not emulated")
            return Reply(599, error_body("emulator_bug", f"{exc} is not emulated"))

    def _check(self, request: SpecRequest) -> None:
        verdict = check_request(self.openapi, request)
        token_ok = request.parameters.header.get("Authorization") == f"Bearer {TOKEN}"
        if verdict.problem == "unauthenticated" or not token_ok:
            raise Rejected(401, "unauthorized", "unable to authenticate", invalid=True)
        if verdict.problem == "unknown_path":
            raise Rejected(404, "not_found", "the requested resource was not found", invalid=True)
        if verdict.problem == "invalid_input":
            raise invalid_input(verdict.fields)

    def _fault(self, kind: FaultKind) -> Outcome:
        if kind == "429":
            reset = math.ceil(time.time() + self.rate_limit_reset_delay)
            headers = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
            return Reply(
                429, error_body("rate_limit_exceeded", "limit of 3600 requests per hour reached"), headers
            )
        if kind == "503":
            return Reply(503, error_body("unavailable", "service temporarily unavailable"))
        return Hang(self.hang_seconds) if kind == "hang" else Drop()

    def _rate_limit_headers(self) -> dict[str, str]:
        remaining = max(RATE_LIMIT - len(self.calls) - 1, 1)
        reset = int(time.time()) + RATE_LIMIT - remaining  # the bucket refills one request a second
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    def _checked(self, request: SpecRequest, reply: Reply) -> Reply:
        errors = response_errors(self.openapi, request, reply.status, reply.body, Headers(reply.headers))
        if not errors:
            return reply
        bug = f"{request.method.upper()} {request.path} -> {reply.status} breaks the spec: {errors}; {reply.body}"
        self.bugs.append(bug)
        return Reply(599, error_body("emulator_bug", bug[:2000]), reply.headers)


@pytest.fixture(scope="session")
def hetzner_dns_session() -> Iterator[HetznerDnsEmulator]:
    """The emulator, served for the whole session: the spec is checked and loaded once."""
    emulator = HetznerDnsEmulator(hetzner_openapi())
    with LoopbackServer(emulator) as server:
        emulator.url = f"{server.url}/v1"
        yield emulator


@pytest.fixture
def hetzner_dns(hetzner_dns_session: HetznerDnsEmulator) -> Iterator[HetznerDnsEmulator]:
    """A fresh emulated project at `.url` (bearer `TOKEN`); fails the test on unclaimed invalid requests or bugs."""
    emulator = hetzner_dns_session
    emulator.reset()
    yield emulator
    if emulator.bugs:
        raise EmulatorBug("\n".join(emulator.bugs))
    if emulator.invalid_requests:
        raise AssertionError(f"the client sent requests the API would reject: {emulator.invalid_requests}")
