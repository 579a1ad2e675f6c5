"""A preview's steps, sorted into what a reviewer reads: tenant, then integration, then each change.

The engine's step events carry the URN, the parent URN and the old and new inputs; the dynamic providers here
return no detailed diff, so the changed properties come from comparing old and new inputs, the way the
providers' own `diff` does.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pulumi import automation as auto

from dezky.lifecycle import DATA_BEARING_TYPES

ESTATE = "estate"
OPS = ("create", "update", "replace", "delete")
TENANT_TYPE = "dezky:tenant:Tenant"
DYNAMIC_PREFIX = "pulumi-python:dynamic/"
# The engine shows a value flagged secret as this string; the Python dynamic provider's own config is internal.
ENGINE_SECRET = "[secret]"
# The engine's stand-in for a value known only once another resource is applied (`UnknownStringValue`).
ENGINE_UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
INTERNAL_KEYS = {"__provider"}
#: inputs that hold a size in bytes, shown in the unit a tenant file uses
SIZE_KEYS = frozenset({"quota"})
_UNITS = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))


class Shown(str):
    """A value as the review shows it, not as data: `[secret]`, `(known after apply)`, `200 GiB`."""

    __slots__ = ()


MASK = Shown("[secret]")
KNOWN_AFTER_APPLY = Shown("(known after apply)")

# Replacements show up as three steps (replace, create-replacement, delete-replaced); one is counted.
_OP_OF = {
    auto.OpType.CREATE: "create",
    auto.OpType.UPDATE: "update",
    auto.OpType.REPLACE: "replace",
    auto.OpType.DELETE: "delete",
}


@dataclass(frozen=True)
class PropertyChange:
    name: str
    old: Any
    new: Any


@dataclass(frozen=True)
class Change:
    op: str
    tenant: str
    integration: str
    kind: str
    name: str
    properties: tuple[PropertyChange, ...] = ()

    @property
    def data_bearing(self) -> bool:
        return f"{self.integration}:{self.kind}" in DATA_BEARING_TYPES

    @property
    def marks_for_purge(self) -> bool:
        """The update records `purge: true`: removing the object from its file later destroys it for good."""
        return self.op == "update" and any(p.name == "purge" and p.new is True for p in self.properties)

    @property
    def warning(self) -> str | None:
        if not self.data_bearing:
            return None
        if self.marks_for_purge:
            return (
                f"MARKS {self.integration} {self.kind} `{self.name}` of {self.tenant} for purge: removing it "
                "from the tenant file in a later change destroys it and its data for good"
            )
        if self.op not in ("delete", "replace"):
            return None
        verb = "DELETES" if self.op == "delete" else "REPLACES (deletes, then recreates)"
        return f"{verb} {self.integration} {self.kind} `{self.name}` of {self.tenant}: it holds customer data"


@dataclass(frozen=True)
class PolicyViolation:
    """A rule of the policy pack (`policy/`) the change breaks; a mandatory one blocks the apply."""

    policy: str
    message: str  # `tenants/acme.yaml:16:5 users[1].quota: ...`
    mandatory: bool = True


@dataclass(frozen=True)
class Review:
    changes: tuple[Change, ...] = ()
    stacks: tuple[str, ...] = field(default_factory=tuple)
    hidden: int = 0  # changes left out because they belong to tenants the change did not touch
    violations: tuple[PolicyViolation, ...] = ()
    commit: str = ""  # the checkout previewed (short hash), when it is a git checkout
    generated_at: str = ""  # when the preview ran, UTC

    @property
    def blocked(self) -> bool:
        return any(violation.mandatory for violation in self.violations)

    @property
    def warnings(self) -> list[str]:
        return [change.warning for change in self.changes if change.warning]

    def counts(self, tenant: str | None = None, integration: str | None = None) -> Counter[str]:
        return Counter(
            change.op
            for change in self.changes
            if tenant in (None, change.tenant) and integration in (None, change.integration)
        )

    def tenants(self) -> list[str]:
        """Tenants in name order, the estate last."""
        names = {change.tenant for change in self.changes}
        return sorted(names - {ESTATE}) + ([ESTATE] if ESTATE in names else [])

    def integrations(self, tenant: str) -> list[str]:
        return sorted({change.integration for change in self.changes if change.tenant == tenant})

    def of(self, tenant: str, integration: str) -> list[Change]:
        return [c for c in self.changes if c.tenant == tenant and c.integration == integration]


def review_of(events: Iterable[auto.EngineEvent], stacks: Iterable[str] = ()) -> Review:
    steps = [event.resource_pre_event.metadata for event in events if event.resource_pre_event]
    parents = {step.urn: _state(step).parent for step in steps if _state(step) is not None}
    changes = [
        change_of(step, parents)
        for step in steps
        if step.op in _OP_OF and step.type.startswith(DYNAMIC_PREFIX)
    ]
    found = {violation_of(event.policy_event) for event in events if event.policy_event}
    violations = sorted(found, key=lambda v: (not v.mandatory, v.message, v.policy))
    return Review(tuple(sorted(changes, key=_order)), tuple(stacks), violations=tuple(violations))


def violation_of(event: auto.PolicyEvent) -> PolicyViolation:
    # The engine sends the policy's description, then the violation's own message, on separate lines.
    message = event.message.strip().splitlines()[-1].strip() if event.message.strip() else event.policy_name
    return PolicyViolation(event.policy_name, message, event.enforcement_level == "mandatory")


def _order(change: Change) -> tuple[str, str, int, str]:
    return (change.tenant, change.integration, OPS.index(change.op), change.name)


def change_of(step: auto.StepEventMetadata, parents: Mapping[str, str]) -> Change:
    integration, _, kind = step.type.removeprefix(DYNAMIC_PREFIX).partition(":")
    op = _OP_OF[step.op]
    return Change(
        op=op,
        tenant=tenant_of(step.urn, parents),
        integration=integration,
        kind=kind,
        name=urn_name(step.urn),
        properties=tuple(property_changes(step, op)),
    )


def tenant_of(urn: str, parents: Mapping[str, str]) -> str:
    """The slug: the name of the resource's `Tenant` ancestor; outside any tenant, the estate."""
    if urn_types(urn)[0] != TENANT_TYPE:
        return ESTATE
    current = urn
    while current in parents and urn_types(current)[-1] != TENANT_TYPE:
        current = parents[current]
    # A preview reports only the resources it visits; when the chain stops short, the nearest known ancestor
    # is a tenant's service component, and those are named by the tenant's slug (components/tenant).
    return urn_name(current)


