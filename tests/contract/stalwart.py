"""How a recording of the real Stalwart is replayed against `tests/emulators/stalwart.py`."""

from __future__ import annotations

from typing import Any

import httpx

from components.stalwart.client import _problem_detail
from tests.contract.replay import Adapter
from tests.emulators.stalwart import TOKEN, StalwartEmulator, registry_schema


def _error_text(status: int, body: Any) -> str:
    return _problem_detail(httpx.Response(status, json=body))


ADAPTER = Adapter(
    service="stalwart",
    make_emulator=lambda: StalwartEmulator(registry_schema()),
    auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
    error_text=_error_text,
    id_keys=frozenset({"id", "ids", "domainId", "objectId"}),
    literal_keys=frozenset({"type", "@type"}),
)
