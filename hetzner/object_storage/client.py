"""A thin client for Hetzner Object Storage through its S3 API, with boto3 (the maintained S3 client).

Hetzner Object Storage speaks S3 at `https://<location>.your-objectstorage.com`, with the location (`fsn1`) as
region. Retries are boto3's own standard mode: it knows S3's throttling and transient error codes, which an
HTTP-level retry cannot see. Errors are turned into the program's `ApiError`, naming the bucket, the call, the
status and S3's own code and message; the keys never appear in them.
"""

from __future__ import annotations

import functools
import threading
from dataclasses import dataclass, field
from typing import Any, Literal

import boto3
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from components.common.http import ApiError

SERVICE = "Hetzner Object Storage"
ABORT_RULE_ID = "abort-incomplete-multipart-uploads"

BucketState = Literal["missing", "ours", "foreign"]
_SESSION_LOCK = threading.Lock()


@functools.cache
def _models() -> boto3.session.Session:
    """One boto3 session for the process: it holds no credentials, only the parsed service models, which take
    a few hundred milliseconds to load. Sessions are not thread-safe, so clients are made under a lock."""
    return boto3.session.Session()


@dataclass(frozen=True)
class S3Credentials:
    """An S3 key pair created in the Hetzner Console (Object Storage has no API that creates keys)."""

    access_key_id: str = field(repr=False)
    secret_access_key: str = field(repr=False)
    # Hetzner serves virtual-hosted buckets (`bucket.fsn1.your-objectstorage.com`); a local test server on an
    # IP address needs path style.
    addressing_style: Literal["virtual", "path"] = "virtual"
    request_timeout: float = 15.0


@dataclass(frozen=True)
class BucketLocation:
    endpoint: str
    region: str


class ObjectStorageClient:
    """One boto3 client for one endpoint and region."""

    def __init__(self, credentials: S3Credentials, location: BucketLocation) -> None:
        self._location = location
        with _SESSION_LOCK:
            self._s3 = self._new_s3(credentials, location)

    @staticmethod
    def _new_s3(credentials: S3Credentials, location: BucketLocation) -> Any:
        return _models().client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=location.region,
            aws_access_key_id=credentials.access_key_id,
            aws_secret_access_key=credentials.secret_access_key,
            config=Config(
                s3={"addressing_style": credentials.addressing_style},
                # boto3 >= 1.36 adds CRC checksums to every upload by default, which S3-compatible stores
                # (Hetzner's included) reject; checksums only where S3 requires them.
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
                retries={"mode": "standard", "max_attempts": 5},
                connect_timeout=min(5.0, credentials.request_timeout),
                read_timeout=credentials.request_timeout,
            ),
        )

    def __repr__(self) -> str:
        return f"ObjectStorageClient(endpoint={self._location.endpoint!r}, region={self._location.region!r})"

    def __enter__(self) -> ObjectStorageClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._s3.close()

    def bucket_state(self, bucket: str) -> BucketState:
        """Bucket names are shared by every customer of the endpoint: 403 means somebody else owns it."""
        try:
            self._call("HeadBucket", bucket, self._s3.head_bucket, Bucket=bucket)
        except ApiError as error:
            if error.status == 404:
                return "missing"
            if error.status == 403:
                return "foreign"
            raise
        return "ours"

    def create_bucket(self, bucket: str) -> None:
        config = {"LocationConstraint": self._location.region}
        self._call(
            "CreateBucket", bucket, self._s3.create_bucket, Bucket=bucket, CreateBucketConfiguration=config
        )

    def bucket_region(self, bucket: str) -> str:
        answer = self._call("GetBucketLocation", bucket, self._s3.get_bucket_location, Bucket=bucket)
        return answer.get("LocationConstraint") or "us-east-1"  # S3 spells the default region as null

    def abort_incomplete_uploads_after(self, bucket: str) -> int | None:
        """Days after which unfinished multipart uploads are removed, or None without such a rule."""
        try:
            answer = self._call(
                "GetBucketLifecycleConfiguration",
                bucket,
                self._s3.get_bucket_lifecycle_configuration,
                Bucket=bucket,
            )
        except ApiError as error:
            if "NoSuchLifecycleConfiguration" in error.message:
                return None
            raise
        for rule in answer.get("Rules", []):
            if rule.get("ID") == ABORT_RULE_ID and rule.get("Status") == "Enabled":
                return int(rule["AbortIncompleteMultipartUpload"]["DaysAfterInitiation"])
        return None

    def set_abort_incomplete_uploads_after(self, bucket: str, days: int | None) -> None:
        if days is None:
            self._call("DeleteBucketLifecycle", bucket, self._s3.delete_bucket_lifecycle, Bucket=bucket)
            return
        rule = {
            "ID": ABORT_RULE_ID,
            "Status": "Enabled",
            "Filter": {"Prefix": ""},
            "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": days},
        }
        self._call(
            "PutBucketLifecycleConfiguration",
            bucket,
            self._s3.put_bucket_lifecycle_configuration,
            Bucket=bucket,
            LifecycleConfiguration={"Rules": [rule]},
        )

    def is_empty(self, bucket: str) -> bool:
        answer = self._call("ListObjectsV2", bucket, self._s3.list_objects_v2, Bucket=bucket, MaxKeys=1)
        return not answer.get("KeyCount")

    def delete_bucket(self, bucket: str) -> None:
        self._call("DeleteBucket", bucket, self._s3.delete_bucket, Bucket=bucket)

    def _call(self, operation: str, bucket: str, method: Any, **kwargs: Any) -> dict[str, Any]:
        url = f"{self._location.endpoint.rstrip('/')}/{bucket}"
        try:
            return method(**kwargs)
        except ClientError as error:
            status = int(error.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
            details = error.response.get("Error", {})
            message = f"{details.get('Code', 'Unknown')}: {details.get('Message') or 'no message'}"
            raise ApiError(SERVICE, operation, url, status, message) from None
        except BotoCoreError as error:
            # Connection failures and the like: botocore's text names the endpoint, never the keys.
            raise ApiError(SERVICE, operation, url, 0, type(error).__name__ + ": " + str(error)) from None
