"""Load tenant files into models, collecting every problem in every file before anything is applied."""

from __future__ import annotations

import contextlib
import difflib
import gc
import types
import typing
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dezky.tenants.crossfile import find_conflicts
from dezky.tenants.lookalike import unicode_form
from dezky.tenants.model import Tenant
from dezky.tenants.problems import Location, Problem
from dezky.tenants.rules import check_tenant
from dezky.tenants.source import SourceDocument, SourceError, read_source

TENANT_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedTenant:
    path: Path
    tenant: Tenant
    document: SourceDocument


@dataclass
class LoadResult:
    tenants: list[LoadedTenant] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    files: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


def tenant_files(paths: Iterable[Path]) -> list[Path]:
    """The tenant files named, with folders expanded to the files directly inside them, sorted."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(p for p in path.iterdir() if p.suffix in TENANT_SUFFIXES and p.is_file())
        else:
            found.append(path)
    return sorted(set(found))


def load_tenants(paths: Iterable[Path]) -> LoadResult:
    """Every tenant file under `paths`, with every problem in them: per file, then across files."""
    result = LoadResult()
    shaped: list[LoadedTenant] = []  # every tenant that has the model's shape, for the cross-file rules
    with _cycle_collector_paused():
        for path in tenant_files(paths):
            result.files += 1
            loaded, problems = _load_file(path)
            result.problems.extend(problems)
            if loaded is not None:
                shaped.append(loaded)
                if not problems:
                    result.tenants.append(loaded)
        result.problems.extend(_cross_file_problems(shaped))
    result.problems.sort()
    return result


def load_one(path: Path) -> tuple[LoadedTenant | None, list[Problem]]:
    """One file on its own: its tenant if it has no problem, and its problems."""
    loaded, problems = _load_file(path)
    return (None if problems else loaded), problems


def _load_file(path: Path) -> tuple[LoadedTenant | None, list[Problem]]:
    """The file's tenant if it has the model's shape (even when it breaks a rule), and its problems."""
    if not path.exists():
        return None, [Problem(Location(path, 1, 1, ()), "no such file")]
    try:
        document = read_source(path)
    except SourceError as exc:
        return None, [exc.problem]
    try:
        tenant = Tenant.model_validate(document.data)
    except ValidationError as exc:
        return None, [_problem_from_pydantic(document, error) for error in exc.errors()]
    findings = check_tenant(tenant, path.name)
    problems = [Problem(document.locate(loc), message) for loc, message in findings]
    return LoadedTenant(path, tenant, document), problems


@contextlib.contextmanager
def _cycle_collector_paused() -> Iterator[None]:
    """Pause Python's cycle collector while files are loaded.

    A thousand files make millions of small containers that live until the result is returned; the collector
    would walk them over and over (half the run time) looking for cycles this code does not create. Reference
    counting still frees everything, and the collector is left as it was found.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _cross_file_problems(loaded: Sequence[LoadedTenant]) -> list[Problem]:
    problems = []
    for conflict in find_conflicts([item.tenant for item in loaded]):
        claim = conflict.claim
        owners = ", ".join(
            f"{loaded[other.tenant].path.name}:{loaded[other.tenant].document.locate(other.loc).line}"
            for other in conflict.others
        )
        if conflict.relation == "same":
            message = f"{conflict.kind} `{claim.value}` is also claimed by {owners}"
        elif conflict.relation.startswith("lookalike"):
            like = {
                "lookalike": "",
                "lookalike-inside": "a domain inside ",
                "lookalike-contains": "a domain around ",
            }
            message = (
                f"domain `{unicode_form(claim.value)}` ({claim.value}) looks like {like[conflict.relation]}"
                f"`{unicode_form(conflict.others[0].value)}`, claimed by {owners}; a lookalike of another "
                "tenant's domain is refused"
            )
        else:
            relation = "is inside" if conflict.relation == "inside" else "contains"
            message = f"domain `{claim.value}` {relation} `{conflict.others[0].value}`, claimed by {owners}"
        problems.append(Problem(loaded[claim.tenant].document.locate(claim.loc), message))
    return problems


def _problem_from_pydantic(document: SourceDocument, error: typing.Any) -> Problem:
    loc = tuple(error["loc"])
    return Problem(document.locate(loc, at_key=error["type"] == "extra_forbidden"), _message_for(error, loc))


def _message_for(error: typing.Any, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch" and loc == ("slug",):
        return "must be a DNS label: 3 to 32 lowercase letters, digits and hyphens, starting with a letter"
    # Say it in YAML's words, not Python's: a list is `[a, b]` or `- ` lines, a mapping `key: value` lines.
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, not {_yaml_type(error['input'])}"
    if kind == "too_short" and isinstance(error["input"], list | tuple):
        return f"must list at least {error['ctx']['min_length']} entry, not none"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping of `key: value` lines, not {_yaml_type(error['input'])}"
    message: str = error["msg"]
    for prefix in ("Value error, ", "Assertion failed, "):
        message = message.removeprefix(prefix)
    return message[:1].lower() + message[1:]


def _yaml_type(value: object) -> str:
    if value is None:
        return "an empty value"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, str):
        return "text"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    return f"`{value}`"


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    known = _known_keys(loc[:-1])
    suggestion = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean `{suggestion[0]}`?" if suggestion else f"; known keys: {', '.join(known)}"
    return f"unknown key `{key}`{hint}"


def _known_keys(loc: tuple[str | int, ...]) -> list[str]:
    model: type[BaseModel] | None = Tenant
    for part in loc:
        if model is None:
            break
        if isinstance(part, int):
            continue
        info = model.model_fields.get(part)
        model = _model_in(info.annotation) if info else None
    return list(model.model_fields) if model else []


def _model_in(annotation: typing.Any) -> type[BaseModel] | None:
    """The pydantic model inside `Model | None`, `tuple[Model, ...]` and the like."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, tuple, list, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _model_in(arg)
            if found is not None:
                return found
    return None
