"""The platform's rendering, without the engine: environment, secrets, role mapping, hosts, Traefik."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest
import yaml

from k3s import authentik, collabora, ocis, ocis_config
from k3s.authentik import AuthentikSecrets
from k3s.common import SKIP_AWAIT, await_annotations
from k3s.ingress import Route, Service, TlsHost, ingress_spec, routes, traefik_values
from k3s.ocis import OcisSecrets, OidcClient, S3Storage

DOMAIN = "dezky.eu"
STORAGE = S3Storage("https://fsn1.your-objectstorage.com", "fsn1", "dezky-ocis", "access", "secret")
OIDC = OidcClient(f"https://id.{DOMAIN}/application/o/ocis/", "client-id")


def secret_refs(env: list[dict]) -> dict[str, dict]:
    return {item["name"]: item["valueFrom"]["secretKeyRef"] for item in env if "valueFrom" in item}


def plain_values(env: list[dict]) -> dict[str, str]:
    return {item["name"]: item["value"] for item in env if "value" in item}


def test_authentik_reads_every_credential_from_its_secret_and_calls_nobody() -> None:
    env = authentik.authentik_env()
    secret_keys = set(authentik.secret_data(AuthentikSecrets("k", "t", "p", "db")))

    refs = secret_refs(env)
    plain = plain_values(env)

    assert set(refs) == {
        "AUTHENTIK_SECRET_KEY",
        "AUTHENTIK_BOOTSTRAP_TOKEN",
        "AUTHENTIK_BOOTSTRAP_PASSWORD",
        "AUTHENTIK_POSTGRESQL__PASSWORD",
    }
    assert all(ref["name"] == authentik.SECRET and ref["key"] in secret_keys for ref in refs.values())
    assert plain["AUTHENTIK_DISABLE_UPDATE_CHECK"] == "true"
    assert plain["AUTHENTIK_ERROR_REPORTING__ENABLED"] == "false"
    assert plain["AUTHENTIK_DISABLE_STARTUP_ANALYTICS"] == "true"
    assert plain["AUTHENTIK_POSTGRESQL__HOST"].startswith(authentik.POSTGRES + ".")


def test_the_dump_is_written_under_a_temporary_name_then_renamed_into_the_dump_folder() -> None:
    spec = authentik.dump_job_spec("/var/backups/dezky/authentik")
    pod = spec["jobTemplate"]["spec"]["template"]["spec"]

    script = pod["containers"][0]["command"][-1]

    assert pod["volumes"][0]["hostPath"]["path"] == "/var/backups/dezky/authentik"
    assert "--file /dump/authentik.pgdump.tmp" in script
    assert script.endswith("mv /dump/authentik.pgdump.tmp /dump/authentik.pgdump")
    assert secret_refs(pod["containers"][0]["env"])["PGPASSWORD"]["key"] == "postgres_password"


def test_every_ocis_secret_variable_comes_from_a_key_the_secret_holds() -> None:
    secrets = OcisSecrets(*(f"value-{i}" for i in range(len(OcisSecrets.__dataclass_fields__))))
    keys = set(ocis.secret_data(secrets, STORAGE))

    for env in (ocis.server_env(DOMAIN, OIDC, STORAGE), ocis.collaboration_env(DOMAIN)):
        for variable, ref in secret_refs(env).items():
            assert ref == {"name": ocis.SECRET, "key": ref["key"]}
            assert ref["key"] in keys, variable
    assert "s3_secret_key" in keys and "jwt_secret" in keys


def test_ocis_stores_user_files_in_the_bucket_and_signs_in_through_authentik_only() -> None:
    plain = plain_values(ocis.server_env(DOMAIN, OIDC, STORAGE))

    assert plain["STORAGE_USERS_DRIVER"] == "s3ng"
    assert plain["STORAGE_USERS_S3NG_ENDPOINT"] == STORAGE.endpoint
    assert plain["OCIS_OIDC_ISSUER"] == OIDC.issuer
    assert plain["WEB_OIDC_CLIENT_ID"] == "client-id"
    assert "idp" in plain["OCIS_EXCLUDE_RUN_SERVICES"].split(",")
    assert "auth-app" in plain["OCIS_ADD_RUN_SERVICES"].split(",")
    assert plain["PROXY_ENABLE_APP_AUTH"] == "true"
    assert plain["OCIS_INSECURE"] == "false"
    assert plain["OCIS_URL"] == f"https://files.{DOMAIN}"


def go_claim_matches(claim_value: str, group: str) -> bool:
    """OCIS's `matchesClaimMapping`: the literal, else the value as an anchored regular expression."""
    return claim_value == group or re.fullmatch(f"(?:{claim_value})", group) is not None


