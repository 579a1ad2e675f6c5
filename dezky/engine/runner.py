"""Running the real Pulumi engine on the program through the Automation API.

The program runs inline: the Automation API serves it to the CLI over gRPC from this process, so the engine
needs no separately installed language plugin (only the CLI and the Python dynamic-provider plugin).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pulumi import automation as auto

from dezky.engine.workspace import ROOT, StackName, engine_env, pulumi_command


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
    options = options or EngineOptions()
    stack = open_stack(name, options)
    return stack.preview(on_output=options.on_output, on_event=options.on_event, color="never", **kwargs)


def up(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.UpResult:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    return stack.up(on_output=options.on_output, on_event=options.on_event, color="never", **kwargs)


def refresh(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.RefreshResult:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    return stack.refresh(on_output=options.on_output, on_event=options.on_event, color="never", **kwargs)


def destroy(name: str, options: EngineOptions | None = None, **kwargs: Any) -> auto.DestroyResult:
    options = options or EngineOptions()
    stack = open_stack(name, options)
    return stack.destroy(on_output=options.on_output, on_event=options.on_event, color="never", **kwargs)
