"""Transient failures are retried through the shared `send`; JMAP calls are the unit a fault hits."""

from __future__ import annotations

from dataclasses import replace

import pytest

from components.stalwart.client import StalwartClient, StalwartSettings
from tests.emulators.loopback import FaultKind
from tests.emulators.stalwart import StalwartEmulator

from .conftest import DOMAIN, domain_object


@pytest.mark.parametrize("kind", ["429", "503", "drop"])
def test_transient_failure_of_a_write_is_retried(
    client: StalwartClient, stalwart: StalwartEmulator, kind: FaultKind
) -> None:
    stalwart.fail_next("x:Domain/set", kind, times=2)

    client.create("x:Domain", domain_object(), f"domain {DOMAIN}")

    statuses = [c.status for c in stalwart.calls if c.methods == ("x:Domain/set",)]
    assert statuses[-1] == 200 and len(statuses) == 3
    assert client.find_domain(DOMAIN) is not None


def test_call_that_hangs_past_the_timeout_is_retried(
    settings: StalwartSettings, stalwart: StalwartEmulator
) -> None:
    stalwart.hang_seconds = 1.0
    stalwart.fail_next("x:Domain/query", "hang")

    with StalwartClient(replace(settings, timeout=0.2)) as client:
        assert client.find_domain(DOMAIN) is None

    assert [c.status for c in stalwart.calls] == [None, 200]
