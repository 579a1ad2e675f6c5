"""A stateful emulator of Stalwart 0.16's JMAP management API (`POST /jmap`), checked against its registry schema.

It serves `x:Domain`, `x:Account`, `x:DkimSignature` and `x:MailingList` with `/get`, `/set` and `/query` (RFC
8620), result references (`#ids`) included, and `GET /jmap/session` for a user signing in with its password.
Every object is checked against `load_spec(STALWART_REGISTRY)` (see `stalwart_registry.py`); what the real
server refuses gets its error (SetErrors, `unknownMethod`, `unsupportedFilter`, `requestTooLarge`, a request it
cannot parse as `notRequest`) and is recorded in `invalid_requests`, which fails the test unless claimed. Every
answer is checked against the registry too: an answer that breaks it is an emulator bug, turned into
`serverFail` and failing the test.

Where Stalwart 0.16.18 answers otherwise than RFC 8620 or the registry schema suggest, the emulator answers as
the server does (the recordings in `tests/recordings/stalwart/` are replayed against it by the contract test):
the Bearer credential is an API key and anything else is a 401 problem; `urn:stalwart:jmap` may be left out of
`using`; unknown arguments and `/get` properties are ignored; `/get` and `/set` answers carry no states and
`/set` leaves out empty keys; SetErrors name objects as `{"object", "id"}`; a query without `sort` is in
descending id order and pages past the first come out of order (see `_query`).

`stalwart_state.py` holds the objects, the DKIM keys (real ones, `stalwart_keys.py`), the mail of each account
(a counter a test can seed) and log-ins, so a test can prove that suspending and resuming an account loses
nothing. Faults (429, 503, hang, drop) are ordered per JMAP method name with `fail_next`; `lose_reply` carries
a call out and then drops the connection.
"""

from __future__ import annotations

import base64
import fnmatch
import functools
import json
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from werkzeug.datastructures import Headers

from tests.emulators.base import EmulatorBug, RecordingEmulator, emulator_fixtures
from tests.emulators.loopback import Drop, FaultKind, Outcome, Reply
from tests.emulators.stalwart_jmap import (
    ACCOUNT_ID,
    ARGUMENTS,
    checked_arguments,
    request_problem,
    resolved,
)
from tests.emulators.stalwart_registry import RegistrySchema
from tests.emulators.stalwart_state import OBJECTS, MethodError, NotEmulated, SetFailure, StalwartState
from tests.specs import STALWART_REGISTRY, load_spec

__all__ = ["TOKEN", "Call", "EmulatorBug", "InvalidRequest", "StalwartEmulator"]

