"""Tenant files for tests: a small valid tenant to start from, and a way to see what the loader says of it.

Tests change one thing in `tenant()` and read the problems as `(field path, message)` pairs, so each test shows
the rule it proves and nothing else.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from dezky.tenants import load_tenants
from dezky.tenants.schema import SCHEMA_COMMENT

SLUG = "kanzlei-berg"
DOMAIN = "kanzlei-berg.de"


def address(local: str, domain: str = DOMAIN) -> str:
    return f"{local}@{domain}"


def user(local: str, role: str = "member", **fields: Any) -> dict[str, Any]:
    return {"email": address(local), "name": local.replace(".", " ").title(), "role": role, **fields}


def tenant(**fields: Any) -> dict[str, Any]:
    """A valid business-plan tenant with one admin and one member; keyword arguments replace its fields."""
    data: dict[str, Any] = {
        "slug": SLUG,
        "name": "Kanzlei Berg & Partner",
        "status": "active",
        "created": "2026-01-15",
        "plan": "business",
        "domains": {"primary": DOMAIN},
        "users": [user("eva.berg", role="admin"), user("tim.kohl")],
    }
    data.update(fields)
    return data


def to_yaml(data: Any) -> str:
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, default_flow_style=False)
    return f"{SCHEMA_COMMENT}\n{body}"


def write(folder: Path, data: Any, file_name: str | None = None) -> Path:
    """The tenant as a file in `folder`, named after its slug unless `file_name` is given."""
    path = folder / (file_name or f"{data['slug']}.yaml")
    path.write_text(to_yaml(data), encoding="utf-8")
    return path


def problems(folder: Path, *tenants: dict[str, Any]) -> list[tuple[str, str]]:
    """`(field path, message)` of every problem the loader finds in these tenants, written to `folder`."""
    for data in tenants:
        write(folder, data)
    result = load_tenants([folder])
    return [(p.location.render_field(), p.message) for p in result.problems]


def problems_in_text(folder: Path, text: str, file_name: str = f"{SLUG}.yaml") -> list[str]:
    """Every problem in a file spelled out by hand, rendered as `dezky validate` prints it."""
    (folder / file_name).write_text(text, encoding="utf-8")
    return [p.render(relative_to=folder) for p in load_tenants([folder]).problems]


def line_of(path: Path, needle: str) -> int:
    """The number of the first line of `path` that contains `needle`, counting from 1."""
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in line:
            return number
    raise AssertionError(f"{needle!r} is not in {path}")
