"""A run that died leaves the file backend's lock behind: the runner releases it, and only when it is stale."""

from __future__ import annotations

import json
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from pulumi import automation as auto

from tests.e2e.conftest import Project, make_project

pytestmark = pytest.mark.engine


@pytest.fixture
def project(tmp_path: Path) -> Project:
    return make_project(tmp_path, {}, tenants=[])


def leave_lock(project: Project, pid: int, host: str = "") -> Path:
    folder = project.work_dir / ".state" / ".pulumi" / "locks" / "organization" / "dezky" / "dev"
    folder.mkdir(parents=True, exist_ok=True)
    lock = folder / f"{uuid.uuid4()}.json"
    content = {"pid": pid, "username": "root", "hostname": host or socket.gethostname(),
               "timestamp": "2026-11-25T03:15:00Z"}  # fmt: skip
    lock.write_text(json.dumps(content))
    return lock


def dead_pid() -> int:
    finished = subprocess.Popen(["true"])
    finished.wait()
    return finished.pid


def test_the_lock_of_a_run_that_died_here_is_released_and_the_run_goes_on(project: Project) -> None:
    pid = dead_pid()
    lock = leave_lock(project, pid)

    project.up()

    assert not lock.exists()
    assert f"Released the lock of a run that died: pid {pid} on {socket.gethostname()}" in project.printed()


def test_the_lock_of_a_running_process_is_kept_and_the_run_refused(project: Project) -> None:
    lock = leave_lock(project, pid=1)

    with pytest.raises(auto.CommandError, match="the stack is currently locked"):
        project.up()

    assert lock.exists()


def test_a_lock_taken_on_another_machine_is_never_released(project: Project) -> None:
    lock = leave_lock(project, dead_pid(), host="deploy-host-2")

    with pytest.raises(auto.CommandError, match="deploy-host-2"):
        project.up()

    assert lock.exists()