# Bearer accepts only an API key of an account (`x:ApiKey/set` answers one, `API_` and URL-safe base64 of the
# account id, the key's id and random bytes); a password or any other string is refused with 401.
TOKEN = "API_AQAAAAEAAAB0ZXN0LWVtdWxhdG9yLWtleS0wMDAx"
# The recovery admin Stalwart 0.16 takes from `STALWART_RECOVERY_ADMIN=admin:<password>` at its start signs in
# with HTTP Basic on `/jmap` as well; a wrong password is the same 401.
RECOVERY_ADMIN = ("admin", "emulator-recovery-admin-password")
QUERY_MAX_RESULTS = 5000  # the server's `queryMaxResults` default
MAX_OBJECTS_IN_GET = 500  # `maxObjectsInGet`: a longer `ids` is refused with `requestTooLarge`
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
        self.lost_replies: list[list[Any]] = []
        self.dkim_tasks_paused = False  # True: DKIM keys of new domains are not generated until unpaused
        #: the recovery admin the server was started with, read at each request (a test may point it at the
        #: environment file the host bootstrap wrote, as the real service reads it at its start)
        self.recovery_admin: Callable[[], tuple[str, str] | None] = lambda: RECOVERY_ADMIN
        #: the API keys of accounts it takes as bearers (a test of generated credentials takes none)
        self.api_keys: Callable[[], Collection[str]] = lambda: (TOKEN,)

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

    def lose_reply(self, method_pattern: str, times: int = 1) -> None:
        """The next `times` requests whose first method call matches the glob are carried out, then the
        connection is closed unanswered: the fault that makes a client retry a create that already landed."""
        with self._lock:
            self.lost_replies.append([method_pattern, times])

    def _take_lost_reply(self, name: str) -> bool:
        for entry in self.lost_replies:
            if entry[1] and fnmatch.fnmatchcase(name, entry[0]):
                entry[1] -= 1
                return True
        return False

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
            if not fault and names and self._take_lost_reply(names[0]):
                outcome = Drop()  # carried out, but the client never hears back
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(tuple(names), status, time.time()))
        return outcome

    def _refusal(self, status: int) -> Reply:
        if status == 429:
            return Reply(429, _problem(429, "Too Many Requests", "rate limit reached"), {"Retry-After": "1"})
        return Reply(503, _problem(503, "Service Unavailable", "try again later"))

    def _answer(self, method: str, target: str, headers: Headers, body: bytes) -> Reply:
        if method == "GET" and target.split("?")[0] == "/jmap/session":
            return self._session(headers)
        if method != "POST" or target.split("?")[0] != "/jmap":
            return Reply(404, _problem(404, "Not Found", f"{method} {target} is not served here"))
        if not self._authorized(headers.get("Authorization") or ""):
            self.invalid_requests.append(InvalidRequest("request", {"type": "unauthorized", "detail": ""}))
            return Reply(401, _problem(401, "Unauthorized", "You have to authenticate first."), _CHALLENGE)
        try:
            request = json.loads(body)
        except ValueError:
            return self._refused(400, "notJSON", "the request body is not JSON")
        problem = request_problem(request, body)
        if problem:
            return self._refused(400, *problem)
        if not self.dkim_tasks_paused:
            self.state.run_dkim_tasks(before_request=self.requests)
        self.method_calls += [call[0] for call in request["methodCalls"]]
        responses: list[list[Any]] = []
        for name, arguments, call_id in request["methodCalls"]:
            responses.append(self._method(name, arguments, call_id, request["using"], responses))
        return Reply(200, {"methodResponses": responses, "sessionState": "e0"})

    def _authorized(self, authorization: str) -> bool:
        scheme, _, credential = authorization.partition(" ")
        if scheme == "Bearer":
            return credential in self.api_keys()
        recovery = self.recovery_admin()
        if recovery is None or not authorization.startswith("Basic "):
            return False
        return authorization == "Basic " + base64.b64encode(":".join(recovery).encode()).decode()

    def _session(self, headers: Headers) -> Reply:
        """A user signing in with its password (HTTP Basic): 200, 401 for a wrong one, 403 once the account
        may no longer `authenticate` (suspended), as the real server answers."""
        try:
            scheme, _, encoded = (headers.get("Authorization") or "").partition(" ")
            address, _, password = base64.b64decode(encoded).decode().partition(":")
        except ValueError:
            scheme, address, password = "", "", ""
        if scheme != "Basic" or not self.state.can_authenticate(address, password, ignore_permissions=True):
            return Reply(401, _problem(401, "Unauthorized", "You have to authenticate first."), _CHALLENGE)
        if not self.state.can_authenticate(address, password):
            return Reply(
                403, _problem(403, "Forbidden", "You do not have enough permissions to access this resource.")
            )
        return Reply(200, {"username": address, "accounts": {}, "capabilities": {}, "state": "0"})

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
        if not known or verb not in ARGUMENTS:  # `urn:stalwart:jmap` in `using` is not required
            raise MethodError("unknownMethod", name)
        if object_name not in OBJECTS:
            raise NotEmulated(f"{object_name}/{verb}")
        return object_name, verb

    def _get(self, object_name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        if len(arguments.get("ids") or ()) > MAX_OBJECTS_IN_GET:
            raise MethodError("requestTooLarge", "The number of ids requested by the client exceeds the maximum "
                              "number the server is willing to process in a single method call.")  # fmt: skip
        properties = arguments.get("properties")
        if object_name == "x:DkimSignature":
            self.state.keys_read(list(self.state.objects[object_name]) if arguments.get("ids") is None
                                 else arguments["ids"])  # fmt: skip
        return self.state.get(
            object_name, arguments.get("ids"), None if properties is None else [*properties, "@type"]
        )

    def _query(self, object_name: str, arguments: dict[str, Any]) -> dict[str, Any]:
        """As crates/jmap/src/registry/query.rs answers it, paging quirk included: without a `sort` the order is
        descending id, and a page at `position` > 0 is cut from the ascending order and then reversed, so
        pages past the first repeat objects of the first. An explicit ascending sort on `id` pages correctly."""
        if {"anchor", "anchorOffset"} & set(arguments):
            raise NotEmulated(f"{object_name}/query with an anchor")
        ascending = self._ascending(arguments.get("sort"))
        filters = self._filters(object_name)
        conditions = arguments.get("filter") or {}
        unknown = (
            [key for key in conditions if key not in filters] if isinstance(conditions, dict) else ["filter"]
        )
        if unknown:
            raise MethodError(
                "unsupportedFilter", f"Filter on property {unknown[0]} is not supported or invalid"
            )
        text_fields = {key for key, kind in filters.items() if kind == "text"}
        ids = sorted(self.state.query(object_name, conditions, text_fields), key=lambda i: int(i, 16))
        position, limit = arguments.get("position"), arguments.get("limit")
        limit = QUERY_MAX_RESULTS if limit is None else min(limit, QUERY_MAX_RESULTS)
        answer: dict[str, Any] = {"accountId": ACCOUNT_ID, "queryState": "s0", "canCalculateChanges": True}
        if not arguments.get("calculateTotal") and (position is None or position > 0):
            page = ids[position or 0 : (position or 0) + limit]  # the store pages in ascending order
            answer.update(position=0, ids=page if ascending else page[::-1])
            return answer
        ordered = ids if ascending else ids[::-1]
        start = position or 0
        answer.update(position=start, ids=ordered[start : start + limit])
        if arguments.get("calculateTotal"):
            answer["total"] = len(ids)
        if len(ids) > limit:
            answer["limit"] = limit
        return answer

    @staticmethod
    def _ascending(sort: Any) -> bool:
        if not sort:
            return False
        first = sort[0] if isinstance(sort, list) and isinstance(sort[0], dict) else {}
        if first.get("property") != "id":
            raise NotEmulated(f"sorting by {first.get('property')!r}")
        return bool(first.get("isAscending", True))

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
        # the registry's answers carry no states, and leave out every empty key
        answer = {"created": created, "updated": updated, "destroyed": destroyed, "notCreated": not_created,
                  "notUpdated": not_updated, "notDestroyed": not_destroyed}  # fmt: skip
        return {"accountId": ACCOUNT_ID, **{key: value for key, value in answer.items() if value}}

    def _set_error(self, object_name: str, failure: SetFailure) -> dict[str, Any]:
        if failure.type in _CLIENT_MISTAKES:
            self.invalid_requests.append(InvalidRequest(f"{object_name}/set", failure.body()))
        return failure.body()

    # --- checking our own answers --------------------------------------------------------------------

    def _answer_problems(self, object_name: str, verb: str, answer: dict[str, Any]) -> list[str]:
        expected = {"get": {"accountId", "list", "notFound"},
                    "set": {"accountId"},
                    "query": {"accountId", "queryState", "canCalculateChanges", "position", "ids"}}[verb]  # fmt: skip
        optional = {"set": {"created", "updated", "destroyed", "notCreated", "notUpdated", "notDestroyed"}}
        problems = [f"missing {key}" for key in sorted(expected - set(answer))]
        expected = expected | optional.get(verb, set())
        problems += [f"unexpected {key}" for key in sorted(set(answer) - expected - {"total", "limit"})]
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


_CHALLENGE = {
    "WWW-Authenticate": 'Bearer realm="Stalwart Server", '
    'resource_metadata="/.well-known/oauth-protected-resource"'
}


def _problem(status: int, title: str, detail: str) -> dict[str, Any]:
    return {"type": "about:blank", "status": status, "title": title, "detail": detail}


stalwart_server, stalwart = emulator_fixtures(
    "stalwart",
    lambda: StalwartEmulator(registry_schema()),
    server_fixture="stalwart_server",
    service="Stalwart",
    doc="A fresh emulated server at `.url` (bearer `TOKEN`); fails the test on unclaimed invalid requests or bugs.",
)
