"""Running the real Pulumi engine on the program through the Automation API.

The program runs inline: the Automation API serves it to the CLI over gRPC from this process, so the engine
needs no separately installed language plugin (only the CLI and the Python dynamic-provider plugin).
"""

from __future__ import annotations

import datetime as dt
import functools
import gc
import inspect
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from dezky.engine import output_drain
from dezky.engine.backend import Lock, stack_locks
from dezky.engine.checkout import deployed_tenant_files, require_deployable
from dezky.engine.guard import (
    DataLossRefused,
    PolicyRefused,
    RunRefused,
    data_violations,
    policy_refusal,
    refused_by_policy,
    unmarked_data,
)
from dezky.engine.processes import children_stopped_on_interrupt, running
from dezky.engine.reachability import ServiceUnreachable, require_reachable
from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import (
    POLICY_PACK,
    PROJECT,
    ROOT,
    StackName,
    engine_env,
    pulumi_command,
)
from dezky.lifecycle import refusal

TENANT_TYPE = "dezky:tenant:Tenant"

output_drain.install()  # the inline program runs in this process: its end-of-program wait, O(1) per output


@dataclass(frozen=True)
class EngineOptions:
    work_dir: Path = ROOT
    state_dir: Path | None = None
    on_output: Callable[[str], Any] | None = print
    on_event: Callable[[auto.EngineEvent], Any] | None = None
    #: asked with the planned changes (`{"create": 3, ...}`) before an apply that changes anything; None: apply
    confirm: Callable[[dict[str, int]], bool] | None = None


class Declined(Exception):
    """The operator answered no to the plan; nothing was applied."""


def open_stack(name: str, options: EngineOptions | None = None) -> auto.Stack:
    """Select the stack, creating it (and, for `<env>.<part>` stacks, its config from `<env>`) when new."""
    from dezky.program import run  # imported late: the program imports pulumi runtime state

    options = options or EngineOptions()
    stack_name = StackName.parse(name)
    workspace = auto.LocalWorkspace(
        work_dir=str(options.work_dir),
        program=run,
        env_vars=engine_env(stack_name, options.state_dir),
        pulumi_command=pulumi_command(),
        pulumi_home=engine_env(stack_name, options.state_dir)["PULUMI_HOME"],
    )
    config_file = options.work_dir / "stacks" / f"Pulumi.{name}.yaml"
    is_split_stack = stack_name.part is not None and not config_file.exists()
    stack = auto.Stack.create_or_select(name, workspace)
    if is_split_stack:
        _copy_environment_config(workspace, StackName(stack_name.environment), stack)
    return stack


def _copy_environment_config(
    workspace: auto.LocalWorkspace, environment: StackName, stack: auto.Stack
) -> None:
    """A per-tenant or estate stack starts with its environment's configuration (secrets stay secret)."""
    base = auto.Stack.create_or_select(str(environment), workspace)
    config = base.get_all_config()
    stack.set_all_config(config)


