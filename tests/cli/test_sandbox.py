"""`dezky sandbox up | status | down`, and a newcomer's session against it on a copy of the project.

The copy's dev stack keeps the dev stack's credentials (so the sandbox must accept exactly those) but points
at free loopback ports, so the test neither needs nor disturbs the dev ports on this machine.
"""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import httpx
import pytest
from pulumi import automation as auto

from dezky import sandbox
from dezky.engine.workspace import ROOT
from dezky.exit_codes import ExitCode
from tests.cli.conftest import RunDezky, run_program
from tests.e2e.conftest import Project, make_project
from tests.fixtures.powerdns import free_tcp_port, pdns_server_binary

SERVICES = sandbox.Services(
    powerdns_url="http://127.0.0.1:18081",
    powerdns_api_key="k",
    stalwart_url="http://127.0.0.1:18080",
    stalwart_token="s",
    authentik_url="http://127.0.0.1:19000",
    authentik_token="a",
    ocis_url="http://127.0.0.1:19200",
    ocis_user="dezky-service",
    ocis_token="o",
)
ZONE_URN_TAIL = (
    "dezky:tenant:Tenant$dezky:dns:TenantDns$pulumi-python:dynamic/dns:Zone::acme:zone:acme.dezky.eu"
)
CONFIG = {key: getattr(SERVICES, field) for field, key in sandbox._KEYS.items()}


# -- settings and refusals, without starting anything -----------------------------------------------------


def test_the_dev_stack_is_served_as_it_is_configured() -> None:
    text = (ROOT / "stacks" / "Pulumi.dev.yaml").read_text()

    assert "dezky:ocisUrl: http://127.0.0.1:9200" in text  # plain http on loopback: see dezky/sandbox.py


def test_settings_come_from_the_stack_config() -> None:
    assert sandbox.services_from_config(CONFIG) == SERVICES


@pytest.mark.parametrize(
    ("key", "value", "says"),
    [
        ("dezky:ocisUrl", "https://127.0.0.1:9200", "plain http"),
        ("dezky:stalwartUrl", "http://mail.example.com:8080", "loopback"),
        ("dezky:authentikUrl", "http://127.0.0.1", "explicit port"),
        ("dezky:ocisUser", "", "dezky:ocisUser"),
        ("dezky:dnsBackend", "hetzner", "powerdns"),
    ],
)
def test_settings_it_cannot_serve_are_refused_with_the_reason(key: str, value: str, says: str) -> None:
    with pytest.raises(sandbox.SandboxError, match=says):
        sandbox.services_from_config({**CONFIG, key: value})


def test_a_port_in_use_is_named_before_anything_starts(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        services = replace(SERVICES, stalwart_url=f"http://127.0.0.1:{port}")

        with pytest.raises(sandbox.SandboxError, match=f"port {port} \\(stalwart"):
            sandbox.up(services, tmp_path / "sandbox")

    assert not (tmp_path / "sandbox" / sandbox.PID_FILE).exists()


def test_down_and_status_without_a_sandbox(tmp_path: Path, dezky: RunDezky) -> None:
    down = dezky("sandbox", "down", "--dir", tmp_path)
    status = dezky("sandbox", "status", "--dir", tmp_path)

    assert down.exit_code == 0 and "not running" in down.stdout
    assert status.exit_code == ExitCode.FAILURE and "not running" in status.stdout


def test_a_stale_pid_file_is_not_a_running_sandbox(tmp_path: Path) -> None:
    (tmp_path / sandbox.PID_FILE).write_text("999999999\n")

    assert sandbox.status(tmp_path) is None
    assert not (tmp_path / sandbox.PID_FILE).exists()


# -- a newcomer's session ---------------------------------------------------------------------------------


@dataclass
class Sandboxed:
    project: Project
    directory: Path

    @property
    def where(self) -> tuple[str, ...]:
        return (
            "--work-dir",
            str(self.project.work_dir),
            "--state-dir",
            str(self.project.work_dir / ".state"),
        )

    def pid(self) -> int:
        return int((self.directory / sandbox.PID_FILE).read_text())


@pytest.fixture(scope="module")
def sandboxed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandboxed]:
    if pdns_server_binary() is None:
        pytest.skip("pdns_server is not installed (scripts/install-system-packages installs it)")
    urls = {
        key: auto.ConfigValue(f"http://127.0.0.1:{free_tcp_port()}")
        for key in sandbox._KEYS.values()
        if key.endswith("Url")
    }
    project = make_project(tmp_path_factory.mktemp("sandbox"), urls, [ROOT / "tenants" / "acme.yaml"])
    made = Sandboxed(project, project.work_dir / ".state" / "sandbox")
    yield made
    sandbox.down(made.directory)  # whatever a failed test left running


