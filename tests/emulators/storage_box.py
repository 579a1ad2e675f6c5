"""A stateful emulator of Hetzner's Storage Box API (boxes, subaccounts, actions), checked against shapes.

Every request and response goes through openapi-core with the OpenAPI description in `storage_box_spec.py`,
derived from hcloud-python because Hetzner's own spec for this API could not be obtained. A request the shapes
or the API's rules (`storage_box_state.py`) reject gets the real error body (400 `invalid_input` with
`details.fields`, 401, 404, 409) and is recorded in `invalid_requests`; the `storage_box` fixture fails a test
that leaves one unclaimed. A response that breaks the shapes is an emulator bug (status 599, test fails).
Faults and rate-limit headers behave as in the Cloud DNS emulator (`hetzner_dns.py`).
"""

from __future__ import annotations

from tests.emulators.base import emulator_fixtures
from tests.emulators.hetzner_cloud import HetznerCloudEmulator
from tests.emulators.storage_box_spec import storage_box_openapi
from tests.emulators.storage_box_state import StorageBoxProject

TOKEN = "emulator-storage-box-token"
_REAL_HOST = "https://api.hetzner.com"


class StorageBoxEmulator(HetznerCloudEmulator):
    """The Storage Box API of one project, served at `url` once a `LoopbackServer` runs it."""

    token = TOKEN
    real_host = _REAL_HOST
    spec_name = "shapes"
    check_undescribed_replies = False

    def _new_project(self) -> StorageBoxProject:
        return StorageBoxProject()


storage_box_session, storage_box = emulator_fixtures(
    "storage_box",
    lambda: StorageBoxEmulator(storage_box_openapi()),
    server_fixture="storage_box_session",
    service="the API",
    url_suffix="/v1",
    doc="A fresh emulated project at `.url` (bearer `TOKEN`); fails on unclaimed invalid requests or bugs.",
)
