"""YAML syntax errors told in the file's own terms: which line, which key, and what to indent or quote.

PyYAML says `did not find expected '-' indicator` or `mapping values are not allowed in this context`; an operator
needs to hear that `role:` on line 12 stands in the column of the list's `- ` items, or that a value holds `: `
and wants quotes. Each explanation reads the lines around PyYAML's marks; what it does not recognise keeps
PyYAML's own words.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import yaml

_KEY = re.compile(r"(?P<indent> *)(?P<dash>- +)?(?P<key>[^\s#:'\"\[{][^#:]*?|'[^']*'|\"[^\"]*\")\s*:(?:\s|$)")


@dataclass(frozen=True)
class Explained:
    line: int
    column: int
    message: str


def explain(text: str, exc: yaml.MarkedYAMLError) -> Explained:
    """Where the syntax error is and what to change, each message starting `YAML syntax: `."""
    found = _explain(text, exc)
    return Explained(found.line, found.column, f"YAML syntax: {found.message.removeprefix('YAML syntax: ')}")


def _explain(text: str, exc: yaml.MarkedYAMLError) -> Explained:
    lines = text.split("\n")
    problem, context = exc.problem_mark, exc.context_mark
    line, column = (problem.line + 1, problem.column + 1) if problem else (1, 1)
    fallback = Explained(line, column, f"YAML syntax: {exc.problem or exc.context or 'not valid YAML'}")
    reading = _Lines(lines)
    what = exc.problem or ""
    try:
        if what.startswith("mapping values are not allowed"):
            return reading.colon_out_of_place(line, column) or fallback
        if what == "did not find expected '-' indicator" and context is not None:
            return reading.not_a_list_item(line, column, context.line + 1, context.column + 1) or fallback
        if what == "did not find expected key" and context is not None:
            return reading.key_out_of_line(line, column, context.line + 1, context.column + 1) or fallback
        if what == "could not find expected ':'" and context is not None:
            start = context.line + 1
            return Explained(
                start,
                context.column + 1,
                f"`{reading.text(start).strip()}` is neither `key: value` nor a list item `- value`; "
                "a key needs `: ` after it",
            )
        if what == "found character that cannot start any token":
            char = reading.char(line, column)
            shown = "`` ` ``" if char == "`" else f"`{char}`"
            return Explained(line, column, f"a value cannot start with {shown}; put the value in quotes")
        if (
            what == "found unexpected end of stream"
            and context is not None
            and "quoted" in (exc.context or "")
        ):
            quote = reading.char(context.line + 1, context.column + 1)
            return Explained(
                context.line + 1,
                context.column + 1,
                f"the quote `{quote}` opened here is never closed; end the value with a matching `{quote}`",
            )
        if what.startswith("did not find expected ','") and context is not None:
            opening = reading.char(context.line + 1, context.column + 1)
            closing = "]" if opening == "[" else "}"
            return Explained(
                context.line + 1,
                context.column + 1,
                f"the `{opening}` opened here is not closed with `{closing}` (or its entries are not separated "
                f"by `, `) before line {line}",
            )
    except IndexError:  # a mark past the text: keep PyYAML's words
        return fallback
    return fallback


class _Lines:
    def __init__(self, lines: list[str]) -> None:
        self.lines = lines

    def text(self, line: int) -> str:
        return self.lines[line - 1] if 0 < line <= len(self.lines) else ""

    def char(self, line: int, column: int) -> str:
        return self.text(line)[column - 1 : column] or "?"

    def key_at(self, line: int) -> tuple[str, int] | None:
        """The key a line starts with and its column (after any `- `), or None."""
        match = _KEY.match(self.text(line))
        if match is None:
            return None
        return match["key"].strip(), match.start("key") + 1

    def previous_content(self, line: int) -> int | None:
        """The nearest line above `line` that is neither blank nor only a comment."""
        for number in range(line - 1, 0, -1):
            stripped = self.text(number).strip()
            if stripped and not stripped.startswith("#"):
                return number
        return None

    def colon_out_of_place(self, line: int, column: int) -> Explained | None:
        own = self.key_at(line)
        if own is not None and own[1] + len(own[0]) < column - 1:
            # `name: Praxis: Dr. Weber`: the colon is inside the value.
            key = own[0]
            value = self.text(line)[self.text(line).index(":", own[1] - 1) + 1 :].strip()
            return Explained(
                line,
                column,
                f"the value of `{key}` holds `: `, which YAML reads as a new key; put the value in quotes: "
                f'{key}: "{value}"',
            )
        above = self.previous_content(line)
        if own is None or above is None:
            return None
        key = own[0]
        indent = len(self.text(line)) - len(self.text(line).lstrip(" ")) + 1
        above_key = self.key_at(above)
        if above_key is None:
            return Explained(
                above,
                1,
                f"`{self.text(above).strip()}` is neither `key: value` nor a list item `- value`, so `{key}:` "
                f"on line {line} cannot follow it; a key needs `: ` after it",
            )
        if indent > above_key[1]:
            return Explained(
                line,
                indent,
                f"`{key}:` is indented more than `{above_key[0]}:` on line {above}; keys of one mapping start in "
                f"the same column (column {above_key[1]}), and a value with keys of its own starts on a new line "
                "after its key",
            )
        return None

    def not_a_list_item(self, line: int, column: int, start: int, start_column: int) -> Explained | None:
        own = self.key_at(line)
        name = f"`{own[0]}:`" if own else f"`{self.text(line).strip()}`"
        item_column = self._item_key_column(line, start_column)
        if column == start_column:
            return Explained(
                line,
                column,
                f"{name} stands in the column of the list's `- ` items (column {start_column}, the list starts on "
                f"line {start}) but does not start with `- `; indent it to column {item_column} to make it part "
                "of the item above, or start a new item with `- `",
            )
        return Explained(
            line,
            column,
            f"{name} is in column {column}, but the keys of the list item above start in column {item_column}; "
            f"indent it to column {item_column}, or start a new item with `- ` in column {start_column}",
        )

    def _item_key_column(self, line: int, dash_column: int) -> int:
        for number in range(line - 1, 0, -1):
            text = self.text(number)
            if text[dash_column - 1 : dash_column + 1] == "- " and not text[: dash_column - 1].strip():
                rest = text[dash_column:]
                return dash_column + 1 + (len(rest) - len(rest.lstrip(" ")))
        return dash_column + 2

    def key_out_of_line(self, line: int, column: int, start: int, start_column: int) -> Explained | None:
        text = self.text(line).strip()
        if text.startswith("- "):
            return Explained(
                line,
                column,
                f"a list item `- ` in column {column}, where the keys of the mapping from line {start} stand; a "
                "list goes under a key, indented: `key:` on one line, `  - item` on the next",
            )
        own = self.key_at(line)
        name = f"`{own[0]}:`" if own else f"`{text}`"
        columns = self._open_columns(line)
        lined_up = [c for c in columns if c != column]
        if not lined_up:
            return None
        shown = " or ".join(f"column {c}" for c in sorted(set(lined_up)))
        return Explained(
            line,
            column,
            f"{name} in column {column} lines up with no key above it; keys above it start in {shown}: "
            "indent it like the keys it belongs with",
        )

    def _open_columns(self, line: int) -> list[int]:
        """The columns where keys above `line` start, innermost first, that a key on `line` could line up with."""
        columns: list[int] = []
        limit = None
        for number in range(line - 1, 0, -1):
            found = self.key_at(number)
            if found is None:
                continue
            key_column = found[1]
            if limit is None or key_column < limit:
                columns.append(key_column)
                limit = key_column
            if key_column == 1:
                break
        return columns
