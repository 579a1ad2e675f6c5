"""`dezky pulumi ARGS...`: the real CLI on the project's backend, home and passphrase."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from dezky import pulumi_cli
from dezky.engine.workspace import DEV_PASSPHRASE, ROOT, TOOLS_BIN
from dezky.exit_codes import ExitCode
from tests.cli.conftest import RunDezky, run_program


@pytest.mark.parametrize(
    ("args", "stack"),
    [
        (["stack", "output", "--stack", "prod"], "prod"),
        (["stack", "output", "--stack=dev.acme"], "dev.acme"),
        (["state", "unprotect", "-s", "dev", "urn"], "dev"),
        (["config", "-sprod"], "prod"),
        (["stack", "ls"], None),
        (["import", "--", "--stack", "x"], None),
    ],
)
def test_the_stack_is_read_from_pulumis_own_flags(args: list[str], stack: str | None) -> None:
    assert pulumi_cli.stack_argument(args) == stack


def test_dev_stacks_get_the_public_passphrase_and_others_do_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE", raising=False)
    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE_FILE", raising=False)

    dev = pulumi_cli.pulumi_environment(["stack", "output", "--stack", "dev.acme"], tmp_path)
    prod = pulumi_cli.pulumi_environment(["stack", "output", "--stack", "prod"], tmp_path)

    assert dev["PULUMI_CONFIG_PASSPHRASE"] == DEV_PASSPHRASE
    assert "PULUMI_CONFIG_PASSPHRASE" not in prod
    assert dev["PULUMI_BACKEND_URL"] == prod["PULUMI_BACKEND_URL"] == f"file://{tmp_path}"
    assert dev["PULUMI_HOME"] and dev["PATH"].startswith(str(TOOLS_BIN))


def test_an_exported_passphrase_or_passphrase_file_wins(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE", "operator's")
    assert (
        pulumi_cli.pulumi_environment(["--stack", "dev"], tmp_path)["PULUMI_CONFIG_PASSPHRASE"]
        == "operator's"
    )

    monkeypatch.delenv("PULUMI_CONFIG_PASSPHRASE")
    monkeypatch.setenv("PULUMI_CONFIG_PASSPHRASE_FILE", str(tmp_path / "secret"))
    env = pulumi_cli.pulumi_environment(["--stack", "dev"], tmp_path)
    assert "PULUMI_CONFIG_PASSPHRASE" not in env and env["PULUMI_CONFIG_PASSPHRASE_FILE"]


def test_without_the_cli_built_it_says_how_to_build_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dezky: RunDezky
) -> None:
    monkeypatch.setattr(pulumi_cli, "TOOLS_BIN", tmp_path)

    result = dezky("pulumi", "version")

    assert result.exit_code == ExitCode.USAGE
    assert "make engine" in result.stderr


def test_it_runs_the_real_cli_and_passes_its_exit_status_on() -> None:
    version = run_program("pulumi", "version")
    assert version.returncode == 0, version.stderr
    assert version.stdout.strip() == "v3.260.0"

    wrong = run_program("pulumi", "no-such-command")
    direct = subprocess.run([str(TOOLS_BIN / "pulumi"), "no-such-command"], capture_output=True, text=True)
    assert wrong.returncode == direct.returncode != 0


def test_help_after_pulumi_is_pulumis_help() -> None:
    result = run_program("pulumi", "--help")

    assert result.returncode == 0
    assert "Pulumi - Modern Infrastructure as Code" in result.stdout


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """Pulumi.yaml and the dev stack's config in a temp folder: the project as `dezky pulumi` finds it."""
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is missing: `make test` builds it (scripts/build-pulumi)")
    (tmp_path / "stacks").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", tmp_path / "stacks" / "Pulumi.dev.yaml")
    return tmp_path


def test_stack_and_config_commands_use_the_projects_backend_and_dev_passphrase(project: Path) -> None:
    where = ("--work-dir", project, "--state-dir", project / ".state")

    created = run_program("pulumi", *where, "stack", "init", "dev")
    secret = run_program("pulumi", *where, "config", "get", "dezky:powerdnsApiKey", "--stack", "dev")
    listed = run_program("pulumi", *where, "stack", "ls", "--json")

    assert created.returncode == 0, created.stderr
    assert secret.returncode == 0, secret.stderr
    assert secret.stdout.strip() == "dev-powerdns-key"  # decrypted: the dev passphrase was set
    assert '"name": "dev"' in listed.stdout
    assert (project / ".state" / ".pulumi" / "stacks" / "dezky" / "dev.json").exists()  # the file backend
