"""The platform's services on the AX41's k3s, as typed Kubernetes resources of the Pulumi Kubernetes provider.

One module per service (`authentik`, `ocis`, `collabora`, `ingress`), their pure rendering (environment, role
mapping, hosts, configuration files) in functions without Pulumi, and `platform.Platform`, the component that
puts them on the cluster through one explicit provider built from the host's kubeconfig.
"""
