"""`dezky up | refresh | destroy`: the real Pulumi engine on a stack of this project (`preview`: see review)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Annotated

import typer
from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.workspace import EngineNotInstalled

StackOption = Annotated[
    str, typer.Option("--stack", "-s", help="dev, prod, or <env>.<slug> / <env>.estate for one part of it.")
]


YesOption = Annotated[
    bool, typer.Option("--yes", "-y", help="Apply without asking (CI); without a terminal it is required.")
]


def plan_confirmation(yes: bool, stack: str) -> Callable[[dict[str, int]], bool] | None:
    """How an apply asks: not at all with --yes; on a terminal, as `pulumi up` does; otherwise it refuses."""
    if yes:
        return None
    if not sys.stdin.isatty():
        typer.echo(
            f"refusing to apply to stack {stack} without --yes: there is no terminal to confirm the plan on",
            err=True,
        )
        raise typer.Exit(2)

    def ask(planned: dict[str, int]) -> bool:
        counts = ", ".join(f"{n} to {op}" for op, n in planned.items())
        return typer.confirm(f"Apply these changes to stack {stack} ({counts})?", default=False)

    return ask


def _run(operation: str, stack: str, yes: bool = True, **kwargs: object) -> None:
    options = runner.EngineOptions(confirm=plan_confirmation(yes, stack))
    try:
        getattr(runner, operation)(stack, options, **kwargs)
    except (runner.Declined, runner.ServiceUnreachable) as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from None
    except EngineNotInstalled as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(2) from None
    except runner.RunRefused as exc:
        # Refused before anything was applied: the same verdict and code as a refused review.
        typer.echo(str(exc), err=True)
        raise typer.Exit(4) from None
    except auto.CommandError as exc:
        # The engine already printed its diagnostics through on_output; only the verdict is left to say.
        typer.echo(f"pulumi {operation} of stack {stack} failed: {_first_line(exc)}", err=True)
        raise typer.Exit(1) from None


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
