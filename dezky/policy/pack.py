"""The rules of `rules.py` as a pulumi-policy pack: every violation is mandatory and fails the preview or up.

Per-resource rules run before the engine acts on a resource (in `up` too: a replacement that would lose data
is stopped before it starts). Stack rules run once the plan is complete; in an `up` that is after the steps
ran, so the runner also checks data deletion before it starts the engine (`dezky.engine.runner`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from pulumi_policy import (
    EnforcementLevel,
    PolicyPack,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from pulumi_policy import proxy as policy_proxy

from dezky.policy.rules import RESOURCE_RULES, STACK_RULES, UNKNOWN, Planned, Rule, Violation
from dezky.policy.state import PolicyContext, context_from_environment, short_type

PACK_NAME = "dezky-platform"
#: the engine's markers for values not known until the apply, one per type (`UNKNOWN_STRING_VALUE`, ...)
_SENTINELS = {value for name, value in vars(policy_proxy).items() if name.startswith("UNKNOWN_")}


def _plain(value: Any) -> Any:
    """Inputs as plain data, with the engine's not-yet-known values as `UNKNOWN` rather than exceptions.

    pulumi-policy wraps every dict and list of the inputs in a proxy that raises on unknown values; each
    proxy's `__target` is the data it wraps.
    """
    if isinstance(value, Mapping | Sequence) and not isinstance(value, dict | list | tuple | str):
        value = value["__target"]
    if isinstance(value, str) and value in _SENTINELS:
        return UNKNOWN
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


def planned_from(resource_type: str, name: str, props: Any, opts: Any) -> Planned:
    secret_outputs = tuple(getattr(opts, "additional_secret_outputs", None) or ())
    # the engine hands aliases as URNs; a tenant resource's name is the URN's last part
    aliases = tuple(str(urn).rsplit("::", 1)[-1] for urn in getattr(opts, "aliases", None) or ())
    return Planned(short_type(resource_type), name, _plain(props), secret_outputs, aliases)


class _Context:
    """Loaded on first use: the engine starts the pack before it knows whether any rule will run.

    It also remembers every resource the program registered in this run. The engine hands stack rules the
    stack as it will be, but a preview with `--refresh` counts there every refreshed resource too, including
    those the program no longer declares; the registrations are the plan.
    """

    def __init__(self, load: Callable[[], PolicyContext]) -> None:
        self._load = load
        self._value: PolicyContext | None = None
        self.registered: set[tuple[str, str]] = set()

    def get(self) -> PolicyContext:
        if self._value is None:
            self._value = self._load()
        return self._value


def _report(report: ReportViolation, violations: Sequence[Violation], context: PolicyContext) -> None:
    project = context.tenants.folder.parent  # paths as the operator sees them: `tenants/acme.yaml`
    for violation in violations:
        report(violation.render(relative_to=project), None)


def _stack_policy(rule: Rule, context: _Context) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        resources = [
            planned_from(r.resource_type, r.name, r.props, r.opts)
            for r in args.resources
            if (r.resource_type, r.name) in context.registered
        ]
        _report(report, list(rule.check(resources, context.get())), context.get())

    return StackValidationPolicy(name=rule.name, description=rule.description, validate=validate)


def _resource_policy(rule: Rule, context: _Context) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        context.registered.add((args.resource_type, args.name))
        resource = planned_from(args.resource_type, args.name, args.props, args.opts)
        _report(report, list(rule.check(resource, context.get())), context.get())

    return ResourceValidationPolicy(name=rule.name, description=rule.description, validate=validate)


def policies(load: Callable[[], PolicyContext] = context_from_environment) -> list[Any]:
    context = _Context(load)
    return [_stack_policy(rule, context) for rule in STACK_RULES] + [
        _resource_policy(rule, context) for rule in RESOURCE_RULES
    ]


def serve() -> None:
    """Start the pack's gRPC server for the engine (blocks; the engine stops the process when done)."""
    PolicyPack(PACK_NAME, policies=policies(), enforcement_level=EnforcementLevel.MANDATORY)
