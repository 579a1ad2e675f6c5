"""What the Hetzner Cloud DNS and Storage Box emulators share: one API style, so one request cycle.

Both APIs take a bearer token, answer with `{"error": {"code", "message", "details"}}`, send RateLimit headers
and stand behind the same faults. Each request is checked against the emulator's OpenAPI description, routed to
its project state, and each answer checked again: a subclass names the token, host, state and spec wording.
"""

from __future__ import annotations

import json
import math
import time
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers

from tests.emulators.base import InvalidRequest, SpecCheckedEmulator
from tests.emulators.hetzner_dns_state import NotEmulated, Rejected, error_body, invalid_input
from tests.emulators.loopback import Drop, Outcome, Reply
from tests.emulators.openapi_check import SpecRequest, check_request

RATE_LIMIT = 3600


@dataclass
class Call:
    method: str
    path: str  # without `/v1` and the query
    status: int | None  # None: the emulator hung or dropped the connection as told
    at: float
    headers: dict[str, str] = field(default_factory=dict)


class HetznerCloudEmulator(SpecCheckedEmulator):
    """One project of a Cloud-style API; `project` is made by `_new_project` and routes each checked call."""

    token = ""
    real_host = ""
    check_undescribed_replies = True  # False: a path the description lacks has no reply shape to check

    def _new_project(self) -> Any:
        raise NotImplementedError

    def _reset_state(self) -> None:
        self.project = self._new_project()
        self.rate_limit_reset_delay = 1.0

    def fail_next_action(self, code: str = "action_failed", message: str = "the action failed") -> None:
        """The next change is not applied; its action ends in `error` with this code and message."""
        with self._lock:
            self.project.failing_actions.append((code, message))

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        request = SpecRequest.from_http(method, target, headers, body, self.real_host)
        path = request.path.removeprefix("/v1")
        with self._lock:
            outcome = self._outcome(method, path, request)
            if isinstance(outcome, Reply):
                outcome.headers = {**self._rate_limit_headers(), **outcome.headers}
                if self._described or self.check_undescribed_replies:
                    outcome = self._checked(request, outcome)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, status, time.time(), getattr(outcome, "headers", {})))
        return outcome

    def _outcome(self, method: str, path: str, request: SpecRequest) -> Outcome:
        self._described = True
        try:
            self._check(request)
            fault = self.faults.take(method, path)
            if fault is not None and fault != "lost_reply":
                return self._fault(fault)
            body = json.loads(request.body) if request.body else {}
            reply = self.project.route(method, path, request.parameters.query, body)
            # `lost_reply`: the change is carried out, then the connection drops before the answer
            return Drop() if fault == "lost_reply" else reply
        except Rejected as rejected:
            if rejected.invalid:
                error = rejected.reply.body["error"]
                self.invalid_requests.append(InvalidRequest(method, path, rejected.reply.status, error))
            return rejected.reply
        except NotEmulated as exc:
            listed = "in the spec" if self.spec_name == "spec" else "described"
            self.bugs.append(f"{exc} is {listed} but not emulated")
            return Reply(599, error_body("emulator_bug", f"{exc} is not emulated"))

    def _check(self, request: SpecRequest) -> None:
        verdict = check_request(self.openapi, request)
        self._described = verdict.problem != "unknown_path"
        token_ok = request.parameters.header.get("Authorization") == f"Bearer {self.token}"
        if verdict.problem == "unauthenticated" or not token_ok:
            raise Rejected(401, "unauthorized", "unable to authenticate", invalid=True)
        if verdict.problem == "unknown_path":
            raise Rejected(404, "not_found", "the requested resource was not found", invalid=True)
        if verdict.problem == "invalid_input":
            raise invalid_input(verdict.fields)

    def _refusal(self, status: int) -> Reply:
        if status == 429:
            reset = math.ceil(time.time() + self.rate_limit_reset_delay)
            headers = {"RateLimit-Remaining": "0", "RateLimit-Reset": str(reset)}
            return Reply(
                429, error_body("rate_limit_exceeded", "limit of 3600 requests per hour reached"), headers
            )
        return Reply(503, error_body("unavailable", "service temporarily unavailable"))

    def _rate_limit_headers(self) -> dict[str, str]:
        remaining = max(RATE_LIMIT - len(self.calls) - 1, 1)
        reset = int(time.time()) + RATE_LIMIT - remaining  # the bucket refills one request a second
        return {
            "RateLimit-Limit": str(RATE_LIMIT),
            "RateLimit-Remaining": str(remaining),
            "RateLimit-Reset": str(reset),
        }

    def _checked(self, request: SpecRequest, reply: Reply) -> Reply:
        bug = self._spec_bug(request, reply)
        return reply if bug is None else Reply(599, error_body("emulator_bug", bug), reply.headers)
