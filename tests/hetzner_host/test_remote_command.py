"""`RemoteCommand`'s provider against a real sshd: it runs, re-runs, undoes, and in dry-run mode only records."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from hetzner.remote.provider import DRY_RUN_MARK, RemoteCommandError, RemoteCommandProvider
from tests.fixtures.openssh import OpenSshServer
from tests.hetzner_host.conftest import command_props

GOOD_UNIT = """[Unit]
Description=Dezky test service

[Service]
Type=oneshot
ExecStart=/opt/dezky-test/not-installed --flag

[Install]
WantedBy=multi-user.target
"""


def test_create_runs_the_command_on_the_host_and_returns_its_stdout(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    marker = tmp_path / "created"
    props = command_props(openssh, tmp_path, f"touch {marker}; echo hello from $(hostname)")

    result = commands.create(props)

    assert marker.exists()
    assert result.outs["stdout"].startswith("hello from ")
    assert result.outs["stderr"] == ""


def test_environment_reaches_the_command_but_not_its_command_line(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(
        openssh,
        tmp_path,
        'printf %s "$TOKEN" > ' + str(tmp_path / "token") + "; tr '\\0' ' ' < /proc/$$/cmdline",
        environment={"TOKEN": "s3cr3t-token-value"},
    )

    result = commands.create(props)

    assert (tmp_path / "token").read_text() == "s3cr3t-token-value"
    assert result.outs["stdout"].startswith("bash /tmp/dezky-run-")
    assert "s3cr3t" not in result.outs["stdout"]


def test_stdin_is_fed_to_the_command(commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path):
    stdin = "line one\nline two\n" * 5000  # larger than one SSH window
    props = command_props(openssh, tmp_path, "sha256sum", stdin=stdin)

    result = commands.create(props)

    assert result.outs["stdout"].split()[0] == hashlib.sha256(stdin.encode()).hexdigest()


def test_changed_trigger_replaces_and_reruns_create_after_delete(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    journal = tmp_path / "journal"
    props = command_props(
        openssh, tmp_path, f"echo create >> {journal}", delete=f"echo delete >> {journal}", triggers=["v1"]
    )
    first = commands.create(props)
    changed = {**props, "triggers": ["v2"]}

    diff = commands.diff(first.id, first.outs, changed)
    # the engine replaces with delete first, as the diff asks
    commands.delete(first.id, first.outs)
    commands.create(changed)

    assert diff.replaces == ["triggers"] and diff.delete_before_replace
    assert journal.read_text().split() == ["create", "delete", "create"]


def test_changed_reruns_on_reruns_create_in_place_without_the_delete(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    journal = tmp_path / "journal"
    props = command_props(
        openssh,
        tmp_path,
        f"echo create >> {journal}",
        delete=f"echo delete >> {journal}",
        reruns_on=["sha-1"],
    )
    first = commands.create(props)
    changed = {**props, "reruns_on": ["sha-2"]}

    diff = commands.diff(first.id, first.outs, changed)
    commands.update(first.id, first.outs, changed)

    assert diff.changes and diff.replaces == []
    assert journal.read_text().split() == ["create", "create"]


def test_unchanged_inputs_make_no_diff(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(openssh, tmp_path, "true", triggers=["same"])
    created = commands.create(props)

    assert not commands.diff(created.id, created.outs, props).changes


def test_update_runs_the_update_command_with_the_previous_stdout(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(
        openssh, tmp_path, "echo first", update='echo "update after: $PULUMI_COMMAND_STDOUT"'
    )
    created = commands.create(props)

    updated = commands.update(created.id, created.outs, {**props, "environment": {"LEVEL": "2"}})

    assert updated.outs["stdout"] == "update after: first"


def test_changing_only_the_delete_command_runs_nothing(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    journal = tmp_path / "journal"
    props = command_props(openssh, tmp_path, f"echo create >> {journal}")
    created = commands.create(props)

    commands.update(created.id, created.outs, {**props, "delete": "echo bye"})

    assert journal.read_text().split() == ["create"]


def test_delete_runs_the_delete_command_with_the_last_stdout(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    record = tmp_path / "deleted"
    props = command_props(
        openssh, tmp_path, "echo installed", delete=f'echo "$PULUMI_COMMAND_STDOUT" > {record}'
    )
    created = commands.create(props)

    commands.delete(created.id, created.outs)

    assert record.read_text() == "installed\n"


def test_failing_command_names_host_and_exit_status_and_masks_environment_values(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(
        openssh, tmp_path, 'echo "bad password $PW" >&2; exit 3', environment={"PW": "hunter2pw"}
    )

    with pytest.raises(RemoteCommandError) as failure:
        commands.create(props)

    message = str(failure.value)
    assert f"root@127.0.0.1:{openssh.port}: create of test-command exited with 3" in message
    assert "bad password [secret]" in message and "hunter2pw" not in message


def test_secret_command_output_is_never_quoted_in_an_error(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(openssh, tmp_path, "echo kubeconfig-data; exit 1", secret=True)

    with pytest.raises(RemoteCommandError) as failure:
        commands.create(props)

    assert "kubeconfig-data" not in str(failure.value)


def test_dry_run_records_what_would_run_and_runs_nothing(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    marker = tmp_path / "installed"
    props = command_props(
        openssh, tmp_path, f"touch {marker}", dry_run=True, environment={"K3S_TOKEN": "t0ken-value"}
    )

    result = commands.create(props)

    assert not marker.exists()
    assert result.outs["stdout"].startswith(DRY_RUN_MARK)
    log_text = (tmp_path / "dry-run.log").read_text()
    entry = json.loads(log_text)
    assert (entry["phase"], entry["command"], entry["environment"]) == (
        "create",
        f"touch {marker}",
        ["K3S_TOKEN"],
    )
    assert "t0ken-value" not in log_text


def test_dry_run_refuses_a_script_with_a_syntax_error(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    props = command_props(openssh, tmp_path, "if true; then echo unclosed", dry_run=True)

    with pytest.raises(RemoteCommandError, match="checks failed"):
        commands.create(props)
    assert not (tmp_path / "dry-run.log").exists()


def test_dry_run_accepts_a_good_unit_whose_binary_is_not_installed_yet(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    unit = tmp_path / "dezky-test.service"
    unit.write_text(GOOD_UNIT)
    props = command_props(
        openssh, tmp_path, "systemctl enable --now dezky-test.service", dry_run=True, units=[str(unit)]
    )

    assert commands.create(props).outs["stdout"].startswith(DRY_RUN_MARK)
    # for real, the missing binary is a problem
    with pytest.raises(RemoteCommandError, match="not-installed"):
        commands.create({**props, "dry_run": False})


def test_dry_run_refuses_a_unit_with_an_unknown_key(
    commands: RemoteCommandProvider, openssh: OpenSshServer, tmp_path: Path
):
    unit = tmp_path / "dezky-test.service"
    unit.write_text(GOOD_UNIT.replace("Type=oneshot", "Typo=oneshot"))
    props = command_props(openssh, tmp_path, "systemctl daemon-reload", dry_run=True, units=[str(unit)])

    with pytest.raises(RemoteCommandError, match="Typo"):
        commands.create(props)