def preview(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.PreviewResult:
    return _operation("preview", name, options, kwargs)


def up(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.UpResult:
    return _operation("up", name, options, kwargs)


def refresh(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.RefreshResult:
    return _operation("refresh", name, options, kwargs)


def destroy(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.DestroyResult:
    return _operation("destroy", name, options, kwargs)


def tenant_targets(stack: str, slug: str) -> list[str]:
    """URN globs of everything a tenant owns on a stack: its `Tenant` component and all below it.

    Every resource under a tenant is named `<slug>` or `<slug>:<what>` (components/tenant), so the globs also
    match objects the tenant file added since the last run, and none of another tenant's.
    """
    base = f"urn:pulumi:{stack}::{PROJECT}::{TENANT_TYPE}"
    return [f"{base}::{slug}", f"{base}$**::{slug}", f"{base}$**::{slug}:**"]


def reconcile(name: str, slug: str, options: EngineOptions | None = None) -> auto.UpResult:
    """Read the tenant's objects back from their services, then make them match its file again.

    The refresh records what changed by hand (drift) or disappeared; the targeted up repairs it. Other
    tenants are neither read nor touched.
    """
    options = options or EngineOptions()
    stack = open_stack(name, options)
    with deployed_tenant_files(stack, _tenants_folder_of(stack, options)) as deployed:
        _require_tenant_file(name, slug, deployed)
        targets = tenant_targets(name, slug)
        _operation("refresh", name, options, {"target": targets})
        return _operation(
            "up", name, options, {"target": targets, "program": program_with_history(stack, deployed)}
        )


class NoSuchTenant(Exception):
    """Reconcile names a tenant the stack does not run (no file, or a file that does not validate)."""


def _require_tenant_file(name: str, slug: str, folder: Path) -> None:
    # A targeted up would delete whatever the program no longer declares under the targets: without its file,
    # that is the whole tenant. Removing a tenant goes through its file and a full, checked `up` instead.
    try:
        selected = select_tenants(folder, StackName.parse(name))
    except InvalidTenantFiles as exc:
        raise NoSuchTenant(str(exc)) from None
    if slug not in {item.tenant.slug for item in selected}:
        raise NoSuchTenant(
            f"stack {name} runs no tenant `{slug}` (no valid file {folder / (slug + '.yaml')})"
        )


def preview_drift(name: str, options: EngineOptions | None = None, slug: str | None = None) -> Any:
    """What a refresh would record, without recording it: objects changed or removed outside the program."""
    targets = tenant_targets(name, slug) if slug else None
    return _operation("preview_refresh", name, options, {"target": targets} if targets else {})


__all__ = ["DataLossRefused", "Declined", "PolicyRefused", "RunRefused", "ServiceUnreachable"]

#: the operations whose providers call the services (a preview of new objects calls none)
_TALKS_TO_SERVICES = frozenset({"up", "destroy", "refresh", "preview_refresh"})
#: what a preview passes on from the apply it stands in for
_PREVIEW_OPERATION = {"up": "preview", "destroy": "preview_destroy"}


def _operation(operation: str, name: str, options: EngineOptions | None, kwargs: dict[str, Any]) -> Any:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    released = release_stale_locks(stack, options)
    if released and options.on_output is not None:
        options.on_output(f"Released the lock of a run that died: {', '.join(released)}\n")
    if operation in ("preview", "up"):
        kwargs.setdefault("policy_packs", [str(POLICY_PACK)])
        kwargs.setdefault("program", program_with_history(stack))
    if operation in _TALKS_TO_SERVICES and any(_tenants_folder_of(stack, options).glob("*.y*ml")):
        config = {key: value.value for key, value in stack.get_all_config().items()}
        require_reachable(config, name)
    try:
        if operation in _PREVIEW_OPERATION:
            require_deployable(stack, options.work_dir)
            planned = refuse_unsafe_plan(stack, operation, kwargs, options)
            if planned and options.confirm is not None and not options.confirm(planned):
                raise Declined(f"{operation} of stack {name} declined; nothing was applied")
        if operation == "preview":
            return _preview_with_warning(stack, kwargs, options)
        kwargs = {"on_output": options.on_output, "on_event": options.on_event, "color": "never", **kwargs}
        with children_stopped_on_interrupt():  # the plugins run in process groups of their own
            return getattr(stack, operation)(**kwargs)
    finally:
        collect_abandoned_program()


def refuse_unsafe_plan(
    stack: auto.Stack, operation: str, kwargs: dict[str, Any], options: EngineOptions
) -> dict[str, int]:
    """Preview the run exactly as it will be applied (targets, program, policy pack) and stop it before any
    write when the plan destroys unmarked data or the policy pack refuses it; else the planned changes."""
    preview = getattr(stack, _PREVIEW_OPERATION[operation])
    accepted = inspect.signature(preview).parameters
    events: list[auto.EngineEvent] = []
    try:
        preview(
            **{
                k: v
                for k, v in kwargs.items()
                if k in accepted and k not in ("on_event", "on_output", "color")
            },
            on_event=events.append,
            on_output=options.on_output,
            color="never",
        )
    except auto.CommandError:
        _refuse_if_unsafe(events)  # a preview the policy pack refuses fails: say why, as a refusal
        raise
    _refuse_if_unsafe(events)
    return planned_changes(events)


def planned_changes(events: list[auto.EngineEvent]) -> dict[str, int]:
    """How many resources the plan creates, updates, replaces and deletes (unchanged ones left out)."""
    ops = [e.resource_pre_event.metadata.op for e in events if e.resource_pre_event is not None]
    counted = {"create": auto.OpType.CREATE, "update": auto.OpType.UPDATE, "replace": auto.OpType.REPLACE}
    counted["delete"] = auto.OpType.DELETE
    return {name: n for name, op in counted.items() if (n := ops.count(op))}


def _refuse_if_unsafe(events: list[auto.EngineEvent]) -> None:
    at_risk = unmarked_data(events)
    violations = refused_by_policy(events)
    if at_risk:
        raise DataLossRefused(refusal(at_risk, data_violations(violations)))
    if violations:
        raise PolicyRefused(policy_refusal(violations))


def _preview_with_warning(stack: auto.Stack, kwargs: dict[str, Any], options: EngineOptions) -> Any:
    events: list[auto.EngineEvent] = []
    listeners = [f for f in (options.on_event, kwargs.pop("on_event", None)) if f is not None]

    def on_event(event: auto.EngineEvent) -> None:
        events.append(event)
        for listener in listeners:
            listener(event)

    try:
        return stack.preview(
            **{"on_output": options.on_output, "color": "never", **kwargs, "on_event": on_event}
        )
    finally:  # a preview the policy pack refuses fails, and says why only here
        at_risk = unmarked_data(events)
        if at_risk and options.on_output is not None:
            where = data_violations(refused_by_policy(events))
            options.on_output(f"WARNING: applying this would be refused.\n{refusal(at_risk, where)}\n")


def program_with_history(stack: auto.Stack, tenants_dir: Path | None = None) -> Callable[[], None]:
    """The program, told what the stack recorded before this run: the day each tenant's deletion was first
    applied (the retention clock, which the tenant files cannot move)."""
    from dezky.program import run  # imported late: the program imports pulumi runtime state

    recorded = stack.outputs().get("tenant_deletions")
    deletions = dict(recorded.value) if recorded is not None and isinstance(recorded.value, dict) else {}
    return functools.partial(run, recorded_deletions=deletions, today=today(), tenants_dir=tenants_dir)


def today() -> dt.date:
    """The engine's day, in UTC; `DEZKY_TODAY` (YYYY-MM-DD) moves it for tests of the retention clock."""
    moved = os.environ.get("DEZKY_TODAY")
    return dt.date.fromisoformat(moved) if moved else dt.datetime.now(dt.UTC).date()


def release_stale_locks(stack: auto.Stack, options: EngineOptions) -> list[str]:
    """Remove the stack's lock when the run that took it died on this machine (killed, power loss).

    A killed CLI never unlocks its stack, so every later run would stop on the lock. A lock is stale only
    when it names this host and a process that no longer exists; a live run's lock, or another machine's, is
    left for the operator (`pulumi cancel`). The locks are read from the backend in use, file or bucket.
    """
    url = engine_env(StackName.parse(stack.name), options.state_dir)["PULUMI_BACKEND_URL"]
    locks = stack_locks(url, PROJECT, stack.name)
    described = [_stale_lock(lock) for lock in locks]
    if not locks or any(description is None for description in described):
        return []
    stack.cancel()
    return [description for description in described if description]


def _stale_lock(lock: Lock) -> str | None:
    if lock.pid is None or lock.hostname is None:
        return None
    if lock.hostname != socket.gethostname() or running(lock.pid):
        return None
    return f"pid {lock.pid} on {lock.hostname} at {lock.timestamp or '?'}"


def _tenants_folder_of(stack: auto.Stack, options: EngineOptions) -> Path:
    """The tenant files' folder the stack's config names, as the program reads it."""
    return tenants_folder(_config_value(stack, "dezky:tenantsDir"), options.work_dir)


def _config_value(stack: auto.Stack, key: str) -> str | None:
    try:
        return stack.get_config(key).value
    except auto.CommandError:
        return None


def collect_abandoned_program() -> None:
    """Finalise the inline program's coroutines now, at a safe point.

    When the engine stops a failed run, the program's coroutine is left for the garbage collector; finalised
    later in the middle of a `compile()` (an import, pytest's assertion rewriting), CPython 3.11 aborts that
    compile with "AST constructor recursion depth mismatch".
    """
    gc.collect()