@pytest.mark.engine
@pytest.mark.pdns
def test_a_newcomer_runs_up_users_and_status_against_the_sandbox_and_down_stops_everything(
    sandboxed: Sandboxed,
) -> None:
    started = run_program("sandbox", "up", "--dir", sandboxed.directory, *sandboxed.where)
    assert started.returncode == 0, started.stdout + started.stderr
    ready = json.loads((sandboxed.directory / sandbox.READY_FILE).read_text())
    for url in ready["services"].values():
        assert url in started.stdout
    session = sandboxed.pid()
    commands = {
        Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")[0] for pid in sandbox.session_members(session)
    }
    assert any(command.endswith(b"pdns_server") for command in commands)  # the real PowerDNS
    again = run_program("sandbox", "up", "--dir", sandboxed.directory, *sandboxed.where)
    assert again.returncode == ExitCode.FAILURE and "already running" in again.stderr

    result = sandboxed.project.up()  # what `dezky up --stack dev --yes` runs, on the copy
    assert result.summary.result == "succeeded"

    users = run_program("users", "acme", "--folder", sandboxed.project.tenants_dir, *sandboxed.where)
    assert users.returncode == 0, users.stderr
    for line in ("anna.schmidt@acme-werkzeuge.de", "jonas.weber@acme-werkzeuge.de"):
        row = next(row for row in users.stdout.splitlines() if line in row)
        assert "active" in row and "enabled" in row  # Authentik login and Stalwart mailbox, read live
    status = run_program("status", *sandboxed.where)
    assert status.returncode == 0 and "acme" in status.stdout and "ready" in status.stdout
    zone = httpx.get(
        f"{ready['services']['powerdns']}/api/v1/servers/localhost/zones/acme-werkzeuge.de.",
        headers={"X-API-Key": "dev-powerdns-key"},  # the dev stack's key
    )
    assert zone.status_code == 200

    # `dezky pulumi` reads and edits the same stack: outputs, and the state (protect, then unprotect).
    pulumi = ("pulumi", *sandboxed.where)
    output = run_program(*pulumi, "stack", "output", "tenants", "--stack", "dev", "--json")
    assert output.returncode == 0, output.stderr
    assert json.loads(output.stdout)["acme"]["dns"] == "ready"
    urn = f"urn:pulumi:dev::dezky::{ZONE_URN_TAIL}"
    for verb in ("protect", "unprotect"):
        edited = run_program(*pulumi, "state", verb, "--stack", "dev", "--yes", urn)
        assert edited.returncode == 0, edited.stdout + edited.stderr
        assert f"1 resources {verb}ed" in edited.stdout

    stopped = run_program("sandbox", "down", "--dir", sandboxed.directory)
    assert stopped.returncode == 0 and f"pid {session}" in stopped.stdout
    assert sandbox.session_members(session) == []  # the sandbox and its PowerDNS are gone
    assert not (sandboxed.directory / sandbox.PID_FILE).exists()

    # What the services held comes back with the next `up`, so the stack's state still matches them.
    restarted = run_program("sandbox", "up", "--dir", sandboxed.directory, *sandboxed.where)
    assert restarted.returncode == 0, restarted.stderr
    users = run_program("users", "acme", "--folder", sandboxed.project.tenants_dir, *sandboxed.where)
    assert users.stdout.count("enabled") == 2, users.stdout
    session = sandboxed.pid()
    assert run_program("sandbox", "down", "--dir", sandboxed.directory).returncode == 0
    assert sandbox.session_members(session) == []
