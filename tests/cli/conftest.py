"""Fixtures for the command-line conventions: `dezky` in-process, and as the installed program."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dezky.cli import app

DEZKY = Path(sys.executable).parent / "dezky"  # the console script `pip install -e .` wrote

RunDezky = Callable[..., Result]


@pytest.fixture
def dezky() -> RunDezky:
    """`dezky ARGS...` in-process; a wide terminal keeps tables unabridged."""
    runner = CliRunner()

    def run(*args: str | Path, env: dict[str, str] | None = None) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200", **(env or {})})

    return run


def run_program(
    *args: str | Path, timeout: float = 300, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """`dezky ARGS...` as an operator runs it: its own process, its real exit status."""
    return subprocess.run(
        [str(DEZKY), *(str(arg) for arg in args)],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**__import__("os").environ, "COLUMNS": "200"},
        **kwargs,  # type: ignore[arg-type]
    )
