"""What a planned run would destroy, and what the policy pack refuses, read from a preview's engine events.

The runner previews every apply (`up`, `destroy`, a targeted `up` such as `reconcile`) with the same targets
and policy pack before it runs it, and stops before any write when the plan:
- deletes or replaces an object that holds customer data whose recorded state is not marked `purge: true`
  (the marks come from the state the last run left, which the step's `old` carries); or
- breaks a mandatory rule of the policy pack. During `up`, Pulumi runs the pack's stack rules after the steps
  are applied, so only the preview can refuse such a change in time.
"""

from __future__ import annotations

from collections.abc import Iterable

from pulumi import automation as auto

from dezky.lifecycle import DataObject, data_object_of
from dezky.review.model import DYNAMIC_PREFIX, PolicyViolation, violation_of

#: the policy pack's rules that guard customer data (`dezky.policy.rules`)
DATA_RULES = frozenset({"data-not-deleted", "data-not-replaced"})
#: the steps that leave an existing object gone (a replacement deletes the old one)
DESTROYING_OPS = frozenset({"delete", "replace", "delete-replaced", "create-replacement"})


class RunRefused(Exception):
    """The planned run was refused before anything was applied."""


class DataLossRefused(RunRefused):
    """The run would destroy customer data that was never marked for purge; nothing was applied."""


class PolicyRefused(RunRefused):
    """The policy pack refuses the planned change; nothing was applied."""


def unmarked_data(events: Iterable[auto.EngineEvent]) -> list[DataObject]:
    """Data-bearing objects the plan destroys or replaces although their state was never marked for purge."""
    found: dict[str, DataObject] = {}
    for event in events:
        step = event.resource_pre_event.metadata if event.resource_pre_event else None
        if step is None or step.op not in DESTROYING_OPS or step.old is None:
            continue
        resource_type = step.type.removeprefix(DYNAMIC_PREFIX)
        item = data_object_of(resource_type, step.urn.rsplit("::", 1)[-1], step.old.inputs or {})
        if item is not None and not item.purge:
            found[item.key] = item
    return sorted(found.values(), key=lambda item: item.key)


def refused_by_policy(events: Iterable[auto.EngineEvent]) -> list[PolicyViolation]:
    found = {violation_of(event.policy_event) for event in events if event.policy_event}
    return sorted((v for v in found if v.mandatory), key=lambda v: (v.message, v.policy))


def data_violations(violations: list[PolicyViolation]) -> list[str]:
    """What the pack's data rules say, each naming the tenant file, line, column and field of an object."""
    return [violation.message for violation in violations if violation.policy in DATA_RULES]


def policy_refusal(violations: list[PolicyViolation]) -> str:
    lines = [f"  - [{violation.policy}] {violation.message}" for violation in violations]
    return "\n".join(
        [
            f"the policy pack refuses this change ({len(violations)} violation(s)):",
            *lines,
            "Nothing was applied.",
        ]
    )
