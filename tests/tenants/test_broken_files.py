"""`dezky validate` on broken tenant files prints exactly the expected problems, exits 5
(invalid tenant files), never a traceback.

Each broken file `broken/<rule>.yaml` breaks one rule; `broken/<rule>.expected` holds what `dezky validate` prints
for it, run from the repository root. The cross-file rules need several files: each case is a folder
`crossfile/<case>/` with its output in `crossfile/<case>.expected`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import Result

from dezky.exit_codes import ExitCode
from dezky.tenants import load_tenants
from tests.tenants.conftest import REPO_ROOT, RunDezky

HERE = Path(__file__).parent
BROKEN = sorted((HERE / "broken").glob("*.yaml"))
CROSSFILE = sorted(path for path in (HERE / "crossfile").iterdir() if path.is_dir())


def expected_output(case: Path) -> str:
    return case.with_suffix(".expected").read_text(encoding="utf-8")


def assert_refused_cleanly(result: Result) -> None:
    """Exit status 5 (invalid tenant files) from a handled error: no exception escaped, no traceback printed."""
    assert result.exit_code == ExitCode.INVALID_TENANT_FILES, result.output
    assert isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize("broken_file", BROKEN, ids=lambda path: path.stem)
def test_each_broken_file_gets_exactly_its_expected_problems(
    broken_file: Path, in_repo_root: Path, dezky: RunDezky
) -> None:
    result = dezky("validate", broken_file.relative_to(REPO_ROOT))

    assert_refused_cleanly(result)
    assert result.stderr == expected_output(broken_file)
    assert result.stdout == ""


@pytest.mark.parametrize("case", CROSSFILE, ids=lambda path: path.name)
def test_each_cross_file_case_gets_exactly_its_expected_problems(
    case: Path, in_repo_root: Path, dezky: RunDezky
) -> None:
    result = dezky("validate", case.relative_to(REPO_ROOT))

    assert_refused_cleanly(result)
    assert result.stderr == expected_output(case)


def test_every_broken_case_has_its_expected_output_and_nothing_is_left_over() -> None:
    cases = {path.with_suffix(".expected") for path in [*BROKEN, *CROSSFILE]}
    expected_files = {*(HERE / "broken").glob("*.expected"), *(HERE / "crossfile").glob("*.expected")}
    assert cases == expected_files


# Files that prove more than one problem is found: a misspelt key is also a missing one; a schema error in a file
# does not hide its reference errors.
MORE_THAN_ONE_PROBLEM = {"unknown-key-suggestion": 2, "schema-and-reference-errors": 3}


def test_each_broken_file_breaks_exactly_one_rule() -> None:
    # One problem per file, so each file proves one rule.
    for broken_file in BROKEN:
        problem_lines = expected_output(broken_file).splitlines()[:-1]
        assert len(problem_lines) == MORE_THAN_ONE_PROBLEM.get(broken_file.stem, 1), broken_file


def test_the_broken_folder_reports_each_file_as_it_does_alone(in_repo_root: Path, dezky: RunDezky) -> None:
    """Validating all broken files at once adds no problem across them and loses none."""
    result = dezky("validate", "tests/tenants/broken")

    assert_refused_cleanly(result)
    alone = sorted(line for path in BROKEN for line in expected_output(path).splitlines()[:-1])
    *together, summary = result.stderr.splitlines()
    assert sorted(together) == alone
    assert summary == f"✗ {len(alone)} problem(s) in {len(BROKEN)} of {len(BROKEN)} file(s)"


def test_a_file_over_one_mebibyte_is_refused_before_it_is_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dezky: RunDezky
) -> None:
    huge = tmp_path / "huge.yaml"
    padding = "# " + "x" * 1021 + "\n"  # 1 KiB comment lines: valid YAML, just too much of it
    huge.write_text("slug: huge\n" + padding * 1024, encoding="utf-8")
    monkeypatch.chdir(tmp_path)

    result = dezky("validate", "huge.yaml")

    assert_refused_cleanly(result)
    size = huge.stat().st_size
    assert size > 1024 * 1024
    assert result.stderr.splitlines() == [
        f"huge.yaml:1:1 (file): the file is {size} bytes; tenant files are limited to 1 MiB",
        "✗ 1 problem(s) in 1 of 1 file(s)",
    ]


def test_a_file_of_exactly_one_mebibyte_is_read(tmp_path: Path) -> None:
    path = tmp_path / "limit.yaml"
    head = "slug: limit\n"
    path.write_text(head + "#" * (1024 * 1024 - len(head) - 1) + "\n", encoding="utf-8")

    messages = [problem.message for problem in load_tenants([path]).problems]

    assert path.stat().st_size == 1024 * 1024
    assert "required field is missing" in messages
    assert not any("1 MiB" in message for message in messages)
