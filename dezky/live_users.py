"""A tenant's users as the services have them now: Authentik's account and Stalwart's mailbox for each.

Read through the providers' own `fetch` (the read `pulumi refresh` uses), so `dezky users` and the engine agree
on what a user's state is. A service that cannot be reached is reported once, not once per user.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import httpx
from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.authentik.provider import UserProvider
from components.common.http import ApiError
from components.common.provider import ObjectProvider
from components.stalwart.provider import AccountProvider

UNREACHABLE = "unreachable"
MISSING = "missing"


@dataclass(frozen=True)
class LiveUser:
    authentik: str  # active | disabled | missing | unreachable
    stalwart: str  # enabled | suspended | missing | unreachable


def live_users(emails: Iterable[str], stack_config: Mapping[str, str]) -> dict[str, LiveUser]:
    # The stack's configuration (secrets decrypted), handed over as the engine hands it to a provider.
    config = ConfigureRequest(Config(dict(stack_config), "dezky"))
    authentik = _reader(UserProvider(), config, _login_state)
    stalwart = _reader(AccountProvider(), config, _mailbox_state)
    return {email: LiveUser(authentik(email), stalwart(email)) for email in emails}


def _login_state(found: Mapping[str, Any]) -> str:
    return "active" if found.get("is_active") else "disabled"


def _mailbox_state(found: Mapping[str, Any]) -> str:
    return "suspended" if found.get("suspended") else "enabled"


def _reader(
    provider: ObjectProvider, config: ConfigureRequest, state: Callable[[Mapping[str, Any]], str]
) -> Callable[[str], str]:
    try:
        provider.configure(config)
    except ValueError:
        return lambda _email: UNREACHABLE  # the stack does not say where the service is
    reachable = True

    def read(email: str) -> str:
        nonlocal reachable
        if not reachable:
            return UNREACHABLE
        try:
            found = provider.fetch(email, {"address": email, "username": email, "kind": "user"})
        except (ApiError, httpx.HTTPError, OSError):
            reachable = False
            return UNREACHABLE
        return MISSING if found is None else state(found)

    return read
