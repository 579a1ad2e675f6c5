"""A stateful emulator of Stalwart 0.16's JMAP management API (`POST /jmap`), checked against its registry schema.

It serves `x:Domain`, `x:Account`, `x:DkimSignature` and `x:MailingList` with `/get`, `/set` and `/query` (RFC
8620), result references (`#ids`) included. Every method call's arguments and every object are checked against
`load_spec(STALWART_REGISTRY)` (see `stalwart_registry.py`); what the real server would refuse gets its error
(request-level problem for a bad `using`, `unknownMethod`, `invalidArguments`, `unsupportedFilter`, SetErrors)
and is recorded in `invalid_requests`, which fails the test unless claimed. Every answer is checked against the
registry too: an answer that breaks it is an emulator bug, turned into `serverFail` and failing the test.

`stalwart_state.py` holds the objects, the DKIM keys (real ones, `stalwart_keys.py`), the mail of each account
(a counter a test can seed) and log-ins, so a test can prove that suspending and resuming an account loses
nothing. Faults (429, 503, hang, drop) are ordered per JMAP method name with `fail_next`.
"""

from __future__ import annotations

import functools
import json
import time
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from tests.emulators.base import EmulatorBug, RecordingEmulator, emulator_fixtures
from tests.emulators.loopback import FaultKind, Outcome, Reply
from tests.emulators.stalwart_jmap import (
    ACCOUNT_ID,
    ARGUMENTS,
    STALWART,
    checked_arguments,
    request_problem,
    resolved,
)
from tests.emulators.stalwart_registry import RegistrySchema
from tests.emulators.stalwart_state import OBJECTS, MethodError, NotEmulated, SetFailure, StalwartState
from tests.specs import STALWART_REGISTRY, load_spec

__all__ = ["TOKEN", "Call", "EmulatorBug", "InvalidRequest", "StalwartEmulator"]

TOKEN = "stalwart-emulator-api-key"
_CLIENT_MISTAKES = frozenset({
    "invalidArguments", "unknownMethod", "unsupportedFilter", "invalidResultReference", "invalidPatch",
    "invalidProperties", "validationFailed", "invalidForeignKey", "notJSON", "notRequest", "unknownCapability",
    "unauthorized",
})  # fmt: skip


@functools.cache
def registry_schema() -> RegistrySchema:
    return RegistrySchema(load_spec(STALWART_REGISTRY))


@dataclass
class Call:
    methods: tuple[str, ...]
    status: int | None  # None: the emulator hung or dropped the connection as told
    at: float


@dataclass
class InvalidRequest:
    method: str
    error: dict[str, Any]


