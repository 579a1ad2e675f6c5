"""Each emulator answers every recorded exchange with the real server as the real server did."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.contract.adapters import ADAPTERS
from tests.contract.replay import Replay
from tests.recordings.format import HERE, Recording, recording_files

RECORDINGS = recording_files()


def test_every_recording_belongs_to_a_service_with_an_emulator() -> None:
    folders = {path.parent.name for path in RECORDINGS}
    assert folders <= ADAPTERS.keys(), f"recordings without an adapter: {folders - ADAPTERS.keys()}"


@pytest.mark.parametrize("path", RECORDINGS, ids=lambda p: str(p.relative_to(HERE)))
def test_the_emulator_answers_as_the_real_server_did(path: Path) -> None:
    recording = Recording.load(path)
    mismatches = Replay(ADAPTERS[recording.service]).run(recording)
    assert not mismatches, (
        f"{path.relative_to(HERE)} (recorded against {recording.service} {recording.server_version}):\n"
        + "\n".join(mismatches)
    )
