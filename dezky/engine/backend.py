"""Where the stacks' state lives: a file backend (dev, the default) or an S3 bucket that every machine shares.

The Pulumi CLI reads the backend from `PULUMI_BACKEND_URL`. Dezky passes it on unchanged when it is set, and
otherwise points the CLI at a file backend in `.state/` (or `DEZKY_STATE_DIR`). A bucket on Hetzner Object
Storage (or any S3 server) is named as the CLI's diy backend takes it (gocloud.dev's s3blob, AWS SDK v2):

    s3://dezky-pulumi-state?endpoint=https://fsn1.your-objectstorage.com&region=fsn1&s3ForcePathStyle=true

The S3 keys come from the environment as the AWS SDK reads them (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
or `AWS_PROFILE` / `?profile=` with `~/.aws/credentials`), never from the URL. The CLI locks a stack for an
update with a lock object in the bucket (`.pulumi/locks/<org>/<project>/<stack>/<id>.json`), so a second run
from any machine is refused while one is under way.

The bucket has versioning on: every write of a stack's state (`.pulumi/stacks/<project>/<stack>.json`) keeps the
previous one as a noncurrent version, and a deleted object leaves a delete marker. `state_versions` lists them,
`restore_state` makes one of them current again (`python -m dezky.engine.backend --help`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gzip
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlparse

#: the schemes Dezky runs on: the policy pack and the runner read the state and its locks from these
SUPPORTED_SCHEMES = ("file", "s3")
#: what the CLI's diy backend keeps below the URL
BOOKKEEPING = ".pulumi"


class UnsupportedBackend(ValueError):
    """A `PULUMI_BACKEND_URL` Dezky cannot read its state from (the data-loss checks need the checkpoint)."""


def file_url(folder: Path) -> str:
    return f"file://{folder}"


def backend_url(state_dir: Path | None, default_dir: Path) -> str:
    """The backend a run uses.

    A folder given explicitly (tests, `EngineOptions.state_dir`) is a file backend there; otherwise
    `PULUMI_BACKEND_URL` when set; otherwise the file backend in `default_dir` (`DEZKY_STATE_DIR` or `.state/`).
    """
    if state_dir is not None:
        return file_url(state_dir)
    url = os.environ.get("PULUMI_BACKEND_URL", "").strip()
    if not url:
        return file_url(default_dir)
    check_supported(url)
    return url


def check_supported(url: str) -> None:
    scheme = urlparse(url).scheme
    if scheme not in SUPPORTED_SCHEMES:
        raise UnsupportedBackend(
            f"PULUMI_BACKEND_URL={url!r}: Dezky runs on a file:// or s3:// backend "
            f"(its data-loss checks read the stack's checkpoint from there), not {scheme or 'this'}://"
        )


def is_file_backend(url: str) -> bool:
    return urlparse(url).scheme == "file"


def file_folder(url: str) -> Path:
    """The folder of a `file://` backend, read as the CLI does (`file://~/state`, `file:///srv/state`)."""
    path = url.removeprefix("file://").split("?", 1)[0]
    return Path(os.path.expanduser(unquote(path))).absolute()


@dataclass(frozen=True)
class S3Location:
    """An `s3://` backend URL taken apart as the CLI reads it (bucket, key prefix, client options)."""

    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None
    path_style: bool = False
    profile: str | None = None

    @classmethod
    def parse(cls, url: str) -> S3Location:
        parsed = urlparse(url)
        if parsed.scheme != "s3" or not parsed.netloc:
            raise UnsupportedBackend(f"{url!r} is not an s3://bucket backend URL")
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        plain_http = _truthy(query.get("disable_https") or query.get("disableSSL"))
        endpoint = query.get("endpoint")
        if endpoint and "://" not in endpoint:  # the CLI adds the scheme the same way
            endpoint = ("http://" if plain_http else "https://") + endpoint
        path_style = _truthy(query.get("s3ForcePathStyle") or query.get("use_path_style"))
        prefix = parsed.path.strip("/")
        return cls(
            bucket=parsed.netloc,
            prefix=f"{prefix}/" if prefix else "",
            endpoint=endpoint,
            region=query.get("region"),
            path_style=path_style,
            profile=query.get("profile"),
        )

    def key(self, *parts: str) -> str:
        return self.prefix + "/".join((BOOKKEEPING, *parts))

    def stack_key(self, project: str, stack: str) -> str:
        return self.key("stacks", project, f"{stack}.json")

    def client(self) -> Any:
        import boto3  # only S3 backends need it
        from botocore.config import Config

        session = (
            boto3.session.Session(profile_name=self.profile) if self.profile else boto3.session.Session()
        )
        config = Config(
            s3={"addressing_style": "path" if self.path_style else "auto"},
            request_checksum_calculation="when_required",  # as the CLI does for a non-AWS endpoint
            response_checksum_validation="when_required",
        )
        return session.client("s3", endpoint_url=self.endpoint, region_name=self.region, config=config)


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes")


def read_stack_document(url: str, project: str, stack: str) -> dict[str, Any] | None:
    """The stack's state file (what `pulumi stack export` wraps) from a file or S3 backend; None when absent."""
    if is_file_backend(url):
        folder = file_folder(url) / BOOKKEEPING / "stacks" / project
        for candidate in (folder / f"{stack}.json", folder / f"{stack}.json.gz"):
            if candidate.exists():
                return _decode(candidate.read_bytes(), candidate.name)
        return None
    location = S3Location.parse(url)
    client = location.client()
    for key in (location.stack_key(project, stack), location.stack_key(project, stack) + ".gz"):
        try:
            body = client.get_object(Bucket=location.bucket, Key=key)["Body"].read()
        except client.exceptions.NoSuchKey:
            continue
        return _decode(body, key)
    return None


