"""`Platform`: Authentik, OCIS and Collabora on the AX41's k3s, behind Traefik with Let's Encrypt certificates.

Every object goes through one explicit `kubernetes.Provider` made from the host's kubeconfig (a secret):
nothing reads an ambient kubeconfig or context. In production the component waits until each workload is
ready, so whatever depends on it (the tenants' providers) runs once Authentik and OCIS answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_kubernetes as k8s

from k3s import authentik, collabora, ocis
from k3s.authentik import AuthentikSecrets
from k3s.ingress import Ingress, Service, TlsHost, platform_hosts, routes
from k3s.ocis import OcisSecrets, OidcClient, S3Storage

#: Authentik's built-in superuser group: the platform's admins, OCIS admins too
PLATFORM_ADMINS = "authentik Admins"


@dataclass(frozen=True)
class PlatformArgs:
    kubeconfig: pulumi.Input[str]
    #: the platform's domain: Authentik at id.<domain>, OCIS at files.<domain>, Collabora at office.<domain>
    domain: str
    #: the Let's Encrypt account's contact
    acme_email: str
    authentik: AuthentikSecrets
    ocis_oidc: OidcClient
    ocis_secrets: OcisSecrets
    ocis_storage: S3Storage
    #: tenant hosts that need a certificate too (a plain name routes to Authentik)
    extra_tls_hosts: Sequence[str | TlsHost] = field(default_factory=tuple)
    dump_dir: str = authentik.DEFAULT_DUMP_DIR
    ocis_data_dir: str = ocis.DEFAULT_DATA_DIR
    #: the `groups` claim value that makes an OCIS admin
    platform_admins_group: str = PLATFORM_ADMINS
    #: tests only: an API server without kubelet never makes a pod ready
    skip_await: bool = False


class Platform(pulumi.ComponentResource):
    authentik_url: pulumi.Output[str]
    ocis_url: pulumi.Output[str]
    collabora_url: pulumi.Output[str]
    dump_dir: str
    namespaces: dict[str, str]

    def __init__(self, name: str, args: PlatformArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("dezky:k3s:Platform", name, None, opts)
        self.provider = k8s.Provider(
            f"{name}:k3s",
            kubeconfig=pulumi.Output.secret(args.kubeconfig),
            opts=pulumi.ResourceOptions(parent=self),
        )
        on_cluster = pulumi.ResourceOptions(parent=self, provider=self.provider)
        self.authentik = authentik.Authentik(
            f"{name}:authentik",
            args.authentik,
            dump_dir=args.dump_dir,
            skip_await=args.skip_await,
            opts=on_cluster,
        )
        self.ocis = ocis.Ocis(
            f"{name}:ocis",
            domain=args.domain,
            oidc=args.ocis_oidc,
            storage=args.ocis_storage,
            secrets=args.ocis_secrets,
            admins_group=args.platform_admins_group,
            data_dir=args.ocis_data_dir,
            skip_await=args.skip_await,
            opts=on_cluster,
        )
        self.collabora = collabora.Collabora(
            f"{name}:collabora",
            domain=args.domain,
            wopi_src=ocis.WOPI_SRC,
            skip_await=args.skip_await,
            opts=on_cluster,
        )
        self.ingress = Ingress(
            f"{name}:ingress",
            routes=routes(args.domain, args.extra_tls_hosts),
            backends={
                Service.AUTHENTIK: authentik.BACKEND,
                Service.OCIS: ocis.BACKEND,
                Service.COLLABORA: collabora.BACKEND,
            },
            namespaces={
                Service.AUTHENTIK: self.authentik.namespace,
                Service.OCIS: self.ocis.namespace,
                Service.COLLABORA: self.collabora.namespace,
            },
            acme_email=args.acme_email,
            skip_await=args.skip_await,
            opts=on_cluster,
        )
        hosts = platform_hosts(args.domain)
        ingresses = self.ingress.ingresses
        # Each URL resolves once its service is up (in production: ready), so what is given the URL (a
        # tenant's provider) waits for the service without a depends_on of its own.
        self.authentik_url = _url_after(
            hosts[Service.AUTHENTIK],
            self.authentik.server,
            self.authentik.worker,
            ingresses[hosts[Service.AUTHENTIK]],
        )
        self.ocis_url = _url_after(hosts[Service.OCIS], self.ocis.deployment, ingresses[hosts[Service.OCIS]])
        self.collabora_url = _url_after(
            hosts[Service.COLLABORA], self.collabora.deployment, ingresses[hosts[Service.COLLABORA]]
        )
        self.dump_dir = args.dump_dir
        self.namespaces = {
            "authentik": authentik.NAMESPACE,
            "ocis": ocis.NAMESPACE,
            "collabora": collabora.NAMESPACE,
        }
        self.register_outputs(
            {
                "authentik_url": self.authentik_url,
                "ocis_url": self.ocis_url,
                "collabora_url": self.collabora_url,
                "dump_dir": self.dump_dir,
            }
        )


def _url_after(host: str, *resources: pulumi.CustomResource) -> pulumi.Output[str]:
    return pulumi.Output.all(*(resource.id for resource in resources)).apply(lambda _: f"https://{host}")
