"""The Pulumi dynamic provider for the OCIS bucket on Hetzner Object Storage.

The S3 key pair comes from the stack configuration in `configure` (`dezky:s3AccessKey`, `dezky:s3SecretKey`,
optionally `dezky:s3AddressingStyle`). Hetzner has no API that creates S3 keys, so the pair made in the Console
is the bucket's: the resource hands it on to OCIS as outputs it marks secret.
"""

from __future__ import annotations

import re
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from components.common.provider import ConflictError
from hetzner.common import EstateObjectProvider
from hetzner.object_storage.client import BucketLocation, ObjectStorageClient, S3Credentials

SECRET_OUTPUTS = ("access_key_id", "secret_access_key")
_BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")  # Hetzner: no dots, no upper case


def s3_credentials_from_config(config: Any) -> S3Credentials:
    return S3Credentials(
        access_key_id=config.require("dezky:s3AccessKey"),
        secret_access_key=config.require("dezky:s3SecretKey"),
        addressing_style=config.get("dezky:s3AddressingStyle") or "virtual",
    )


class BucketProvider(EstateObjectProvider):
    """One bucket, by name: its region and the rule that clears uploads OCIS never finished."""

    service = "Hetzner Object Storage"
    replace_keys = ("name", "region", "endpoint")
    secret_outputs = SECRET_OUTPUTS

    def settings_from_config(self, config: Any) -> S3Credentials:
        return s3_credentials_from_config(config)

    def client(self, props: dict[str, Any]) -> ObjectStorageClient:
        return ObjectStorageClient(
            self.settings, BucketLocation(str(props["endpoint"]), str(props["region"]))
        )

    def object_id(self, props: dict[str, Any]) -> str:
        return str(props["name"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        days = props.get("abort_incomplete_uploads_days")
        return {
            "name": str(props["name"]),
            "region": str(props["region"]).lower(),
            "endpoint": str(props["endpoint"]).rstrip("/"),
            "abort_incomplete_uploads_days": None if days is None else int(days),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        name = str(props.get("name", ""))
        if _BUCKET_NAME.match(name):
            return []
        return [CheckFailure("name", f"`{name}`: 3-63 lower-case letters, digits and dashes")]

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.client(props) as s3:
            state = s3.bucket_state(object_id)
            if state == "missing":
                return None
            if state == "foreign":
                raise ConflictError(
                    f"{self.service}: bucket {object_id} belongs to another customer or to keys "
                    "without access to it; bucket names are shared by everyone on the endpoint."
                )
            observed = {
                **self.normalise(props),
                "region": s3.bucket_region(object_id),
                "abort_incomplete_uploads_days": s3.abort_incomplete_uploads_after(object_id),
            }
        return {**observed, **self._keys()}

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        with self.client(props) as s3:
            if existing is None:
                s3.create_bucket(wanted["name"])
            current = None if existing is None else s3.abort_incomplete_uploads_after(wanted["name"])
            if current != wanted["abort_incomplete_uploads_days"]:
                s3.set_abort_incomplete_uploads_after(wanted["name"], wanted["abort_incomplete_uploads_days"])
        return {**wanted, **self._keys()}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.client(props) as s3:
            if s3.bucket_state(object_id) != "ours":
                return
            if not s3.is_empty(object_id):
                # OCIS data lives here; deleting the resource must not delete the files.
                pulumi.log.warn(f"bucket {object_id} kept: it still holds objects")
                return
            s3.delete_bucket(object_id)

    def _keys(self) -> dict[str, str]:
        return {
            "access_key_id": self.settings.access_key_id,
            "secret_access_key": self.settings.secret_access_key,
        }