def _decode(raw: bytes, name: str) -> dict[str, Any]:
    return json.loads(gzip.decompress(raw) if name.endswith(".gz") else raw)


@dataclass(frozen=True)
class Lock:
    """A run's lock on a stack: the object (or file) and what the CLI wrote in it."""

    key: str
    pid: int | None
    hostname: str | None
    username: str | None
    timestamp: str | None


def stack_locks(url: str, project: str, stack: str, organization: str = "organization") -> list[Lock]:
    """The locks the CLI holds on a stack, in either backend (a run in progress, or one that died)."""
    parts = ("locks", organization, project, stack)
    if is_file_backend(url):
        folder = file_folder(url).joinpath(BOOKKEEPING, *parts)
        found = sorted(folder.glob("*.json")) if folder.is_dir() else []
        return [_lock(str(path), _read_json(path.read_bytes())) for path in found]
    location = S3Location.parse(url)
    client = location.client()
    listed = client.list_objects_v2(Bucket=location.bucket, Prefix=location.key(*parts) + "/")
    locks = []
    for item in listed.get("Contents", []):
        body = client.get_object(Bucket=location.bucket, Key=item["Key"])["Body"].read()
        locks.append(_lock(item["Key"], _read_json(body)))
    return locks


def _read_json(raw: bytes) -> dict[str, Any]:
    try:
        loaded = json.loads(raw)
    except ValueError:
        return {}
    return loaded if isinstance(loaded, dict) else {}


def _lock(key: str, content: dict[str, Any]) -> Lock:
    pid = content.get("pid")
    return Lock(
        key,
        pid if isinstance(pid, int) else None,
        content.get("hostname"),
        content.get("username"),
        content.get("timestamp"),
    )


# --- versioning and restore (S3 backends) -------------------------------------------------------------------


def enable_versioning(url: str) -> None:
    """Turn versioning on for the state bucket (idempotent). Hetzner Object Storage supports it per bucket."""
    location = S3Location.parse(url)
    location.client().put_bucket_versioning(
        Bucket=location.bucket, VersioningConfiguration={"Status": "Enabled"}
    )


def versioning_enabled(url: str) -> bool:
    location = S3Location.parse(url)
    status = location.client().get_bucket_versioning(Bucket=location.bucket).get("Status")
    return status == "Enabled"


@dataclass(frozen=True)
class StateVersion:
    """One version of a stack's state object; `deleted` for the marker a delete left."""

    version_id: str
    modified: dt.datetime
    size: int
    latest: bool
    deleted: bool = False


def state_versions(url: str, project: str, stack: str) -> list[StateVersion]:
    """Every version of the stack's state object, newest first (needs versioning on the bucket)."""
    location = S3Location.parse(url)
    key = location.stack_key(project, stack)
    client = location.client()
    versions: list[StateVersion] = []
    for page in client.get_paginator("list_object_versions").paginate(Bucket=location.bucket, Prefix=key):
        for item in page.get("Versions", []):
            if item["Key"] == key:  # the prefix also matches `<stack>.json.bak`
                versions.append(
                    StateVersion(item["VersionId"], item["LastModified"], item["Size"], item["IsLatest"])
                )
        for item in page.get("DeleteMarkers", []):
            if item["Key"] == key:
                versions.append(
                    StateVersion(item["VersionId"], item["LastModified"], 0, item["IsLatest"], deleted=True)
                )
    return sorted(versions, key=lambda version: (version.modified, version.latest), reverse=True)


def restore_state(url: str, project: str, stack: str, version_id: str) -> StateVersion:
    """Make an earlier version of the stack's state current again, as a new version (nothing is lost: the
    state it replaces stays a noncurrent version). Works as well after the object was deleted."""
    location = S3Location.parse(url)
    key = location.stack_key(project, stack)
    known = {version.version_id: version for version in state_versions(url, project, stack)}
    chosen = known.get(version_id)
    if chosen is None or chosen.deleted:
        raise ValueError(f"{key} has no version {version_id!r} to restore")
    client = location.client()
    client.copy_object(
        Bucket=location.bucket,
        Key=key,
        CopySource={"Bucket": location.bucket, "Key": key, "VersionId": version_id},
    )
    return chosen


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m dezky.engine.backend",
        description="The S3 state bucket named by PULUMI_BACKEND_URL: versioning, versions, restore.",
    )
    parser.add_argument("--project", default="dezky")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("enable-versioning", help="turn versioning on for the state bucket")
    listing = commands.add_parser("versions", help="the versions of a stack's state, newest first")
    listing.add_argument("--stack", required=True)
    restore = commands.add_parser("restore", help="make a version of a stack's state current again")
    restore.add_argument("--stack", required=True)
    restore.add_argument("version_id")
    args = parser.parse_args(argv)
    url = os.environ.get("PULUMI_BACKEND_URL", "")
    if urlparse(url).scheme != "s3":
        print("set PULUMI_BACKEND_URL to the s3:// state bucket", file=sys.stderr)
        return 2
    if args.command == "enable-versioning":
        enable_versioning(url)
        print(f"versioning on for {S3Location.parse(url).bucket}")
    elif args.command == "versions":
        for version in state_versions(url, args.project, args.stack):
            what = "deleted" if version.deleted else f"{version.size} bytes"
            current = " (current)" if version.latest else ""
            print(f"{version.version_id}  {version.modified.isoformat()}  {what}{current}")
    else:
        restored = restore_state(url, args.project, args.stack, args.version_id)
        print(
            f"restored {args.stack} to the state of {restored.modified.isoformat()} ({restored.version_id})"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
