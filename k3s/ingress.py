"""Ingress on k3s's bundled Traefik: a certificate from Let's Encrypt for every host, HTTP sent to HTTPS.

The ACME challenge is HTTP-01: every platform and tenant host resolves to the AX41 itself, so Let's Encrypt
reaches Traefik on port 80 and no DNS credential ever has to live in the cluster (DNS-01 would need a
PowerDNS or Hetzner DNS key there, and buys only wildcards, which we do not use). Traefik answers the
challenge on its own router, ahead of the redirect to HTTPS.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import Enum

import pulumi
import pulumi_kubernetes as k8s
import yaml

from k3s.common import Backend, all_labels, await_annotations, metadata

CERT_RESOLVER = "letsencrypt"
#: where Traefik keeps its account and certificates (on the chart's persistent volume)
ACME_STORAGE = "/data/acme.json"


class Service(Enum):
    """The platform service a host routes to."""

    AUTHENTIK = "authentik"
    OCIS = "ocis"
    COLLABORA = "collabora"


@dataclass(frozen=True)
class TlsHost:
    """A tenant host served by a platform service (a tenant's portal is its Authentik brand)."""

    host: str
    service: Service = Service.AUTHENTIK


@dataclass(frozen=True)
class Route:
    host: str
    service: Service

    @property
    def name(self) -> str:
        """The Ingress's name: the host with dots as dashes (`id.dezky.eu` -> `id-dezky-eu`)."""
        return re.sub(r"[^a-z0-9-]", "-", self.host.lower())


def platform_hosts(domain: str) -> dict[Service, str]:
    return {
        Service.AUTHENTIK: f"id.{domain}",
        Service.OCIS: f"files.{domain}",
        Service.COLLABORA: f"office.{domain}",
    }


def routes(domain: str, extra: Sequence[str | TlsHost] = ()) -> list[Route]:
    """The platform's three hosts, then each extra host once (a plain name goes to Authentik)."""
    found = [Route(host, service) for service, host in platform_hosts(domain).items()]
    for item in extra:
        wanted = item if isinstance(item, TlsHost) else TlsHost(item)
        host = wanted.host.strip().lower().rstrip(".")
        if not host:
            raise ValueError("an extra TLS host is empty")
        known = next((route for route in found if route.host == host), None)
        if known is not None and known.service is not wanted.service:
            raise ValueError(f"{host} is routed to {known.service.value} already, not {wanted.service.value}")
        if known is None:
            found.append(Route(host, wanted.service))
    return found


def traefik_arguments(acme_email: str) -> list[str]:
    return [
        f"--certificatesresolvers.{CERT_RESOLVER}.acme.email={acme_email}",
        f"--certificatesresolvers.{CERT_RESOLVER}.acme.storage={ACME_STORAGE}",
        f"--certificatesresolvers.{CERT_RESOLVER}.acme.httpchallenge.entrypoint=web",
        "--entrypoints.web.http.redirections.entrypoint.to=websecure",
        "--entrypoints.web.http.redirections.entrypoint.scheme=https",
        "--entrypoints.web.http.redirections.entrypoint.permanent=true",
    ]


def traefik_values(acme_email: str) -> str:
    """The `valuesContent` k3s merges into its Traefik chart. Command-line arguments, not chart keys, for
    the resolver and redirect: they mean the same in every chart version k3s has shipped. The volume keeps the
    certificates across restarts (Let's Encrypt limits how often a host may be issued one)."""
    values = {
        "additionalArguments": traefik_arguments(acme_email),
        "persistence": {"enabled": True, "path": "/data", "size": "128Mi"},
    }
    return yaml.safe_dump(values, sort_keys=False)


def ingress_annotations() -> dict[str, str]:
    return {
        "traefik.ingress.kubernetes.io/router.entrypoints": "websecure",
        "traefik.ingress.kubernetes.io/router.tls": "true",
        "traefik.ingress.kubernetes.io/router.tls.certresolver": CERT_RESOLVER,
    }


def ingress_spec(route: Route, backend: Backend) -> dict:
    return {
        "ingressClassName": "traefik",
        "tls": [{"hosts": [route.host]}],
        "rules": [
            {
                "host": route.host,
                "http": {
                    "paths": [
                        {
                            "path": "/",
                            "pathType": "Prefix",
                            "backend": {
                                "service": {"name": backend.service, "port": {"number": backend.port}}
                            },
                        }
                    ]
                },
            }
        ],
    }


class Ingress(pulumi.ComponentResource):
    """The Traefik configuration (a `HelmChartConfig` in kube-system, as k3s reads it) and one Ingress per
    host, in its backend's namespace."""

    def __init__(
        self,
        name: str,
        *,
        routes: Sequence[Route],
        backends: Mapping[Service, Backend],
        namespaces: Mapping[Service, pulumi.Resource],
        acme_email: str,
        skip_await: bool,
        opts: pulumi.ResourceOptions,
    ) -> None:
        super().__init__("dezky:k3s:Ingress", name, None, opts)
        self.traefik = k8s.apiextensions.CustomResource(
            f"{name}:traefik",
            api_version="helm.cattle.io/v1",
            kind="HelmChartConfig",
            metadata=metadata("traefik", "kube-system", all_labels("traefik", "config")),
            spec={"valuesContent": traefik_values(acme_email)},
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.ingresses = {
            route.host: k8s.networking.v1.Ingress(
                f"{name}:{route.host}",
                metadata=metadata(
                    route.name,
                    backends[route.service].namespace,
                    all_labels(route.service.value, "ingress"),
                    {**ingress_annotations(), **await_annotations(skip_await)},
                ),
                spec=ingress_spec(route, backends[route.service]),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[namespaces[route.service]]),
            )
            for route in routes
        }
        self.register_outputs({})
