"""Which commit a run applies: stacks outside dev take only a clean checkout that holds the deployed commit,
and reconcile reads the deployed commit's tenant files, never uncommitted edits."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from dezky.engine.checkout import CheckoutRefused, deployed_commit, deployed_tenant_files, require_deployable
from dezky.engine.workspace import pulumi_home
from tests.e2e.conftest import make_project


@dataclass
class Update:
    kind: str
    result: str
    environment: dict[str, str]


@dataclass
class FakeStack:
    """What the checks read of a stack: its name and its update history, newest first."""

    name: str
    updates: list[Update] = field(default_factory=list)

    def history(self, page_size: int = 20) -> list[Update]:
        return self.updates[:page_size]

    def deployed(self, commit: str) -> FakeStack:
        self.updates.insert(0, Update("update", "succeeded", {"git.head": commit}))
        return self


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-c", "user.email=t@example.org", "-c", "user.name=t", *args],
        cwd=repo, check=True, capture_output=True, text=True,
    )  # fmt: skip
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    git(tmp_path, "init", "-q", "-b", "main")
    (tmp_path / "tenants").mkdir()
    (tmp_path / "tenants" / "acme.yaml").write_text("status: active\n")
    git(tmp_path, "add", "-A")
    git(tmp_path, "commit", "-qm", "acme")
    return tmp_path


def head(repo: Path) -> str:
    return git(repo, "rev-parse", "HEAD")


def test_a_dirty_checkout_is_refused_outside_dev(repo: Path):
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")

    with pytest.raises(CheckoutRefused, match=r"clean checkout; uncommitted changes: tenants/acme\.yaml"):
        require_deployable(FakeStack("prod"), repo)  # type: ignore[arg-type]


def test_dev_stacks_run_from_any_checkout(repo: Path):
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")

    require_deployable(FakeStack("dev"), repo)  # type: ignore[arg-type]
    require_deployable(FakeStack("dev.acme"), repo)  # type: ignore[arg-type]


def test_a_checkout_behind_the_deployed_commit_is_refused(repo: Path):
    first = head(repo)
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")
    git(repo, "commit", "-qam", "suspend")
    stack = FakeStack("prod").deployed(head(repo))
    git(repo, "checkout", "-q", first)

    with pytest.raises(CheckoutRefused, match=r"does not contain .* the commit last deployed to stack prod"):
        require_deployable(stack, repo)  # type: ignore[arg-type]


def test_a_checkout_ahead_of_the_deployed_commit_may_apply(repo: Path):
    stack = FakeStack("prod").deployed(head(repo))
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")
    git(repo, "commit", "-qam", "suspend")

    require_deployable(stack, repo)  # type: ignore[arg-type]


def test_a_folder_outside_git_is_refused_outside_dev(tmp_path: Path):
    with pytest.raises(CheckoutRefused, match="only from a git checkout"):
        require_deployable(FakeStack("prod"), tmp_path)  # type: ignore[arg-type]


def test_reconcile_reads_the_deployed_commits_files_not_the_working_tree(repo: Path):
    stack = FakeStack("prod").deployed(head(repo))
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")  # uncommitted
    (repo / "tenants" / "new.yaml").write_text("status: active\n")  # untracked

    with deployed_tenant_files(stack, repo / "tenants") as folder:  # type: ignore[arg-type]
        assert (folder / "acme.yaml").read_text() == "status: active\n"
        assert not (folder / "new.yaml").exists()


def test_before_the_first_deployment_reconcile_reads_head(repo: Path):
    (repo / "tenants" / "acme.yaml").write_text("status: suspended\n")

    with deployed_tenant_files(FakeStack("prod"), repo / "tenants") as folder:  # type: ignore[arg-type]
        assert (folder / "acme.yaml").read_text() == "status: active\n"


def test_a_scratch_folder_outside_git_is_read_as_it_is(tmp_path: Path):
    (tmp_path / "acme.yaml").write_text("status: suspended\n")

    with deployed_tenant_files(FakeStack("dev"), tmp_path) as folder:  # type: ignore[arg-type]
        assert folder == tmp_path


@pytest.mark.engine
def test_the_engine_records_the_applied_commit_in_the_stack_history(tmp_path: Path):
    project = make_project(tmp_path, {}, tenants=[])
    git(project.work_dir, "init", "-q")
    git(project.work_dir, "add", "-A")
    git(project.work_dir, "commit", "-qm", "empty platform")

    project.up()

    assert deployed_commit(project.stack()) == head(project.work_dir)


@pytest.mark.engine
def test_the_clis_automatic_debug_log_is_off_unless_asked_for(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    logs = pulumi_home() / "logs"
    project = make_project(tmp_path, {}, tenants=[])

    project.up()

    assert logs.is_file(), "a file where the CLI's log folder would be"
    monkeypatch.setenv("DEZKY_CLI_LOGS", "1")
    project.up()
    assert logs.is_dir() and any(logs.glob("*.log"))
    monkeypatch.delenv("DEZKY_CLI_LOGS")
    project.up()
    assert logs.is_file()
