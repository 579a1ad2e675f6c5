"""The platform as the program builds it on the estate: generated credentials, the services on k3s, and the
connection every tenant provider is configured from.

Nothing here is typed by an operator but `dezky:platform` (the ACME contact) and what the estate needs anyway:
every service credential is a `GeneratedSecret`, handed to the service that checks it (Authentik's bootstrap
token in its Secret, Stalwart's recovery admin in its environment file on the host) and to the providers that
present it (`PlatformConnection`). The outputs carry the order: a tenant resource is created only after the
service it talks to was deployed with the credential it will present.
"""

from __future__ import annotations

import dataclasses
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pulumi

from components.authentik.platform import OCIS_SLUG, identity_host
from components.common.connection import PlatformConnection
from components.common.generated import GeneratedSecret
from dezky.tenants.model import Tenant
from hetzner.host import HostBootstrap
from hetzner.remote.component import RemoteCommand, RemoteCommandArgs
from k3s.authentik import AuthentikSecrets
from k3s.ingress import Service, TlsHost
from k3s.ocis import SERVICE_USER, OcisSecrets, OidcClient, S3Storage, service_token_command
from k3s.platform import Platform, PlatformArgs

#: a tenant's web hosts under its platform subdomain that a platform service answers: its Authentik brand (the
#: portal). OCIS and Collabora answer on one host each (files. and office. of the platform), for every tenant.
TENANT_WEB_HOSTS = {"": Service.AUTHENTIK, "portal.": Service.AUTHENTIK}


class PlatformConfigInvalid(pulumi.RunError):
    """`dezky:platform` or the cluster it needs is missing or wrong; raised before anything is registered."""


@dataclass(frozen=True)
class PlatformConfig:
    """`dezky:platform`: `acmeEmail` (Let's Encrypt's contact) and, for tests against an API server without
    kubelet, `skipAwait`. The cluster is the host's k3s, or `dezky:kubeconfig` where the stack names another."""

    acme_email: str
    skip_await: bool = False


def platform_config(config: pulumi.Config) -> PlatformConfig | None:
    raw = config.get_object("platform")
    if raw is None:
        return None
    if not isinstance(raw, dict) or not str(raw.get("acmeEmail", "")).count("@") == 1:
        raise PlatformConfigInvalid("dezky:platform needs `acmeEmail`, the address Let's Encrypt writes to")
    unknown = sorted(set(raw) - {"acmeEmail", "skipAwait"})
    if unknown:
        raise PlatformConfigInvalid(f"dezky:platform: unknown keys {unknown}; known: acmeEmail, skipAwait")
    return PlatformConfig(acme_email=str(raw["acmeEmail"]), skip_await=bool(raw.get("skipAwait", False)))


def tenant_tls_hosts(tenants: list[Tenant]) -> list[TlsHost]:
    """Every tenant host the ingress must hold a certificate for, routed to the service behind it. Not yet:
    the tenant's `files.`/`office.`/`mail.` names (their DNS points at the ingress, but OCIS and Collabora
    answer on the platform's host only), and each mail domain's `mta-sts.`/`autoconfig.`, which are Stalwart's
    on the host, outside the cluster (README, "What the platform does not serve yet")."""
    return [
        TlsHost(f"{prefix}{tenant.platform_subdomain}", service)
        for tenant in tenants
        for prefix, service in TENANT_WEB_HOSTS.items()
    ]


def _uuid_named(name: str) -> bool:
    return name.endswith("_id")


