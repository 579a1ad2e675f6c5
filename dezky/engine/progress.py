"""Progress of a long apply on a terminal: resources done of those planned, and the tenant being worked on."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TextIO

from pulumi import automation as auto

from dezky.review.model import DYNAMIC_PREFIX, urn_name

_COUNTED = frozenset({auto.OpType.CREATE, auto.OpType.UPDATE, auto.OpType.REPLACE, auto.OpType.DELETE})


@dataclass
class ApplyProgress:
    """Follows an apply's engine events and keeps one status line up to date on `stream`."""

    stream: TextIO
    total: int = 0
    done: int = 0
    tenant: str = ""
    _width: int = field(default=0, repr=False)

    def planned(self, changes: dict[str, int]) -> None:
        self.total = sum(changes.values())

    def on_event(self, event: auto.EngineEvent) -> None:
        finished = event.res_outputs_event or event.res_op_failed_event
        step = finished.metadata if finished is not None else None
        if step is None or step.op not in _COUNTED or not step.type.startswith(DYNAMIC_PREFIX):
            return
        self.done += 1
        self.tenant = urn_name(step.urn).partition(":")[0]
        self._show(f"{self.done}/{self.total or '?'} resources applied; now: {self.tenant}")

    def finish(self) -> None:
        if self._width:
            self.stream.write("\n")
            self.stream.flush()

    def _show(self, text: str) -> None:
        self.stream.write("\r" + text.ljust(self._width))
        self.stream.flush()
        self._width = max(self._width, len(text))
