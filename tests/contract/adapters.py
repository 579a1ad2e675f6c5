"""Every service whose recordings the contract test replays, by the folder name under `tests/recordings/`."""

from __future__ import annotations

from tests.contract import authentik, ocis, stalwart
from tests.contract.replay import Adapter

ADAPTERS: dict[str, Adapter] = {a.service: a for a in (authentik.ADAPTER, stalwart.ADAPTER, ocis.ADAPTER)}
