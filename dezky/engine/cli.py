"""`dezky up | refresh | destroy`: the real Pulumi engine on a stack of this project (`preview`: see review)."""

from __future__ import annotations

from typing import Annotated

import typer
from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.workspace import EngineNotInstalled

StackOption = Annotated[
    str, typer.Option("--stack", "-s", help="dev, prod, or <env>.<slug> / <env>.estate for one part of it.")
]


def _run(operation: str, stack: str, **kwargs: object) -> None:
    try:
        getattr(runner, operation)(stack, **kwargs)
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


def up(stack: StackOption = "dev") -> None:
    """Provision: make every service match the tenant files."""
    _run("up", stack)


def refresh(stack: StackOption = "dev") -> None:
    """Read every object back from its service and record drift in the state."""
    _run("refresh", stack)


def destroy(stack: StackOption = "dev") -> None:
    """Remove what the program created on this stack (never objects it adopted or did not create)."""
    _run("destroy", stack)


def register(app: typer.Typer) -> None:
    # `dezky preview` is the review summary (dezky/operator_cli.py), the form a reviewer reads.
    for command in (up, refresh, destroy):
        app.command()(command)
