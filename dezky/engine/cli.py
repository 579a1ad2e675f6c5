"""`dezky up | refresh | destroy`: the real Pulumi engine on a stack of this project (`preview`: see review)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated, Any

import typer
from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.progress import ApplyProgress
from dezky.engine.workspace import EngineNotInstalled
from dezky.exit_codes import ExitCode

StackOption = Annotated[
    str, typer.Option("--stack", "-s", help="dev, prod, or <env>.<slug> / <env>.estate for one part of it.")
]


YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Apply without asking (CI); without a terminal it is required.")
]


def plan_confirmation(
    yes: bool, stack: str, progress: ApplyProgress | None = None
) -> Callable[[dict[str, int]], bool]:
    """How an apply goes ahead: at once with --yes; on a terminal, when the operator says yes to the plan, as
    `pulumi up` asks; without a terminal and without --yes, not at all. `progress` learns the plan's size."""
    if not yes and not sys.stdin.isatty():
        typer.echo(
            f"refusing to apply to stack {stack} without --yes: there is no terminal to confirm the plan on",
            err=True,
        )
        raise typer.Exit(ExitCode.USAGE)

    def go_ahead(planned: dict[str, int]) -> bool:
        if progress is not None:
            progress.planned(planned)
        if yes:
            return True
        counts = ", ".join(f"{n} to {op}" for op, n in planned.items())
        return typer.confirm(f"Apply these changes to stack {stack} ({counts})?", default=False)

    return go_ahead


def apply_options(
    yes: bool, stack: str, **settings: Any
) -> tuple[runner.EngineOptions, ApplyProgress | None]:
    """Engine options for an apply from the command line: the plan confirmed, progress shown on a terminal."""
    progress = ApplyProgress(sys.stderr) if sys.stderr.isatty() else None
    options = runner.EngineOptions(
        confirm=plan_confirmation(yes, stack, progress),
        on_event=progress.on_event if progress is not None else None,
        **settings,
    )
    return options, progress


def _run(operation: str, stack: str, yes: bool = True, **kwargs: object) -> None:
    options, progress = apply_options(yes, stack)
    try:
        getattr(runner, operation)(stack, options, **kwargs)
    except (runner.Declined, runner.ServiceUnreachable) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(ExitCode.FAILURE) from None
    except EngineNotInstalled as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(ExitCode.USAGE) from None
    except runner.RunRefused as exc:
        # Refused before anything was applied: the same verdict and code as a refused review.
        typer.echo(str(exc), err=True)
        raise typer.Exit(ExitCode.REFUSED) from None
    except auto.CommandError as exc:
        # The engine already printed its diagnostics through on_output; only the verdict is left to say.
        typer.echo(f"pulumi {operation} of stack {stack} failed: {_first_line(exc)}", err=True)
        raise typer.Exit(ExitCode.FAILURE) from None
    finally:
        if progress is not None:
            progress.finish()


def _first_line(exc: Exception) -> str:
    text = str(exc).strip().splitlines()
    return next((line for line in text if "error" in line.lower()), text[0] if text else "")


def up(
    stack: StackOption = "dev",
    yes: YesOption = False,
    refresh: Annotated[
        bool, typer.Option(help="Read every object back first, so drift made by hand is repaired too.")
    ] = False,
) -> None:
    """Provision: show the plan, ask, then make every service match the tenant files."""
    _run("up", stack, yes, **({"refresh": True} if refresh else {}))


def refresh(stack: StackOption = "dev") -> None:
    """Read every object back from its service and record drift in the state."""
    _run("refresh", stack)


def destroy(stack: StackOption = "dev", yes: YesOption = False) -> None:
    """Remove what the program created on this stack (never objects it adopted or did not create)."""
    _run("destroy", stack, yes)


def register(app: typer.Typer) -> None:
    # `dezky preview` is the review summary (dezky/operator_cli.py), the form a reviewer reads.
    for command in (up, refresh, destroy):
        app.command()(command)
