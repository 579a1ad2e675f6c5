"""The engine's step events, kept in the engine's own JSON form so a recorded preview replays exactly.

The Automation API parses the CLI's event log into `auto.EngineEvent` objects but offers no way back; the
review fixtures and `dezky review --format json` need one, so the few step fields the review uses are written
out here under the engine's camelCase names and read back with `EngineEvent.from_json`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pulumi import automation as auto


def steps(events: Iterable[auto.EngineEvent]) -> list[auto.StepEventMetadata]:
    """The planned steps of a preview, one per resource, in the engine's order; unchanged ones left out."""
    found = []
    for event in events:
        pre = event.resource_pre_event
        if pre is not None and pre.metadata.op != auto.OpType.SAME:
            found.append(pre.metadata)
    return found


def event_to_json(event: auto.EngineEvent) -> dict[str, Any] | None:
    """A step or policy event in the engine's wire format; other events carry nothing the review reads."""
    if event.policy_event is not None:
        return {
            "sequence": event.sequence,
            "timestamp": event.timestamp,
            "policyEvent": policy_to_json(event),
        }
    pre = event.resource_pre_event
    if pre is None or pre.metadata.op == auto.OpType.SAME:
        return None
    return {
        "sequence": event.sequence,
        "timestamp": event.timestamp,
        "resourcePreEvent": {"metadata": step_to_json(pre.metadata), "planning": pre.planning},
    }


def policy_to_json(event: auto.EngineEvent) -> dict[str, Any]:
    policy = event.policy_event
    assert policy is not None
    return _without_none(
        {
            "message": policy.message,
            "color": policy.color,
            "policyName": policy.policy_name,
            "policyPackName": policy.policy_pack_name,
            "policyPackVersion": policy.policy_pack_version,
            "policyPackVersionTag": policy.policy_pack_version_tag,
            "enforcementLevel": policy.enforcement_level,
            "resourceUrn": policy.resource_urn,
        }
    )


def step_to_json(step: auto.StepEventMetadata) -> dict[str, Any]:
    return _without_none(
        {
            "op": step.op.value,
            "urn": step.urn,
            "type": step.type,
            "provider": step.provider,
            "old": _state_to_json(step.old),
            "new": _state_to_json(step.new),
            "keys": step.keys,
            "diffs": step.diffs,
            "detailedDiff": {
                path: {"diffKind": diff.diff_kind.value, "inputDiff": diff.input_diff}
                for path, diff in (step.detailed_diff or {}).items()
            },
            "logical": step.logical,
        }
    )


def _state_to_json(state: auto.StepEventStateMetadata | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return _without_none(
        {
            "type": state.type,
            "urn": state.urn,
            "id": state.id,
            "parent": state.parent,
            "provider": state.provider,
            "custom": state.custom,
            "delete": state.delete,
            "inputs": state.inputs,
            "outputs": state.outputs,
        }
    )


def _without_none(values: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in values.items() if value is not None}


def events_from_json(items: Iterable[dict[str, Any]]) -> list[auto.EngineEvent]:
    return [auto.EngineEvent.from_json(item) for item in items]
