"""Drift: objects changed or removed outside the program, as a refresh (run as a preview) finds them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from pulumi import automation as auto

from dezky.review.model import DYNAMIC_PREFIX, INTERNAL_KEYS, PropertyChange, masked, tenant_of, urn_name
from dezky.review.render import value_text


@dataclass(frozen=True, order=True)
class Drift:
    tenant: str
    integration: str
    kind: str
    name: str
    gone: bool  # removed from its service; otherwise changed
    #: what the service holds now against what the last run recorded (Terraform's "changed outside")
    changes: tuple[PropertyChange, ...] = field(default=(), compare=False)

    def describe(self) -> str:
        what = "removed" if self.gone else "changed"
        return f"{self.integration} {self.kind} {self.name}: {what} outside the program"

    def details(self) -> list[str]:
        """`is_active: true -> false`, one line per drifted property (recorded -> on the service now)."""
        return [f"{c.name}: {value_text(c.old)} -> {value_text(c.new)}" for c in self.changes]


def drift_of(events: Iterable[auto.EngineEvent]) -> list[Drift]:
    steps = [e.res_outputs_event.metadata for e in events if e.res_outputs_event is not None]
    parents = {s.urn: (s.old or s.new).parent for s in steps if (s.old or s.new) is not None}
    found = [_drift(step, parents) for step in steps if _drifted(step)]
    return sorted(found)


def _drifted(step: auto.StepEventMetadata) -> bool:
    # A refresh step's outcome: `update` when the service's answer differs from the state, `delete` when the
    # object is gone (its step starts as `refresh`; the outputs event carries the outcome).
    return step.op in (auto.OpType.UPDATE, auto.OpType.DELETE) and step.type.startswith(DYNAMIC_PREFIX)


def _drift(step: auto.StepEventMetadata, parents: dict[str, str]) -> Drift:
    integration, _, kind = step.type.removeprefix(DYNAMIC_PREFIX).partition(":")
    gone = step.op == auto.OpType.DELETE
    changes = () if gone else tuple(_changed_outputs(step))
    return Drift(tenant_of(step.urn, parents), integration, kind, urn_name(step.urn), gone, changes)


def _changed_outputs(step: auto.StepEventMetadata) -> list[PropertyChange]:
    recorded = (step.old.outputs if step.old else None) or {}
    now = (step.new.outputs if step.new else None) or {}
    keys = sorted(
        k for k in set(recorded) | set(now) if k not in INTERNAL_KEYS and recorded.get(k) != now.get(k)
    )
    return [PropertyChange(k, masked(k, recorded.get(k)), masked(k, now.get(k))) for k in keys]


def drift_counts(drifts: Iterable[Drift]) -> Counter[tuple[str, str]]:
    return Counter((drift.tenant, drift.integration) for drift in drifts)
