"""Running the real Pulumi engine on the program through the Automation API.

The program runs inline: the Automation API serves it to the CLI over gRPC from this process, so the engine
needs no separately installed language plugin (only the CLI and the Python dynamic-provider plugin).
"""

from __future__ import annotations

import gc
import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import (
    POLICY_PACK,
    PROJECT,
    ROOT,
    StackName,
    engine_env,
    pulumi_command,
    state_path,
)
from dezky.lifecycle import DataObject, data_objects, endangered, refusal

TENANT_TYPE = "dezky:tenant:Tenant"


@dataclass(frozen=True)
class EngineOptions:
    work_dir: Path = ROOT
    state_dir: Path | None = None
    on_output: Callable[[str], Any] | None = print
    on_event: Callable[[auto.EngineEvent], Any] | None = None


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
    _require_tenant_file(name, slug, options or EngineOptions())
    targets = tenant_targets(name, slug)
    _operation("refresh", name, options, {"target": targets})
    return _operation("up", name, options, {"target": targets})


class NoSuchTenant(Exception):
    """Reconcile names a tenant the stack does not run (no file, or a file that does not validate)."""


def _require_tenant_file(name: str, slug: str, options: EngineOptions) -> None:
    # A targeted up would delete whatever the program no longer declares under the targets: without its file,
    # that is the whole tenant. Removing a tenant goes through its file and a full, checked `up` instead.
    stack = open_stack(name, options)
    folder = _tenants_folder_of(stack, options)
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


class DataLossRefused(Exception):
    """The run would destroy customer data that was never marked for purge; nothing was applied."""


def _operation(operation: str, name: str, options: EngineOptions | None, kwargs: dict[str, Any]) -> Any:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    released = release_stale_locks(stack, options)
    if released and options.on_output is not None:
        options.on_output(f"Released the lock of a run that died: {', '.join(released)}\n")
    # A targeted destroy is checked by the providers themselves, which refuse to delete unmarked data.
    checks_data = operation in ("preview", "up", "destroy") and not kwargs.get("target")
    at_risk = endangered_data(stack, options, everything=operation == "destroy") if checks_data else []
    if at_risk and operation in ("up", "destroy"):
        raise DataLossRefused(refusal(at_risk))
    if at_risk and options.on_output is not None:
        options.on_output(f"WARNING: applying this would be refused.\n{refusal(at_risk)}\n")
    if operation in ("preview", "up"):
        kwargs.setdefault("policy_packs", [str(POLICY_PACK)])
    try:
        kwargs = {"on_output": options.on_output, "on_event": options.on_event, "color": "never", **kwargs}
        return getattr(stack, operation)(**kwargs)
    finally:
        collect_abandoned_program()


def release_stale_locks(stack: auto.Stack, options: EngineOptions) -> list[str]:
    """Remove the stack's lock when the run that took it died on this machine (killed, power loss).

    The file backend locks a stack for a run and a killed CLI never unlocks it, so every later run would
    stop on the lock. A lock is stale only when it names this host and a process that no longer exists; a
    live run's lock, or another machine's, is left for the operator (`pulumi cancel`).
    """
    folder = state_path(options.state_dir) / ".pulumi" / "locks"
    locks = [path for path in folder.rglob("*.json") if path.parent.name == stack.name]
    described = [_stale_lock(path) for path in locks]
    if not locks or any(description is None for description in described):
        return []
    stack.cancel()
    return [description for description in described if description]


def _stale_lock(path: Path) -> str | None:
    try:
        lock = json.loads(path.read_text())
        pid, host = int(lock["pid"]), str(lock["hostname"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if host != socket.gethostname() or _running(pid):
        return None
    return f"pid {pid} on {host} at {lock.get('timestamp', '?')}"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A killed CLI whose parent died too stays a zombie until init reaps it, which some containers never do.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def endangered_data(stack: auto.Stack, options: EngineOptions, everything: bool = False) -> list[DataObject]:
    """Data objects the last run recorded that this run would destroy without a `purge: true` mark."""
    recorded = stack.outputs().get("data_objects")
    if recorded is None:
        return []
    if everything:
        declared: dict[str, DataObject] = {}
    else:
        try:
            selected = select_tenants(_tenants_folder_of(stack, options), StackName.parse(stack.name))
        except InvalidTenantFiles:
            return []  # the program itself stops on invalid files, before anything is applied
        declared = data_objects(item.tenant for item in selected)
    return endangered(recorded.value, declared)


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
