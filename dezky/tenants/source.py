"""Reading a tenant file safely, keeping where every value stands in it.

PyYAML's composer gives a node tree with line and column marks; converting that tree ourselves (instead of
`yaml.safe_load`) lets us keep a position for every field path, refuse duplicate keys and refuse aliases before
any of them can be expanded into a billion laughs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from dezky.tenants.problems import Location, Problem

MAX_FILE_BYTES = 1024 * 1024
MAX_NODES = 100_000

try:  # the C composer is ten times faster; fall back where libyaml is missing
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - depends on how PyYAML was built
    _Loader = yaml.SafeLoader

FieldPath = tuple[str | int, ...]


@dataclass
class SourceDocument:
    """A tenant file's data together with the position of every field in it."""

    path: Path
    data: Any
    positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)
    key_positions: dict[FieldPath, tuple[int, int]] = field(default_factory=dict)

    def locate(self, loc: FieldPath, at_key: bool = False) -> Location:
        """The position of `loc` (its value, or its key), or of its nearest ancestor that the file spells out."""
        if at_key and tuple(loc) in self.key_positions:
            line, column = self.key_positions[tuple(loc)]
            return Location(self.path, line, column, tuple(loc))
        for end in range(len(loc), -1, -1):
            found = self.positions.get(tuple(loc[:end]))
            if found is not None:
                return Location(self.path, found[0], found[1], tuple(loc))
        return Location(self.path, 1, 1, tuple(loc))


class SourceError(Exception):
    def __init__(self, problem: Problem) -> None:
        super().__init__(problem.render())
        self.problem = problem


def read_source(path: Path) -> SourceDocument:
    """Read and compose one tenant file, or raise SourceError naming what is wrong and where."""
    text = _read_text(path)
    _refuse_tabs(path, text)
    try:
        root = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        message = exc.problem or exc.context or "not valid YAML"
        raise SourceError(Problem(Location(path, line, column, ()), f"YAML syntax: {message}")) from None
    except yaml.YAMLError as exc:
        raise SourceError(Problem(Location(path, 1, 1, ()), f"YAML syntax: {exc}")) from None
    document = SourceDocument(path=path, data=None)
    if root is None:
        raise SourceError(Problem(Location(path, 1, 1, ()), "the file is empty; a tenant file is a mapping"))
    document.data = _Converter(document).convert(root, ())
    return document


def _read_text(path: Path) -> str:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SourceError(
            Problem(Location(path, 1, 1, ()), f"the file is {size} bytes; tenant files are limited to 1 MiB")
        )
    raw = path.read_bytes()
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


class _Converter:
    """Turns composed nodes into plain data, recording positions and refusing aliases and duplicate keys."""

    def __init__(self, document: SourceDocument) -> None:
        self.document = document
        self.seen: set[int] = set()
        self.count = 0
        self.constructor = yaml.constructor.SafeConstructor()

    def convert(self, node: yaml.Node, loc: FieldPath) -> Any:
        self._guard(node, loc)
        here = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.ScalarNode):
            self.document.positions[loc] = here  # point at the value itself, not at its key
        else:
            self.document.positions.setdefault(loc, here)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, loc)
        if isinstance(node, yaml.SequenceNode):
            return [self.convert(item, (*loc, index)) for index, item in enumerate(node.value)]
        return self._scalar(node, loc)

    def _guard(self, node: yaml.Node, loc: FieldPath) -> None:
        if id(node) in self.seen:
            raise self._error(
                node, loc, "anchors and aliases are not allowed in tenant files; write values out"
            )
        self.seen.add(id(node))
        self.count += 1
        if self.count > MAX_NODES:
            raise self._error(node, loc, f"more than {MAX_NODES} values; a tenant file is not that large")

    def _mapping(self, node: yaml.MappingNode, loc: FieldPath) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == "tag:yaml.org,2002:merge":
                raise self._error(key_node, loc, "merge keys (<<) are not allowed in tenant files")
            if not isinstance(key_node, yaml.ScalarNode):
                raise self._error(key_node, loc, "mapping keys must be plain strings")
            key = str(key_node.value)
            key_loc = (*loc, key)
            if key in result:
                first = self.document.key_positions[key_loc]
                raise self._error(
                    key_node, key_loc, f"duplicate key `{key}` (first defined on line {first[0]})"
                )
            here = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
            self.document.key_positions[key_loc] = here
            self.document.positions[key_loc] = here
            result[key] = self.convert(value_node, key_loc)
        return result

    def _scalar(self, node: yaml.Node, loc: FieldPath) -> Any:
        # The safe constructor gives `true`, `12`, dates and nulls their YAML meaning and refuses unsafe tags.
        try:
            return self.constructor.construct_object(node, deep=True)
        except yaml.constructor.ConstructorError as exc:
            raise self._error(node, loc, f"cannot read this value: {exc.problem}") from None

    def _error(self, node: yaml.Node, loc: FieldPath, message: str) -> SourceError:
        mark = node.start_mark
        return SourceError(
            Problem(Location(self.document.path, mark.line + 1, mark.column + 1, loc), message)
        )
