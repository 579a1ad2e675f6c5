"""How a recording of the real OCIS is replayed against `tests/emulators/ocis.py`."""

from __future__ import annotations

from typing import Any

import httpx

from components.ocis.client import ROLE_IDS, odata_message
from tests.contract.replay import Adapter
from tests.emulators.ocis import APP_TOKEN, USER, OcisEmulator, basic, ocis_openapi


def _error_text(status: int, body: Any) -> str:
    return odata_message(httpx.Response(status, json=body))


ADAPTER = Adapter(
    service="ocis",
    make_emulator=lambda: OcisEmulator(ocis_openapi()),
    auth_headers=lambda: {"Authorization": basic(USER, APP_TOKEN)},
    error_text=_error_text,
    id_keys=frozenset({"id"}),
    kept_values=frozenset(ROLE_IDS.values()),
    kept_headers=frozenset({"Purge", "Restore"}),
)
