"""Real DKIM key pairs for the Stalwart emulator, made the way the server makes them.

Stalwart generates a PKCS#8 Ed25519 key or an RSA 2048 key and serves the public half as base64: the raw 32-byte
key for Ed25519 (RFC 8463), DER for RSA. The `cryptography` package is used when it is installed; the project's
test environment does not ship it, so the `openssl` command line (on every Debian machine) is the fallback. Both
give real keys; there is no fake-key path, so a machine with neither fails loudly instead of testing less.
"""

from __future__ import annotations

import base64
import shutil
import subprocess
from dataclasses import dataclass
from typing import Literal

Algorithm = Literal["ed25519", "rsa"]
RSA_BITS = 2048
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")  # SubjectPublicKeyInfo header before the key


@dataclass(frozen=True)
class KeyPair:
    algorithm: Algorithm
    private_pem: str
    public_key: str  # base64, as the server's `publicKey` and the DKIM record's `p=` carry it


def generate(algorithm: Algorithm) -> KeyPair:
    try:
        return _with_cryptography(algorithm)
    except ImportError:
        return _with_openssl(algorithm)


def _with_cryptography(algorithm: Algorithm) -> KeyPair:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

    key = (
        ed25519.Ed25519PrivateKey.generate()
        if algorithm == "ed25519"
        else rsa.generate_private_key(65537, RSA_BITS)
    )
    private_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    spki = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return KeyPair(algorithm, private_pem, _public_value(algorithm, spki))


def _with_openssl(algorithm: Algorithm) -> KeyPair:
    openssl = shutil.which("openssl")
    if openssl is None:
        raise RuntimeError(
            "the Stalwart emulator needs `cryptography` or the openssl command to make DKIM keys"
        )
    options = ["-algorithm", "ed25519"] if algorithm == "ed25519" else [
        "-algorithm", "RSA", "-pkeyopt", f"rsa_keygen_bits:{RSA_BITS}",
    ]  # fmt: skip
    private_pem = subprocess.run(
        [openssl, "genpkey", *options], check=True, capture_output=True, text=True
    ).stdout
    spki = subprocess.run(
        [openssl, "pkey", "-pubout", "-outform", "DER"],
        input=private_pem.encode(),
        check=True,
        capture_output=True,
    ).stdout
    return KeyPair(algorithm, private_pem, _public_value(algorithm, spki))


def _public_value(algorithm: Algorithm, spki: bytes) -> str:
    if algorithm == "ed25519":
        if not spki.startswith(_ED25519_SPKI_PREFIX) or len(spki) != len(_ED25519_SPKI_PREFIX) + 32:
            raise RuntimeError("unexpected Ed25519 SubjectPublicKeyInfo")
        return base64.b64encode(spki[len(_ED25519_SPKI_PREFIX) :]).decode()
    return base64.b64encode(spki).decode()
