"""What the estate's providers share beyond `ObjectProvider`: outputs only the server knew, and new passwords.

A Storage Box or subaccount password is only ever sent, never returned. `ObjectProvider` keeps such `kept_state`
keys across an update; `EstateObjectProvider` also keeps them across a read, which otherwise rebuilds state from
the inputs and the server's answer alone, so a `pulumi refresh` would forget the password.
"""

from __future__ import annotations

import secrets
import string
from typing import Any

from pulumi.dynamic import ReadResult

from components.common.provider import ObjectProvider

# Hetzner asks for upper and lower case, digits and special characters; these specials need no quoting in a
# shell, an rclone config or a restic repository URL.
_SPECIALS = "-_.+=@"
_ALPHABET = string.ascii_letters + string.digits + _SPECIALS


def new_password(length: int = 32) -> str:
    """A random password with at least one character of each class Hetzner's policy asks for."""
    while True:
        candidate = "".join(secrets.choice(_ALPHABET) for _ in range(length))
        if all(any(c in group for c in candidate) for group in _CLASSES):
            return candidate


_CLASSES = (string.ascii_lowercase, string.ascii_uppercase, string.digits, _SPECIALS)


class EstateObjectProvider(ObjectProvider):
    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        result = super().read(id_, props)
        if result.id is None:
            return result
        kept = {key: props[key] for key in self.kept_state if props.get(key) is not None}
        return ReadResult(result.id, {**(result.outs or {}), **kept})
