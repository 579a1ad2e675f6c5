"""What is wrong in a tenant file, and where: `file:line:column field.path: message`."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, order=True)
class Location:
    path: Path
    line: int
    column: int
    field: tuple[str | int, ...]

    def render_field(self) -> str:
        parts: list[str] = []
        for part in self.field:
            if isinstance(part, int):
                parts.append(f"[{part}]")
            else:
                parts.append(("." if parts else "") + part)
        return "".join(parts) or "(file)"


@dataclass(frozen=True, order=True)
class Problem:
    location: Location
    message: str

    def render(self, relative_to: Path | None = None) -> str:
        path = self.location.path
        if relative_to is not None:
            with contextlib.suppress(ValueError):
                path = path.resolve().relative_to(relative_to.resolve())
        where = f"{path}:{self.location.line}:{self.location.column}"
        return f"{where} {self.location.render_field()}: {self.message}"