class StalwartEmulator(RecordingEmulator):
    """One Stalwart server's management API, served at `url` once a `LoopbackServer` runs it."""

    def __init__(self, registry: RegistrySchema) -> None:
        self.registry = registry
        super().__init__()

    def _reset_state(self) -> None:
        self.state = StalwartState(self.registry)
        self.method_calls: list[str] = []
        self.requests = 0
        self.dkim_tasks_paused = False  # True: DKIM keys of new domains are not generated until unpaused

    # --- what tests read and order -------------------------------------------------------------------

    @property
    def read_count(self) -> int:
        return sum(not name.endswith("/set") for name in self.method_calls)

    @property
    def write_count(self) -> int:
        """Method calls that could change something: every `/set` received, whatever its answer."""
        return sum(name.endswith("/set") for name in self.method_calls)

    def forget_calls(self) -> None:
        with self._lock:
            self.calls.clear()
            self.method_calls.clear()

    def fail_next(self, method_pattern: str, kind: FaultKind, times: int = 1) -> None:  # type: ignore[override]
        """The next `times` requests whose first method call matches the glob (`x:Account/*`) fail so: `429`
        (Retry-After 1), `503`, `hang` (for `hang_seconds`, past the client's timeout) or `drop`."""
        self.faults.add("POST", method_pattern, kind, times)

    def deliver(self, address: str, messages: int = 1) -> None:
        with self._lock:
            found = self.state.find_account(address)
            assert found is not None, f"no account {address}"
            self.state.messages[found[0]] += messages

    def message_count(self, address: str) -> int | None:
        with self._lock:
            found = self.state.find_account(address)
            return None if found is None else self.state.messages[found[0]]

    def can_authenticate(self, address: str, password: str) -> bool:
        with self._lock:
            return self.state.can_authenticate(address, password)

    def dkim_public_keys(self, domain: str) -> dict[str, tuple[str, str]]:
        """`{selector: (signature type, base64 public key)}` of the keys generated for a domain."""
        with self._lock:
            domain_id = self.state.domain_id(domain)
            return {
                sig["selector"]: (sig["@type"], self.state.public_keys[id_])
                for id_, sig in self.state.objects["x:DkimSignature"].items()
                if sig["domainId"] == domain_id
            }

    # --- HTTP ----------------------------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        with self._lock:
            self.requests += 1
            names = _method_names(body)
            fault = self.faults.take("POST", names[0] if names else "")
            outcome = self._fault(fault) if fault else self._answer(method, target, headers, body)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(tuple(names), status, time.time()))
        return outcome

    def _refusal(self, status: int) -> Reply:
        if status == 429:
            return Reply(429, _problem(429, "Too Many Requests", "rate limit reached"), {"Retry-After": "1"})
        return Reply(503, _problem(503, "Service Unavailable", "try again later"))

    def _answer(self, method: str, target: str, headers: Headers, body: bytes) -> Reply:
        if method != "POST" or target.split("?")[0] != "/jmap":
            return Reply(404, _problem(404, "Not Found", f"{method} {target} is not served here"))
        if headers.get("Authorization") != f"Bearer {TOKEN}":
            return self._refused(
                401, "unauthorized", "missing or wrong API key", {"WWW-Authenticate": "Bearer"}
            )
        try:
            request = json.loads(body)
        except ValueError:
            return self._refused(400, "notJSON", "the request body is not JSON")
        problem = request_problem(request)
        if problem:
            return self._refused(400, *problem)
        if not self.dkim_tasks_paused:
            self.state.run_dkim_tasks(before_request=self.requests)
        self.method_calls += [call[0] for call in request["methodCalls"]]
        responses: list[list[Any]] = []
        for name, arguments, call_id in request["methodCalls"]:
            responses.append(self._method(name, arguments, call_id, request["using"], responses))
        return Reply(200, {"methodResponses": responses, "sessionState": "e0"})

    def _refused(self, status: int, type_: str, detail: str, headers: dict[str, str] | None = None) -> Reply:
        self.invalid_requests.append(InvalidRequest("request", {"type": type_, "detail": detail}))
        urn = type_ if type_ == "unauthorized" else f"urn:ietf:params:jmap:error:{type_}"
        return Reply(status, {"type": urn, "status": status, "detail": detail}, headers or {})

    # --- one method call -----------------------------------------------------------------------------

    def _method(
        self, name: str, arguments: Any, call_id: str, using: list[str], done: list[list[Any]]
    ) -> list[Any]:
        try:
            object_name, verb = self._route(name, using)
            arguments = resolved(arguments, done)
            answer = getattr(self, f"_{verb}")(object_name, checked_arguments(verb, arguments))
            bugs = self._answer_problems(object_name, verb, answer)
            if bugs:
                self.bugs.append(f"{name} answered against the registry: {bugs}; {answer}")
                return ["error", {"type": "serverFail", "description": f"emulator bug: {bugs}"}, call_id]
            return [name, answer, call_id]
        except MethodError as error:
            if error.type in _CLIENT_MISTAKES:
                self.invalid_requests.append(
                    InvalidRequest(name, {"type": error.type, "detail": error.description})
                )
            return ["error", {"type": error.type, "description": error.description}, call_id]
        except NotEmulated as exc:
            self.bugs.append(f"{name}: {exc} is what the real server does, but it is not emulated")
            return ["error", {"type": "serverFail", "description": f"not emulated: {exc}"}, call_id]

    def _route(self, name: str, using: list[str]) -> tuple[str, str]:
        object_name, _, verb = name.rpartition("/")
        known = self.registry.spec["objects"].get(object_name, {}).get("type") == "object"
        if STALWART not in using or not known or verb not in ARGUMENTS:
            raise MethodError("unknownMethod", f"unknown method {name}")
        if object_name not in OBJECTS:
            raise NotEmulated(f"{object_name}/{verb}")
        return object_name, verb

    def _get(self, object_name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        known = self.registry.all_properties(object_name) | {"id", "@type"}
        unknown = sorted(set(arguments.get("properties") or ()) - known)
        if unknown:
            raise MethodError("invalidArguments", f"unknown properties {unknown}")
        properties = arguments.get("properties")
        return self.state.get(
            object_name, arguments.get("ids"), None if properties is None else [*properties, "@type"]
        )

    def _query(self, object_name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if {"sort", "anchor", "anchorOffset"} & set(arguments):
            raise NotEmulated(f"{object_name}/query with sort or anchor")
        filters = self._filters(object_name)
        conditions = arguments.get("filter") or {}
        if not isinstance(conditions, dict) or not all(key in filters for key in conditions):
            raise MethodError(
                "unsupportedFilter", f"Filter on {sorted(conditions)} is not supported or invalid"
            )
        text_fields = {key for key, kind in filters.items() if kind == "text"}
        ids = self.state.query(object_name, conditions, text_fields)
        position, limit = arguments.get("position", 0), arguments.get("limit")
        answer = {"accountId": ACCOUNT_ID, "queryState": str(self.state.states[object_name]),
                  "canCalculateChanges": False, "position": position,
                  "ids": ids[position:] if limit is None else ids[position : position + limit]}  # fmt: skip
        if arguments.get("calculateTotal"):
            answer["total"] = len(ids)
        return answer

    def _filters(self, object_name: str) -> dict[str, str]:
        """Filterable properties (to their filter type), as the registry's list views declare them."""
        views = ["x:Account/User", "x:Account/Group"] if object_name == "x:Account" else [object_name]
        filters = {
            f["field"]: f["type"] for view in views for f in self.registry.spec["lists"][view]["filters"]
        }
        return {**filters, "@type": "enum"} if object_name == "x:Account" else filters

    def _set(self, object_name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        state = self.state
        old_state = str(state.states[object_name])
        if arguments.get("ifInState") not in (None, old_state):
            raise MethodError("stateMismatch", "the object state has changed")
        created, not_created, updated, not_updated, destroyed, not_destroyed = {}, {}, {}, {}, [], {}
        for client_id, value in (arguments.get("create") or {}).items():
            try:
                created[client_id] = {"id": state.create(object_name, value)}
                if object_name == "x:Domain":
                    state.schedule_dkim(created[client_id]["id"], self.requests)
            except SetFailure as failure:
                not_created[client_id] = self._set_error(object_name, failure)
        for id_, patch in (arguments.get("update") or {}).items():
            try:
                state.update(object_name, id_, patch, self.requests)
                updated[id_] = None
            except SetFailure as failure:
                not_updated[id_] = self._set_error(object_name, failure)
        for id_ in arguments.get("destroy") or ():
            try:
                state.destroy(object_name, id_)
                destroyed.append(id_)
            except SetFailure as failure:
                not_destroyed[id_] = self._set_error(object_name, failure)
        return {"accountId": ACCOUNT_ID, "oldState": old_state, "newState": str(state.states[object_name]),
                "created": created or None, "updated": updated or None, "destroyed": destroyed or None,
                "notCreated": not_created or None, "notUpdated": not_updated or None,
                "notDestroyed": not_destroyed or None}  # fmt: skip

    def _set_error(self, object_name: str, failure: SetFailure) -> dict[str, Any]:
        if failure.type in _CLIENT_MISTAKES:
            self.invalid_requests.append(InvalidRequest(f"{object_name}/set", failure.body()))
        return failure.body()

    # --- checking our own answers --------------------------------------------------------------------

    def _answer_problems(self, object_name: str, verb: str, answer: dict[str, Any]) -> list[str]:
        expected = {"get": {"accountId", "state", "list", "notFound"},
                    "set": {"accountId", "oldState", "newState", "created", "updated", "destroyed",
                            "notCreated", "notUpdated", "notDestroyed"},
                    "query": {"accountId", "queryState", "canCalculateChanges", "position", "ids"}}[verb]  # fmt: skip
        problems = [f"missing {key}" for key in sorted(expected - set(answer))]
        problems += [f"unexpected {key}" for key in sorted(set(answer) - expected - {"total"})]
        for obj in answer.get("list") or ():
            if not isinstance(obj.get("id"), str):
                problems.append("an object without id")
            problems += [
                f"{p.path}: {p.message}" for p in self.registry.check_object(object_name, obj, stored=True)
            ]
        for errors in (answer.get(k) or {} for k in ("notCreated", "notUpdated", "notDestroyed")):
            problems += [
                f"SetError without type: {e}" for e in errors.values() if not isinstance(e.get("type"), str)
            ]
        return problems


def _method_names(body: bytes) -> list[str]:
    try:
        calls = json.loads(body).get("methodCalls", [])
        return [str(call[0]) for call in calls if isinstance(call, list) and call]
    except (ValueError, AttributeError, TypeError):
        return []


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "status": status, "title": title, "detail": detail}


stalwart_server, stalwart = emulator_fixtures(
    "stalwart",
    lambda: StalwartEmulator(registry_schema()),
    server_fixture="stalwart_server",
    service="Stalwart",
    doc="A fresh emulated server at `.url` (bearer `TOKEN`); fails the test on unclaimed invalid requests or bugs.",
)
