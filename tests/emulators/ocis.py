"""A stateful emulator of the OCIS Libre Graph API under `/graph`, checked against the vendored spec.

Every request and every response goes through openapi-core with `load_spec(LIBRE_GRAPH)`. A request the spec
or the server's own rules (see `ocis_state.py`) reject gets the real OData error and, when no correct client
would send it, is recorded in `invalid_requests`; the `ocis` fixture fails a test that leaves one unclaimed.
A response that breaks the spec is an emulator bug: the client gets status 599 (never retried) and the test
fails at teardown. The headers the spec does not list (`Purge: T`, `Restore: T`) pass the spec check as
unknown headers do and are honoured as the real server honours them.

The spec is patched on a copy in memory:
- three operations key a response by a bare number (`200:`), which YAML reads as an int that
  openapi-spec-validator cannot handle; they become strings;
- `readOnly` is dropped from `quota`, `quota.total`, `drive.driveType` and `permission`: the spec's own request
  examples send them (create with a quota, PATCH a permission's roles) and OCIS reads them
  (`CreateDrive` reads `driveType` and `quota.total`), but openapi-core refuses read-only values in requests;
- the `openId` scheme, which openapi-core cannot check (it warns on every request), is replaced by the
  `bearerAuth` scheme the same spec defines: an OIDC access token arrives as a bearer token; `basicAuth`
  stays, as app tokens arrive that way;
- `user` does not require `onPremisesSamAccountName`: the real server leaves it out of another user's
  record unless the caller has the Admin role's account-management permission (`filterOutPrivateUserAttrs`);
- only the paths the emulator serves are kept, to load in well under a second.
"""

from __future__ import annotations

import base64
import copy
import functools
import json
import socket
from dataclasses import dataclass

from openapi_core import OpenAPI
from werkzeug.datastructures import Headers

from tests.emulators.base import EmulatorBug, InvalidRequest, SpecCheckedEmulator, emulator_fixtures
from tests.emulators.loopback import Outcome, Reply
from tests.emulators.ocis_state import NotEmulated, OcisState, Rejected, odata_error
from tests.emulators.openapi_check import SpecRequest, check_request
from tests.specs import LIBRE_GRAPH, load_spec

__all__ = [
    "APP_TOKEN",
    "TOKEN",
    "USER",
    "Call",
    "EmulatorBug",
    "InvalidRequest",
    "OcisEmulator",
    "basic",
    "free_port",
]

# How the real proxy lets a caller in (ocis `services/proxy`): a bearer token its IdP issued (lasting minutes,
# a browser session's), or, with `PROXY_ENABLE_APP_AUTH=true`, HTTP Basic `<username>:<app token>` for an app
# token of that user (service `auth-app`). An app token sent as a bearer token is refused, as is anything else.
USER = "dezky-service"  # the service account the providers act as
APP_TOKEN = "ocis-emulator-app-token-8b2d51"  # an app token of USER: what `dezky:ocisToken` holds
TOKEN = "ocis-emulator-idp-access-token-3f9c1e"  # stands for an access token of USER from the IdP


def basic(user: str, token: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode("ascii")


_ACCEPTED = frozenset({f"Bearer {TOKEN}", basic(USER, APP_TOKEN)})
_REAL_HOST = "https://localhost:9200"  # the spec's development server, so its `servers` entry matches
_SERVED = (
    "/v1.0/me",
    "/v1.0/users/{user-id}",
    "/v1.0/groups/{group-id}",
    "/v1.0/drives",
    "/v1.0/drives/{drive-id}",
    "/v1beta1/drives",
    "/v1beta1/drives/{drive-id}/root/invite",
    "/v1beta1/drives/{drive-id}/root/permissions",
    "/v1beta1/drives/{drive-id}/root/permissions/{perm-id}",
)


@functools.cache
def ocis_openapi() -> OpenAPI:
    """The served part of the Libre Graph spec as openapi-core's OpenAPI object, patched as the module says."""
    spec = copy.deepcopy(load_spec(LIBRE_GRAPH))
    spec["paths"] = {path: item for path, item in spec["paths"].items() if path in _SERVED}
    for operation in (op for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)):
        if "responses" in operation:
            operation["responses"] = {str(status): r for status, r in operation["responses"].items()}
    schemas = spec["components"]["schemas"]
    for schema in (
        schemas["quota"],
        schemas["quota"]["properties"]["total"],
        schemas["driveUpdate"]["properties"]["driveType"],
        schemas["permission"],
    ):
        schema.pop("readOnly", None)
    schemas["user"]["required"] = ["displayName"]
    spec["security"] = [{"bearerAuth": []}, {"basicAuth": []}]
    return OpenAPI.from_dict(spec)


