"""The OCIS bucket on a real S3 implementation (moto's standalone server), through boto3 as in production."""

from __future__ import annotations

import socket
from typing import Any

import boto3
import pytest
from botocore.config import Config

from components.common.http import ApiError
from components.common.provider import ConflictError
from hetzner.object_storage.client import BucketLocation, ObjectStorageClient, S3Credentials
from hetzner.object_storage.provider import BucketProvider

from .conftest import S3_ACCESS_KEY, S3_SECRET_KEY, S3Calls, configured

BUCKET = "dezky-ocis"


@pytest.fixture
def bucket(s3_config: dict[str, str]) -> BucketProvider:
    return configured(BucketProvider(), s3_config)


def props(url: str, **change: Any) -> dict[str, Any]:
    return {"name": BUCKET, "region": "fsn1", "endpoint": url, "abort_incomplete_uploads_days": 7, **change}


def raw_s3(url: str) -> Any:
    """Another S3 user of the same service, to change things behind the program's back."""
    return boto3.client(
        "s3",
        endpoint_url=url,
        region_name="fsn1",
        aws_access_key_id=S3_ACCESS_KEY,
        aws_secret_access_key=S3_SECRET_KEY,
        config=Config(s3={"addressing_style": "path"}),
    )


def test_bucket_is_created_in_its_region_with_the_upload_cleanup_rule(
    bucket: BucketProvider, s3: tuple[str, S3Calls]
) -> None:
    url, calls = s3

    created = bucket.create(props(url))

    assert created.id == BUCKET
    assert raw_s3(url).get_bucket_location(Bucket=BUCKET)["LocationConstraint"] == "fsn1"
    (rule,) = raw_s3(url).get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert rule["AbortIncompleteMultipartUpload"] == {"DaysAfterInitiation": 7}
    assert calls.writes == ["CreateBucket", "PutBucketLifecycleConfiguration"]


def test_bucket_outputs_carry_the_keys_for_ocis(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    outs = bucket.create(props(s3[0])).outs

    assert (outs["access_key_id"], outs["secret_access_key"]) == (S3_ACCESS_KEY, S3_SECRET_KEY)


def test_second_up_after_first_makes_no_writes(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    url, calls = s3
    outs = bucket.create(props(url)).outs
    calls.operations.clear()

    assert not bucket.diff(BUCKET, outs, props(url)).changes
    assert bucket.read(BUCKET, outs).outs == outs
    assert calls.writes == []


def test_identical_bucket_is_adopted_without_writes(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    url, calls = s3
    bucket.create(props(url))
    calls.operations.clear()

    assert bucket.create(props(url)).outs["name"] == BUCKET
    assert calls.writes == []


def test_different_bucket_of_the_same_name_is_refused_untouched(
    bucket: BucketProvider, s3: tuple[str, S3Calls]
) -> None:
    url, calls = s3
    raw_s3(url).create_bucket(Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "fsn1"})
    calls.operations.clear()

    with pytest.raises(ConflictError, match="already exists with different content") as caught:
        bucket.create(props(url))

    assert calls.writes == []
    assert S3_SECRET_KEY not in str(caught.value) and S3_ACCESS_KEY not in str(caught.value)


def test_rule_removed_by_hand_shows_as_drift_and_update_restores_it(
    bucket: BucketProvider, s3: tuple[str, S3Calls]
) -> None:
    url, calls = s3
    outs = bucket.create(props(url)).outs
    raw_s3(url).delete_bucket_lifecycle(Bucket=BUCKET)

    refreshed = bucket.read(BUCKET, outs).outs
    assert refreshed["abort_incomplete_uploads_days"] is None
    assert bucket.diff(BUCKET, refreshed, props(url)).changes
    calls.operations.clear()

    bucket.update(BUCKET, refreshed, props(url))

    assert calls.writes == ["PutBucketLifecycleConfiguration"]


def test_empty_bucket_is_deleted(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    url, _ = s3
    outs = bucket.create(props(url)).outs

    bucket.delete(BUCKET, outs)

    assert bucket.read(BUCKET, outs).id is None


def test_bucket_holding_files_is_kept(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    url, calls = s3
    outs = bucket.create(props(url)).outs
    raw_s3(url).put_object(Bucket=BUCKET, Key="spaces/a/blob", Body=b"tenant data")
    calls.operations.clear()

    bucket.delete(BUCKET, outs)

    assert calls.writes == [] and bucket.read(BUCKET, outs).id == BUCKET


def test_bucket_name_s3_would_refuse_fails_check(bucket: BucketProvider, s3: tuple[str, S3Calls]) -> None:
    assert [f.property for f in bucket.check({}, props(s3[0], name="Dezky.OCIS")).failures] == ["name"]


def test_s3_errors_name_bucket_call_and_code_but_never_the_keys(s3: tuple[str, S3Calls]) -> None:
    url, _ = s3
    credentials = S3Credentials(S3_ACCESS_KEY, S3_SECRET_KEY, addressing_style="path")

    with (
        ObjectStorageClient(credentials, BucketLocation(url, "fsn1")) as client,
        pytest.raises(ApiError) as caught,
    ):
        client.delete_bucket("no-such-bucket")

    assert (caught.value.method, caught.value.status) == ("DeleteBucket", 404)
    assert caught.value.message.startswith("NoSuchBucket:") and caught.value.url.endswith("/no-such-bucket")
    _assert_no_keys(caught.value, credentials, client)


def test_unreachable_endpoint_is_an_api_error_without_the_keys() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    credentials = S3Credentials(S3_ACCESS_KEY, S3_SECRET_KEY, addressing_style="path", request_timeout=1.0)
    location = BucketLocation(f"http://127.0.0.1:{closed_port}", "fsn1")

    with ObjectStorageClient(credentials, location) as client, pytest.raises(ApiError) as caught:
        client.bucket_state(BUCKET)

    assert caught.value.status == 0 and "EndpointConnectionError" in caught.value.message
    _assert_no_keys(caught.value, credentials, client)


def _assert_no_keys(error: Exception, *objects: object) -> None:
    texts = [str(error), repr(error), *(repr(o) for o in objects)]
    assert not [t for t in texts if S3_SECRET_KEY in t or S3_ACCESS_KEY in t]
    assert (error.__cause__ is None and error.__context__ is None) or "Signature" not in str(
        error.__context__
    )
