"""`--version`, shell completion, `list --format json`, the exit-status table and zoned timestamps."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
from pathlib import Path

import pytest

from dezky import exit_codes
from dezky.cli import version_text
from dezky.exit_codes import ExitCode
from dezky.timestamps import utc_iso, utc_text
from tests.cli.conftest import DEZKY, RunDezky, run_program
from tests.tenants.builders import tenant, write


def an_estate(folder: Path) -> Path:
    folder.mkdir(exist_ok=True)
    for slug, fields in [
        ("berg", {}),
        ("tal", {"status": "suspended"}),
        ("see", {"status": "deleted", "deleted_at": "2026-04-01"}),
    ]:
        write(
            folder,
            tenant(
                slug=slug, name=f"{slug.title()} GmbH", domains={"primary": f"{slug}.de"}, users=[], **fields
            ),
        )
    return folder


# -- --version --------------------------------------------------------------------------------------------


def test_version_prints_the_package_and_sdk_versions_and_exits_0() -> None:
    result = run_program("--version")

    assert result.returncode == 0, result.stderr
    assert result.stdout == version_text() + "\n"
    assert result.stdout.startswith("dezky 0.") and "pulumi SDK 3.260.0" in result.stdout


# -- completion -------------------------------------------------------------------------------------------


def test_help_offers_completion_install_and_show(dezky: RunDezky) -> None:
    result = dezky("--help")

    assert "--install-completion" in result.output and "--show-completion" in result.output


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_show_completion_prints_a_script_for_the_shell(shell: str) -> None:
    result = run_program("--show-completion", shell)

    assert result.returncode == 0, result.stderr
    assert "_DEZKY_COMPLETE" in result.stdout


def test_the_completion_script_completes_commands_and_sandbox_subcommands() -> None:
    """What bash's completion function asks the program (typer's protocol), answered by the real program."""

    def complete(words: str) -> list[str]:
        env = {**os.environ, "_DEZKY_COMPLETE": "complete_bash", "COMP_WORDS": words}
        env["COMP_CWORD"] = str(len(words.split()) - (0 if words.endswith(" ") else 1))
        done = subprocess.run([str(DEZKY)], env=env, capture_output=True, text=True, timeout=60)
        return done.stdout.split()

    assert "sandbox" in complete("dezky sand")
    assert set(complete("dezky sandbox ")) >= {"up", "down", "status"}
    assert "--format" in complete("dezky list --for")


# -- list --format json -----------------------------------------------------------------------------------


def test_list_as_json_gives_every_field_and_the_counts(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")

    result = dezky("list", "--folder", folder, "--format", "json")

    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert [row["slug"] for row in data["tenants"]] == ["berg", "see", "tal"]
    berg = data["tenants"][0]
    assert berg == {
        "slug": "berg",
        "name": "Berg GmbH",
        "status": "active",
        "plan": berg["plan"],
        "domains": ["berg.de"],
        "created": berg["created"],
    }
    dt.date.fromisoformat(berg["created"])
    assert data["counts"] == {"all": 3, "active": 1, "suspended": 1, "deleted": 1}


def test_list_as_json_filters_like_the_table(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")

    result = dezky("list", "--folder", folder, "-f", "json", "--status", "suspended")

    assert [row["slug"] for row in json.loads(result.stdout)["tenants"]] == ["tal"]


def test_list_table_is_unchanged_by_default(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")

    result = dezky("list", "--folder", folder)

    assert result.exit_code == 0
    assert "Tenants" in result.stdout and "berg.de" in result.stdout
    assert "all 3 / active 1 / suspended 1 / deleted 1" in result.stdout


# -- exit statuses ----------------------------------------------------------------------------------------


def test_the_exit_codes_are_distinct_and_as_documented() -> None:
    assert [int(code) for code in ExitCode] == [0, 1, 2, 3, 4, 5]
    for code in ExitCode:
        assert f"  {int(code)}  " in exit_codes.EXIT_CODE_TABLE


def test_help_prints_the_exit_status_table(dezky: RunDezky) -> None:
    output = dezky("--help").output

    assert "Exit status:" in output
    for line in exit_codes.EXIT_CODE_TABLE.splitlines()[1:]:
        assert line.split()[1] in output


def test_an_invalid_tenant_file_exits_5_and_a_usage_error_exits_2(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")
    (folder / "kaputt.yaml").write_text("slug: kaputt\n", encoding="utf-8")

    assert dezky("validate", folder).exit_code == ExitCode.INVALID_TENANT_FILES
    assert dezky("list", "--folder", folder).exit_code == ExitCode.INVALID_TENANT_FILES
    assert dezky("validate", tmp_path / "missing.yaml").exit_code == ExitCode.USAGE
    assert dezky("list", "--status", "nonsense").exit_code == ExitCode.USAGE
    assert dezky("no-such-command").exit_code == ExitCode.USAGE


def test_new_refuses_a_clash_as_invalid_and_a_bad_slug_as_usage(tmp_path: Path, dezky: RunDezky) -> None:
    folder = an_estate(tmp_path / "tenants")
    new = ("--name", "X", "--plan", "starter", "--folder", folder)

    assert dezky("new", "fels", "--domain", "berg.de", *new).exit_code == ExitCode.INVALID_TENANT_FILES
    assert dezky("new", "../x", "--domain", "x.de", *new).exit_code == ExitCode.USAGE
    assert dezky("new", "berg", "--domain", "y.de", *new).exit_code == ExitCode.USAGE
    assert not (folder / "fels.yaml").exists()


# -- timestamps -------------------------------------------------------------------------------------------


def test_timestamps_carry_their_zone() -> None:
    naive_utc = dt.datetime(2026, 11, 30, 4, 10, 0)  # as the Automation API parses the engine's `...Z`
    berlin = dt.datetime(2026, 11, 30, 5, 10, 0, tzinfo=dt.timezone(dt.timedelta(hours=1)))

    assert utc_text(naive_utc) == utc_text(berlin) == "2026-11-30 04:10:00 UTC"
    assert utc_iso(berlin) == "2026-11-30T04:10:00Z"
