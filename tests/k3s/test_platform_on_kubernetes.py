"""The real Pulumi engine applies `Platform` to a real kube-apiserver through the real Kubernetes provider.

No kubelet runs, so pods stay Pending and the workloads carry `pulumi.com/skipAwait`; what is proven is what
the API server accepts and stores: the objects as applied (read back over the API), its own validation at
preview, a second up that changes nothing, no secret in the state, and a destroy that removes everything.
The tests run in order on one stack.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pytest
import yaml
from pulumi import automation as auto

from dezky.engine.workspace import TOOLS_BIN, StackName, engine_env, pulumi_command
from k3s.authentik import AuthentikSecrets
from k3s.ingress import TlsHost
from k3s.ocis import OcisSecrets, OidcClient, S3Storage
from k3s.platform import Platform, PlatformArgs
from tests.fixtures.kubernetes import HELM_CHART_CONFIG_CRD, ControlPlane

pytestmark = pytest.mark.engine

DOMAIN = "dezky.test"
BOOTSTRAP_TOKEN = "bootstrap-token-of-the-k3s-engine-test-6c1f"
S3_SECRET = "s3-secret-of-the-k3s-engine-test-0b7e"
JWT_SECRET = "jwt-secret-of-the-k3s-engine-test-93aa"
ISSUER = f"https://id.{DOMAIN}/application/o/ocis/"
TENANT_PORTAL = f"portal.acme.{DOMAIN}"
OCIS_SECRETS = OcisSecrets(
    jwt_secret=JWT_SECRET,
    transfer_secret="transfer",
    machine_auth_api_key="machine-auth",
    system_user_api_key="system-user-key",
    system_user_id="5a8d3d0c-48a9-4a4e-9d5e-2f7f0c1e9b01",
    service_account_id="c0b5f3a2-1d3e-4f5a-8b9c-0d1e2f3a4b5c",
    service_account_secret="service-account-secret",
    graph_application_id="7e0a9b1c-2d3e-4f50-8a9b-c0d1e2f3a4b6",
    storage_users_mount_id="1f2e3d4c-5b6a-4798-8a7b-6c5d4e3f2a1b",
    wopi_secret="wopi-secret",
    idm_service_password="idm-service",
    idm_reva_password="idm-reva",
    idm_idp_password="idm-idp",
    admin_user_id="9d8c7b6a-5f4e-4d3c-8b2a-1f0e9d8c7b6a",
    admin_password="ocis-admin-password",
)


@dataclass
class PlatformStack:
    stack: auto.Stack
    cluster: ControlPlane
    state_dir: Path
    #: tenant hosts the next run's program declares
    extra_hosts: list[str | TlsHost] = field(default_factory=list)
    output: list[str] = field(default_factory=list)

    def up(self) -> auto.UpResult:
        return self.stack.up(on_output=self.output.append, color="never")


def platform_program(holder: PlatformStack):
    def program() -> None:
        platform = Platform(
            "platform",
            PlatformArgs(
                kubeconfig=holder.cluster.kubeconfig,
                domain=DOMAIN,
                acme_email=f"ops@{DOMAIN}",
                authentik=AuthentikSecrets(
                    secret_key="authentik-secret-key",
                    bootstrap_token=BOOTSTRAP_TOKEN,
                    bootstrap_password="bootstrap-password",
                    postgres_password="postgres-password",
                ),
                ocis_oidc=OidcClient(issuer=ISSUER, client_id="ocis-web-client"),
                ocis_secrets=OCIS_SECRETS,
                ocis_storage=S3Storage(
                    endpoint="https://fsn1.your-objectstorage.com",
                    region="fsn1",
                    bucket="dezky-ocis",
                    access_key="s3-access-key",
                    secret_key=S3_SECRET,
                ),
                extra_tls_hosts=list(holder.extra_hosts),
                skip_await=True,
            ),
        )
        pulumi.export("authentik_url", platform.authentik_url)
        pulumi.export("ocis_url", platform.ocis_url)
        pulumi.export("collabora_url", platform.collabora_url)
        pulumi.export("dump_dir", platform.dump_dir)

    return program


@pytest.fixture(scope="module")
def platform_stack(
    kubernetes_control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[PlatformStack]:
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is missing: `make test` builds it (scripts/build-pulumi)")
    kubernetes_control_plane.install_crd(HELM_CHART_CONFIG_CRD)
    base = tmp_path_factory.mktemp("k3s-platform")
    work_dir = base / "project"
    work_dir.mkdir()
    env = engine_env(StackName("dev"), base / "state")
    holder = PlatformStack(
        stack=None,  # type: ignore[arg-type]
        cluster=kubernetes_control_plane,
        state_dir=base / "state",
        extra_hosts=[TENANT_PORTAL],
    )
    workspace = auto.LocalWorkspace(
        work_dir=str(work_dir),
        program=platform_program(holder),
        env_vars=env,
        pulumi_command=pulumi_command(),
        pulumi_home=env["PULUMI_HOME"],
        project_settings=auto.ProjectSettings(name="dezky-k3s-e2e", runtime="python"),
    )
    holder.stack = auto.Stack.create_or_select("dev", workspace)
    yield holder


def decoded(secret: dict) -> dict[str, str]:
    return {key: base64.b64decode(value).decode() for key, value in secret["data"].items()}


def env_of(container: dict) -> dict[str, object]:
    return {item["name"]: item.get("value", item.get("valueFrom")) for item in container["env"]}


def test_up_applies_every_service_ingress_and_the_traefik_config(platform_stack: PlatformStack) -> None:
    cluster = platform_stack.cluster

    result = platform_stack.up()

    assert result.summary.result == "succeeded"
    assert result.outputs["authentik_url"].value == f"https://id.{DOMAIN}"
    assert result.outputs["dump_dir"].value == "/var/backups/dezky/authentik"
    for namespace in ("authentik", "ocis", "collabora"):
        assert cluster.get(f"/api/v1/namespaces/{namespace}")["status"]["phase"] == "Active"
    secret = cluster.get("/api/v1/namespaces/authentik/secrets/authentik")
    assert decoded(secret)["bootstrap_token"] == BOOTSTRAP_TOKEN
    server = cluster.get("/apis/apps/v1/namespaces/authentik/deployments/authentik-server")
    server_env = env_of(server["spec"]["template"]["spec"]["containers"][0])
    assert server_env["AUTHENTIK_BOOTSTRAP_TOKEN"] == {
        "secretKeyRef": {"name": "authentik", "key": "bootstrap_token"}
    }
    assert server_env["AUTHENTIK_DISABLE_UPDATE_CHECK"] == "true"
    assert server["metadata"]["annotations"]["pulumi.com/skipAwait"] == "true"
    assert cluster.get("/apis/apps/v1/namespaces/authentik/deployments/authentik-worker") is not None
    postgres = cluster.get("/apis/apps/v1/namespaces/authentik/statefulsets/authentik-postgresql")
    volumes = postgres["spec"]["template"]["spec"]["volumes"]
    assert volumes[0]["persistentVolumeClaim"]["claimName"] == "authentik-postgresql-data"
    claim = cluster.get("/api/v1/namespaces/authentik/persistentvolumeclaims/authentik-postgresql-data")
    assert claim["spec"]["storageClassName"] == "local-path"
    dump = cluster.get("/apis/batch/v1/namespaces/authentik/cronjobs/authentik-postgresql-dump")
    dump_pod = dump["spec"]["jobTemplate"]["spec"]["template"]["spec"]
    assert dump_pod["volumes"][0]["hostPath"]["path"] == "/var/backups/dezky/authentik"
    assert "pg_dump" in dump_pod["containers"][0]["command"][-1]


def test_ocis_stores_files_in_the_bucket_and_trusts_authentik(platform_stack: PlatformStack) -> None:
    cluster = platform_stack.cluster

    deployment = cluster.get("/apis/apps/v1/namespaces/ocis/deployments/ocis")

    containers = {c["name"]: c for c in deployment["spec"]["template"]["spec"]["containers"]}
    server = env_of(containers["ocis"])
    assert server["STORAGE_USERS_DRIVER"] == "s3ng"
    assert server["STORAGE_USERS_S3NG_BUCKET"] == "dezky-ocis"
    assert server["STORAGE_USERS_S3NG_SECRET_KEY"] == {
        "secretKeyRef": {"name": "ocis", "key": "s3_secret_key"}
    }
    assert server["OCIS_OIDC_ISSUER"] == ISSUER
    assert server["PROXY_ENABLE_APP_AUTH"] == "true"
    assert server["OCIS_ADMIN_USER_ID"] == {"secretKeyRef": {"name": "ocis", "key": "admin_user_id"}}
    assert "auth-app" in server["OCIS_ADD_RUN_SERVICES"]
    assert env_of(containers["collaboration"])["COLLABORATION_APP_ADDR"] == f"https://office.{DOMAIN}"
    secret = decoded(cluster.get("/api/v1/namespaces/ocis/secrets/ocis"))
    assert secret["s3_secret_key"] == S3_SECRET and secret["jwt_secret"] == JWT_SECRET
    config = cluster.get("/api/v1/namespaces/ocis/configmaps/ocis-config")["data"]
    mapping = yaml.safe_load(config["ocis.yaml"])["proxy"]["role_assignment"]["oidc_role_mapper"]
    assert mapping["role_mapping"][0] == {"role_name": "admin", "claim_value": "authentik Admins"}
    # the claim binds to the host folder's volume: the controller manager bound them
    claim = cluster.get("/api/v1/namespaces/ocis/persistentvolumeclaims/ocis-data")
    assert claim["spec"]["volumeName"] == "ocis-data"
    assert cluster.get("/api/v1/persistentvolumes/ocis-data")["spec"]["hostPath"]["path"] == "/var/lib/ocis"
    collabora = cluster.get("/apis/apps/v1/namespaces/collabora/deployments/collabora")
    collabora_env = env_of(collabora["spec"]["template"]["spec"]["containers"][0])
    assert collabora_env["aliasgroup1"] == "http://ocis-wopi.ocis.svc.cluster.local:9300"


def test_every_host_has_an_ingress_with_a_certificate_and_traefik_redirects_http(
    platform_stack: PlatformStack,
) -> None:
    cluster = platform_stack.cluster
    expected = {
        f"id.{DOMAIN}": ("authentik", "authentik-server"),
        f"files.{DOMAIN}": ("ocis", "ocis"),
        f"office.{DOMAIN}": ("collabora", "collabora"),
        TENANT_PORTAL: ("authentik", "authentik-server"),
    }

    for host, (namespace, service) in expected.items():
        name = host.replace(".", "-")
        ingress = cluster.get(f"/apis/networking.k8s.io/v1/namespaces/{namespace}/ingresses/{name}")
        assert ingress["spec"]["tls"] == [{"hosts": [host]}]
        assert ingress["spec"]["rules"][0]["http"]["paths"][0]["backend"]["service"]["name"] == service
        annotations = ingress["metadata"]["annotations"]
        assert annotations["traefik.ingress.kubernetes.io/router.tls.certresolver"] == "letsencrypt"
    traefik = cluster.get("/apis/helm.cattle.io/v1/namespaces/kube-system/helmchartconfigs/traefik")
    arguments = yaml.safe_load(traefik["spec"]["valuesContent"])["additionalArguments"]
    assert f"--certificatesresolvers.letsencrypt.acme.email=ops@{DOMAIN}" in arguments
    assert "--certificatesresolvers.letsencrypt.acme.httpchallenge.entrypoint=web" in arguments
    assert "--entrypoints.web.http.redirections.entrypoint.to=websecure" in arguments


def test_second_up_changes_nothing(platform_stack: PlatformStack) -> None:
    result = platform_stack.up()

    assert set(result.summary.resource_changes or {}) == {"same"}


def test_no_secret_reaches_the_state_in_plaintext(platform_stack: PlatformStack) -> None:
    # the state as the backend stores it (`export_stack` would decrypt the secrets)
    stored = (platform_stack.state_dir / ".pulumi" / "stacks" / "dezky-k3s-e2e" / "dev.json").read_text()
    kubeconfig_token = yaml.safe_load(platform_stack.cluster.kubeconfig)["users"][0]["user"]["token"]
    secrets = (
        BOOTSTRAP_TOKEN,
        S3_SECRET,
        JWT_SECRET,
        "postgres-password",
        "ocis-admin-password",
        kubeconfig_token,
    )

    for secret in secrets:
        assert secret not in stored
        assert base64.b64encode(secret.encode()).decode() not in stored  # a Secret's `data` is base64
    assert "ciphertext" in stored


def test_the_api_server_refuses_an_invalid_host_at_preview(platform_stack: PlatformStack) -> None:
    platform_stack.extra_hosts.append("under_score.dezky.test")
    try:
        with pytest.raises(auto.CommandError) as refused:
            platform_stack.stack.preview(on_output=platform_stack.output.append, color="never")
    finally:
        platform_stack.extra_hosts.pop()

    message = str(refused.value)
    assert "was not successfully created by the Kubernetes API server" in message
    assert 'spec.rules[0].host: Invalid value: "under_score.dezky.test"' in message


def test_destroy_removes_every_object(platform_stack: PlatformStack) -> None:
    cluster = platform_stack.cluster

    result = platform_stack.stack.destroy(on_output=platform_stack.output.append, color="never")

    assert result.summary.result == "succeeded"
    for namespace in ("authentik", "ocis", "collabora"):
        assert cluster.get(f"/api/v1/namespaces/{namespace}") is None
    assert cluster.get("/api/v1/persistentvolumes/ocis-data") is None
    assert cluster.get("/apis/helm.cattle.io/v1/namespaces/kube-system/helmchartconfigs/traefik") is None
