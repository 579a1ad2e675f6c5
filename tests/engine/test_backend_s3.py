"""The state in an S3 bucket (Hetzner Object Storage in prod), against moto's standalone S3 server.

Two "machines" share the bucket: each has its own checkout (work dir) and its own PULUMI_HOME, and the real CLI
reads the backend from PULUMI_BACKEND_URL with keys from the environment, as a CI runner and an operator would.
"""

from __future__ import annotations

import contextlib
import logging
import re
import shutil
import socket
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pytest
from pulumi import automation as auto

from dezky.engine import runner, workspace
from dezky.engine.backend import (
    S3Location,
    enable_versioning,
    read_stack_document,
    restore_state,
    stack_locks,
    state_versions,
    versioning_enabled,
)
from dezky.engine.workspace import ROOT, TOOLS_BIN

pytestmark = pytest.mark.engine

MOTO_REGION = "eu-central-1"
STATE_KEY = ".pulumi/stacks/dezky/dev.json"


@dataclass
class Bucket:
    name: str
    url: str
    client: Any

    def objects(self) -> set[str]:
        listed = self.client.list_objects_v2(Bucket=self.name)
        return {item["Key"] for item in listed.get("Contents", [])}


@pytest.fixture
def bucket(moto_s3_session: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Bucket:
    """A fresh versioned state bucket, PULUMI_BACKEND_URL naming it and S3 keys in the environment."""
    for name, value in {
        "AWS_ACCESS_KEY_ID": "dezky-state-test",
        "AWS_SECRET_ACCESS_KEY": "dezky-state-test-secret",
        "AWS_CONFIG_FILE": str(tmp_path / "no-aws-config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "no-aws-credentials"),
        "AWS_EC2_METADATA_DISABLED": "true",
        # Any stale lock in the checkout's own `.state/` must not be mistaken for one of these stacks.
        "DEZKY_STATE_DIR": str(tmp_path / "unused-file-backend"),
    }.items():
        monkeypatch.setenv(name, value)
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_REGION", "AWS_DEFAULT_REGION"):
        monkeypatch.delenv(name, raising=False)
    name = f"dezky-state-{uuid.uuid4().hex[:12]}"
    # The URL of the README's Hetzner bucket (region fsn1, path style), with moto's endpoint.
    url = f"s3://{name}?endpoint={moto_s3_session}&region=fsn1&s3ForcePathStyle=true"
    client = S3Location.parse(url).client()
    # moto knows AWS's regions only; it serves the bucket whatever region a request is signed for.
    creator = replace(S3Location.parse(url), region=MOTO_REGION).client()
    creator.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": MOTO_REGION})
    enable_versioning(url)
    monkeypatch.setenv("PULUMI_BACKEND_URL", url)
    return Bucket(name, url, client)


@dataclass
class Machine:
    """One checkout of the project with its own PULUMI_HOME (`.tools/pulumi-home`); the backend comes from
    the environment."""

    work_dir: Path
    tools: Path
    monkeypatch: pytest.MonkeyPatch
    output: list[str] = field(default_factory=list)

    @property
    def home(self) -> Path:
        return self.tools / "pulumi-home"

    @property
    def options(self) -> runner.EngineOptions:
        self.monkeypatch.setattr(workspace, "TOOLS", self.tools)  # engine_env: PULUMI_HOME of this machine
        return runner.EngineOptions(work_dir=self.work_dir, state_dir=None, on_output=self.output.append)

    def stack(self) -> auto.Stack:
        return runner.open_stack("dev", self.options)

    def up(self) -> auto.UpResult:
        return runner.up("dev", self.options)

    def preview(self) -> auto.PreviewResult:
        return runner.preview("dev", self.options)


def checkout(base: Path, monkeypatch: pytest.MonkeyPatch, own_home: bool) -> Machine:
    """The project's Pulumi.yaml and dev stack config (as git has them) and no tenant files; with `own_home`,
    a PULUMI_HOME of its own holding only what scripts/build-pulumi puts there (the policy analyzer)."""
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is missing: `make test` builds it (scripts/build-pulumi)")
    work_dir = base / "checkout"
    (work_dir / "stacks").mkdir(parents=True)
    (work_dir / "tenants").mkdir()
    shutil.copy(ROOT / "Pulumi.yaml", work_dir / "Pulumi.yaml")
    config = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()
    tenants = f"  dezky:tenantsDir: {work_dir / 'tenants'}\n"
    (work_dir / "stacks" / "Pulumi.dev.yaml").write_text(
        config.replace("config:\n", "config:\n" + tenants, 1)
    )
    if not own_home:
        return Machine(work_dir, workspace.TOOLS, monkeypatch)
    tools = base / ".tools"
    # The analyzer launcher runs `<its folder>/../../../../.venv/bin/python`: the project's venv.
    shutil.copytree(workspace.TOOLS / "pulumi-home" / "plugins", tools / "pulumi-home" / "plugins",
                    ignore=shutil.ignore_patterns("*.lastused", "*.lock"))  # fmt: skip
    (base / ".venv").symlink_to(ROOT / ".venv")
    (tools / "bin").symlink_to(TOOLS_BIN)  # the same CLI build
    return Machine(work_dir, tools, monkeypatch)


@pytest.fixture
def machines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, bucket: Bucket) -> tuple[Machine, Machine]:
    return checkout(tmp_path / "a", monkeypatch, False), checkout(tmp_path / "b", monkeypatch, True)


class _Requests(logging.Handler):
    def __init__(self, bucket: str) -> None:
        super().__init__(logging.INFO)
        self.bucket = bucket
        self.seen: list[tuple[str, str]] = []

    def emit(self, record: logging.LogRecord) -> None:
        # werkzeug's access log: ... "GET /bucket/key?query HTTP/1.1" 200 - (coloured by status)
        line = re.sub(r"\x1b\[[0-9;]*m", "", record.getMessage())
        method, _, rest = line.partition('"')[2].partition(" ")
        path = rest.split(" ", 1)[0]
        if path.startswith(f"/{self.bucket}"):
            self.seen.append((method, path))


@contextlib.contextmanager
def requests_to(bucket: Bucket) -> Iterator[list[tuple[str, str]]]:
    """Every request moto's server answers for the bucket meanwhile, as (method, path)."""
    server_log = logging.getLogger("werkzeug")
    handler, level = _Requests(bucket.name), server_log.level
    server_log.addHandler(handler)
    server_log.setLevel(logging.INFO)
    try:
        yield handler.seen
    finally:
        server_log.removeHandler(handler)
        server_log.setLevel(level)


def urns(stack: auto.Stack) -> list[str]:
    return [resource["urn"] for resource in stack.export_stack().deployment.get("resources") or []]


def test_an_up_stores_the_state_in_the_bucket_and_another_machine_sees_it(
    bucket: Bucket, machines: tuple[Machine, Machine]
) -> None:
    a, b = machines

    a.up()

    assert STATE_KEY in bucket.objects()
    assert not (a.work_dir / ".state").exists()
    document = read_stack_document(bucket.url, "dezky", "dev")
    assert document is not None
    recorded = [item["urn"] for item in document["checkpoint"]["latest"]["resources"]]
    assert recorded == ["urn:pulumi:dev::dezky::pulumi:pulumi:Stack::dezky-dev"]
    assert stack_locks(bucket.url, "dezky", "dev") == []  # the run released its lock

    with requests_to(bucket) as requests:  # B: a review runner, whose keys may only read the bucket
        on_b = b.stack()
        assert urns(on_b) == recorded
        assert [(entry.kind, entry.result) for entry in on_b.history()] == [("update", "succeeded")]
        assert on_b.outputs()["tenant_count"].value == 0
        assert b.preview().change_summary == {"same": 1}
    assert requests and {method for method, _ in requests} <= {"GET", "HEAD"}, requests
    assert b.home != a.home and list(b.home.glob("workspaces/*.json"))  # B selected the stack in its own home


HOLD_THE_LOCK = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    from dezky.engine import runner
    from dezky.program import run

    work_dir, ready, release = (Path(arg) for arg in sys.argv[1:4])

    def program():
        run()
        ready.write_text("running")  # the CLI took the stack's lock before starting the program
        deadline = time.monotonic() + 300
        while not release.exists() and time.monotonic() < deadline:
            time.sleep(0.2)

    stack = runner.open_stack("dev", runner.EngineOptions(work_dir=work_dir, on_output=None))
    stack.up(program=program, color="never")
    """
)


@pytest.fixture
def run_in_progress(tmp_path: Path, machines: tuple[Machine, Machine]) -> Iterator[Path]:
    """Machine A in the middle of an up, in its own process: yields the file that lets it finish."""
    a, _ = machines
    ready, release = tmp_path / "ready", tmp_path / "release"
    process = subprocess.Popen(
        [sys.executable, "-c", HOLD_THE_LOCK, str(a.work_dir), str(ready), str(release)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 240
        while not ready.exists():
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"machine A's up did not start: {process.communicate(timeout=30)[0]}")
            time.sleep(0.2)
        yield release
        out, _ = process.communicate(timeout=240)
        assert process.returncode == 0, out
    finally:
        release.touch()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_concurrent_run_from_another_machine_is_refused_by_the_lock_in_the_bucket(
    bucket: Bucket, machines: tuple[Machine, Machine], run_in_progress: Path
) -> None:
    _, b = machines
    locks = stack_locks(bucket.url, "dezky", "dev")
    assert len(locks) == 1
    assert locks[0].key.startswith(".pulumi/locks/organization/dezky/dev/")
    assert locks[0].hostname == socket.gethostname()

    with pytest.raises(auto.CommandError) as refused:
        b.up()

    message = str(refused.value)
    assert "the stack is currently locked by 1 lock(s)" in message
    assert f"s3://{bucket.name}/{locks[0].key}" in message.replace("%2F", "/")
    assert f"(pid {locks[0].pid})" in message
    assert read_stack_document(bucket.url, "dezky", "dev") is not None
    assert stack_locks(bucket.url, "dezky", "dev") == locks  # B neither took nor broke A's lock

    run_in_progress.touch()  # A finishes and unlocks; then B's run goes through
    _wait_for_no_locks(bucket)
    b.up()
    kinds = [(entry.kind, entry.result) for entry in b.stack().history()]
    assert kinds == [("update", "succeeded"), ("update", "succeeded")]


def _wait_for_no_locks(bucket: Bucket, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while stack_locks(bucket.url, "dezky", "dev"):
        assert time.monotonic() < deadline, "machine A never released its lock"
        time.sleep(0.5)


def test_an_overwritten_or_deleted_state_is_restored_from_an_earlier_version(
    bucket: Bucket, machines: tuple[Machine, Machine]
) -> None:
    a, b = machines
    assert versioning_enabled(bucket.url)
    a.up()
    deployed = urns(a.stack())
    good = state_versions(bucket.url, "dezky", "dev")[0]
    assert good.latest and deployed

    # Overwritten: a destroy run by mistake writes a state with nothing in it.
    a.stack().destroy(color="never", on_output=a.output.append)
    assert urns(b.stack()) == []
    after = {version.version_id: version for version in state_versions(bucket.url, "dezky", "dev")}
    assert not after[good.version_id].latest  # kept as a noncurrent version

    restore_state(bucket.url, "dezky", "dev", good.version_id)

    assert urns(b.stack()) == deployed
    assert b.preview().change_summary == {"same": 1}  # the engine plans from the restored state

    # Deleted: the state object is gone (a delete marker is its current version).
    bucket.client.delete_object(Bucket=bucket.name, Key=STATE_KEY)
    assert read_stack_document(bucket.url, "dezky", "dev") is None
    assert state_versions(bucket.url, "dezky", "dev")[0].deleted

    restore_state(bucket.url, "dezky", "dev", good.version_id)

    assert urns(b.stack()) == deployed
    versions = state_versions(bucket.url, "dezky", "dev")
    assert versions[0].latest and not versions[0].deleted
    assert good.version_id in {version.version_id for version in versions}  # nothing was lost on the way
