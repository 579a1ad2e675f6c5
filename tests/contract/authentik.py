"""How a recording of the real Authentik is replayed against `tests/emulators/authentik.py`."""

from __future__ import annotations

from typing import Any

import httpx

from components.authentik.client import error_message
from tests.contract.replay import Adapter
from tests.emulators.authentik import TOKEN, AuthentikEmulator, authentik_openapi


def _error_text(status: int, body: Any) -> str:
    return error_message(httpx.Response(status, json=body))


ADAPTER = Adapter(
    service="authentik",
    make_emulator=lambda: AuthentikEmulator(authentik_openapi()),
    auth_headers=lambda: {"Authorization": f"Bearer {TOKEN}"},
    error_text=_error_text,
    id_keys=frozenset({"pk", "uuid", "brand_uuid", "group_uuid", "policy_binding_uuid", "client_id"}),
    reference_keys=frozenset({"user", "users", "provider", "target", "group", "parent"}),
)
