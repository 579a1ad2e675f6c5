"""Providers configured with the session's OpenSSH server credentials, as `configure` would from the stack."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from hetzner.remote.provider import RemoteCommandProvider, RenderedFileProvider
from tests.fixtures.openssh import OpenSshServer


@pytest.fixture
def commands(openssh: OpenSshServer) -> RemoteCommandProvider:
    provider = RemoteCommandProvider()
    provider.credentials = openssh.credentials
    return provider


@pytest.fixture
def files(openssh: OpenSshServer) -> RenderedFileProvider:
    provider = RenderedFileProvider()
    provider.settings = openssh.credentials
    return provider


def command_props(openssh: OpenSshServer, workdir: Path, create: str, **inputs: Any) -> dict[str, Any]:
    """The inputs a `RemoteCommand` sends its provider, with the dry-run log inside the test's folder."""
    return {
        "connection": openssh.target.as_input(),
        "name": "test-command",
        "create": create,
        "environment": {},
        "triggers": [],
        "dry_run": False,
        "dry_run_log": str(workdir / "dry-run.log"),
        "units": [],
        "secret": False,
        "timeout": 60,
        **inputs,
    }
