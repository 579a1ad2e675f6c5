"""The providers signed in as Stalwart 0.16's recovery admin (HTTP Basic, `STALWART_RECOVERY_ADMIN` at the
server's start): the credential the program generates for the host's Stalwart. Needs the admin's password in
`DEZKY_ACC_STALWART_ADMIN_PASSWORD`; skipped without it."""

from __future__ import annotations

import os
from dataclasses import replace
from typing import Any

import pytest
from pulumi.dynamic import Config, ConfigureRequest

from components.common.http import ApiError
from components.stalwart.client import StalwartClient, StalwartSettings
from components.stalwart.provider import DomainProvider

from .conftest import Tier


def admin_password() -> str:
    password = os.environ.get("DEZKY_ACC_STALWART_ADMIN_PASSWORD", "")
    if not password:
        pytest.skip("DEZKY_ACC_STALWART_ADMIN_PASSWORD (the recovery admin's password) is not set")
    return password


def as_recovery_admin(tier: Tier) -> DomainProvider:
    provider = DomainProvider()
    raw = {
        "dezky:stalwartUrl": tier.rec.url,
        "dezky:stalwartAdminPassword": tier.rec.secret(admin_password()),
    }
    provider.configure(ConfigureRequest(Config(raw, "dezky")))  # type: ignore[arg-type]
    provider.settings = replace(provider.settings, timeout=30.0, dkim_wait=60.0, poll_interval=0.2)
    return provider


def inputs(domain: str) -> dict[str, Any]:
    return {"domain": domain, "catch_all": None, "purge": False, "stalwart_id": None, "dkim_keys": None}


def test_the_recovery_admin_creates_reads_and_adopts_with_no_token(tier: Tier) -> None:
    provider, domain = as_recovery_admin(tier), tier.domain("recovery")

    created = provider.create(inputs(domain))
    mark = tier.mark()
    adopted = provider.create(inputs(domain))

    assert provider.read(created.id, created.outs).outs == created.outs
    assert adopted.outs["stalwart_id"] == created.outs["stalwart_id"]
    assert tier.sets(mark) == 0


def test_a_wrong_recovery_admin_password_is_refused_with_the_servers_401(tier: Tier) -> None:
    admin_password()
    # Straight to the server, not recorded: a replay presents the emulator's valid credential.
    settings = StalwartSettings(tier.server.url, admin_password="not-the-recovery-password", timeout=30.0)

    with StalwartClient(settings) as client, pytest.raises(ApiError) as refused:
        client.find_domain(tier.domain("refused"))

    assert refused.value.status == 401
    assert "not-the-recovery-password" not in str(refused.value)
