"""The JSON Schema of a tenant file, for editors (yaml-language-server) and reviewers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dezky.tenants.model import SCHEMA_ID, Tenant

SCHEMA_PATH = Path("schema/tenant.schema.json")
SCHEMA_COMMENT = "# yaml-language-server: $schema=../schema/tenant.schema.json"


def render_schema() -> dict[str, Any]:
    schema = Tenant.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}
