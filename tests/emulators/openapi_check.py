"""Check one HTTP exchange against an OpenAPI spec with openapi-core, for emulators.

A request is judged as the real server would: not authenticated, no such path or operation, or invalid input
(with the fields at fault); a response either matches the spec or is an emulator bug.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, unquote, urlsplit

from jsonschema.exceptions import ValidationError, best_match
from openapi_core import OpenAPI
from openapi_core.datatypes import RequestParameters
from openapi_core.templating.paths.exceptions import PathError
from openapi_core.validation.request.exceptions import SecurityValidationError
from werkzeug.datastructures import Headers, ImmutableMultiDict

Problem = Literal["unauthenticated", "unknown_path", "invalid_input"]


@dataclass
class SpecRequest:
    """One request as openapi-core reads it. `host_url` is the real API's, so the spec's servers match."""

    method: str
    path: str
    parameters: RequestParameters
    body: bytes | None
    content_type: str
    host_url: str

    @classmethod
    def from_http(cls, method: str, target: str, headers: Headers, body: bytes, host_url: str) -> SpecRequest:
        split = urlsplit(target)
        query = ImmutableMultiDict(parse_qsl(split.query, keep_blank_values=True))
        content_type = headers.get("Content-Type", "application/json")
        parameters = RequestParameters(query=query, header=headers)
        return cls(method.lower(), unquote(split.path), parameters, body or None, content_type, host_url)


@dataclass
class _SpecResponse:
    status_code: int
    data: bytes
    headers: Headers
    content_type: str = "application/json"


@dataclass
class RequestVerdict:
    """What the spec says of a request: nothing (None), or the problem and the fields at fault."""

    problem: Problem | None = None
    fields: list[tuple[str, str]] = field(default_factory=list)


def check_request(openapi: OpenAPI, request: SpecRequest) -> RequestVerdict:
    # iter_*_errors validates without unmarshalling: a few times faster, and emulators read JSON themselves.
    errors = list(openapi.iter_request_errors(request))
    if any(isinstance(e, SecurityValidationError) for e in errors):
        return RequestVerdict(problem="unauthenticated")
    if any(isinstance(e, PathError) for e in errors):
        return RequestVerdict(problem="unknown_path")
    if errors:
        return RequestVerdict(problem="invalid_input", fields=field_errors(errors))
    return RequestVerdict()


def response_errors(
    openapi: OpenAPI, request: SpecRequest, status: int, body: Any, headers: Headers
) -> list[str]:
    response = _SpecResponse(status, json.dumps(body).encode(), headers)
    errors = list(openapi.iter_response_errors(request, response))
    return [f"{name}: {message}" for name, message in field_errors(errors)]


def field_errors(errors: list[Exception]) -> list[tuple[str, str]]:
    """(field path, message) for each problem openapi-core found, from the jsonschema errors inside its own."""
    fields = []
    for error in errors:
        prefix = getattr(error, "name", "")  # set on parameter errors: the parameter's name
        for outer in getattr(error.__cause__, "schema_errors", None) or [error]:
            # Under oneOf/anyOf the useful error is inside `context`; best_match finds the deepest relevant one.
            schema_error = best_match([outer]) if isinstance(outer, ValidationError) else outer
            path = [str(p) for p in getattr(schema_error, "absolute_path", [])]
            if getattr(schema_error, "validator", None) == "required":
                path += [p for p in schema_error.validator_value if p not in schema_error.instance][:1]
            name = ".".join(p for p in [prefix, *path] if p) or "body"
            fields.append((name, getattr(schema_error, "message", str(schema_error))))
    return fields