def urn_types(urn: str) -> list[str]:
    return urn.split("::")[2].split("$")


def urn_name(urn: str) -> str:
    return urn.split("::", 3)[3]


def property_changes(step: auto.StepEventMetadata, op: str) -> list[PropertyChange]:
    old = _inputs(step.old)
    new = _inputs(step.new)
    if op == "delete":
        return []
    if op == "create":
        return [PropertyChange(key, None, masked(key, new[key])) for key in sorted(new)]
    if old == new and step.old is not None:
        # After a refresh the recorded inputs still equal the new ones: the drift is in what the service
        # returned (the outputs), which `read` normalises the way the inputs are (STYLE.md, "Read is honest").
        recorded = _without_internal(step.old.outputs)
        old = {key: recorded[key] for key in new if key in recorded}
    keys = _changed_keys(step, old, new)
    return [PropertyChange(key, masked(key, old.get(key)), masked(key, new.get(key))) for key in keys]


def _changed_keys(step: auto.StepEventMetadata, old: Mapping[str, Any], new: Mapping[str, Any]) -> list[str]:
    named = list(step.detailed_diff or {}) or list(step.diffs or [])
    if named:  # property paths such as `members[0].role`: shown at their top-level property
        tops = [re.split(r"[.\[]", path, maxsplit=1)[0] for path in named]
        return sorted(set(tops) - INTERNAL_KEYS)
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def _inputs(state: auto.StepEventStateMetadata | None) -> dict[str, Any]:
    return _without_internal(state.inputs if state is not None else None)


def _without_internal(values: Mapping[str, Any] | None) -> dict[str, Any]:
    return {key: value for key, value in (values or {}).items() if key not in INTERNAL_KEYS}


def _state(step: auto.StepEventMetadata) -> auto.StepEventStateMetadata | None:
    return step.new or step.old


def masked(key: str, value: Any) -> Any:
    """The value as a reviewer reads it. Secrets are masked by the engine's own secret flag, never guessed
    from a name (`include_claims_in_id_token` is a setting); unknowns read `(known after apply)`; sizes in
    bytes read in the units of the tenant file."""
    if value == ENGINE_SECRET:
        return MASK
    if value == ENGINE_UNKNOWN:
        return KNOWN_AFTER_APPLY
    if isinstance(value, Mapping):
        return {k: masked(str(k), v) for k, v in value.items()}
    if isinstance(value, list):
        return [masked(key, item) for item in value]
    if key in SIZE_KEYS and isinstance(value, int) and not isinstance(value, bool):
        return size_text(value)
    return value


def size_text(size: int) -> Shown:
    for unit, factor in _UNITS:
        if size >= factor and size % factor == 0:
            return Shown(f"{size // factor} {unit}")
    return Shown(f"{size} bytes")