@pytest.mark.parametrize(
    ("groups", "role"),
    [
        (["authentik Admins"], "admin"),
        (["acme-members", "authentik Admins"], "admin"),
        (["acme-members"], "user"),
        (["nordlicht-admins"], "user"),
    ],
)
def test_platform_admins_become_ocis_admins_and_every_other_member_a_user(
    groups: list[str], role: str
) -> None:
    mapping = ocis_config.role_mapping("authentik Admins")

    first = next(m for m in mapping if any(go_claim_matches(m["claim_value"], group) for group in groups))

    assert first["role_name"] == role


def test_ocis_config_file_maps_roles_from_the_groups_claim_and_allows_authentik_and_collabora() -> None:
    files = ocis_config.ocis_config_files(DOMAIN, "authentik Admins")

    proxy = yaml.safe_load(files["ocis.yaml"])["proxy"]
    directives = yaml.safe_load(files["csp.yaml"])["directives"]

    assert proxy["role_assignment"]["oidc_role_mapper"]["role_claim"] == "groups"
    assert f"https://id.{DOMAIN}/" in directives["connect-src"]
    assert f"https://office.{DOMAIN}/" in directives["frame-src"]


def test_collabora_accepts_documents_only_from_the_wopi_server_ocis_announces() -> None:
    settings = collabora.collabora_settings(DOMAIN, ocis.WOPI_SRC)
    announced = ocis.collaboration_settings(DOMAIN)

    assert settings["aliasgroup1"] == announced["COLLABORATION_WOPI_SRC"] == ocis.WOPI_SRC
    assert urlsplit(ocis.WOPI_SRC).path == ""  # OCIS refuses a WOPI source with a path
    assert "--o:ssl.enable=false" in settings["extra_params"].split()
    assert "--o:ssl.termination=true" in settings["extra_params"].split()
    assert f"--o:net.frame_ancestors=files.{DOMAIN}" in settings["extra_params"].split()
    assert announced["COLLABORATION_APP_ADDR"] == f"https://office.{DOMAIN}"


def test_routes_are_the_three_platform_hosts_then_each_tenant_host_once() -> None:
    found = routes(
        DOMAIN, ["portal.acme.dezky.eu", "Portal.Acme.Dezky.EU.", TlsHost("x.dezky.eu", Service.OCIS)]
    )

    assert found == [
        Route("id.dezky.eu", Service.AUTHENTIK),
        Route("files.dezky.eu", Service.OCIS),
        Route("office.dezky.eu", Service.COLLABORA),
        Route("portal.acme.dezky.eu", Service.AUTHENTIK),
        Route("x.dezky.eu", Service.OCIS),
    ]
    assert found[3].name == "portal-acme-dezky-eu"


def test_a_host_cannot_be_routed_to_two_services() -> None:
    with pytest.raises(ValueError, match=r"files\.dezky\.eu is routed to ocis already, not authentik"):
        routes(DOMAIN, [TlsHost("files.dezky.eu", Service.AUTHENTIK)])


def test_each_ingress_asks_traefik_for_a_certificate_of_its_own_host() -> None:
    route = Route("files.dezky.eu", Service.OCIS)

    spec = ingress_spec(route, ocis.BACKEND)

    assert spec["tls"] == [{"hosts": ["files.dezky.eu"]}]
    backend = spec["rules"][0]["http"]["paths"][0]["backend"]["service"]
    assert backend == {"name": "ocis", "port": {"number": ocis.HTTP_PORT}}


def test_traefik_gets_an_http01_resolver_a_volume_for_its_certificates_and_the_https_redirect() -> None:
    values = yaml.safe_load(traefik_values("ops@dezky.eu"))

    arguments = values["additionalArguments"]
    assert "--certificatesresolvers.letsencrypt.acme.email=ops@dezky.eu" in arguments
    assert "--certificatesresolvers.letsencrypt.acme.httpchallenge.entrypoint=web" in arguments
    assert "--entrypoints.web.http.redirections.entrypoint.scheme=https" in arguments
    assert values["persistence"]["enabled"] is True


def test_workloads_are_awaited_unless_the_tests_say_otherwise() -> None:
    assert await_annotations(False) == {}
    assert await_annotations(True) == {SKIP_AWAIT: "true"}


def test_the_service_token_is_minted_for_the_admin_inside_the_ocis_container() -> None:
    command = ocis.service_token_command("720h")

    assert command[command.index("--container") + 1] == "ocis"
    assert command[-3:] == ["create", f"--user-name={ocis.SERVICE_USER}", "--expiration=720h"]
    assert ocis.SERVER_SECRET_ENV["OCIS_ADMIN_USER_ID"] == "admin_user_id"
