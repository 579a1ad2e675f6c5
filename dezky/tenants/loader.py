"""Load tenant files into models, collecting every problem in every file before anything is applied."""

from __future__ import annotations

import contextlib
import datetime as dt
import difflib
import enum
import functools
import gc
import re
import subprocess
import types
import typing
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from pydantic import BaseModel, ValidationError

from dezky.tenants.crossfile import Claim, Conflict, find_conflicts
from dezky.tenants.lookalike import unicode_form
from dezky.tenants.model import Tenant, unknown_choice
from dezky.tenants.problems import Location, Problem
from dezky.tenants.rules import check_tenant
from dezky.tenants.salvage import Salvage, salvage
from dezky.tenants.source import SourceDocument, SourceError, read_source

TENANT_SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True)
class LoadedTenant:
    path: Path
    tenant: Tenant
    document: SourceDocument
    salvaged: Salvage | None = None  # set when the model refused parts of the file (`salvage.py`)


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


def load_tenants(paths: Iterable[Path], pending: Mapping[Path, str] | None = None) -> LoadResult:
    """Every tenant file under `paths`, with every problem in them: per file, then across files.

    `pending` are files not written yet, by path and text (`dezky new` checks its file before writing it); they
    are read as if they were there, and they are the new files of any clash they are in.
    """
    result = LoadResult()
    shaped: list[LoadedTenant] = []  # every tenant that has the model's shape, for the cross-file rules
    pending = pending or {}
    with _cycle_collector_paused():
        for path in sorted({*tenant_files(paths), *pending}):
            result.files += 1
            loaded, problems = _load_file(path, pending.get(path))
            result.problems.extend(problems)
            if loaded is not None:
                shaped.append(loaded)
                if not problems:
                    result.tenants.append(loaded)
        result.problems.extend(_cross_file_problems(shaped, set(pending)))
    result.problems.sort()
    return result


def load_one(path: Path) -> tuple[LoadedTenant | None, list[Problem]]:
    """One file on its own: its tenant if it has no problem, and its problems."""
    loaded, problems = _load_file(path)
    return (None if problems else loaded), problems


def _load_file(path: Path, text: str | None = None) -> tuple[LoadedTenant | None, list[Problem]]:
    """The file's tenant if it has the model's shape (even when it breaks a rule), and its problems."""
    if text is None and not path.exists():
        return None, [Problem(Location(path, 1, 1, ()), "no such file")]
    try:
        document = read_source(path, text)
    except SourceError as exc:
        return None, [exc.problem]
    schema_problems: list[Problem] = []
    salvaged = None
    try:
        tenant = Tenant.model_validate(document.data)
    except ValidationError as exc:
        errors = exc.errors()
        schema_problems = [_problem_from_pydantic(document, error) for error in errors]
        # Every problem at once: check the rest of the file too, leaving out what the refused parts touch.
        remainder = salvage(document.data, errors)
        if remainder is None:
            return None, schema_problems
        tenant, salvaged = remainder
    findings = check_tenant(tenant, path.name, salvaged)
    problems = schema_problems + [Problem(document.locate(loc), message) for loc, message in findings]
    return LoadedTenant(path, tenant, document, salvaged), problems


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


def _cross_file_problems(loaded: Sequence[LoadedTenant], pending: set[Path]) -> list[Problem]:
    conflicts = [
        kept
        for conflict in find_conflicts([item.tenant for item in loaded])
        if (kept := _real(conflict, loaded))
    ]
    if not conflicts:  # the usual estate: no need to ask git which files are new
        return []
    newer = _Newer(loaded, pending)
    problems: list[Problem] = []
    for conflict in conflicts:
        claim = conflict.claim
        owners = ", ".join(_line_of(loaded, other) for other in conflict.others)
        if conflict.relation == "same":
            message = f"{conflict.kind} `{claim.value}` is also claimed by {owners}"
        elif conflict.relation.startswith("lookalike"):
            message = (
                f"domain `{unicode_form(claim.value)}` ({claim.value}) looks like {_LIKE[conflict.relation]}"
                f"`{unicode_form(conflict.others[0].value)}`, claimed by {owners}; a lookalike of another "
                "tenant's domain is refused"
            )
        else:
            relation = "is inside" if conflict.relation == "inside" else "contains"
            message = f"domain `{claim.value}` {relation} `{conflict.others[0].value}`, claimed by {owners}"
        new, reason = newer.among({claim.tenant, *(other.tenant for other in conflict.others)})
        if not reason:  # a file not written yet: `dezky new` tells of it in its own words
            pass
        elif claim.tenant in new:
            message += f"; this file brings the clash ({reason})"
        elif new:
            message += f"; {', '.join(sorted(loaded[i].path.name for i in new))} brings the clash ({reason})"
        problems.append(Problem(loaded[claim.tenant].document.locate(claim.loc), message))
        if conflict.relation.startswith("lookalike"):
            # Only the lookalike is told of a lookalike; unless the other file is the new one: then it is told too.
            for other in conflict.others:
                if other.tenant in new:
                    problems.append(
                        Problem(
                            loaded[other.tenant].document.locate(other.loc),
                            (
                                f"domain `{unicode_form(other.value)}` looks like {_LIKE_BACK[conflict.relation]}"
                                f"`{unicode_form(claim.value)}` ({claim.value}), claimed by "
                                f"{_line_of(loaded, claim)}"
                                + (f"; this file brings the clash ({reason})" if reason else "")
                                + "; a lookalike of another tenant's domain is refused"
                            ),
                        )
                    )
    return list(dict.fromkeys(problems))


