"""Credentials the program makes itself: a random value made once, kept in the state as a secret, never typed.

The platform's services are given these at their first start (Authentik's bootstrap token, Stalwart's admin
password) and the tenant providers are handed the same values through the platform connection
(`components/common/connection.py`), so no operator ever copies a token from one place to another.

A value stays what it is until its `rotation` input changes: then it is made anew (Pulumi replaces the
resource) and everything that holds it is updated from the new output.
"""

from __future__ import annotations

import secrets
import string
import uuid
from typing import Any, Literal

import pulumi
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    Resource,
    ResourceProvider,
    UpdateResult,
)

Alphabet = Literal["alphanumeric", "hex", "uuid"]
ALPHABETS: dict[str, str] = {
    "alphanumeric": string.ascii_letters + string.digits,
    "hex": "0123456789abcdef",
    "uuid": "",  # a random UUID (version 4), for services that want their secret ids in that form
}
MIN_LENGTH = 16
#: inputs that make a new value when they change
REPLACE_KEYS = ("length", "alphabet", "rotation")


def random_value(length: int, alphabet: Alphabet) -> str:
    if alphabet == "uuid":
        return str(uuid.uuid4())
    characters = ALPHABETS[alphabet]
    return "".join(secrets.choice(characters) for _ in range(length))


class GeneratedSecretProvider(ResourceProvider):
    """No server: create draws the value, read keeps what the state has, delete forgets it."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = []
        length = news.get("length")  # numbers arrive as floats over the engine's protocol
        if not isinstance(length, int | float) or length != int(length) or length < MIN_LENGTH:
            failures.append(
                CheckFailure("length", f"a generated secret has at least {MIN_LENGTH} characters")
            )
        if news.get("alphabet") not in ALPHABETS:
            failures.append(CheckFailure("alphabet", f"one of {sorted(ALPHABETS)}"))
        return CheckResult(news, failures)

    def create(self, props: dict[str, Any]) -> CreateResult:
        value = random_value(int(props["length"]), props["alphabet"])
        return CreateResult(props["purpose"], {**_settings(props), "value": value})

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        changed = [key for key in (*REPLACE_KEYS, "purpose") if olds.get(key) != news.get(key)]
        replaces = [key for key in changed if key in REPLACE_KEYS]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult({**_settings(news), "value": olds["value"]})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props)

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        return None


def _settings(props: dict[str, Any]) -> dict[str, Any]:
    return {key: props.get(key) for key in ("purpose", *REPLACE_KEYS)}


class GeneratedSecret(Resource, module="generated", name="Secret"):
    """`value` is the secret; `purpose` says what it is for in the review ("authentik bootstrap token")."""

    value: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        purpose: str,
        length: int = 40,
        alphabet: Alphabet = "alphanumeric",
        rotation: str = "",
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "purpose": purpose,
            "length": length,
            "alphabet": alphabet,
            "rotation": rotation,
            "value": None,
        }
        secret = pulumi.ResourceOptions(additional_secret_outputs=["value"])
        super().__init__(GeneratedSecretProvider(), name, props, pulumi.ResourceOptions.merge(opts, secret))
