"""A stateful emulator of the Hetzner Robot webservice (server, rDNS, firewall), checked against its docs.

Every request is judged as Robot would: HTTP Basic with the webservice user, bodies form-encoded
(`application/x-www-form-urlencoded`, each key once), the documented parameters and values only (see
`robot_state.py`). A refused request gets Robot's own error body (`{"error": {"status", "code", "message",
"missing", "invalid"}}`) and is recorded in `invalid_requests`; the `robot` fixture fails a test that leaves one
there unclaimed, so a client bug cannot hide behind an error it handles.

Faults a test can order: `429` and `503` (throttling or maintenance in front of Robot, with Retry-After), `hang`
and `drop`; and `exceed_rate_limit`, Robot's own answer to an exhausted hourly budget: 403 RATE_LIMIT_EXCEEDED.
"""

from __future__ import annotations

import base64
import time
from urllib.parse import parse_qsl, unquote, urlsplit

from werkzeug.datastructures import Headers

from tests.emulators.base import InvalidRequest, RecordingEmulator, emulator_fixtures
from tests.emulators.hetzner_cloud import Call
from tests.emulators.loopback import Faults, Outcome, Reply
from tests.emulators.robot_state import NotEmulated, RobotAccount, RobotRejected, invalid_input

USER = "#ws+dezkyEmu"
PASSWORD = "emulator-robot-password"
FORM = "application/x-www-form-urlencoded"
HOURLY_LIMIT = 200


class RobotEmulator(RecordingEmulator):
    """The Robot webservice of one account, served at `url` once a `LoopbackServer` runs it."""

    def __init__(self) -> None:
        self.rate_limited = Faults()  # its kind is unused: a match means 403 RATE_LIMIT_EXCEEDED
        super().__init__()

    def _reset_state(self) -> None:
        self.account = RobotAccount()
        self.rate_limited.clear()

    def exceed_rate_limit(self, method: str, path_pattern: str, times: int = 1) -> None:
        self.rate_limited.add(method, path_pattern, "429", times)

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        path = unquote(urlsplit(target).path)
        with self._lock:
            outcome = self._outcome(method, path, headers, body)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, status, time.time(), getattr(outcome, "headers", {})))
        return outcome

    def _outcome(self, method: str, path: str, headers: Headers, body: bytes) -> Outcome:
        try:
            self._authenticate(headers)
            fault = self.faults.take(method, path)
            if fault is not None:
                return self._fault(fault)
            if self.rate_limited.take(method, path):
                raise RobotRejected(
                    403,
                    "RATE_LIMIT_EXCEEDED",
                    "Rate limit exceeded",
                    client_error=False,
                    max_request=HOURLY_LIMIT,
                    interval=3600,
                )
            return self.account.route(method, path, _form(method, headers, body))
        except RobotRejected as rejected:
            if rejected.client_error:
                error = rejected.reply.body["error"]
                self.invalid_requests.append(InvalidRequest(method, path, rejected.reply.status, error))
            return rejected.reply
        except NotEmulated as exc:
            self.bugs.append(f"{exc} is documented but not emulated")
            return Reply(599, {"error": {"status": 599, "code": "EMULATOR_BUG", "message": str(exc)}})

    def _authenticate(self, headers: Headers) -> None:
        expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
        if headers.get("Authorization") != expected:
            raise RobotRejected(401, "UNAUTHORIZED", "Unauthorized", client_error=True)

    def _refusal(self, status: int) -> Reply:
        code = "TOO_MANY_REQUESTS" if status == 429 else "UNAVAILABLE"
        return Reply(
            status,
            {"error": {"status": status, "code": code, "message": "try again later"}},
            {"Retry-After": "1"},
        )


def _form(method: str, headers: Headers, body: bytes) -> dict[str, str]:
    """The parameters as Robot reads them: a form body for changes, never JSON, never a key twice."""
    if method in ("GET", "DELETE"):
        if body:
            raise invalid_input(invalid=["body"])
        return {}
    content_type = (headers.get("Content-Type") or "").split(";")[0].strip()
    if not body:
        return {}
    if content_type != FORM:
        raise invalid_input(invalid=[f"Content-Type {content_type or 'missing'}: Robot reads {FORM} only"])
    pairs = parse_qsl(body.decode(), keep_blank_values=True, strict_parsing=True)
    keys = [key for key, _ in pairs]
    repeated = sorted({key for key in keys if keys.count(key) > 1})
    if repeated:
        raise invalid_input(invalid=repeated)
    return dict(pairs)


robot_session, robot = emulator_fixtures(
    "robot",
    RobotEmulator,
    server_fixture="robot_session",
    service="Robot",
    doc="A fresh Robot account at `.url` (`USER`, `PASSWORD`); fails the test on unclaimed invalid requests.",
)
