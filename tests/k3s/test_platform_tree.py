"""The objects `Platform` declares in production mode, checked with Pulumi's mocks (no engine, no cluster)."""

from __future__ import annotations

from collections.abc import Iterator

import pulumi
import pytest

from k3s.authentik import AuthentikSecrets
from k3s.ocis import OcisSecrets, OidcClient, S3Storage
from k3s.platform import Platform, PlatformArgs
from tests.fixtures import pulumi_mocks

WORKLOADS = {"kubernetes:apps/v1:Deployment", "kubernetes:apps/v1:StatefulSet", "kubernetes:core/v1:Service"}
VOLUMES = {"kubernetes:core/v1:PersistentVolumeClaim", "kubernetes:core/v1:PersistentVolume"}


def production_args() -> PlatformArgs:
    return PlatformArgs(
        kubeconfig="apiVersion: v1\nkind: Config\n",
        domain="dezky.eu",
        acme_email="ops@dezky.eu",
        authentik=AuthentikSecrets("key", "token", "password", "db"),
        ocis_oidc=OidcClient("https://id.dezky.eu/application/o/ocis/", "client"),
        ocis_secrets=OcisSecrets(*(f"v{i}" for i in range(len(OcisSecrets.__dataclass_fields__)))),
        ocis_storage=S3Storage("https://fsn1.your-objectstorage.com", "fsn1", "dezky-ocis", "ak", "sk"),
        extra_tls_hosts=("portal.acme.dezky.eu",),
    )


@pytest.fixture
def recording() -> Iterator[pulumi_mocks.RecordingMocks]:
    with pulumi_mocks.mocked(pulumi_mocks.RecordingMocks()) as mocks:
        yield mocks


def registered(platform: Platform) -> pulumi.Output:
    return pulumi.Output.all(platform.authentik_url, platform.ocis_url, platform.collabora_url)


@pulumi.runtime.test
def test_production_waits_for_every_workload_but_never_for_a_volume_claim(recording):
    platform = Platform("platform", production_args())

    def check(_: object) -> None:
        objects = [r for r in recording.resources if r.typ.startswith("kubernetes:") and r.custom]
        workloads = [r for r in objects if r.typ in WORKLOADS]
        volumes = [r for r in objects if r.typ in VOLUMES]
        assert {r.inputs["metadata"]["name"] for r in workloads} == {
            "authentik-postgresql", "authentik-server", "authentik-worker",
            "ocis", "ocis-wopi", "collabora",
        }  # fmt: skip
        assert {r.inputs["metadata"]["name"] for r in volumes} == {"authentik-postgresql-data", "ocis-data"}
        for workload in workloads:
            assert "pulumi.com/skipAwait" not in workload.inputs["metadata"].get("annotations", {})
        for volume in volumes:
            assert volume.inputs["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"

    return registered(platform).apply(check)


@pulumi.runtime.test
def test_every_object_goes_through_the_explicit_provider(recording):
    platform = Platform("platform", production_args())

    def check(_: object) -> None:
        providers = [r for r in recording.resources if r.typ == "pulumi:providers:kubernetes"]
        objects = [r for r in recording.resources if r.typ.startswith("kubernetes:")]
        assert [p.name for p in providers] == ["platform:k3s"]
        assert objects and all((r.provider or "").startswith("urn:") for r in objects)
        assert all("platform:k3s" in (r.provider or "") for r in objects)

    return registered(platform).apply(check)
