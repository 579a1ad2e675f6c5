"""What of a tenant file that breaks the schema can still be checked: every problem at once.

A file with one value the model refuses (a misspelt role, a date in another format) still has users, lists and
spaces worth checking against each other. The parts the model refused are set aside, each at the smallest
place that leaves the rest valid: a key with a default is removed, a list item without its required fields is
dropped, a required top-level value gets a placeholder. The tenant that remains goes through every rule, and
the rules leave out what the set-aside parts could have made wrong (`Salvage.touches`, `Salvage.addresses`),
so nothing is reported that the file's own fix would not also fix.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as dt
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import BaseModel, ValidationError

from dezky.tenants.model import Tenant, normalise_email

FieldPath = tuple[str | int, ...]

ROUNDS = 4  # dropping an item can leave its list too short: a few rounds reach a valid remainder
_DROPPED = object()

# Placeholders for the required top-level values; no rule's finding about them is reported.
_PLACEHOLDERS: dict[str, typing.Any] = {
    "slug": "unreadable-slug",
    "name": "(unreadable)",
    "created": dt.date(1970, 1, 1),
    "plan": "enterprise",
    "domains": {"primary": "unreadable.invalid"},
}


@dataclass
class Salvage:
    """The places set aside from a file's data, and every address written in them."""

    paths: list[FieldPath] = field(default_factory=list)
    placeholders: set[str] = field(default_factory=set)
    addresses: set[str] = field(default_factory=set)

    def touches(self, *prefixes: FieldPath) -> bool:
        """Whether anything at or under one of `prefixes` was set aside."""
        return any(path[: len(prefix)] == prefix for path in self.paths for prefix in prefixes)

    def claims_placeholder(self, loc: FieldPath, data: typing.Any) -> bool:
        """Whether a cross-file claim at `loc` is a placeholder's (or follows from one)."""
        if loc[:1] and loc[0] in self.placeholders:
            return True
        implied = isinstance(data, dict) and "platform_subdomain" not in (data.get("domains") or {})
        return loc == ("domains", "platform_subdomain") and "slug" in self.placeholders and implied


def salvage(data: typing.Any, errors: Iterable[typing.Any]) -> tuple[Tenant, Salvage] | None:
    """The tenant left when the parts the model refused are set aside, or None if nothing is left to check."""
    if not isinstance(data, dict):
        return None
    data = copy.deepcopy(data)
    found = Salvage()
    pending = list(errors)
    for _ in range(ROUNDS):
        for loc in sorted({tuple(error["loc"]) for error in pending}, key=len, reverse=True):
            if not _set_aside(data, loc, found):
                return None
        _compact(data)
        try:
            return Tenant.model_validate(data), found
        except ValidationError as exc:
            pending = exc.errors()
    return None


def _set_aside(data: dict[str, typing.Any], loc: FieldPath, found: Salvage) -> bool:
    for end in range(len(loc), 0, -1):
        part, parent = loc[end - 1], loc[: end - 1]
        if isinstance(part, int):
            return _remove(data, loc[:end], found, drop=True)
        info = _field(parent, part)
        if info is None or not info.is_required():
            return _remove(data, loc[:end], found, drop=False)
        if not parent and part in _PLACEHOLDERS:
            container = data
            if container.get(part) is not None:
                _collect_addresses(container[part], found)
            container[part] = copy.deepcopy(_PLACEHOLDERS[part])
            found.paths.append(loc[:end])
            found.placeholders.add(part)
            return True
    return False


def _remove(data: dict[str, typing.Any], loc: FieldPath, found: Salvage, drop: bool) -> bool:
    container: typing.Any = data
    for part in loc[:-1]:
        try:
            container = container[part]
        except (KeyError, IndexError, TypeError):
            return True  # already inside something set aside
        if container is _DROPPED:
            return True
    last = loc[-1]
    if isinstance(container, dict) and isinstance(last, str) and last in container:
        _collect_addresses(container.pop(last), found)
    elif isinstance(container, list) and isinstance(last, int) and 0 <= last < len(container):
        _collect_addresses(container[last], found)
        container[last] = _DROPPED
    elif drop:
        return True
    found.paths.append(loc)
    return True


def _compact(value: typing.Any) -> None:
    if isinstance(value, dict):
        for item in value.values():
            _compact(item)
    elif isinstance(value, list):
        value[:] = [item for item in value if item is not _DROPPED]
        for item in value:
            _compact(item)


def _collect_addresses(value: typing.Any, found: Salvage) -> None:
    """Every text with an `@` in what is set aside: addresses a rule must not call unknown."""
    if isinstance(value, dict):
        for item in value.values():
            _collect_addresses(item, found)
    elif isinstance(value, list):
        for item in value:
            _collect_addresses(item, found)
    elif isinstance(value, str) and "@" in value:
        found.addresses.add(value.strip().lower())
        with contextlib.suppress(ValueError):
            found.addresses.add(normalise_email(value))


def _field(parent: FieldPath, name: str | int) -> typing.Any:
    model: type[BaseModel] | None = Tenant
    for part in parent:
        if isinstance(part, int):
            continue
        if model is None:
            return None
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info is not None else None
    if model is None or not isinstance(name, str):
        return None
    return model.model_fields.get(name)


def _model_in(annotation: typing.Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        found = _model_in(arg)
        if found is not None:
            return found
    return None