_LIKE = {"lookalike": "", "lookalike-inside": "a domain inside ", "lookalike-contains": "a domain around "}
_LIKE_BACK = {
    "lookalike": "",
    "lookalike-inside": "a domain around ",
    "lookalike-contains": "a domain inside ",
}


def _line_of(loaded: Sequence[LoadedTenant], claim: Claim) -> str:
    item = loaded[claim.tenant]
    return f"{item.path.name}:{item.document.locate(claim.loc).line}"


def _real(conflict: Conflict, loaded: Sequence[LoadedTenant]) -> Conflict | None:
    """The conflict without the claims of placeholders that stand in for values the model refused."""

    def real(claim: Claim) -> bool:
        item = loaded[claim.tenant]
        return item.salvaged is None or not item.salvaged.claims_placeholder(claim.loc, item.document.data)

    if not real(conflict.claim):
        return None
    others = tuple(other for other in conflict.others if real(other))
    if not others:
        return None
    return conflict if len(others) == len(conflict.others) else replace(conflict, others=others)


class _Newer:
    """Which file of a clash brings it: the one git's HEAD does not have yet; else the later `created` date.

    Git decides when the files of a clash differ in being in HEAD (a file added in the change under review, or
    written by `dezky new`); when they do not (all committed, all new, or no git repository), the tenant whose
    `created` date is the latest brings the clash. When neither tells them apart, no file is singled out.
    """

    def __init__(self, loaded: Sequence[LoadedTenant], pending: set[Path]) -> None:
        self.loaded = loaded
        self.pending = pending
        self._in_head: dict[Path, bool | None] = {}

    def among(self, tenants: set[int]) -> tuple[set[int], str]:
        """The files among `tenants` that bring their clash, and why they count as new ("" for pending files)."""
        unwritten = {index for index in tenants if self.loaded[index].path in self.pending}
        if unwritten:
            return unwritten, ""
        in_head = {index: self._is_in_head(self.loaded[index].path) for index in tenants}
        if None not in in_head.values() and len(set(in_head.values())) > 1:
            return {index for index, known in in_head.items() if not known}, "not in git HEAD"
        created = {index: self.loaded[index].tenant.created for index in tenants}
        if len(set(created.values())) > 1 and not any(self._placeholder_date(index) for index in tenants):
            latest = max(created.values())
            return {
                index for index, day in created.items() if day == latest
            }, f"created {latest}, the later date"
        return set(), ""

    def _placeholder_date(self, index: int) -> bool:
        salvaged = self.loaded[index].salvaged
        return salvaged is not None and "created" in salvaged.placeholders

    def _is_in_head(self, path: Path) -> bool | None:
        if path not in self._in_head:
            folder = path.parent
            names = [item.path.name for item in self.loaded if item.path.parent == folder]
            committed = _committed(folder, names)
            for name in names:
                self._in_head[folder / name] = None if committed is None else name in committed
        return self._in_head[path]


