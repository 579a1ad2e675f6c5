"""A snapshot of what operators read: the full `dezky validate` output for the folder of broken files.

Any change to a message, a position or the order shows up here as one reviewable diff; after checking it, update
with `pytest tests/tenants --snapshot-update`.
"""

from __future__ import annotations

from pathlib import Path

from syrupy.assertion import SnapshotAssertion

from tests.tenants.conftest import RunDezky


def test_validate_output_for_the_broken_folder(
    in_repo_root: Path, dezky: RunDezky, snapshot: SnapshotAssertion
) -> None:
    result = dezky("validate", "tests/tenants/broken")

    assert (result.exit_code, result.stderr) == snapshot
