"""An OpenAPI 3.1 description of the Storage Box API calls the estate uses, derived from hcloud-python 2.27.

Hetzner's own spec for `api.hetzner.com` (hetzner.spec.json) could not be obtained (specs/SOURCES.md). The
shapes below are read off hcloud-python's `hcloud/storage_boxes/{client,domain}.py` (request bodies as its
`create`, `create_subaccount` and action methods build them, responses as its domain classes read them) and
`hcloud/actions/domain.py`; the error and pagination shapes are the Cloud API's, which hcloud-python shares.
Request bodies forbid unknown keys, so a misspelt field is a test failure rather than a silently ignored one.
Only the paths the estate calls are described: any other path is a 404 the emulator records.
"""

from __future__ import annotations

import functools
from typing import Any

from openapi_core import OpenAPI

Schema = dict[str, Any]


def _object(required: list[str], closed: bool = True, **properties: Schema) -> Schema:
    schema: Schema = {"type": "object", "required": required, "properties": properties}
    if closed:
        schema["additionalProperties"] = False
    return schema


def _nullable(type_: str) -> Schema:
    return {"type": [type_, "null"]}


STRING, INTEGER, BOOLEAN = {"type": "string"}, {"type": "integer"}, {"type": "boolean"}
LABELS = {"type": "object", "additionalProperties": {"type": "string"}}
BOX_ACCESS_KEYS = ("reachable_externally", "samba_enabled", "ssh_enabled", "webdav_enabled", "zfs_enabled")
SUBACCOUNT_ACCESS_KEYS = (
    "reachable_externally",
    "samba_enabled",
    "ssh_enabled",
    "webdav_enabled",
    "readonly",
)

ACTION = _object(
    ["id", "command", "status", "progress", "started", "finished", "resources", "error"],
    closed=False,
    id=INTEGER,
    command=STRING,
    status={"type": "string", "enum": ["running", "success", "error"]},
    progress=INTEGER,
    started=STRING,
    finished=_nullable("string"),
    resources={"type": "array", "items": _object(["id", "type"], id=INTEGER, type=STRING)},
    error={"oneOf": [{"type": "null"}, _object(["code", "message"], code=STRING, message=STRING)]},
)
ERROR = _object(
    ["error"],
    closed=False,
    error=_object(["code", "message"], closed=False, code=STRING, message=STRING, details={}),
)
PAGINATION = _object(
    ["page", "per_page", "previous_page", "next_page", "last_page", "total_entries"],
    page=INTEGER,
    per_page=INTEGER,
    previous_page=_nullable("integer"),
    next_page=_nullable("integer"),
    last_page=_nullable("integer"),
    total_entries=_nullable("integer"),
)
BOX_ACCESS = _object(list(BOX_ACCESS_KEYS), **dict.fromkeys(BOX_ACCESS_KEYS, BOOLEAN))
SUBACCOUNT_ACCESS = _object(list(SUBACCOUNT_ACCESS_KEYS), **dict.fromkeys(SUBACCOUNT_ACCESS_KEYS, BOOLEAN))
STORAGE_BOX = _object(
    [
        "id",
        "username",
        "status",
        "name",
        "storage_box_type",
        "location",
        "access_settings",
        "server",
        "system",
        "stats",
        "labels",
        "protection",
        "snapshot_plan",
        "created",
    ],
    closed=False,
    id=INTEGER,
    username=_nullable("string"),
    status={"type": "string", "enum": ["active", "initializing", "locked"]},
    name=STRING,
    storage_box_type=_object(["name", "description", "size", "subaccounts_limit"], closed=False, name=STRING),
    location=_object(
        ["id", "name", "description", "country", "city", "network_zone"], closed=False, name=STRING
    ),
    access_settings=BOX_ACCESS,
    server=_nullable("string"),
    system=_nullable("string"),
    stats={"oneOf": [{"type": "null"}, _object(["size", "size_data", "size_snapshots"], closed=False)]},
    labels=LABELS,
    protection=_object(["delete"], delete=BOOLEAN),
    snapshot_plan={"type": ["object", "null"]},
    created=STRING,
)
SUBACCOUNT = _object(
    [
        "id",
        "name",
        "username",
        "home_directory",
        "server",
        "access_settings",
        "description",
        "labels",
        "storage_box",
        "created",
    ],
    closed=False,
    id=INTEGER,
    name=STRING,
    username=STRING,
    home_directory=STRING,
    server=STRING,
    access_settings=SUBACCOUNT_ACCESS,
    description=STRING,
    labels=LABELS,
    storage_box=INTEGER,
    created=STRING,
)
CREATE_BOX = _object(
    ["name", "password", "location", "storage_box_type"],
    name={"type": "string", "minLength": 1},
    password={"type": "string", "minLength": 1},
    location=STRING,
    storage_box_type=STRING,
    ssh_keys={"type": "array", "items": STRING},
    access_settings=_object([], **dict.fromkeys(BOX_ACCESS_KEYS, BOOLEAN)),
    labels=LABELS,
)
CREATE_SUBACCOUNT = _object(
    ["home_directory", "password"],
    name=STRING,
    home_directory=STRING,
    password={"type": "string", "minLength": 1},
    access_settings=_object([], **dict.fromkeys(SUBACCOUNT_ACCESS_KEYS, BOOLEAN)),
    description=STRING,
    labels=LABELS,
)


