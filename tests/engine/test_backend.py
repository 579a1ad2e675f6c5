"""Which backend a run uses, how an S3 backend URL is read, and the state bucket's versions (no engine)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from dezky.engine import backend
from dezky.engine.backend import S3Location, UnsupportedBackend
from dezky.engine.workspace import ROOT, TOOLS, StackName, engine_env, state_backend, state_path

HETZNER = (
    "s3://dezky-pulumi-state?endpoint=https://fsn1.your-objectstorage.com&region=fsn1&s3ForcePathStyle=true"
)


@pytest.fixture(autouse=True)
def no_backend_in_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("PULUMI_BACKEND_URL", "DEZKY_STATE_DIR"):
        monkeypatch.delenv(name, raising=False)


def test_the_file_backend_in_dot_state_is_the_default() -> None:
    assert state_backend() == f"file://{ROOT / '.state'}"
    assert state_path() == ROOT / ".state"


def test_dezky_state_dir_moves_the_file_backend(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DEZKY_STATE_DIR", str(tmp_path))

    assert state_backend() == f"file://{tmp_path}"


def test_pulumi_backend_url_is_honoured_and_reaches_the_cli(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DEZKY_STATE_DIR", str(tmp_path / "file-state"))
    monkeypatch.setenv("PULUMI_BACKEND_URL", HETZNER)

    env = engine_env(StackName("prod"))

    assert env["PULUMI_BACKEND_URL"] == HETZNER
    assert not (tmp_path / "file-state").exists()  # no file backend made on the side
    assert env["PULUMI_HOME"] == str(TOOLS / "pulumi-home")  # where the policy analyzer plugin is


def test_a_file_backend_url_is_the_folder_the_runner_looks_for_locks_in(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", f"file://{tmp_path / 'shared'}")

    env = engine_env(StackName("dev"))

    assert env["PULUMI_BACKEND_URL"] == f"file://{tmp_path / 'shared'}"
    assert (tmp_path / "shared").is_dir()
    assert state_path() == tmp_path / "shared"


def test_a_folder_given_explicitly_wins_over_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The test suite's throw-away projects pass their own folder: an operator's PULUMI_BACKEND_URL (prod's
    # bucket) in the shell must never receive their stacks.
    monkeypatch.setenv("PULUMI_BACKEND_URL", HETZNER)

    assert engine_env(StackName("dev"), tmp_path)["PULUMI_BACKEND_URL"] == f"file://{tmp_path}"


@pytest.mark.parametrize(
    "url", ["https://api.pulumi.com", "gs://bucket", "azblob://container", "postgres://db"]
)
def test_a_backend_the_data_loss_checks_cannot_read_is_refused(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", url)

    with pytest.raises(UnsupportedBackend, match="file:// or s3://"):
        engine_env(StackName("prod"))


def test_the_hetzner_url_is_read_as_the_cli_reads_it() -> None:
    location = S3Location.parse(HETZNER)

    assert location == S3Location(
        bucket="dezky-pulumi-state",
        endpoint="https://fsn1.your-objectstorage.com",
        region="fsn1",
        path_style=True,
    )
    assert location.stack_key("dezky", "prod") == ".pulumi/stacks/dezky/prod.json"


def test_a_prefix_a_bare_endpoint_and_the_v1_parameter_names() -> None:
    location = S3Location.parse(
        "s3://bucket/team/state?endpoint=minio:9000&disableSSL=true&use_path_style=true"
    )

    assert location.endpoint == "http://minio:9000"
    assert location.path_style
    assert location.stack_key("dezky", "dev") == "team/state/.pulumi/stacks/dezky/dev.json"


def test_file_urls_as_the_cli_reads_them(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))

    assert backend.file_folder("file://~/state") == tmp_path / "state"
    assert backend.file_folder("file:///srv/dezky/state") == Path("/srv/dezky/state")


def test_the_locks_of_a_file_backend(tmp_path: Path) -> None:
    folder = tmp_path / ".pulumi" / "locks" / "organization" / "dezky" / "prod"
    folder.mkdir(parents=True)
    content = {"pid": 4242, "username": "deploy", "hostname": "runner-1", "timestamp": "2026-11-30T03:15:00Z"}
    (folder / "0b6a.json").write_text(json.dumps(content))

    (lock,) = backend.stack_locks(f"file://{tmp_path}", "dezky", "prod")

    assert (lock.pid, lock.hostname, lock.username) == (4242, "runner-1", "deploy")
    assert backend.stack_locks(f"file://{tmp_path}", "dezky", "dev") == []


@pytest.fixture
def state_bucket(moto_s3_session: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> str:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "test")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "test")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "none"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "none"))
    name = f"state-{uuid.uuid4().hex[:12]}"
    url = f"s3://{name}?endpoint={moto_s3_session}&region=us-east-1&s3ForcePathStyle=true"
    S3Location.parse(url).client().create_bucket(Bucket=name)
    monkeypatch.setenv("PULUMI_BACKEND_URL", url)
    return url


def put_state(url: str, resources: list[str]) -> None:
    location = S3Location.parse(url)
    document = {"version": 3, "checkpoint": {"latest": {"resources": [{"urn": urn} for urn in resources]}}}
    location.client().put_object(
        Bucket=location.bucket, Key=location.stack_key("dezky", "prod"), Body=json.dumps(document).encode()
    )


def recorded(url: str) -> list[str] | None:
    document = backend.read_stack_document(url, "dezky", "prod")
    return None if document is None else [r["urn"] for r in document["checkpoint"]["latest"]["resources"]]


def test_the_operator_commands_turn_versioning_on_list_the_versions_and_restore_one(
    state_bucket: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert backend.main(["enable-versioning"]) == 0
    assert backend.versioning_enabled(state_bucket)
    assert capsys.readouterr().out.startswith("versioning on for state-")
    put_state(state_bucket, ["urn:a", "urn:b"])
    good = backend.state_versions(state_bucket, "dezky", "prod")[0]
    put_state(state_bucket, [])  # overwritten
    location = S3Location.parse(state_bucket)
    location.client().put_object(  # the CLI's backup copy shares the key's prefix and is no version of it
        Bucket=location.bucket, Key=location.stack_key("dezky", "prod") + ".bak", Body=b"{}"
    )

    assert backend.main(["versions", "--stack", "prod"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert len(listed) == 2 and listed[1].startswith(good.version_id)
    assert listed[0].endswith("(current)")

    assert backend.main(["restore", "--stack", "prod", good.version_id]) == 0
    assert recorded(state_bucket) == ["urn:a", "urn:b"]
    assert "restored prod to the state of" in capsys.readouterr().out


def test_a_deleted_state_is_restored_and_a_delete_marker_is_no_version_to_restore(state_bucket: str) -> None:
    backend.enable_versioning(state_bucket)
    put_state(state_bucket, ["urn:a"])
    location = S3Location.parse(state_bucket)
    location.client().delete_object(Bucket=location.bucket, Key=location.stack_key("dezky", "prod"))
    marker, good = backend.state_versions(state_bucket, "dezky", "prod")
    assert marker.deleted and marker.latest and recorded(state_bucket) is None

    with pytest.raises(ValueError, match="no version"):
        backend.restore_state(state_bucket, "dezky", "prod", marker.version_id)
    backend.restore_state(state_bucket, "dezky", "prod", good.version_id)

    assert recorded(state_bucket) == ["urn:a"]


def test_the_operator_commands_need_an_s3_backend(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PULUMI_BACKEND_URL", "file:///srv/state")

    assert backend.main(["versions", "--stack", "prod"]) == 2
