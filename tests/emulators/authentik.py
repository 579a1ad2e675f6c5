"""A stateful emulator of the Authentik API (`/api/v3`), every request and response checked against the spec.

Requests are judged with openapi-core against `load_spec(AUTHENTIK)`, as the real server would judge them: a
missing or wrong token gets 403, an unknown path 404, a body or query the spec refuses 400 with DRF field
errors; the rules the spec cannot state (uniqueness, references, defaults) live in the state modules. Every
refused request is recorded in `invalid_requests`, and the `authentik` fixture fails a test that leaves one
unclaimed. A response that breaks the spec is an emulator bug: the client gets 599 and the test fails.

Responses go unchecked in three cases the spec does not describe: DRF's 404 body, 204 (no body), and the
faults a test orders (a proxy's 429/503, a hang, a dropped connection), which are not Authentik's answers.
Two places where the server and its own spec disagree are settled for the server: `{allOf: [X], nullable:
true}` admits null (the validator wanted X itself nullable), and "" passes `format: uri`/`email` (the model
fields are `blank=True`).

The spec is pruned on a copy to the paths emulated, the query parameters the state implements and the
components they reach: loading the 1.7 MB YAML takes ~3.3 s once per session (the shared `load_spec` cache),
building this subset ~0.5 s where the whole spec takes ~14 s, and checking one exchange ~9 ms instead of ~35 ms.
"""

from __future__ import annotations

import copy
import functools
import json
import time
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from openapi_core import Config, OpenAPI
from werkzeug.datastructures import Headers

from tests.emulators.authentik_apps import AppObjects
from tests.emulators.authentik_core import CoreObjects
from tests.emulators.authentik_policies import PolicyObjects
from tests.emulators.authentik_state import (
    EMULATED_PATHS,
    QUERY_PARAMETERS,
    ROUTES,
    NotEmulated,
    Rejected,
    schema_errors,
    seeded_flows,
    seeded_keypairs,
    seeded_scope_mappings,
)
from tests.emulators.base import EmulatorBug, InvalidRequest, SpecCheckedEmulator, emulator_fixtures
from tests.emulators.loopback import Drop, Outcome, Reply
from tests.emulators.openapi_check import SpecRequest, check_request
from tests.specs import AUTHENTIK, load_spec

TOKEN = "ak-emulator-token-9c1e5b7d0f"
__all__ = ["ADMIN_PK", "TOKEN", "AuthentikEmulator", "Call", "EmulatorBug", "InvalidRequest"]

ADMIN_PK = 4  # akadmin, whose token the API calls carry
_HOST = "https://authentik.example"  # the spec's server is relative (`/api/v3`): any host matches
_UNCHECKED = frozenset({204, 404, 599})


@functools.cache
def authentik_openapi() -> OpenAPI:
    spec = copy.deepcopy(load_spec(AUTHENTIK))
    spec["paths"] = {path: _implemented_parameters(spec, spec["paths"][path]) for path in EMULATED_PATHS}
    spec["components"] = _reachable_components(spec)
    _nullable_references(spec, spec["components"]["schemas"])
    # openapi-core checks `format: uri` only with rfc3987 installed; DRF's URL fields check it always. Both
    # fields are `blank=True` in the models: Authentik sends and accepts "" where the spec says uri or email.
    formats = {"uri": _is_uri, "email": _is_email}
    return OpenAPI.from_dict(spec, config=Config(extra_format_validators=formats))


