"""Running the real Pulumi engine on the program through the Automation API.

The program runs inline: the Automation API serves it to the CLI over gRPC from this process, so the engine
needs no separately installed language plugin (only the CLI and the Python dynamic-provider plugin).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from dezky.engine.selection import InvalidTenantFiles, select_tenants, tenants_folder
from dezky.engine.workspace import ROOT, StackName, engine_env, pulumi_command
from dezky.lifecycle import DataObject, data_objects, endangered, refusal


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


class DataLossRefused(Exception):
    """The run would destroy customer data that was never marked for purge; nothing was applied."""


def _operation(operation: str, name: str, options: EngineOptions | None, kwargs: dict[str, Any]) -> Any:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    # A targeted destroy is checked by the providers themselves, which refuse to delete unmarked data.
    at_risk = (
        [] if kwargs.get("target") else endangered_data(stack, options, everything=operation == "destroy")
    )
    if at_risk and operation in ("up", "destroy"):
        raise DataLossRefused(refusal(at_risk))
    if at_risk and options.on_output is not None:
        options.on_output(f"WARNING: applying this would be refused.\n{refusal(at_risk)}\n")
    try:
        kwargs = {"on_output": options.on_output, "on_event": options.on_event, "color": "never", **kwargs}
        return getattr(stack, operation)(**kwargs)
    finally:
        collect_abandoned_program()


def endangered_data(stack: auto.Stack, options: EngineOptions, everything: bool = False) -> list[DataObject]:
    """Data objects the last run recorded that this run would destroy without a `purge: true` mark."""
    recorded = stack.outputs().get("data_objects")
    if recorded is None:
        return []
    if everything:
        declared: dict[str, DataObject] = {}
    else:
        folder = tenants_folder(_config_value(stack, "dezky:tenantsDir"), options.work_dir)
        try:
            selected = select_tenants(folder, StackName.parse(stack.name))
        except InvalidTenantFiles:
            return []  # the program itself stops on invalid files, before anything is applied
        declared = data_objects(item.tenant for item in selected)
    return endangered(recorded.value, declared)


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
