"""What every emulator keeps for its tests, and the two fixtures that serve one: written once, used by all.

An emulator records each call in `calls`, each request the real service would refuse in `invalid_requests`
(until a test claims them) and each of its own mistakes in `bugs`; a test orders faults with `fail_next`.
`emulator_fixtures` makes the session fixture that serves the emulator on a `LoopbackServer` and the test
fixture that hands it over fresh and fails the test on unclaimed invalid requests or emulator bugs.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from openapi_core import OpenAPI
from werkzeug.datastructures import Headers

from tests.emulators.loopback import Drop, FaultKind, Faults, Hang, LoopbackServer, Outcome, Reply
from tests.emulators.openapi_check import SpecRequest, response_errors


@dataclass
class InvalidRequest:
    method: str
    path: str
    status: int
    error: Any


class EmulatorBug(AssertionError):
    pass


class RecordingEmulator:
    """The call log, invalid requests, bugs and faults of one emulator; subclasses add the service itself.

    `_reset_state` gives the service's state back as a fresh instance has it; `_refusal` is the service's
    answer to a `429` or `503` fault (`hang` and `drop` are the same everywhere).
    """

    hang_seconds_default = 5.0

    def __init__(self) -> None:
        self.url = ""
        self.faults = Faults()
        self._lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        """Default behaviour and a fresh service, as each test starts with."""
        with self._lock:
            self.calls: list[Any] = []
            self.invalid_requests: list[Any] = []
            self.bugs: list[str] = []
            self.faults.clear()
            self.hang_seconds = self.hang_seconds_default
            self._reset_state()

    def _reset_state(self) -> None:
        raise NotImplementedError

    @property
    def read_count(self) -> int:
        return sum(call.method == "GET" for call in self.calls)

    @property
    def write_count(self) -> int:
        """Calls that could change something: every non-GET request received, whatever its answer."""
        return sum(call.method != "GET" for call in self.calls)

    @property
    def reads(self) -> int:
        return self.read_count

    @property
    def writes(self) -> int:
        return self.write_count

    def fail_next(self, method: str, path_pattern: str, kind: FaultKind, times: int = 1) -> None:
        """The next `times` METHOD calls to a path matching the glob (below the API's prefix) fail so: `429`,
        `503`, `hang` (past the client's timeout, for `hang_seconds`) or `drop` (closed unanswered)."""
        self.faults.add(method, path_pattern, kind, times)

    def claim_invalid_requests(self) -> list[Any]:
        """Take the recorded invalid requests, for a test that sent them on purpose."""
        with self._lock:
            claimed, self.invalid_requests = self.invalid_requests, []
        return claimed

    def _fault(self, kind: str) -> Outcome:
        if kind == "hang":
            return Hang(self.hang_seconds)
        if kind == "drop":
            return Drop()
        return self._refusal(int(kind))

    def _refusal(self, status: int) -> Reply:
        raise NotImplementedError

    def check_clean(self, service: str) -> None:
        """Fail the test on emulator bugs, then on invalid requests no test claimed."""
        if self.bugs:
            raise EmulatorBug("\n".join(self.bugs))
        if self.invalid_requests:
            raise AssertionError(f"the client sent requests {service} would reject: {self.invalid_requests}")


class SpecCheckedEmulator(RecordingEmulator):
    """An emulator whose answers are checked against an OpenAPI description: one that breaks it is a bug."""

    spec_name = "spec"  # what the description is called in bug reports

    def __init__(self, openapi: OpenAPI) -> None:
        self.openapi = openapi
        super().__init__()

    def _spec_bug(self, request: SpecRequest, reply: Reply, *, bodiless: bool = False) -> str | None:
        """None if the reply fits the description; else the bug, recorded, cut to fit an error body.
        `bodiless`: check the reply as having no body (a 204), whatever `reply.body` holds."""
        body = None if bodiless else reply.body
        errors = response_errors(self.openapi, request, reply.status, body, Headers(reply.headers))
        if not errors:
            return None
        call = f"{request.method.upper()} {request.path} -> {reply.status}"
        bug = f"{call} breaks the {self.spec_name}: {errors}; {reply.body}"
        self.bugs.append(bug)
        return bug[:2000]


def emulator_fixtures(
    name: str,
    make: Callable[[], RecordingEmulator],
    *,
    server_fixture: str,
    service: str,
    url_suffix: str = "",
    doc: str,
) -> tuple[Any, Any]:
    """The session fixture `server_fixture` (the running `LoopbackServer`) and the test fixture `name` (the
    emulator, reset, at `.url` = the server's URL + `url_suffix`), which fails a test that leaves it unclean."""

    def served() -> Iterator[LoopbackServer]:
        emulator = make()
        with LoopbackServer(emulator) as server:
            emulator.url = f"{server.url}{url_suffix}"
            yield server

    def fresh(request: pytest.FixtureRequest) -> Iterator[Any]:
        server: LoopbackServer = request.getfixturevalue(server_fixture)
        emulator: RecordingEmulator = server.emulator  # type: ignore[assignment]
        emulator.reset()
        yield emulator
        emulator.check_clean(service)

    served.__doc__ = "The emulator, served for the whole session: specs are checked and loaded once."
    fresh.__doc__ = doc
    return (
        pytest.fixture(scope="session", name=server_fixture)(served),
        pytest.fixture(name=name)(fresh),
    )