def _implemented_parameters(spec: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    for operation in (op for op in item.values() if isinstance(op, dict) and "parameters" in op):
        operation["parameters"] = [
            parameter
            for parameter in operation["parameters"]
            if _parameter(spec, parameter)["in"] != "query"
            or _parameter(spec, parameter)["name"] in QUERY_PARAMETERS
        ]
    return item


def _parameter(spec: dict[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in parameter:
        return parameter
    return spec["components"]["parameters"][parameter["$ref"].rsplit("/", 1)[1]]


def _reachable_components(spec: dict[str, Any]) -> dict[str, Any]:
    everything, kept, todo = (
        spec["components"],
        {"securitySchemes": spec["components"]["securitySchemes"]},
        [],
    )
    todo.extend(_refs(spec["paths"]))
    while todo:
        _, _, section, name = todo.pop().split("/")
        if name not in kept.setdefault(section, {}):
            kept[section][name] = everything[section][name]
            todo.extend(_refs(everything[section][name]))
    return kept


def _nullable_references(node: Any, schemas: dict[str, Any]) -> None:
    """`{allOf: [{$ref: X}], nullable: true}` admits null in OpenAPI 3.0.3, but the validator demands that X
    itself be nullable; point such references at a nullable copy of X (null added to an enum's values)."""
    if isinstance(node, list):
        for item in node:
            _nullable_references(item, schemas)
        return
    if not isinstance(node, dict):
        return
    all_of = node.get("allOf")
    if node.get("nullable") and isinstance(all_of, list) and len(all_of) == 1 and "$ref" in all_of[0]:
        name = all_of[0]["$ref"].rsplit("/", 1)[1]
        copy_name = f"{name}Nullable"
        if copy_name not in schemas:
            target = {**schemas[name], "nullable": True}
            if "enum" in target:
                target["enum"] = [*target["enum"], None]
            schemas[copy_name] = target
        all_of[0] = {"$ref": f"#/components/schemas/{copy_name}"}
    for value in list(node.values()):
        _nullable_references(value, schemas)


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        if "$ref" in node:
            yield node["$ref"]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for value in node:
            yield from _refs(value)


def _is_email(value: Any) -> bool:
    return value == "" or "@" in str(value)


def _is_uri(value: Any) -> bool:
    parts = urlsplit(str(value))
    return value == "" or bool(parts.scheme and parts.netloc)


class AuthentikInstance(CoreObjects, AppObjects, PolicyObjects):
    """One Authentik installation as its default blueprints leave it: built-in flows, scope mappings and
    keypair, the default brand, and akadmin in the `authentik Admins` superuser group."""

    def __init__(self, *, newer_fields: bool = False) -> None:
        # Authentik 2026.5.0-rc1 (the server the acceptance tier ran) lacks three fields of the 2026.5.6
        # schema (`NEWER_FIELDS`): it ignores them when sent and never answers them. The recordings are of
        # rc1, so that is the default; `newer_fields=True` emulates the later release.
        self.newer_fields = newer_fields
        self.flows, self.scope_mappings, self.keypairs = (
            seeded_flows(),
            seeded_scope_mappings(),
            seeded_keypairs(),
        )
        self.brands, self.groups, self.users = {}, {}, {}
        self.providers, self.applications, self.bindings = {}, {}, {}
        self.next_user_pk, self.next_provider_pk, self.token_user = ADMIN_PK, 1, ADMIN_PK
        flows = {flow["slug"]: flow["pk"] for flow in self.flows.values()}
        self.create_brand(
            {
                "domain": "authentik-default",
                "default": True,
                "flow_authentication": flows["default-authentication-flow"],
                "flow_invalidation": flows["default-invalidation-flow"],
                "flow_user_settings": flows["default-user-settings-flow"],
            }
        )
        self.create_user(
            {"username": "akadmin", "name": "authentik Default Admin", "email": "root@localhost"}
        )
        self.create_group({"name": "authentik Admins", "is_superuser": True, "users": [ADMIN_PK]})

    def route(self, method: str, path: str, query: dict[str, str], body: dict[str, Any]) -> Reply:
        for route_method, pattern, operation in ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                return getattr(self, operation)(query=query, body=body, **match.groupdict())
        raise NotEmulated(f"{method} {path}")


@dataclass
class Call:
    method: str
    path: str  # below `/api/v3`, without the query
    query: dict[str, str]
    status: int | None  # None: the emulator hung or dropped the connection as told
    at: float


class AuthentikEmulator(SpecCheckedEmulator):
    """The API of one Authentik instance, served at `url` once a server runs it."""

    hang_seconds_default = 2.0

    def _reset_state(self) -> None:
        self.instance = AuthentikInstance()
        self.retry_after = "1"
        #: the API tokens the instance takes, read at each request: `TOKEN`, or (a test's choice) the one
        #: `AUTHENTIK_BOOTSTRAP_TOKEN` gave it at its first start, read from the Secret the platform applied
        self.accepted_tokens: Callable[[], Collection[str]] = lambda: (TOKEN,)

    def fail_next(self, method: str, path_pattern: str, kind: str, times: int = 1) -> None:
        """The next `times` METHOD calls to a path matching the glob (below `/api/v3`) fail so: `429` (with
        Retry-After), `503`, `hang` (past the client's timeout), `drop` (closed unanswered), or `lost_reply`
        (the request takes effect, then the connection drops before the answer)."""
        self.faults.add(method, path_pattern, kind, times)  # type: ignore[arg-type]

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        request = SpecRequest.from_http(method, target, headers, body, _HOST)
        path = request.path.removeprefix("/api/v3")
        query = dict(parse_qsl(urlsplit(target).query, keep_blank_values=True))
        with self._lock:
            outcome = self._outcome(method, path, query, request)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, query, status, time.time()))
        return outcome

    def _outcome(self, method: str, path: str, query: dict[str, str], request: SpecRequest) -> Outcome:
        fault = self.faults.take(method, path)
        if fault is not None and fault != "lost_reply":
            return self._fault(fault)
        reply = self._checked(request, self._answer(method, path, query, request))
        return Drop() if fault == "lost_reply" else reply

    def _refusal(self, status: int) -> Reply:
        headers = {"Retry-After": self.retry_after} if status == 429 else {}
        return Reply(status, {"detail": "The proxy in front of authentik refused the request."}, headers)

    def _answer(self, method: str, path: str, query: dict[str, str], request: SpecRequest) -> Reply:
        try:
            self._verdict(request)
            body = json.loads(request.body) if request.body else {}
            return self.instance.route(method, path, query, body)
        except Rejected as rejected:
            if rejected.invalid:
                self.invalid_requests.append(
                    InvalidRequest(method, path, rejected.reply.status, rejected.reply.body)
                )
            return rejected.reply
        except NotEmulated as exc:
            self.bugs.append(f"{exc} is in the spec but not emulated")
            return Reply(599, {"detail": f"emulator: {exc} is not emulated"})

    def _verdict(self, request: SpecRequest) -> None:
        authorization = request.parameters.header.get("Authorization")
        if not authorization:
            raise Rejected(403, {"detail": "Authentication credentials were not provided."}, invalid=True)
        scheme, _, token = authorization.partition(" ")
        if scheme != "Bearer" or token not in self.accepted_tokens():
            raise Rejected(403, {"detail": "Token invalid/expired"}, invalid=True)
        verdict = check_request(self.openapi, request)
        if verdict.problem == "unknown_path":
            raise Rejected(404, {"detail": "Not found."}, invalid=True)
        if verdict.problem is not None:
            raise schema_errors(verdict.fields)

    def _checked(self, request: SpecRequest, reply: Reply) -> Reply:
        bug = None if reply.status in _UNCHECKED else self._spec_bug(request, reply)
        return reply if bug is None else Reply(599, {"detail": bug})


authentik_server, authentik = emulator_fixtures(
    "authentik",
    lambda: AuthentikEmulator(authentik_openapi()),
    server_fixture="authentik_server",
    service="Authentik",
    doc="A fresh instance at `.url` (bearer `TOKEN`); fails the test on unclaimed invalid requests or bugs.",
)