def _json(schema: Schema) -> Schema:
    return {"description": "JSON", "content": {"application/json": {"schema": schema}}}


def _operation(
    success: int, response: Schema, body: Schema | None = None, query: tuple[str, ...] = ()
) -> Schema:
    operation: Schema = {
        "responses": {str(success): _json(response), "4XX": _json(ERROR), "5XX": _json(ERROR)},
        "parameters": [
            {"name": q, "in": "query", "schema": INTEGER if q in ("page", "per_page") else STRING}
            for q in query
        ],
    }
    if body is not None:
        operation["requestBody"] = {"required": True, **_json(body)}
    return operation


def _path_ids(*names: str) -> list[Schema]:
    return [{"name": n, "in": "path", "required": True, "schema": INTEGER} for n in names]


def _action_only(body: Schema | None = None) -> Schema:
    return _operation(201, _object(["action"], closed=False, action=ACTION), body)


LISTING = ("name", "label_selector", "sort", "page", "per_page")
SUBACCOUNT_LISTING = (
    "name",
    "username",
    "label_selector",
    "sort",
)  # hcloud-python: "does not have pagination"
_BOX = "/storage_boxes/{id}"
_SUB = _BOX + "/subaccounts/{subaccount_id}"
PATHS: dict[str, Schema] = {
    "/storage_boxes": {
        "get": _operation(
            200,
            _object(
                ["storage_boxes", "meta"],
                closed=False,
                storage_boxes={"type": "array", "items": STORAGE_BOX},
                meta=_object(["pagination"], pagination=PAGINATION),
            ),
            query=LISTING,
        ),
        "post": _operation(
            201,
            _object(["storage_box", "action"], closed=False, storage_box=STORAGE_BOX, action=ACTION),
            CREATE_BOX,
        ),
    },
    "/storage_boxes/actions/{id}": {
        "parameters": _path_ids("id"),
        "get": _operation(200, _object(["action"], closed=False, action=ACTION)),
    },
    _BOX: {
        "parameters": _path_ids("id"),
        "get": _operation(200, _object(["storage_box"], closed=False, storage_box=STORAGE_BOX)),
        "delete": _action_only(),
    },
    _BOX + "/actions/change_type": {
        "parameters": _path_ids("id"),
        "post": _action_only(_object(["storage_box_type"], storage_box_type=STRING)),
    },
    _BOX + "/actions/update_access_settings": {
        "parameters": _path_ids("id"),
        "post": _action_only(_object([], **dict.fromkeys(BOX_ACCESS_KEYS, BOOLEAN))),
    },
    _BOX + "/subaccounts": {
        "parameters": _path_ids("id"),
        "get": _operation(
            200,
            _object(["subaccounts"], closed=False, subaccounts={"type": "array", "items": SUBACCOUNT}),
            query=SUBACCOUNT_LISTING,
        ),
        "post": _operation(
            201,
            _object(
                ["subaccount", "action"],
                closed=False,
                subaccount=_object(["id", "storage_box"], id=INTEGER, storage_box=INTEGER),
                action=ACTION,
            ),
            CREATE_SUBACCOUNT,
        ),
    },
    _SUB: {
        "parameters": _path_ids("id", "subaccount_id"),
        "get": _operation(200, _object(["subaccount"], closed=False, subaccount=SUBACCOUNT)),
        "put": _operation(
            200,
            _object(["subaccount"], closed=False, subaccount=SUBACCOUNT),
            _object([], name=STRING, description=STRING, labels=LABELS),
        ),
        "delete": _action_only(),
    },
    _SUB + "/actions/change_home_directory": {
        "parameters": _path_ids("id", "subaccount_id"),
        "post": _action_only(_object(["home_directory"], home_directory=STRING)),
    },
    _SUB + "/actions/update_access_settings": {
        "parameters": _path_ids("id", "subaccount_id"),
        "post": _action_only(_object([], **dict.fromkeys(SUBACCOUNT_ACCESS_KEYS, BOOLEAN))),
    },
}
SPEC: Schema = {
    "openapi": "3.1.0",
    "info": {"title": "Hetzner API: Storage Boxes (derived from hcloud-python 2.27)", "version": "derived"},
    "servers": [{"url": "https://api.hetzner.com/v1"}],
    "security": [{"APIToken": []}],
    "components": {"securitySchemes": {"APIToken": {"type": "http", "scheme": "bearer"}}},
    "paths": PATHS,
}


@functools.cache
def storage_box_openapi() -> OpenAPI:
    return OpenAPI.from_dict(SPEC)
