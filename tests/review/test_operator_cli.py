"""`dezky suspend | resume | delete | users | review --changed-since` on a temp tenants folder."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dezky.cli import app
from dezky.engine.workspace import ROOT
from dezky.operator_cli import with_status
from dezky.review.changed import ChangeScope, change_scope, changed_tenants
from dezky.tenants.model import TenantStatus

runner = CliRunner()
TODAY = dt.date.today().isoformat()


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    target = tmp_path / "tenants"
    target.mkdir()
    for name in ("acme.yaml", "altbau.yaml", "nordlicht.yaml"):
        shutil.copy(ROOT / "tenants" / name, target / name)
    return target


def invoke(*args: str):
    return runner.invoke(app, list(args))


def test_suspend_changes_only_the_status_line_and_says_what_comes_next(folder: Path):
    before = (folder / "acme.yaml").read_text()

    result = invoke("suspend", "acme", "--folder", str(folder))

    after = (folder / "acme.yaml").read_text()
    assert result.exit_code == 0, result.output
    assert after == before.replace("\nstatus: active\n", "\nstatus: suspended\n")
    assert "open a pull request" in result.output


def test_resume_of_a_suspended_tenant_makes_it_active(folder: Path):
    result = invoke("resume", "nordlicht", "--folder", str(folder))

    assert result.exit_code == 0, result.output
    assert "\nstatus: active\n" in (folder / "nordlicht.yaml").read_text()


def test_delete_writes_deleted_at_today_below_the_status_and_keeps_comments(folder: Path):
    before = (folder / "acme.yaml").read_text()

    result = invoke("delete", "acme", "--folder", str(folder))

    after = (folder / "acme.yaml").read_text()
    assert result.exit_code == 0, result.output
    assert after == before.replace("\nstatus: active\n", f"\nstatus: deleted\ndeleted_at: {TODAY}\n")
    assert after.startswith("# yaml-language-server")


def test_resume_of_a_deleted_tenant_drops_its_deleted_at(folder: Path):
    result = invoke("resume", "altbau", "--folder", str(folder))

    after = (folder / "altbau.yaml").read_text()
    assert result.exit_code == 0, result.output
    assert "deleted_at" not in after and "\nstatus: active\n" in after
    assert after.startswith("# yaml-language-server")


def test_deleting_an_already_deleted_tenant_keeps_the_original_day(folder: Path):
    before = (folder / "altbau.yaml").read_text()

    result = invoke("delete", "altbau", "--folder", str(folder))

    assert result.exit_code == 0 and "already deleted" in result.output
    assert (folder / "altbau.yaml").read_text() == before


def test_a_change_that_does_not_validate_is_refused_and_the_file_restored(folder: Path):
    path = folder / "acme.yaml"
    broken = path.read_text().replace("created: 2026-02-03", f"created: {dt.date.today().year + 1}-01-01")
    path.write_text(broken)

    result = invoke("delete", "acme", "--folder", str(folder))

    assert result.exit_code == 5  # invalid tenant files (dezky/exit_codes.py)
    assert "not changed" in result.output
    assert path.read_text() == broken


def test_an_unknown_or_path_like_slug_is_refused(folder: Path):
    for slug in ("nobody", "../acme"):
        result = invoke("suspend", slug, "--folder", str(folder))
        assert result.exit_code == 2 and "no tenant file" in result.output


def test_users_lists_role_and_status_from_the_file(folder: Path):
    result = invoke("users", "acme", "--folder", str(folder), "--no-live")

    assert result.exit_code == 0, result.output
    lines = [line for line in result.output.splitlines() if "@" in line]
    assert "anna.schmidt@acme-werkzeuge.de" in lines[0] and "admin" in lines[0] and "active" in lines[0]
    assert "jonas.weber@acme-werkzeuge.de" in lines[1] and "member" in lines[1]


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True)


def test_changed_since_names_edited_added_and_removed_tenant_files(tmp_path: Path, folder: Path):
    repo = folder.parent
    git(repo, "init", "-q")
    git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "x", "--allow-empty")
    git(repo, "add", "tenants")
    git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "tenants")
    (folder / "acme.yaml").write_text((folder / "acme.yaml").read_text() + "\n")
    (folder / "altbau.yaml").unlink()
    (folder / "README.md").write_text("not a tenant")
    git(repo, "add", "-A")

    assert changed_tenants("HEAD", repo) == {"acme", "altbau"}
    assert changed_tenants("HEAD~1", repo) == {"acme", "nordlicht"}


def test_review_with_no_changed_tenant_runs_no_engine(tmp_path: Path):
    git(tmp_path, "init", "-q")
    git(
        tmp_path, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", "x", "--allow-empty"
    )

    result = invoke("review", "--changed-since", "HEAD", "--work-dir", str(tmp_path))

    assert result.exit_code == 0, result.output
    assert "Nothing the program is made of changed since HEAD; nothing to preview." in result.output


def test_review_with_an_unknown_ref_says_so(tmp_path: Path):
    git(tmp_path, "init", "-q")

    result = invoke("review", "--changed-since", "no-such-ref", "--work-dir", str(tmp_path))

    assert result.exit_code == 2 and "git merge-base no-such-ref HEAD failed" in result.output


def test_a_comment_after_the_status_is_kept():
    text = "slug: acme\nstatus: active  # since the contract began\ncreated: 2026-01-01\n"

    edited = with_status(text, TenantStatus.SUSPENDED, dt.date(2026, 6, 1))

    assert edited == "slug: acme\nstatus: suspended  # since the contract began\ncreated: 2026-01-01\n"


def test_a_file_without_a_status_line_gets_a_clear_refusal():
    with pytest.raises(ValueError, match="no top-level `status:` line"):
        with_status("slug: acme\n  status: active\n", TenantStatus.SUSPENDED, dt.date(2026, 6, 1))


def commit(repo: Path, message: str) -> None:
    git(repo, "add", "-A")
    git(repo, "-c", "user.email=t@example.org", "-c", "user.name=t", "commit", "-qm", message)


def test_changed_since_compares_with_the_merge_base_not_with_a_main_that_moved_on(folder: Path):
    repo = folder.parent
    git(repo, "init", "-q", "-b", "main")
    commit(repo, "tenants")
    git(repo, "checkout", "-q", "-b", "feature")
    (folder / "acme.yaml").write_text((folder / "acme.yaml").read_text() + "\n")
    commit(repo, "edit acme")
    git(repo, "checkout", "-q", "main")
    (folder / "nordlicht.yaml").write_text((folder / "nordlicht.yaml").read_text() + "\n")
    commit(repo, "main moves on: nordlicht")
    git(repo, "checkout", "-q", "feature")

    assert change_scope("main", repo) == ChangeScope(tenants=frozenset({"acme"}))


@pytest.mark.parametrize(
    "path",
    [
        "components/ocis/provider.py",
        "dezky/program.py",
        "stacks/Pulumi.prod.yaml",
        "pyproject.toml",
        "policy/x.py",
    ],
)
def test_a_change_to_code_config_or_dependencies_affects_every_tenant(folder: Path, path: str):
    repo = folder.parent
    git(repo, "init", "-q")
    commit(repo, "tenants")
    (repo / path).parent.mkdir(parents=True, exist_ok=True)
    (repo / path).write_text("changed\n")

    assert change_scope("HEAD", repo) == ChangeScope(every_tenant=True, because=path)


def test_a_change_to_docs_or_tests_affects_no_tenant(folder: Path):
    repo = folder.parent
    git(repo, "init", "-q")
    commit(repo, "tenants")
    for path in ("README.md", "tests/test_x.py", ".github/workflows/pr.yml"):
        (repo / path).parent.mkdir(parents=True, exist_ok=True)
        (repo / path).write_text("changed\n")

    assert change_scope("HEAD", repo) == ChangeScope()
