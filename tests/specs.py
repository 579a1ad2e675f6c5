"""The API spec files the emulators validate against, checked against the sha256 they were copied with."""

from __future__ import annotations

import functools
import gzip
import hashlib
import json
from pathlib import Path
from typing import Any

import yaml

SPECS_DIR = Path(__file__).resolve().parent.parent / "specs"

SHA256 = {
    line.split()[1]: line.split()[0]
    for line in (SPECS_DIR / "README.md").read_text().splitlines()
    if len(line.split()) == 2 and len(line.split()[0]) == 64
}


@functools.cache
def spec_bytes(name: str) -> bytes:
    data = gzip.decompress((SPECS_DIR / f"{name}.gz").read_bytes())
    digest = hashlib.sha256(data).hexdigest()
    if digest != SHA256[name]:
        raise RuntimeError(f"specs/{name}.gz does not match its recorded sha256 ({digest})")
    return data


@functools.cache
def load_spec(name: str) -> dict[str, Any]:
    """The parsed spec (JSON or YAML), cached for the session; treat it as read-only."""
    data = spec_bytes(name)
    if name.endswith(".json"):
        return json.loads(data)
    return yaml.load(data, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


PDNS = "pdns-auth-4.7.3-authoritative-api-swagger.yaml"
HETZNER_CLOUD = "hetzner-cloud-api-2026-07-08-cloud.spec.json"
AUTHENTIK = "authentik-2026.5.6-schema.yml"
STALWART_HTTP = "stalwart-0.16.18-openapi.yml"
STALWART_REGISTRY = "stalwart-0.16.18-jmap-registry-schema.json"
LIBRE_GRAPH = "libre-graph-api-v1.0-2c0073c.yaml"
