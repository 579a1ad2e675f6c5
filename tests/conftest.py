"""Fixtures shared by every test folder, registered once here."""

import os
from pathlib import Path

import pytest

ACCEPTANCE = Path(__file__).parent / "acceptance"

pytest_plugins = [
    "tests.fixtures.powerdns",
    "tests.emulators.hetzner_dns",
    "tests.emulators.ocis",
    "tests.emulators.authentik",
    "tests.emulators.stalwart",
    "tests.fixtures.openssh",
    "tests.fixtures.s3",
    "tests.emulators.robot",
    "tests.emulators.storage_box",
    "tests.fixtures.kubernetes",
]


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    """The acceptance tier needs real servers: collected only when asked for, as `TF_ACC` does."""
    if collection_path.is_relative_to(ACCEPTANCE) and os.environ.get("DEZKY_ACCEPTANCE") != "1":
        return True
    return None
