"""A stateful emulator of Hetzner's Storage Box API (boxes, subaccounts, actions), checked against shapes.

Every request and response goes through openapi-core with the OpenAPI description in `storage_box_spec.py`,
derived from hcloud-python because Hetzner's own spec for this API could not be obtained. A request the shapes
or the API's rules (`storage_box_state.py`) reject gets the real error body (400 `invalid_input` with
`details.fields`, 401, 404, 409) and is recorded in `invalid_requests`; the `storage_box` fixture fails a test
that leaves one unclaimed. A response that breaks the shapes is an emulator bug (status 599, test fails).
Faults and rate-limit headers behave as in the Cloud DNS emulator (`hetzner_dns.py`).
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Iterator

import pytest
from openapi_core import OpenAPI
from werkzeug.datastructures import Headers

from tests.emulators.hetzner_dns import Call, EmulatorBug, InvalidRequest
from tests.emulators.hetzner_dns_state import NotEmulated, Rejected, error_body, invalid_input
from tests.emulators.loopback import Drop, FaultKind, Faults, Hang, LoopbackServer, Outcome, Reply
from tests.emulators.openapi_check import SpecRequest, check_request, response_errors
from tests.emulators.storage_box_spec import storage_box_openapi
from tests.emulators.storage_box_state import StorageBoxProject

TOKEN = "emulator-storage-box-token"
RATE_LIMIT = 3600
_REAL_HOST = "https://api.hetzner.com"


class StorageBoxEmulator:
    """The Storage Box API of one project, served at `url` once a `LoopbackServer` runs it."""

    def __init__(self, openapi: OpenAPI) -> None:
        self.openapi = openapi
        self.url = ""
        self.faults = Faults()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self._lock:
            self.project = StorageBoxProject()
            self.calls: list[Call] = []
            self.invalid_requests: list[InvalidRequest] = []
            self.bugs: list[str] = []
            self.faults.clear()
            self.rate_limit_reset_delay = 1.0
            self.hang_seconds = 5.0

    @property
    def write_count(self) -> int:
        return sum(call.method != "GET" for call in self.calls)

    def fail_next(self, method: str, path_pattern: str, kind: FaultKind, times: int = 1) -> None:
        """As `HetznerDnsEmulator.fail_next`: `429`, `503`, `hang` or `drop` for the next matching calls."""
        self.faults.add(method, path_pattern, kind, times)

    def fail_next_action(self, code: str = "action_failed", message: str = "the action failed") -> None:
        with self._lock:
            self.project.failing_actions.append((code, message))

    def claim_invalid_requests(self) -> list[InvalidRequest]:
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
                # A path the shapes do not describe has no response shape to check the 404 against.
                if self._described:
                    outcome = self._checked(request, outcome)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, status, time.time(), getattr(outcome, "headers", {})))
        return outcome

    def _outcome(self, method: str, path: str, request: SpecRequest) -> Outcome:
        self._described = True
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
            self.bugs.append(f"{exc} is described but not emulated")
            return Reply(599, error_body("emulator_bug", f"{exc} is not emulated"))

    def _check(self, request: SpecRequest) -> None:
        verdict = check_request(self.openapi, request)
        self._described = verdict.problem != "unknown_path"
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
        reset = int(time.time()) + RATE_LIMIT - remaining
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    def _checked(self, request: SpecRequest, reply: Reply) -> Reply:
        errors = response_errors(self.openapi, request, reply.status, reply.body, Headers(reply.headers))
        if not errors:
            return reply
        call = f"{request.method.upper()} {request.path} -> {reply.status}"
        bug = f"{call} breaks the shapes: {errors}; {reply.body}"
        self.bugs.append(bug)
        return Reply(599, error_body("emulator_bug", bug[:2000]), reply.headers)


@pytest.fixture(scope="session")
def storage_box_session() -> Iterator[StorageBoxEmulator]:
    emulator = StorageBoxEmulator(storage_box_openapi())
    with LoopbackServer(emulator) as server:
        emulator.url = f"{server.url}/v1"
        yield emulator


@pytest.fixture
def storage_box(storage_box_session: StorageBoxEmulator) -> Iterator[StorageBoxEmulator]:
    """A fresh emulated project at `.url` (bearer `TOKEN`); fails on unclaimed invalid requests or bugs."""
    emulator = storage_box_session
    emulator.reset()
    yield emulator
    if emulator.bugs:
        raise EmulatorBug("\n".join(emulator.bugs))
    if emulator.invalid_requests:
        raise AssertionError(f"the client sent requests the API would reject: {emulator.invalid_requests}")