class PlatformCredentials(pulumi.ComponentResource):
    """Every credential of the platform's services, made once by the program and kept secret in the state."""

    def __init__(self, name: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:platform:Credentials", name, None, opts)
        self.stalwart_admin_password = self._secret(
            name, "stalwart-admin-password", "Stalwart's recovery admin"
        )
        self.authentik = AuthentikSecrets(
            **{
                field.name: self._secret(name, f"authentik-{field.name}", f"Authentik {field.name}")
                for field in dataclasses.fields(AuthentikSecrets)
            }
        )
        self.ocis = OcisSecrets(
            **{
                field.name: self._secret(
                    name,
                    f"ocis-{field.name}",
                    f"OCIS {field.name}",
                    "uuid" if _uuid_named(field.name) else None,
                )
                for field in dataclasses.fields(OcisSecrets)
            }
        )
        self.register_outputs({})

    def _secret(self, name: str, key: str, purpose: str, alphabet: str | None = None) -> pulumi.Output[str]:
        opts = pulumi.ResourceOptions(parent=self)
        if alphabet == "uuid":
            return GeneratedSecret(f"{name}:{key}", purpose, length=36, alphabet="uuid", opts=opts).value
        return GeneratedSecret(f"{name}:{key}", purpose, opts=opts).value


@dataclass
class PlatformDeployment:
    """What the program hands on: the services, the connection for the tenants, and the OCIS client id to
    resolve once the platform's Authentik application exists (it is made through the connection itself)."""

    platform: Platform
    #: for the tenants: every service's address, each once its service is up
    connection: PlatformConnection
    #: for the platform's own Authentik objects, which OCIS needs before it starts
    identity_connection: PlatformConnection
    credentials: PlatformCredentials
    resolve_ocis_client_id: Any


def deploy_platform(
    settings: PlatformConfig,
    domain: str,
    mail_host: str,
    kubeconfig: pulumi.Input[str],
    credentials: PlatformCredentials,
    storage: S3Storage,
    extra_tls_hosts: list[TlsHost],
    host: HostBootstrap | None,
    opts: pulumi.ResourceOptions | None = None,
) -> PlatformDeployment:
    client_id, resolve_client_id = pulumi.deferred_output()
    issuer = f"https://{identity_host(domain)}/application/o/{OCIS_SLUG}/"
    platform = Platform(
        "platform",
        PlatformArgs(
            kubeconfig=kubeconfig,
            domain=domain,
            acme_email=settings.acme_email,
            authentik=credentials.authentik,
            ocis_oidc=OidcClient(issuer=issuer, client_id=client_id),
            ocis_secrets=credentials.ocis,
            ocis_storage=storage,
            extra_tls_hosts=extra_tls_hosts,
            skip_await=settings.skip_await,
        ),
        opts,
    )
    stalwart_ready = host.commands["stalwart-service"].id if host is not None else ""
    ocis_user, ocis_token = ocis_service_credential(host, platform)
    generated = {
        "dezky:authentikToken": credentials.authentik.bootstrap_token,
        "dezky:stalwartAdminPassword": credentials.stalwart_admin_password,
        **ocis_token,
    }
    settings_ = {**connection_settings(platform, mail_host, stalwart_ready), **ocis_user}
    connection = PlatformConnection("platform-connection", settings_, generated)
    # The platform's own OCIS application is made in Authentik before OCIS can start (OCIS is configured with
    # its client id), so it goes through a connection that waits for Authentik only, not for OCIS.
    identity_settings = {"dezky:authentikUrl": settings_["dezky:authentikUrl"]}
    identity_credentials = {"dezky:authentikToken": credentials.authentik.bootstrap_token}
    identity_connection = PlatformConnection(
        "platform-identity-connection", identity_settings, identity_credentials
    )
    return PlatformDeployment(platform, connection, identity_connection, credentials, resolve_client_id)


def ocis_service_credential(
    host: HostBootstrap | None, platform: Platform
) -> tuple[dict[str, str], dict[str, pulumi.Input[str]]]:
    """OCIS's app token for the providers' service user, minted on the host once OCIS is up (`auth-app` makes
    tokens only on request, never from a value given to it), as `dezky:ocisUser` and `dezky:ocisToken`. A stack
    whose k3s runs in dry run has no OCIS to ask: it names its own (`{}` here)."""
    if host is None or "k3s" in host.dry_run_groups:
        return {}, {}
    command = RemoteCommand(
        "platform:ocis-service-token",
        RemoteCommandArgs(
            connection=host.target,
            create=shlex.join(service_token_command()),
            dry_run_log=host.dry_run_log,
            secret=True,
        ),
        pulumi.ResourceOptions(depends_on=[platform.ocis.deployment]),
    )
    return {"dezky:ocisUser": SERVICE_USER}, {"dezky:ocisToken": command.stdout.apply(service_token_from)}


def service_token_from(output: str) -> str:
    """The token from `ocis auth-app create`'s answer (`App token created for admin` / ` token: <token>`)."""
    for line in output.splitlines():
        label, _, token = line.strip().partition(": ")
        if label == "token" and token:
            return token
    raise ValueError("`ocis auth-app create` answered without a token line")


def connection_settings(
    platform: Platform, mail_host: str, stalwart_ready: pulumi.Input[Any]
) -> Mapping[str, pulumi.Input[str]]:
    """The services' addresses for the providers, each known only once its service is up: the platform's
    public hosts (Authentik at id., OCIS at files., Stalwart's HTTP at the mail host). A stack may name others
    (`dezky:authentikUrl`, `dezky:ocisUrl`, `dezky:stalwartUrl`: a tunnel, or a test's stand-in); they are
    taken after the deployments all the same, so the order holds either way."""
    config = pulumi.Config("dezky")

    def named_or(key: str, default: str) -> str:
        return config.get(key) or default

    stalwart_url = pulumi.Output.from_input(stalwart_ready).apply(
        lambda _: named_or("stalwartUrl", f"https://{mail_host}")
    )
    return {
        "dezky:authentikUrl": platform.authentik_url.apply(lambda url: named_or("authentikUrl", url)),
        "dezky:ocisUrl": platform.ocis_url.apply(lambda url: named_or("ocisUrl", url)),
        "dezky:stalwartUrl": stalwart_url,
    }