def _committed(folder: Path, names: list[str]) -> set[str] | None:
    """Which of the files `names` in `folder` git's HEAD has; None when git cannot tell."""
    try:
        run = subprocess.run(
            ["git", "-C", str(folder), "ls-tree", "--name-only", "-z", "HEAD", "--", *names],
            capture_output=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if run.returncode != 0:
        return None
    return {Path(name).name for name in run.stdout.decode("utf-8", "replace").split("\0") if name}


def _problem_from_pydantic(document: SourceDocument, error: typing.Any) -> Problem:
    loc = tuple(error["loc"])
    return Problem(document.locate(loc, at_key=error["type"] == "extra_forbidden"), _message_for(error, loc))


def _message_for(error: typing.Any, loc: tuple[str | int, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return _unknown_key_message(loc)
    if kind == "missing":
        return "required field is missing"
    if kind == "string_pattern_mismatch" and loc in (("slug",), ("renamed_from",)):
        return "must be a DNS label: 3 to 32 lowercase letters, digits and hyphens, starting with a letter"
    # Say it in YAML's words, not Python's: a list is `[a, b]` or `- ` lines, a mapping `key: value` lines.
    if kind in ("tuple_type", "list_type"):
        return f"must be a list, not {_yaml_type(error['input'])}"
    if kind == "too_short" and isinstance(error["input"], list | tuple):
        return f"must list at least {error['ctx']['min_length']} entry, not none"
    if kind in ("model_type", "dict_type"):
        return f"must be a mapping of `key: value` lines, not {_yaml_type(error['input'])}"
    if kind == "enum":
        return _unknown_enum_message(loc, error["input"])
    if kind.startswith(("date_", "datetime_")):
        return _date_message(error["input"])
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


def _unknown_enum_message(loc: tuple[str | int, ...], value: object) -> str:
    info = _field_info(loc)
    enum = _enum_in(info.annotation) if info is not None else None
    choices = [member.value for member in enum] if enum is not None else []
    what = next((part for part in reversed(loc) if isinstance(part, str)), "value")
    return unknown_choice(what, _yaml_scalar(value), choices)


_DOTTED_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")  # 31.01.2026, as dates are written in Germany
_ISO_DATE = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
_YEAR_FIRST_DATE = re.compile(r"(\d{4})[./](\d{1,2})[./](\d{1,2})")  # 2026/01/31, 2026.01.31


def _date_message(value: object) -> str:
    """A date in another format (`31.01.2026`, `2026/01/31`, a time of day) says how to write it."""
    if isinstance(value, dt.datetime):
        return f"`{value.isoformat(sep=' ')}` has a time of day; use YYYY-MM-DD: {value.date().isoformat()}"
    text = _yaml_scalar(value)
    day = None
    if match := _DOTTED_DATE.fullmatch(text.strip()):
        day = _date_or_none(int(match[3]), int(match[2]), int(match[1]))
    elif match := _YEAR_FIRST_DATE.fullmatch(text.strip()):
        day = _date_or_none(int(match[1]), int(match[2]), int(match[3]))
    if day is not None:
        return f"`{text}` is a date in another format; use YYYY-MM-DD: {day.isoformat()}"
    if match := _ISO_DATE.fullmatch(text.strip()):
        try:
            dt.date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError as exc:
            return f"`{text}` is not a date: {exc}"
    return f"`{text}` is not a date; use YYYY-MM-DD, like 2026-01-31"


def _date_or_none(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def _yaml_scalar(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    return str(value)


def _unknown_key_message(loc: tuple[str | int, ...]) -> str:
    key = str(loc[-1])
    known = _known_keys(loc[:-1])
    elsewhere = [place for place in _key_places().get(key, ()) if place != _generic(loc[:-1])]
    if elsewhere:
        places = [_render_place(place) for place in elsewhere]
        where = places[0] if len(places) == 1 else f"{', '.join(places[:-1])} or {places[-1]}"
        return f"unknown key `{key}` here; it belongs {where}"
    suggestion = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
    hint = f"; did you mean `{suggestion[0]}`?" if suggestion else f"; known keys: {', '.join(known)}"
    return f"unknown key `{key}`{hint}"


def _generic(loc: tuple[str | int, ...]) -> tuple[str | int, ...]:
    """`users[3].aliases` -> `users[n].aliases`: list positions as one placeholder."""
    return tuple(-1 if isinstance(part, int) else part for part in loc)


def _render_place(place: tuple[str | int, ...]) -> str:
    if not place:
        return "at the top level, without indentation"
    text = "".join("[n]" if isinstance(part, int) else f".{part}" for part in place).lstrip(".")
    return f"under `{text}`" if text.endswith("]") else f"under `{text}:`"


@functools.cache
def _key_places() -> dict[str, tuple[tuple[str | int, ...], ...]]:
    """Every key of the tenant file and where it may stand: `lists` -> (`mail`,), `role` -> (`users[n]`, ...)."""
    places: dict[str, list[tuple[str | int, ...]]] = {}

    def walk(model: type[BaseModel], at: tuple[str | int, ...]) -> None:
        for name, info in model.model_fields.items():
            places.setdefault(name, []).append(at)
            inner = _model_in(info.annotation)
            if inner is not None:
                walk(inner, (*at, name, -1) if _is_sequence(info.annotation) else (*at, name))

    walk(Tenant, ())
    return {name: tuple(found) for name, found in places.items()}


def _is_sequence(annotation: typing.Any) -> bool:
    if typing.get_origin(annotation) in (tuple, list):
        return True
    return any(_is_sequence(arg) for arg in typing.get_args(annotation) if typing.get_origin(arg) is not None)


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


def _field_info(loc: tuple[str | int, ...]) -> typing.Any:
    """The pydantic field at `loc` (list positions skipped), or None."""
    model: type[BaseModel] | None = Tenant
    info = None
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None:
            return None
        info = model.model_fields.get(part)
        if info is None:
            return None
        model = _model_in(info.annotation)
    return info


def _enum_in(annotation: typing.Any) -> type[enum.Enum] | None:
    if isinstance(annotation, type) and issubclass(annotation, enum.Enum):
        return annotation
    for arg in typing.get_args(annotation):
        found = _enum_in(arg)
        if found is not None:
            return found
    return None


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
