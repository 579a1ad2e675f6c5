"""Properties over many generated files: valid tenants survive the trip through their file unchanged, and no
damage to a file makes the loader raise or report a problem nowhere."""

from __future__ import annotations

import re
import tempfile
import types
import typing
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from dezky.tenants import LoadResult, Tenant, load_tenants
from dezky.tenants import model as model_module
from dezky.tenants.model import normalise_domain
from dezky.tenants.source import read_source
from tests.tenants.builders import to_yaml
from tests.tenants.strategies import damaged, garbage_lines, random_values, valid_tenants

# Modest counts: the whole tenant suite runs in CI on two cores.
few = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
many = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])

# Problems the reader finds before the model sees the data: their field paths follow the file, not the model.
READER_MESSAGES = (
    "anchors (&) and aliases (*)", "duplicate key", "merge keys", "mapping keys must", "cannot read this value",
    "more than", "YAML syntax", "tab character", "not UTF-8", "the file is",
)  # fmt: skip


def load_text(text: str, file_name: str) -> LoadResult:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / file_name).write_text(text, encoding="utf-8")
        return load_tenants([Path(folder)])


def depth_inside_model(path: tuple[str | int, ...]) -> int:
    """How many leading parts of `path` name fields of the tenant model (or positions in its lists)."""
    annotation: Any = Tenant
    for depth, part in enumerate(path):
        annotation = _unwrap(annotation)
        if isinstance(part, int):
            if typing.get_origin(annotation) is not tuple:
                return depth
            annotation = typing.get_args(annotation)[0]
        elif (
            isinstance(annotation, type)
            and issubclass(annotation, BaseModel)
            and part in annotation.model_fields
        ):
            annotation = annotation.model_fields[part].annotation
        else:
            return depth
    return len(path)


def _unwrap(annotation: Any) -> Any:
    """`X` from `X | None` and `Annotated[X, ...]`."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        (inner,) = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        return _unwrap(inner)
    return annotation


def is_known_field_path(path: tuple[str | int, ...], message: str) -> bool:
    inside = depth_inside_model(path)
    if inside == len(path):
        return True
    if inside == len(path) - 1 and message.startswith(f"unknown key `{path[-1]}`"):
        return True
    return message.startswith(READER_MESSAGES)


@few
@given(valid_tenants())
def test_valid_tenant_round_trips_through_its_file_and_reads_back_the_same(data: dict[str, Any]) -> None:
    original = Tenant.model_validate(data)

    result = load_text(to_yaml(data), f"{original.slug}.yaml")
    # Normalisation is stable: punycode, lowercase and byte counts written back read as themselves.
    written_back = original.model_dump(mode="json", exclude_defaults=True)
    again = load_text(to_yaml(written_back), f"{original.slug}.yaml")

    assert result.problems == []
    assert [item.tenant for item in result.tenants] == [original]
    assert [item.tenant for item in again.tenants] == [original]


@many
@given(st.data())
def test_damaged_tenant_files_give_problems_or_a_tenant_never_an_exception(data: st.DataObject) -> None:
    tenant = data.draw(valid_tenants(), label="valid tenant")
    file_name = f"{tenant['slug']}.yaml"
    damages = data.draw(st.integers(0, 2), label="damages")
    for _ in range(damages):
        tenant = data.draw(damaged(tenant), label="damaged")
    lines = to_yaml(tenant).splitlines()
    for _ in range(data.draw(st.integers(0 if damages else 1, 2), label="garbage lines")):
        at = data.draw(st.integers(0, len(lines)), label="at line")
        indent = data.draw(st.sampled_from(["", "  ", "    "]), label="indent")
        lines.insert(at, indent + data.draw(garbage_lines, label="garbage"))

    result = load_text("\n".join(lines) + "\n", file_name)

    assert len(result.tenants) == (1 if result.ok else 0)
    for problem in result.problems:
        assert problem.location.line >= 1 and problem.location.column >= 1, problem.render()
        assert is_known_field_path(problem.location.field, problem.message), problem.render()


@many
@given(
    st.dictionaries(st.text(max_size=10), random_values, max_size=5),
    st.sampled_from([None, True, False]),
)
def test_the_reader_means_what_yaml_safe_load_means(data: dict[str, Any], flow_style: bool | None) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow_style, allow_unicode=True)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "data.yaml"
        path.write_text(text, encoding="utf-8")

        assert read_source(path).data == yaml.safe_load(text)


NEVER = re.compile(r"(?!)")


@many
@given(st.from_regex(r"[a-zA-Z0-9.-]{1,70}\.?", fullmatch=True))
def test_the_plain_domain_shortcut_agrees_with_full_idna_checks(name: str) -> None:
    def outcome(check: Any) -> str:
        try:
            return check(name)
        except ValueError as error:
            return f"error: {error}"

    fast = outcome(normalise_domain.__wrapped__)
    with mock.patch.object(model_module, "_PLAIN_DOMAIN", NEVER):
        full = outcome(normalise_domain.__wrapped__)

    assert fast == full