@dataclass
class Call:
    method: str
    path: str  # without `/graph` and the query
    status: int | None  # None: the emulator hung or dropped the connection as told
    headers: dict[str, str]


class OcisEmulator(SpecCheckedEmulator):
    """One OCIS instance at `url` (give it to the client as the OCIS URL; the API is under `/graph`).

    `fail_next` globs match paths without `/graph` (`/v1.0/drives/*`); a `429` carries Retry-After 1."""

    def _reset_state(self) -> None:
        self.state = OcisState()

    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome:
        request = SpecRequest.from_http(method, target, headers, body, _REAL_HOST)
        path = request.path.removeprefix("/graph")
        with self._lock:
            outcome = self._outcome(method, path, request, headers, body)
            if isinstance(outcome, Reply):
                outcome = self._checked(request, outcome)
            status = outcome.status if isinstance(outcome, Reply) else None
            self.calls.append(Call(method, path, status, dict(headers.items())))
        return outcome

    def _outcome(
        self, method: str, path: str, request: SpecRequest, headers: Headers, body: bytes
    ) -> Outcome:
        try:
            self._check(request)
            fault = self.faults.take(method, path)
            if fault is not None:
                return self._fault(fault)
            query = request.parameters.query.to_dict()
            return self.state.route(method, path, query, headers, json.loads(body) if body else {})
        except Rejected as rejected:
            if rejected.invalid:
                error = rejected.reply.body["error"]
                self.invalid_requests.append(InvalidRequest(method, path, rejected.reply.status, error))
            return rejected.reply
        except NotEmulated as exc:
            self.bugs.append(f"{exc} is in the spec but not emulated")
            return Reply(599, odata_error("emulatorBug", f"{exc} is not emulated"))

    def _check(self, request: SpecRequest) -> None:
        verdict = check_request(self.openapi, request)
        token_ok = request.parameters.header.get("Authorization") in _ACCEPTED
        if verdict.problem == "unauthenticated" or not token_ok:
            raise Rejected(401, "unauthenticated", "Unauthorized", invalid=True)
        if verdict.problem == "unknown_path":
            raise Rejected(404, "itemNotFound", "no such endpoint", invalid=True)
        if verdict.problem == "invalid_input":
            if request.method.upper() == "POST" and [name for name, _ in verdict.fields] == ["name"]:
                return  # a space without a name: OCIS decodes it and refuses the empty name (the state does)
            # OCIS checks no schema: it decodes bodies strictly into its Go types and, when that fails, says
            # only this (graph `StrictJSONUnmarshal` callers), whatever the field.
            raise Rejected(400, "invalidRequest", "invalid body schema definition", invalid=True)

    def _refusal(self, status: int) -> Reply:
        if status == 429:
            return Reply(429, odata_error("tooManyRequests", "rate limit reached"), {"Retry-After": "1"})
        return Reply(503, odata_error("serviceNotAvailable", "service temporarily unavailable"))

    def _checked(self, request: SpecRequest, reply: Reply) -> Reply:
        bug = self._spec_bug(request, reply, bodiless=reply.status == 204)
        return reply if bug is None else Reply(599, odata_error("emulatorBug", bug), reply.headers)


ocis_server, ocis = emulator_fixtures(
    "ocis",
    lambda: OcisEmulator(ocis_openapi()),
    server_fixture="ocis_server",
    service="OCIS",
    doc="A fresh OCIS at `.url` (Basic `USER`:`APP_TOKEN`); fails the test on unclaimed invalid requests or bugs.",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
