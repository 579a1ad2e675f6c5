"""The whole of Dezky from one `up` of a dev stack with an estate, a host and a platform: nothing typed by hand.

The stack's configuration holds no Authentik token and no Stalwart credential. The program generates them,
gives Authentik's bootstrap token to its Kubernetes Secret (applied by the real Pulumi Kubernetes provider to a
real API server) and Stalwart's recovery admin to its environment file on the host (written over SSH to the
local sshd), and configures the tenant providers with the same values through the platform connection. The
emulators here take exactly what the services would: the Authentik emulator the token in the applied Secret,
the Stalwart emulator the admin in the written environment file, nothing else. So a tenant provisioned in both
proves the generated credentials went the whole way. Robot, the Storage Box API, Object Storage (moto),
PowerDNS (real) and OCIS are as in the other end-to-end tests.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from dezky.engine.workspace import ROOT
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, estate_config, make_project, powerdns_config, services_config
from tests.fixtures.kubernetes import HELM_CHART_CONFIG_CRD, ControlPlane
from tests.fixtures.openssh import OpenSshServer
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

TENANT = ROOT / "tenants" / "acme.yaml"
RESTIC_PASSWORD = "restic-password-for-the-platform-e2e"
AUTHENTIK_SECRET = "/api/v1/namespaces/authentik/secrets/authentik"
TYPED_CREDENTIALS = ("dezky:authentikToken", "dezky:stalwartToken")


def applied_bootstrap_token(cluster: ControlPlane) -> str | None:
    secret = cluster.get(AUTHENTIK_SECRET)
    if secret is None:
        return None
    return base64.b64decode(secret["data"]["bootstrap_token"]).decode()


def written_recovery_admin(environment_file: Path) -> tuple[str, str] | None:
    if not environment_file.exists():
        return None
    for line in environment_file.read_text().splitlines():
        if line.startswith("STALWART_RECOVERY_ADMIN="):
            user, _, password = line.split("=", 1)[1].strip('"').partition(":")
            return user, password
    return None


@pytest.fixture(scope="module")
def platform_project(
    tmp_path_factory: pytest.TempPathFactory,
    kubernetes_control_plane: ControlPlane,
    openssh: OpenSshServer,
    moto_s3_session: str,
    robot_session,
    storage_box_session,
    authentik_server,
    stalwart_server,
    ocis_server,
    powerdns: PowerDnsServer,
) -> Iterator[tuple[Project, Path]]:
    base = tmp_path_factory.mktemp("platform-e2e")
    sandbox = base / "host"
    cluster = kubernetes_control_plane
    cluster.install_crd(HELM_CHART_CONFIG_CRD)
    for server in (robot_session, storage_box_session, authentik_server, stalwart_server, ocis_server):
        server.emulator.reset()
    authentik, stalwart = authentik_server.emulator, stalwart_server.emulator
    # What the deployed services would take: the credentials the program gave them, nothing else.
    authentik.accepted_tokens = lambda: [token for token in (applied_bootstrap_token(cluster),) if token]
    stalwart.api_keys = lambda: ()
    stalwart.recovery_admin = lambda: written_recovery_admin(sandbox / "etc/stalwart/stalwart.env")
    services = services_config(authentik, stalwart, ocis_server.emulator)
    config = {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        **{key: value for key, value in services.items() if key not in TYPED_CREDENTIALS},
        **estate_config(openssh, sandbox, moto_s3_session, robot_session.emulator.url,
                        storage_box_session.emulator.url, RESTIC_PASSWORD),
        "dezky:platform": auto.ConfigValue(json.dumps({"acmeEmail": "ops@dezky.eu", "skipAwait": True})),
        "dezky:kubeconfig": auto.ConfigValue(cluster.kubeconfig, secret=True),
    }  # fmt: skip
    project = make_project(base, config, [TENANT])
    stack = project.stack("dev")
    for key in TYPED_CREDENTIALS:  # the dev stack file has them; this stack must do without
        stack.remove_config(key)
    assert not set(TYPED_CREDENTIALS) & set(stack.get_all_config())
    yield project, sandbox
    for server in (authentik_server, stalwart_server):
        server.emulator.reset()
    # The tenant's zones hold DKIM keys of this module's Stalwart: leave none for the next module to meet.
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in zones_for(load_one(TENANT)[0].tenant):
            backend.delete_zone(zone)


def test_one_up_deploys_the_platform_and_provisions_a_tenant_with_generated_credentials_only(
    platform_project: tuple[Project, Path],
    kubernetes_control_plane: ControlPlane,
    authentik_server,
    stalwart_server,
) -> None:
    project, sandbox = platform_project

    result = project.up()

    assert result.outputs["tenants"].value["acme"]["authentik"] == "ready"
    assert result.outputs["tenants"].value["acme"]["stalwart"] == "ready"
    token = applied_bootstrap_token(kubernetes_control_plane)
    admin = written_recovery_admin(sandbox / "etc/stalwart/stalwart.env")
    assert token and len(token) == 40 and admin and len(admin[1]) == 40
    brands = [brand["domain"] for brand in authentik_server.emulator.instance.brands.values()]
    assert (
        "portal.acme.dezky.eu" in brands
    )  # made with the token from the Secret: the emulator takes no other
    assert stalwart_server.emulator.state.domain_id("acme-werkzeuge.de") is not None
    ocis = kubernetes_control_plane.get("/apis/apps/v1/namespaces/ocis/deployments/ocis")
    env = {
        item["name"]: item.get("value") for item in ocis["spec"]["template"]["spec"]["containers"][0]["env"]
    }
    assert env["OCIS_OIDC_ISSUER"] == "https://id.dezky.eu/application/o/ocis/"
    assert env["WEB_OIDC_CLIENT_ID"] == result.outputs["platform_oidc"].value["client_id"]
    assert result.outputs["platform"].value["authentik_url"] == "https://id.dezky.eu"
    portal = kubernetes_control_plane.get(
        "/apis/networking.k8s.io/v1/namespaces/authentik/ingresses/portal-acme-dezky-eu"
    )
    assert portal and portal["spec"]["tls"] == [{"hosts": ["portal.acme.dezky.eu"]}]


def test_second_up_changes_nothing_anywhere(
    platform_project: tuple[Project, Path], authentik_server, stalwart_server
) -> None:
    project, _ = platform_project
    emulators = (authentik_server.emulator, stalwart_server.emulator)
    writes = [emulator.write_count for emulator in emulators]

    result = project.up()

    assert set(result.summary.resource_changes) == {"same"}
    assert [emulator.write_count for emulator in emulators] == writes


def test_the_generated_credentials_are_nowhere_in_plaintext_in_the_state(
    platform_project: tuple[Project, Path], kubernetes_control_plane: ControlPlane
) -> None:
    project, sandbox = platform_project
    state = next((project.work_dir / ".state" / ".pulumi" / "stacks").rglob("dev.json")).read_text()
    admin = written_recovery_admin(sandbox / "etc/stalwart/stalwart.env")

    for secret in (applied_bootstrap_token(kubernetes_control_plane), admin and admin[1], RESTIC_PASSWORD):
        assert secret and secret not in state
    assert "ciphertext" in state
