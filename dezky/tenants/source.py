"""Reading a tenant file safely, keeping where every value stands in it.

We build the data from PyYAML's event stream (libyaml's parser) instead of `yaml.safe_load`: every event
carries its line and column, so each field path can get a position; duplicate keys and merge keys are refused;
and an anchor is refused where it stands, before any alias to it could be expanded into a billion laughs.

Positions are only needed to report a problem, which most files do not have: the first pass builds the data
alone, and a file's positions are worked out by a second pass over its text when first asked for. The same
code makes both passes, so they refuse the same things.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dezky.tenants.problems import Location, Problem
from dezky.tenants.syntax import explain

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000

try:  # libyaml's parser is ten times faster; fall back where PyYAML was built without it
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

FieldPath = tuple[str | int, ...]

_STR_TAG = "tag:yaml.org,2002:str"
_MERGE_TAG = "tag:yaml.org,2002:merge"
_TIMESTAMP_TAG = "tag:yaml.org,2002:timestamp"
_COLLECTION_TAGS = frozenset({"!", "tag:yaml.org,2002:map", "tag:yaml.org,2002:seq"})
# The loader's own table of implicit tags (`true`, `12`, `2026-01-31`, `~`) by first character, so plain
# scalars mean exactly what they mean to `yaml.safe_load`.
_IMPLICIT_RESOLVERS: dict[str, list[tuple[str, Any]]] = _Loader.yaml_implicit_resolvers
_ScalarEvent, _AliasEvent = yaml.ScalarEvent, yaml.AliasEvent
_MappingStart, _MappingEnd = yaml.MappingStartEvent, yaml.MappingEndEvent
_SequenceStart, _SequenceEnd = yaml.SequenceStartEvent, yaml.SequenceEndEvent


@dataclass
class SourceDocument:
    """A tenant file's data, and where each field of it stands in the file."""

    path: Path
    data: Any
    text: str = field(default="", repr=False)
    _positions: _Positions | None = field(default=None, repr=False)

    @property
    def positions(self) -> dict[FieldPath, tuple[int, int]]:
        """`(line, column)` of every value (of its key, for a mapping or list under a key)."""
        return self._located().values

    @property
    def key_positions(self) -> dict[FieldPath, tuple[int, int]]:
        """`(line, column)` of every mapping key."""
        return self._located().keys

    def locate(self, loc: FieldPath, at_key: bool = False) -> Location:
        """The position of `loc` (its value, or its key), or of its nearest ancestor that the file spells out."""
        loc = tuple(loc)
        found = self.key_positions.get(loc) if at_key else None
        end = len(loc)
        while found is None and end >= 0:
            found = self.positions.get(loc[:end])
            end -= 1
        line, column = found or (1, 1)
        return Location(self.path, line, column, loc)

    def _located(self) -> _Positions:
        if self._positions is None:
            positions = _Positions()
            _Builder(self.path, positions).build(self.text)
            self._positions = positions
        return self._positions


@dataclass
class _Positions:
    values: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)


class SourceError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def read_source(path: Path, text: str | None = None) -> SourceDocument:
    """Read one tenant file (or `text` as if it were the file), or raise SourceError naming what is wrong and where."""
    if text is None:
        text = _read_text(path)
    _refuse_tabs(path, text)
    builder = _Builder(path, positions=None)
    try:
        try:
            data = builder.build(text)
        except _NeedsPositions:  # the file is refused: read it again, noting positions, to say where
            _Builder(path, _Positions()).build(text)
            raise AssertionError("the second pass refuses what the first refused") from None
    except yaml.MarkedYAMLError as exc:
        explained = explain(text, exc)
        raise SourceError(
            Problem(Location(path, explained.line, explained.column, _where(path, text)), explained.message)
        ) from None
    except yaml.YAMLError as exc:
        raise SourceError(Problem(Location(path, 1, 1, ()), f"YAML syntax: {exc}")) from None
    if builder.documents == 0:
        raise SourceError(Problem(Location(path, 1, 1, ()), "the file is empty; a tenant file is a mapping"))
    return SourceDocument(path=path, data=data, text=text)


def _where(path: Path, text: str) -> FieldPath:
    """The field a YAML syntax error stands in: what was open when the parser stopped."""
    builder = _Builder(path, _Positions())
    with contextlib.suppress(yaml.YAMLError, SourceError):
        builder.build(text)
    return builder.open_at_error


