"""The shape of a JMAP request (RFC 8620 sections 3.3 to 3.7) as the Stalwart emulator checks it.

Request-level problems (not JSON, not a Request object, unknown capability) are answered before any method
runs; method arguments are checked per verb; `#name` result references are resolved against the answers of
the calls before, as the real server does, so a client can query and get in one round trip.
"""

from __future__ import annotations

import json
from typing import Any

from tests.emulators.stalwart_state import MethodError

CORE, STALWART = "urn:ietf:params:jmap:core", "urn:stalwart:jmap"
CAPABILITIES = frozenset({CORE, STALWART, "urn:ietf:params:jmap:mail", "urn:ietf:params:jmap:submission"})
ACCOUNT_ID = "a"
ARGUMENTS = {
    "get": {"accountId", "ids", "properties"},
    "set": {"accountId", "ifInState", "create", "update", "destroy"},
    "query": {"accountId", "filter", "sort", "position", "anchor", "anchorOffset", "limit", "calculateTotal"},
}


def request_problem(request: Any, body: bytes) -> tuple[str, str] | None:
    """The request-level error (RFC 8620 section 3.6.1) for a malformed request, as Stalwart parses it: keys
    other than `using`, `methodCalls` and `createdIds` are ignored; anything it cannot read, an unknown
    capability included, is `notRequest` with the request body as the detail."""
    if not isinstance(request, dict):
        return "notRequest", body.decode(errors="replace")
    # the server's detail is the request as it was sent: a client's JSON, compact (httpx, the CLI)
    # (`using` first, as clients write it: a recording keeps the keys sorted, the server echoes them as sent)
    first = {key: request[key] for key in ("using", "methodCalls", "createdIds") if key in request}
    echoed = json.dumps({**first, **request}, separators=(",", ":"), ensure_ascii=False)
    using, calls = request.get("using", []), request.get("methodCalls", [])
    if (
        not isinstance(using, list)
        or not all(isinstance(u, str) and u in CAPABILITIES for u in using)
        or not isinstance(calls, list)
        or any(
            not (isinstance(c, list) and len(c) == 3 and isinstance(c[0], str) and isinstance(c[2], str))
            for c in calls
        )
    ):
        return "notRequest", echoed
    return None


def checked_arguments(verb: str, arguments: Any) -> dict[str, Any]:
    if not isinstance(arguments, dict):
        raise MethodError("invalidArguments", "arguments must be an object")
    # arguments the verb does not know are ignored, as the real server's parser skips them
    if arguments.get("accountId", ACCOUNT_ID) != ACCOUNT_ID:
        raise MethodError("accountNotFound", "no such account")
    for key in ("ids", "properties", "destroy"):
        value = arguments.get(key)
        if value is not None and not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
            raise MethodError("invalidArguments", f"`{key}` must be null or a list of strings")
    for key in ("create", "update"):
        if not isinstance(arguments.get(key) or {}, dict):
            raise MethodError("invalidArguments", f"`{key}` must be null or an object")
    return arguments


def resolved(arguments: Any, done: list[list[Any]]) -> Any:
    """Arguments with `#name` result references (RFC 8620 section 3.7) replaced by the values they point at."""
    if not isinstance(arguments, dict):
        return arguments
    resolved = {}
    for key, value in arguments.items():
        if not key.startswith("#"):
            resolved[key] = value
            continue
        source = next((r for r in done if r[2] == value.get("resultOf") and r[0] == value.get("name")), None)
        if source is None:
            raise MethodError(
                "invalidResultReference", f"no result {value.get('resultOf')} of {value.get('name')}"
            )
        resolved[key[1:]] = _pointer(source[1], value.get("path", "").strip("/").split("/"))
    return resolved


def _pointer(value: Any, steps: list[str]) -> Any:
    if not steps or steps == [""]:
        return value
    step, rest = steps[0], steps[1:]
    if step == "*" and isinstance(value, list):
        found = [_pointer(item, rest) for item in value]
        return [x for item in found for x in (item if isinstance(item, list) else [item])]
    if isinstance(value, dict) and step in value:
        return _pointer(value[step], rest)
    raise MethodError("invalidResultReference", f"path /{'/'.join(steps)} does not exist")
