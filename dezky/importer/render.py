"""The imported tenant as a commented YAML file, laid out as people write tenant files (see tenants/*.yaml).

Its head says where the file came from, which values were not on any service (`created`, an inferred `plan`)
and every note of the mapping, so the pull request that adds it shows what the next `up` will change.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
from typing import Any

import yaml

from dezky.importer.mapping import ImportedTenant
from dezky.tenants.schema import SCHEMA_COMMENT

_PLAIN = re.compile(r"\w[\w @.+/:-]*")
_SIZES = (("TiB", 1024**4), ("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024))
_WIDTH = 110


def render_imported(imported: ImportedTenant, *, command: str) -> str:
    data = imported.data
    plan_source = (
        "inferred: the smallest plan that holds what was found" if imported.plan_inferred else "as given"
    )
    check = f"Check `created` (the day of the import; no service keeps it) and `plan` ({plan_source})."
    head = [
        SCHEMA_COMMENT,
        f"# Imported from Authentik, Stalwart and OCIS on {data['created'].isoformat()} by `{command}`.",
        *textwrap.wrap(check, _WIDTH, initial_indent="# ", subsequent_indent="# "),
    ]
    if imported.notes:
        head.append(
            "# Found but not in this file, or changed by the next up (`dezky review` shows the plan):"
        )
        for note in imported.notes:
            head += textwrap.wrap(note, _WIDTH, initial_indent="#   - ", subsequent_indent="#     ")
    else:
        head.append("# Everything found is in this file; the next up adopts it as it is.")
    return "\n".join([*head, *_mapping(data, 0)]) + "\n"


def _mapping(data: dict[str, Any], indent: int) -> list[str]:
    lines = []
    for key, value in data.items():
        lines += _entry(key, value, indent)
    return lines


def _entry(key: str, value: Any, indent: int) -> list[str]:
    pad = " " * indent
    if isinstance(value, dict):
        return [f"{pad}{key}:", *_mapping(value, indent + 2)]
    if isinstance(value, list) and value and isinstance(value[0], dict):
        lines = [f"{pad}{key}:"]
        for item in value:
            block = _mapping(item, indent + 4)
            lines += [f"{pad}  - {block[0].lstrip()}", *block[1:]]
        return lines
    if isinstance(value, list):
        return [f"{pad}{key}: [{', '.join(_scalar(item) for item in value)}]"]
    return [f"{pad}{key}: {_size(value) if key == 'quota' else _scalar(value)}"]


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.date | int):
        return str(value) if isinstance(value, int) else value.isoformat()
    text = str(value)
    plain = _PLAIN.fullmatch(text) and ": " not in text and not text.endswith((":", " "))
    if plain and yaml.safe_load(text) == text:
        return text
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def _size(value: int) -> str:
    """`10GiB` rather than 10737418240, as people write quotas; bytes when no unit divides it."""
    for unit, size in _SIZES:
        if value % size == 0:
            return f"{value // size}{unit}"
    return str(value)
