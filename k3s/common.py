"""Pieces every platform service shares: labels, the await switch, environment entries, object metadata."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

#: the Pulumi Kubernetes provider's switch for "do not wait for this object to become ready"
SKIP_AWAIT = "pulumi.com/skipAwait"


def app_labels(app: str, component: str) -> dict[str, str]:
    """The selector labels of one workload (stable: a selector cannot change once a workload exists)."""
    return {"app.kubernetes.io/name": app, "app.kubernetes.io/component": component}


def all_labels(app: str, component: str) -> dict[str, str]:
    return {**app_labels(app, component), "app.kubernetes.io/part-of": "dezky"}


def await_annotations(skip_await: bool) -> dict[str, str]:
    """Empty in production, so the tenants' providers run only once the services answer; tests against an
    API server without kubelet set `skip_await` (their pods stay Pending for ever)."""
    return {SKIP_AWAIT: "true"} if skip_await else {}


def metadata(
    name: str, namespace: str | None, labels: Mapping[str, str], annotations: Mapping[str, str] | None = None
) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": dict(labels)}
    if namespace is not None:
        meta["namespace"] = namespace
    if annotations:
        meta["annotations"] = dict(annotations)
    return meta


def plain_env(values: Mapping[str, pulumi.Input[str]]) -> list[dict[str, Any]]:
    return [{"name": name, "value": value} for name, value in values.items()]


def secret_env(secret: str, keys: Mapping[str, str]) -> list[dict[str, Any]]:
    """Variables read from a Secret (`{variable: key in the secret}`): the value never enters a pod spec."""
    return [
        {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}
        for name, key in keys.items()
    ]


def secret_strings(values: Mapping[str, pulumi.Input[str]]) -> dict[str, pulumi.Output[str]]:
    """A Secret's `stringData`, each value wrapped as a Pulumi secret so no plaintext reaches the state."""
    return {key: pulumi.Output.secret(value) for key, value in values.items()}


@dataclass(frozen=True)
class Backend:
    """A Service in the cluster that an ingress host routes to."""

    namespace: str
    service: str
    port: int
