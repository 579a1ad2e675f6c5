"""`schema/tenant.schema.json`: current, a valid JSON Schema, and in agreement with the model on shape."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.tenants.conftest import REPO_ROOT, RunDezky

SCHEMA_FILE = REPO_ROOT / "schema" / "tenant.schema.json"
EXAMPLE_TENANTS = sorted((REPO_ROOT / "tenants").glob("*.yaml"))
BROKEN = REPO_ROOT / "tests" / "tenants" / "broken"


def committed_schema() -> dict[str, Any]:
    return json.loads(SCHEMA_FILE.read_text(encoding="utf-8"))


def as_json(path: Path) -> Any:
    """The file's data as an editor's YAML language server hands it to the schema: dates are strings."""
    return json.loads(json.dumps(yaml.safe_load(path.read_text(encoding="utf-8")), default=str))


def test_committed_schema_is_what_dezky_schema_writes_now(tmp_path: Path, dezky: RunDezky) -> None:
    fresh = tmp_path / "tenant.schema.json"

    result = dezky("schema", "--output", fresh)

    assert result.exit_code == 0, result.output
    assert SCHEMA_FILE.read_text(encoding="utf-8") == fresh.read_text(encoding="utf-8"), (
        "schema/tenant.schema.json is stale: run `.venv/bin/dezky schema` and commit the result"
    )


def test_schema_goes_to_stdout_with_dash(dezky: RunDezky) -> None:
    result = dezky("schema", "-o", "-")

    assert result.exit_code == 0
    assert json.loads(result.stdout) == committed_schema()


def test_schema_is_a_valid_draft_2020_12_json_schema() -> None:
    schema = committed_schema()

    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False
    assert {"slug", "name", "created", "plan", "domains"} <= set(schema["required"])


@pytest.mark.parametrize("tenant_file", EXAMPLE_TENANTS, ids=lambda path: path.stem)
def test_every_example_tenant_validates_against_the_schema(tenant_file: Path) -> None:
    validator = jsonschema.Draft202012Validator(committed_schema())

    assert [error.message for error in validator.iter_errors(as_json(tenant_file))] == []


@pytest.mark.parametrize(
    "broken",
    [
        "bad-slug-pattern",
        "missing-required-field",
        "unknown-key-suggestion",
        "wrong-type",
        "bad-enum-value",
        "unknown-plan",
        "space-name-forbidden-character",
    ],
)
def test_schema_rejects_the_shape_errors_an_editor_can_flag(broken: str) -> None:
    validator = jsonschema.Draft202012Validator(committed_schema())

    assert list(validator.iter_errors(as_json(BROKEN / f"{broken}.yaml"))) != []
