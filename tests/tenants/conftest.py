"""Fixtures for the tenant-file tests: the `dezky` command line, run from a known folder."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from dezky.cli import app

REPO_ROOT = Path(__file__).resolve().parents[2]

RunDezky = Callable[..., Result]


@pytest.fixture
def in_repo_root(monkeypatch: pytest.MonkeyPatch) -> Path:
    """Work from the repository root, so paths in output are relative and snapshots do not depend on it."""
    monkeypatch.chdir(REPO_ROOT)
    return REPO_ROOT


@pytest.fixture
def dezky() -> RunDezky:
    """Run `dezky ARGS...` in-process from the current folder; a wide terminal keeps tables unabridged."""
    runner = CliRunner()

    def run(*args: str | Path) -> Result:
        return runner.invoke(app, [str(arg) for arg in args], env={"COLUMNS": "200"})

    return run
