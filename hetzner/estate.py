"""The `Estate` component: the AX41, its rDNS and firewall, the Storage Boxes and the OCIS bucket, as one tree.

Built from `EstateSettings` (see `hetzner/settings.py`), so the stack decides what the estate is: the full
production estate in `prod`, and in `dev` only when the stack opts in with `dezky:estate` and local endpoints.
"""

from __future__ import annotations

from typing import Any

import pulumi

from hetzner.resources import (
    Bucket,
    DedicatedServer,
    ReverseDns,
    RobotFirewall,
    StorageBox,
    StorageBoxSubaccount,
)
from hetzner.robot.firewall import input_rules, output_rules
from hetzner.settings import EstateSettings, StorageBoxSettings, estate_settings
from k3s.ocis import S3Storage

__all__ = ["Estate", "EstateSettings", "estate_settings"]

# Restic reaches the boxes over SFTP from the AX41, inside Hetzner's network: nothing else is switched on.
BOX_ACCESS = {
    "reachable_externally": False,
    "samba_enabled": False,
    "ssh_enabled": True,
    "webdav_enabled": False,
    "zfs_enabled": False,
}
SUBACCOUNT_ACCESS = {
    "reachable_externally": False,
    "samba_enabled": False,
    "ssh_enabled": True,
    "webdav_enabled": False,
    "readonly": False,
}


class Estate(pulumi.ComponentResource):
    """Everything the tenants run on. `summary` and `monthly_cost_eur` are plain; `credentials` is secret."""

    def __init__(
        self, name: str, settings: EstateSettings, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__("dezky:hetzner:Estate", name, None, opts)
        self._prefix = name
        self.settings = settings
        self.server = DedicatedServer(
            f"{name}:server",
            settings.robot_server_number,
            str(settings.ipv4),
            str(settings.ipv6),
            pulumi.ResourceOptions(parent=self),
        )
        self.reverse_dns = self._reverse_dns()
        self.firewall = self._firewall()
        self.storage_boxes = {box.name: self._storage_box(box) for box in settings.storage_boxes}
        self.subaccounts = {
            (box.name, purpose): self._subaccount(box.name, purpose)
            for box in settings.storage_boxes
            for purpose in box.subaccounts
        }
        self.bucket = self._bucket()
        self.backup_accounts = self._backup_accounts()
        self.monthly_cost_eur = float(settings.monthly_cost_eur)
        self.summary = self._summary()
        self.credentials = pulumi.Output.secret(self._credentials())
        self.register_outputs(
            {
                "monthly_cost_eur": self.monthly_cost_eur,
                "summary": self.summary,
                "credentials": self.credentials,
            }
        )

    def _after_server(self) -> pulumi.ResourceOptions:
        # A wrong server number or address in the stack config stops here, before anything is changed.
        return pulumi.ResourceOptions(parent=self, depends_on=[self.server])

    def _protected(self) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, protect=self.settings.protect)

    def _reverse_dns(self) -> dict[str, ReverseDns]:
        addresses = {"ipv4": str(self.settings.ipv4), "ipv6": str(self.settings.ipv6)}
        return {
            version: ReverseDns(f"{self._prefix}:rdns:{version}", ip, self.settings.ptr, self._after_server())
            for version, ip in addresses.items()
        }

    def _firewall(self) -> RobotFirewall:
        firewall = {
            "server_number": self.settings.robot_server_number,
            "status": "active",
            "filter_ipv6": True,
            "whitelist_hos": True,
            "input": input_rules(self.settings.admin_networks),
            "output": output_rules(),
        }
        return RobotFirewall(f"{self._prefix}:firewall", firewall, self._after_server())

    def _storage_box(self, box: StorageBoxSettings) -> StorageBox:
        props = {
            "name": box.name,
            "location": box.location,
            "storage_box_type": box.type,
            "ssh_keys": list(box.ssh_keys),
            "access_settings": BOX_ACCESS,
        }
        return StorageBox(f"{self._prefix}:storage-box:{box.name}", props, self._protected())

    def _subaccount(self, box_name: str, purpose: str) -> StorageBoxSubaccount:
        box = self.storage_boxes[box_name]
        props = {
            "storage_box_id": box.box_id,
            "name": purpose,
            "home_directory": purpose,
            "access_settings": SUBACCOUNT_ACCESS,
            "description": f"dezky {purpose}",
        }
        opts = pulumi.ResourceOptions(parent=self, depends_on=[box])
        return StorageBoxSubaccount(f"{self._prefix}:subaccount:{box_name}:{purpose}", props, opts)

    def _bucket(self) -> Bucket:
        bucket = self.settings.bucket
        props = {
            "name": bucket.name,
            "region": bucket.region,
            "endpoint": bucket.endpoint,
            "abort_incomplete_uploads_days": bucket.abort_incomplete_uploads_days,
        }
        return Bucket(f"{self._prefix}:bucket:{bucket.name}", props, self._protected())

    def _backup_accounts(self) -> pulumi.Output[dict[str, dict[str, str]]]:
        """How restic on the host logs in to each box: its server and the first subaccount's user (the box's
        main user when it has none), by box name; the host bootstrap takes them from here."""
        accounts = {}
        for box in self.settings.storage_boxes:
            login = (
                self.subaccounts[(box.name, box.subaccounts[0])]
                if box.subaccounts
                else self.storage_boxes[box.name]
            )
            accounts[box.name] = pulumi.Output.all(self.storage_boxes[box.name].server, login.username).apply(
                lambda values: {"host": values[0], "user": values[1]}
            )
        return pulumi.Output.from_input(accounts)

    def ocis_storage(self) -> S3Storage:
        """The bucket as OCIS's S3 driver is configured with it; the keys stay secret."""
        bucket = self.settings.bucket
        return S3Storage(
            endpoint=bucket.endpoint,
            region=bucket.region,
            bucket=bucket.name,
            access_key=pulumi.Output.secret(self.bucket.access_key_id),
            secret_key=pulumi.Output.secret(self.bucket.secret_access_key),
        )

    def _summary(self) -> pulumi.Output[dict[str, Any]]:
        settings = self.settings
        boxes = {
            box.name: {
                "location": box.location,
                "type": box.type,
                "server": self.storage_boxes[box.name].server,
                "username": self.storage_boxes[box.name].username,
            }
            for box in settings.storage_boxes
        }
        subaccounts = {f"{box}/{purpose}": sub.username for (box, purpose), sub in self.subaccounts.items()}
        return pulumi.Output.from_input(
            {
                "server": {
                    "robot_server_number": settings.robot_server_number,
                    "ipv4": str(settings.ipv4),
                    "ipv6": str(settings.ipv6),
                    "ptr": settings.ptr,
                },
                "firewall": {
                    "admin_networks": list(settings.admin_networks),
                    "input_rules": len(input_rules(settings.admin_networks)),
                },
                "storage_boxes": boxes,
                "subaccounts": subaccounts,
                "bucket": {"name": settings.bucket.name, "endpoint": settings.bucket.endpoint},
                "monthly_cost_eur": self.monthly_cost_eur,
            }
        )

    def _credentials(self) -> pulumi.Output[dict[str, Any]]:
        return pulumi.Output.from_input(
            {
                "storage_boxes": {name: box.password for name, box in self.storage_boxes.items()},
                "subaccounts": {f"{b}/{p}": sub.password for (b, p), sub in self.subaccounts.items()},
                "bucket": {
                    "access_key_id": self.bucket.access_key_id,
                    "secret_access_key": self.bucket.secret_access_key,
                },
            }
        )