def _read_text(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise SourceError(
                Problem(
                    Location(path, 1, 1, ()), f"the file is {size} bytes; tenant files are limited to 1 MiB"
                )
            )
        raw = path.read_bytes()
    except OSError as exc:
        raise SourceError(
            Problem(Location(path, 1, 1, ()), f"cannot read the file: {exc.strerror}")
        ) from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SourceError(
            Problem(
                Location(path, line, column, ()), f"not UTF-8: byte 0x{raw[exc.start]:02x} cannot be decoded"
            )
        ) from None


def _refuse_tabs(path: Path, text: str) -> None:
    offset = text.find("\t")
    if offset < 0:
        return
    line = text.count("\n", 0, offset) + 1
    column = offset - (text.rfind("\n", 0, offset) + 1) + 1
    raise SourceError(
        Problem(Location(path, line, column, ()), "tab character; indent and separate with spaces")
    )


@dataclass(slots=True)
class _Open:
    """A mapping or sequence being filled; for a mapping, the key whose value comes next."""

    value: Any
    loc: FieldPath
    is_mapping: bool
    key: str | None = None


class _NeedsPositions(Exception):
    """Raised by a pass that notes no positions when it must refuse the file: the caller reads it again."""


class _Builder:
    """Plain data from a YAML event stream; with `positions`, also the position of every value and key."""

    def __init__(self, path: Path, positions: _Positions | None) -> None:
        self.path = path
        self.positions = positions
        self.constructor = yaml.constructor.SafeConstructor()
        self.documents = 0
        self.count = 0
        self.open_at_error: FieldPath = ()

    def build(self, text: str) -> Any:
        loader = _Loader(text)
        try:
            return self._build(loader.get_event)
        finally:
            loader.dispose()

    def _build(self, next_event: Callable[[], yaml.Event | None]) -> Any:
        stack: list[_Open] = []
        try:
            return self._build_events(next_event, stack)
        except yaml.MarkedYAMLError:  # note what was open, to name the field a syntax error stands in
            if stack:
                top = stack[-1]
                key = top.key if top.is_mapping else None
                self.open_at_error = top.loc if key is None else (*top.loc, key)
            raise

    def _build_events(self, next_event: Callable[[], yaml.Event | None], stack: list[_Open]) -> Any:
        # The hot loop of `dezky validate`: one pass over every event of the file. It dispatches on the exact
        # event class and keeps the common case, a string value, free of further calls.
        root: Any = None
        positions = self.positions.values if self.positions is not None else None
        while (event := next_event()) is not None:
            kind = type(event)
            if kind is _MappingEnd or kind is _SequenceEnd:
                value = stack.pop().value
            elif (
                kind is _ScalarEvent or kind is _MappingStart or kind is _SequenceStart or kind is _AliasEvent
            ):
                self.count += 1
                if event.anchor is not None or self.count > MAX_NODES:
                    raise self._refusal(event, stack)
                parent = stack[-1] if stack else None
                if parent is not None and parent.is_mapping and parent.key is None:
                    self._open_key(parent, event)
                    continue
                # Field paths are only worth building when positions are noted.
                loc: FieldPath = () if positions is None or parent is None else self._child_loc(parent)
                if kind is not _ScalarEvent:
                    if event.tag is not None and event.tag not in _COLLECTION_TAGS:
                        raise self._error(event, loc, _tag_refused(event.tag))
                    if positions is not None:
                        positions.setdefault(loc, _position(event))
                    is_mapping = kind is _MappingStart
                    stack.append(_Open({} if is_mapping else [], loc, is_mapping))
                    continue
                if positions is not None:
                    positions[loc] = _position(event)  # the value itself, not its key
                value = event.value
                # Quoted and block scalars are strings; a plain one may be `true`, `12`, `~` or a date.
                if event.tag is not None or (event.implicit[0] and _implicit_tag(value) != _STR_TAG):
                    value = self._typed_scalar(event, loc)
            else:
                if kind is yaml.DocumentStartEvent:
                    self._open_document(event)
                continue
            if not stack:
                root = value
            elif (parent := stack[-1]).is_mapping:
                parent.value[parent.key] = value
                parent.key = None
            else:
                parent.value.append(value)
        return root

    @staticmethod
    def _child_loc(parent: _Open) -> FieldPath:
        return (*parent.loc, parent.key if parent.is_mapping else len(parent.value))  # type: ignore[arg-type]

    def _open_document(self, event: yaml.DocumentStartEvent) -> None:
        self.documents += 1
        if self.documents > 1:
            raise self._error(event, (), "YAML syntax: a tenant file is one document; found a second `---`")

    def _open_key(self, parent: _Open, event: yaml.NodeEvent) -> None:
        if not isinstance(event, yaml.ScalarEvent):
            raise self._error(event, parent.loc, "mapping keys must be plain strings")
        key = event.value
        if key == "<<" and self._tag(event) == _MERGE_TAG:
            raise self._error(event, parent.loc, "merge keys (<<) are not allowed in tenant files")
        if key in parent.value:
            key_loc = (*parent.loc, key)
            first = self.positions.keys[key_loc][0] if self.positions is not None else 0
            raise self._error(event, key_loc, f"duplicate key `{key}` (first defined on line {first})")
        if self.positions is not None:
            key_loc = (*parent.loc, key)
            self.positions.keys[key_loc] = self.positions.values[key_loc] = _position(event)
        parent.key = key

    def _refusal(self, event: yaml.NodeEvent, stack: list[_Open]) -> SourceError:
        """An anchor or alias (an alias could expand into a billion laughs), or one value too many."""
        parent = stack[-1] if stack else None
        if parent is None:
            loc: FieldPath = ()
        elif not parent.is_mapping:
            loc = (*parent.loc, len(parent.value))
        elif parent.key is not None:
            loc = (*parent.loc, parent.key)
        else:  # the node is a key: name it by its text, as `_open_key` would
            key = getattr(event, "value", None)
            loc = (*parent.loc, key) if isinstance(key, str) else parent.loc
        if event.anchor is not None:  # an alias event's `anchor` is the name it refers to
            message = "anchors (&) and aliases (*) are not allowed in tenant files; write values out"
        else:
            message = f"more than {MAX_NODES} values; a tenant file is not that large"
        return self._error(event, loc, message)

    def _typed_scalar(self, event: yaml.ScalarEvent, loc: FieldPath) -> Any:
        tag = self._tag(event)
        if tag == _STR_TAG:
            return event.value
        if tag not in self.constructor.yaml_constructors:  # `!!python/object:...` and other unsafe tags
            raise self._error(event, loc, _tag_refused(tag))
        # The safe constructor gives `true`, `12`, dates and nulls their YAML meaning.
        node = yaml.ScalarNode(tag, event.value, event.start_mark, event.end_mark, event.style)
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:  # e.g. `!!map` on a scalar
            raise self._error(event, loc, f"cannot read this value: {exc.problem}") from None
        except (ValueError, OverflowError) as exc:  # e.g. `2026-13-01`, or an integer of 5,000 digits
            if tag == _TIMESTAMP_TAG:  # the model says what is wrong with the date, among every other problem
                return event.value
            kind = tag.rsplit(":", 1)[-1]
            detail = str(exc).split(";")[0]
            raise self._error(event, loc, f"cannot read this value as {kind}: {detail}") from None

    @staticmethod
    def _tag(event: yaml.ScalarEvent) -> str:
        """The scalar's tag, resolved as PyYAML's composer resolves it."""
        if event.tag is not None and event.tag != "!":
            return str(event.tag)
        if event.implicit[0]:  # plain, unquoted: `true`, `12` and `~` are not strings
            return _implicit_tag(event.value)
        return _STR_TAG

    def _error(self, event: yaml.Event, loc: FieldPath, message: str) -> Exception:
        if self.positions is None:
            return _NeedsPositions()
        line, column = _position(event)
        return SourceError(Problem(Location(self.path, line, column, loc), message))


def _position(event: yaml.Event) -> tuple[int, int]:
    mark = event.start_mark
    return mark.line + 1, mark.column + 1


@functools.lru_cache(maxsize=4096)  # `10GiB`, `member`, dates: the same plain values recur in every file
def _implicit_tag(value: str) -> str:
    """The tag YAML gives a plain scalar by its look: `true`, `12`, `~` and `2026-01-31` are not strings."""
    for tag, pattern in _IMPLICIT_RESOLVERS.get(value[:1], ()):
        if pattern.match(value):
            return str(tag)
    return _STR_TAG


def _tag_refused(tag: str) -> str:
    short = tag.replace("tag:yaml.org,2002:", "!!")
    return f"cannot read this value: the tag `{short}` is not allowed in tenant files"
