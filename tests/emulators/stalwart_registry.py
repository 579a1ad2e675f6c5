"""Stalwart 0.16's own registry schema as a validator: what the real server's patch and validation steps reject.

The registry JSON (`load_spec(STALWART_REGISTRY)`) describes every management object: `schemas` name an
object's variants (`x:Account` is `User` or `Group`, picked by `@type`), `fields` give each variant's
properties with their type, whether the server sets them, and `defaults`; `enums` list the allowed values.

The rules follow the server source (crates/registry/src/jmap/patch.rs, crates/jmap/src/registry/set.rs):
- a value of the wrong shape, an unknown key, a server-set property or a missing `@type` is a patch error,
  answered as SetError `invalidPatch` naming the top-level property it is in (`quotas`, not
  `quotas/maxDiskSpace`; `""` for an unknown key or a missing `@type` of the object itself), as Stalwart
  0.16.18 answers (seen in the acceptance run);
- a property that has no default and cannot be empty (a name, a domainId) and is missing after the patch is a
  validation error, answered as `validationFailed` with `validationErrors: [{type: "Required", property}]`;
- sets are JSON objects of `value: true`, object lists are JSON objects keyed "0", "1", ..., strings may not be
  empty, durations are milliseconds.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Literal

_JMAP_ID = re.compile(r"^[A-Za-z0-9_-]{1,255}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_UNSIGNED_FORMATS = frozenset({"unsignedInteger", "size", "duration"})
_ZERO_BY_TYPE: dict[str, Any] = {"boolean": False, "set": {}, "objectList": {}, "map": {}, "number": 0}


@dataclass(frozen=True)
class Problem:
    kind: Literal["invalidPatch", "validationFailed"]
    path: str
    message: str


class RegistrySchema:
    """Checks and completes objects exactly as the registry describes them."""

    def __init__(self, spec: dict[str, Any]) -> None:
        self.spec = spec

    # --- lookups -------------------------------------------------------------------------------------

    def variants(self, object_name: str) -> dict[str, str | None] | None:
        """`{variant: schema name or None}` for a multi-variant object, None for a single-schema one."""
        schema = self.spec["schemas"][object_name]
        if schema["type"] == "single":
            return None
        return {v["name"]: v.get("schemaName") for v in schema["variants"]}

    def schema_name(self, object_name: str, value: dict[str, Any]) -> str | None:
        variants = self.variants(object_name)
        if variants is None:
            return self.spec["schemas"][object_name]["schemaName"]
        return variants.get(value.get("@type"))  # type: ignore[arg-type]

    def fields(self, schema_name: str | None) -> dict[str, Any]:
        return self.spec["fields"].get(schema_name, {}).get("properties", {}) if schema_name else {}

    def all_properties(self, object_name: str) -> set[str]:
        variants = self.variants(object_name)
        names = [self.spec["schemas"][object_name]["schemaName"]] if variants is None else variants.values()
        return {prop for name in names for prop in self.fields(name)}

    def enum_values(self, enum_name: str) -> set[str]:
        return {entry["name"] for entry in self.spec["enums"][enum_name]}

    # --- checks --------------------------------------------------------------------------------------

    def check_object(
        self, object_name: str, value: Any, path: str = "", *, stored: bool = False
    ) -> list[Problem]:
        """Problems of one object value. `stored` allows server-set properties (checking a server answer)."""
        if not isinstance(value, dict):
            return [Problem("invalidPatch", path, "Invalid value type for object")]
        variants = self.variants(object_name)
        if variants is not None and value.get("@type") not in variants:
            return [Problem("invalidPatch", path, "Missing or invalid '@type' property in object")]
        properties = self.fields(self.schema_name(object_name, value))
        problems: list[Problem] = []
        for key, item in value.items():
            if key == "@type" or (stored and key == "id" and not path):
                continue
            where = _join(path, key)
            field = properties.get(key)
            if field is None and key in self.all_properties(object_name):  # another variant's property
                problems.append(Problem("invalidPatch", where, "Invalid property"))
            elif field is None:
                problems.append(Problem("invalidPatch", path, "Invalid key for object"))
            elif field["update"] == "serverSet" and not stored:
                problems.append(Problem("invalidPatch", where, "Cannot modify server set property"))
            else:
                problems += self.check_value(field["type"], item, where, stored=stored)
        if not path:  # the server names the property of the object, however deep the problem inside it
            problems = [Problem(p.kind, p.path.split("/")[0], p.message) for p in problems]
        return problems

    def check_value(
        self, type_: dict[str, Any], value: Any, path: str, *, stored: bool = False
    ) -> list[Problem]:
        if value is None:
            return (
                []
                if type_.get("nullable")
                else [Problem("invalidPatch", path, "Invalid value for property.")]
            )
        kind = type_["type"]
        if kind == "object":
            return self.check_object(type_["objectName"], value, path, stored=stored)
        if kind in ("set", "map", "objectList"):
            return self._check_collection(type_, value, path, stored=stored)
        message = _scalar_problem(type_, value, self.enum_values)
        return [Problem("invalidPatch", path, message)] if message else []

    def _check_collection(
        self, type_: dict[str, Any], value: Any, path: str, *, stored: bool
    ) -> list[Problem]:
        if not isinstance(value, dict):
            return [Problem("invalidPatch", path, "Invalid value for object property")]
        if len(value) < type_.get("minItems", 0):
            return [Problem("invalidPatch", path, f"at least {type_['minItems']} items are required")]
        problems: list[Problem] = []
        for key, item in value.items():
            where = _join(path, key)
            if type_["type"] == "set":
                if type_["class"].get("format") != "emailAddress":  # addresses in a set are taken as they are
                    problems += self.check_value(type_["class"], key, where)
                if item is not True:
                    problems.append(Problem("invalidPatch", where, "Invalid key for object property"))
            elif type_["type"] == "map":
                if self.check_value(type_["keyClass"], key, where):
                    problems.append(Problem("invalidPatch", where, "Invalid key for object property"))
                problems += self.check_value(type_["valueClass"], item, where, stored=stored)
            elif not key.isdigit():
                problems.append(Problem("invalidPatch", where, "Invalid key for object property"))
            else:
                problems += self.check_object(type_["objectName"], item, where, stored=stored)
        # the server names the collection, not the member, whatever went wrong inside it
        return [Problem(p.kind, path, p.message) for p in problems]

    def missing_required(self, object_name: str, value: dict[str, Any]) -> list[str]:
        """Properties that must be given: non-nullable strings and ids with no default."""
        schema = self.schema_name(object_name, value)
        defaults = self.spec["fields"].get(schema, {}).get("defaults", {})
        return sorted(
            name
            for name, field in self.fields(schema).items()
            if field["type"]["type"] in ("string", "objectId")
            and not field["type"].get("nullable")
            and field["update"] != "serverSet"
            and name not in defaults
            and value.get(name) is None
        )

    # --- completing ----------------------------------------------------------------------------------

    def with_defaults(self, object_name: str, value: dict[str, Any]) -> dict[str, Any]:
        """The object as the server stores it: every settable property present, defaults filled in."""
        schema = self.schema_name(object_name, value)
        defaults = self.spec["fields"].get(schema, {}).get("defaults", {})
        filled = {"@type": value["@type"]} if "@type" in value else {}
        for name, field in self.fields(schema).items():
            type_ = field["type"]
            if name in value:
                filled[name] = self._completed(type_, value[name])
            elif field["update"] == "serverSet":
                continue
            elif name in defaults:
                filled[name] = copy.deepcopy(defaults[name])
            elif type_.get("nullable"):
                filled[name] = None
            elif (zero := self._zero(type_)) is not None:
                filled[name] = zero
        return filled

    def _completed(self, type_: dict[str, Any], value: Any) -> Any:
        if value is None:
            return None
        if type_["type"] == "object":
            return self.with_defaults(type_["objectName"], value)
        if type_["type"] == "objectList":
            return {k: self.with_defaults(type_["objectName"], v) for k, v in value.items()}
        return copy.deepcopy(value)

    def _zero(self, type_: dict[str, Any]) -> Any:
        """What an absent property without a default reads back as (the Rust type's default)."""
        if type_["type"] == "enum":
            return self.spec["enums"][type_["enumName"]][0]["name"]
        if type_["type"] == "object":
            variants = self.variants(type_["objectName"])
            if variants is None:
                return self.with_defaults(type_["objectName"], {})
            plain = next((name for name, schema in variants.items() if schema is None), next(iter(variants)))
            return self.with_defaults(type_["objectName"], {"@type": plain})
        return copy.deepcopy(_ZERO_BY_TYPE.get(type_["type"]))


def _scalar_problem(type_: dict[str, Any], value: Any, enum_values: Any) -> str | None:
    kind, fmt = type_["type"], type_.get("format")
    if kind == "string":
        if not isinstance(value, str) or not value:
            return "Invalid value for property."
        if fmt == "emailAddress" and not _EMAIL.match(value):
            return "Invalid email address."
        if len(value) > type_.get("maxLength", len(value)):
            return f"exceeds maximum length of {type_['maxLength']}"
        return None
    if kind == "boolean":
        return (
            None if isinstance(value, bool) else "Invalid value for boolean property (expected true or false)"
        )
    if kind == "number":
        return _number_problem(type_, value, fmt)
    if kind == "enum":
        return (
            None
            if isinstance(value, str) and value in enum_values(type_["enumName"])
            else (f"Invalid value {value!r} for enum type {type_['enumName']}.")
        )
    if kind == "objectId":
        return None if isinstance(value, str) and _JMAP_ID.match(value) else "Invalid object id."
    if kind == "utcDateTime":
        return None if isinstance(value, str) and _is_utc_datetime(value) else "Invalid UTC date-time."
    if kind == "blobId":
        return None if isinstance(value, str) and value else "Invalid blob id."
    return f"unsupported type {kind}"


def _number_problem(type_: dict[str, Any], value: Any, fmt: str | None) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "Invalid value for number property"
    if fmt != "float" and not isinstance(value, int):
        return "Invalid value for integer property"
    if fmt in _UNSIGNED_FORMATS and value < 0:
        return "Invalid value for unsigned integer property (expected non-negative integer)"
    if value < type_.get("min", value):
        return f"below minimum value of {type_['min']}"
    if value > type_.get("max", value):
        return f"exceeds maximum value of {type_['max']}"
    return None


def _is_utc_datetime(value: str) -> bool:
    try:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00")).tzinfo is not None
    except ValueError:
        return False


def _join(path: str, key: str) -> str:
    return f"{path}/{key}" if path else key
