"""The estate's dynamic resources: each one provider, its inputs, and which outputs Pulumi must keep secret.

Output-only properties are declared with None among the inputs, so Pulumi exposes them as attributes.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pulumi
from pulumi.dynamic import Resource

from hetzner.object_storage.provider import SECRET_OUTPUTS, BucketProvider
from hetzner.robot.provider import DedicatedServerProvider, FirewallProvider, ReverseDnsProvider
from hetzner.storage_box.provider import StorageBoxProvider, SubaccountProvider


def _secret(opts: pulumi.ResourceOptions | None, outputs: Sequence[str]) -> pulumi.ResourceOptions:
    return pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=list(outputs)))


class DedicatedServer(Resource, module="robot", name="Server"):
    server_name: pulumi.Output[str]
    product: pulumi.Output[str]
    dc: pulumi.Output[str]

    def __init__(
        self, name: str, server_number: int, ipv4: str, ipv6: str, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {"server_number": server_number, "ipv4": ipv4, "ipv6": ipv6}
        props |= dict.fromkeys(("server_name", "product", "dc"))
        super().__init__(DedicatedServerProvider(), name, props, opts)


class ReverseDns(Resource, module="robot", name="ReverseDns"):
    ptr: pulumi.Output[str]

    def __init__(self, name: str, ip: str, ptr: str, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(ReverseDnsProvider(), name, {"ip": ip, "ptr": ptr}, opts)


class RobotFirewall(Resource, module="robot", name="Firewall"):
    input: pulumi.Output[list[dict[str, str]]]

    def __init__(
        self, name: str, firewall: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(FirewallProvider(), name, dict(firewall), opts)


class StorageBox(Resource, module="storage_box", name="StorageBox"):
    box_id: pulumi.Output[int]
    username: pulumi.Output[str]
    server: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(self, name: str, box: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        props = {**box, "box_id": None, "username": None, "server": None, "password": None}
        super().__init__(StorageBoxProvider(), name, props, _secret(opts, ["password"]))


class StorageBoxSubaccount(Resource, module="storage_box", name="Subaccount"):
    username: pulumi.Output[str]
    server: pulumi.Output[str]
    password: pulumi.Output[str]

    def __init__(
        self, name: str, subaccount: dict[str, Any], opts: pulumi.ResourceOptions | None = None
    ) -> None:
        props = {**subaccount, "subaccount_id": None, "username": None, "server": None, "password": None}
        super().__init__(SubaccountProvider(), name, props, _secret(opts, ["password"]))


class Bucket(Resource, module="object_storage", name="Bucket"):
    access_key_id: pulumi.Output[str]
    secret_access_key: pulumi.Output[str]

    def __init__(self, name: str, bucket: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        props = {**bucket, **dict.fromkeys(SECRET_OUTPUTS)}
        super().__init__(BucketProvider(), name, props, _secret(opts, SECRET_OUTPUTS))
