"""Collabora Online (CODE) on k3s: the office editor OCIS frames at `office.<domain>`.

Traefik terminates TLS, so Collabora serves plain HTTP and writes https URLs (`ssl.termination`). It opens
documents only from the WOPI host it is told (`aliasgroup1`): OCIS's collaboration service, which Collabora
calls back inside the cluster. Only OCIS's web may frame it (`net.frame_ancestors`).
"""

from __future__ import annotations

import pulumi
import pulumi_kubernetes as k8s

from k3s.common import Backend, all_labels, app_labels, await_annotations, metadata, plain_env

NAMESPACE = "collabora"
IMAGE = "docker.io/collabora/code:24.04.12.2.1"
NAME = "collabora"
HTTP_PORT = 9980
BACKEND = Backend(NAMESPACE, NAME, HTTP_PORT)


def collabora_settings(domain: str, wopi_src: str) -> dict[str, str]:
    options = (
        "--o:ssl.enable=false",
        "--o:ssl.termination=true",
        f"--o:net.frame_ancestors=files.{domain}",
        # no welcome screen fetched for users, no admin console to guard
        "--o:welcome.enable=false",
        "--o:admin_console.enable=false",
    )
    return {
        "aliasgroup1": wopi_src,
        "extra_params": " ".join(options),
        "DONT_GEN_SSL_CERT": "YES",
    }


def deployment_spec(domain: str, wopi_src: str) -> dict:
    return {
        "replicas": 1,
        "selector": {"matchLabels": app_labels("collabora", "server")},
        "template": {
            "metadata": {"labels": all_labels("collabora", "server")},
            "spec": {
                "containers": [
                    {
                        "name": "collabora",
                        "image": IMAGE,
                        "env": plain_env(collabora_settings(domain, wopi_src)),
                        "ports": [{"name": "http", "containerPort": HTTP_PORT}],
                        # its document jails need device nodes (as upstream's compose example grants)
                        "securityContext": {"capabilities": {"add": ["MKNOD"]}},
                        "readinessProbe": {
                            "httpGet": {"path": "/hosting/discovery", "port": "http"},
                            "periodSeconds": 10,
                        },
                    }
                ]
            },
        },
    }


class Collabora(pulumi.ComponentResource):
    def __init__(
        self, name: str, *, domain: str, wopi_src: str, skip_await: bool, opts: pulumi.ResourceOptions
    ) -> None:
        super().__init__("dezky:k3s:Collabora", name, None, opts)
        waits = await_annotations(skip_await)
        labels = all_labels("collabora", "server")
        self.namespace = k8s.core.v1.Namespace(
            f"{name}:namespace",
            metadata=metadata(NAMESPACE, None, all_labels("collabora", "namespace")),
            opts=pulumi.ResourceOptions(parent=self),
        )
        in_ns = pulumi.ResourceOptions(parent=self, depends_on=[self.namespace])
        self.deployment = k8s.apps.v1.Deployment(
            f"{name}:server",
            metadata=metadata(NAME, NAMESPACE, labels, waits),
            spec=deployment_spec(domain, wopi_src),
            opts=in_ns,
        )
        self.service = k8s.core.v1.Service(
            f"{name}:service",
            metadata=metadata(NAME, NAMESPACE, labels, waits),
            spec={
                "selector": app_labels("collabora", "server"),
                "ports": [{"name": "http", "port": HTTP_PORT, "targetPort": "http"}],
            },
            opts=in_ns,
        )
        self.register_outputs({})
