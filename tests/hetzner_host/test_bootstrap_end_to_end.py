"""The real Pulumi engine applies `HostBootstrap` to the local sshd: files and Stalwart's install for real,
k3s and systemd in dry run.

The stack runs an inline program of its own, so these tests reach every step of the bootstrap on their own;
the platform's program bootstraps the same host from `dezky:host` (`tests/e2e/test_estate_end_to_end.py`).
The tests run in order on one stack: up, a second up that changes nothing, secrets kept out of the state,
drift seen by refresh and repaired, destroy.

What runs for real on this machine: every file write and its read-back, the package check (`dpkg-query`, no
install needed once `scripts/install-system-packages` ran), `sshd -t` on the hardening drop-in, `apt-config` on
the unattended-upgrades drop-in, `bash -n` of every command, `systemd-analyze verify` of the units, and the
backup script's `init`, which creates both restic repositories over SFTP, and Stalwart's install: download
(a stand-in release tarball, `tests/fixtures/stalwart_standin.py`), sha256 check, unpack and `--version`; the
test then starts the installed binary with the environment file the bootstrap wrote and signs in with the
admin password the program generated. What is recorded, not run: the k3s installer and uninstaller, reading
the kubeconfig, the Stalwart system account, and every `systemctl`.
"""

from __future__ import annotations

import base64
import json
import shlex
import socket
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pulumi
import pytest
from pulumi import automation as auto

from components.common.generated import GeneratedSecret
from dezky.engine.workspace import TOOLS_BIN, StackName, engine_env, pulumi_command
from hetzner.host import DEV_DRY_RUN, BackupSettings, HostBootstrap, HostBootstrapArgs
from hetzner.host_config import HostLayout, StalwartSettings, StorageBox
from hetzner.remote.ssh import connect
from tests.fixtures.openssh import OpenSshServer
from tests.fixtures.stalwart_standin import VERSION, StandinRelease, build_standin_release

pytestmark = pytest.mark.engine

RESTIC_PASSWORD = "restic-password-for-the-e2e-only"
RECORDED = {
    "k3s-install",
    "kubeconfig",
    "stalwart-service",
    "sshd-reload",
    "backup-timer",
}


@dataclass
class HostStack:
    stack: auto.Stack
    sandbox: Path
    layout: HostLayout
    state_dir: Path
    output: list[str] = field(default_factory=list)

    def dry_run_entries(self) -> list[dict]:
        log = Path(self.layout.dry_run_log)
        return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []

    def printed(self) -> str:
        return "".join(self.output)

    def state_file_text(self) -> str:
        """The state as the file backend stores it (`export_stack` would decrypt the secrets)."""
        return (self.state_dir / ".pulumi" / "stacks" / "dezky-host-e2e" / "dev.json").read_text()


def bootstrap_program(openssh: OpenSshServer, sandbox: Path, release: StandinRelease):
    def program() -> None:
        config = pulumi.Config("dezky")
        admin = GeneratedSecret("stalwart-admin", "Stalwart's recovery admin password")
        boxes = [
            StorageBox(alias, openssh.host, openssh.user, f"{sandbox}/boxes/{alias}", openssh.port,
                       openssh.known_hosts_line)
            for alias in ("storagebox", "helsinki")
        ]  # fmt: skip
        args = HostBootstrapArgs(
            target=openssh.target,
            backup=BackupSettings(
                *boxes,
                restic_password=config.require_secret("resticPassword"),
                ssh_private_key=config.require_secret("hostSshPrivateKey"),
                sftp_command=openssh.ssh_command() + " -s sftp",
            ),
            stalwart_admin_password=admin.value,
            stalwart=StalwartSettings(sha256=release.sha256, download_url=release.url),
            dry_run=DEV_DRY_RUN - {"stalwart"},
            layout=HostLayout().under(str(sandbox)),
        )
        host = HostBootstrap("ax41", args)
        pulumi.export("stalwart_admin_password", admin.value)
        pulumi.export("stalwart_version", host.commands["stalwart-install"].stdout)
        pulumi.export("kubeconfig", host.kubeconfig)
        pulumi.export("dry_run_steps", host.dry_run_steps)

    return program


@pytest.fixture(scope="module")
def host_stack(openssh: OpenSshServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[HostStack]:
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is missing: `make test` builds it (scripts/build-pulumi)")
    base = tmp_path_factory.mktemp("host-e2e")
    sandbox, work_dir = base / "host", base / "project"
    work_dir.mkdir()
    env = engine_env(StackName("dev"), base / "state")
    workspace = auto.LocalWorkspace(
        work_dir=str(work_dir),
        program=bootstrap_program(openssh, sandbox, build_standin_release(base)),
        env_vars=env,
        pulumi_command=pulumi_command(),
        pulumi_home=env["PULUMI_HOME"],
        project_settings=auto.ProjectSettings(name="dezky-host-e2e", runtime="python"),
    )
    stack = auto.Stack.create_or_select("dev", workspace)
    stack.set_all_config(
        {
            "dezky:hostSshPrivateKey": auto.ConfigValue(openssh.private_key, secret=True),
            "dezky:resticPassword": auto.ConfigValue(RESTIC_PASSWORD, secret=True),
        }
    )
    yield HostStack(stack, sandbox, HostLayout().under(str(sandbox)), base / "state")


def test_first_up_writes_every_file_runs_the_checks_and_records_k3s_and_systemd(host_stack: HostStack):
    result = host_stack.stack.up(on_output=host_stack.output.append, color="never")

    layout = host_stack.layout
    assert result.summary.result == "succeeded"
    assert {e["resource"].rsplit(":", 1)[-1] for e in host_stack.dry_run_entries()} == RECORDED
    assert set(result.outputs["dry_run_steps"].value) == RECORDED
    assert oct(Path(layout.k3s_config).stat().st_mode & 0o777) == "0o600"
    assert oct(Path(layout.restic_password).stat().st_mode & 0o777) == "0o600"
    assert oct(Path(layout.backup_script).stat().st_mode & 0o777) == "0o755"
    assert Path(layout.restic_password).read_text() == RESTIC_PASSWORD + "\n"
    password = result.outputs["stalwart_admin_password"]
    assert password.secret and len(password.value) == 40
    assert (
        f'STALWART_RECOVERY_ADMIN="admin:{password.value}"' in Path(layout.stalwart_environment).read_text()
    )
    assert oct(Path(layout.stalwart_environment).stat().st_mode & 0o777) == "0o600"
    assert result.outputs["stalwart_version"].value.strip() == f"stalwart {VERSION} (dezky test stand-in)"
    # the backup script's `init` ran for real: both repositories exist on the SFTP server
    assert (host_stack.sandbox / "boxes" / "storagebox" / "config").is_file()
    assert (host_stack.sandbox / "boxes" / "helsinki" / "config").is_file()
    kubeconfig = result.outputs["kubeconfig"]
    assert kubeconfig.secret and kubeconfig.value.startswith("# DRY RUN PLACEHOLDER")


def test_installed_stalwart_answers_the_generated_admin_password_and_refuses_another(
    host_stack: HostStack, openssh: OpenSshServer
):
    layout = host_stack.layout
    password = host_stack.stack.outputs()["stalwart_admin_password"].value
    port = _free_port()
    start = (
        f"set -a; . {shlex.quote(layout.stalwart_environment)}; set +a; STALWART_STANDIN_PORT={port} "
        f"nohup {layout.stalwart_bin_dir}/stalwart --config={layout.stalwart_config} >/dev/null 2>&1 & echo $!"
    )
    with connect(openssh.target, openssh.credentials) as ssh:
        pid = ssh.exec(start).stdout.strip()
    try:
        answers = [_jmap(port, ("admin", password)), _jmap(port, ("admin", "not-the-password"))]
    finally:
        with connect(openssh.target, openssh.credentials) as ssh:
            ssh.exec(f"kill {pid}")

    assert answers == [200, 401]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _jmap(port: int, auth: tuple[str, str]) -> int:
    body = {"using": ["urn:ietf:params:jmap:core"], "methodCalls": [["x:Domain/query", {}, "q"]]}
    header = "Basic " + base64.b64encode(":".join(auth).encode()).decode()
    for _ in range(100):
        try:
            reply = httpx.post(f"http://127.0.0.1:{port}/jmap", json=body, headers={"Authorization": header})
            return reply.status_code
        except httpx.TransportError:
            time.sleep(0.1)
    raise AssertionError(f"the installed stand-in never answered on port {port}")


def test_second_up_changes_nothing(host_stack: HostStack):
    recorded_before = len(host_stack.dry_run_entries())

    result = host_stack.stack.up(on_output=host_stack.output.append, color="never")

    assert set(result.summary.resource_changes or {}) == {"same"}
    assert len(host_stack.dry_run_entries()) == recorded_before


def test_no_secret_in_plaintext_in_the_state_the_engine_output_or_the_dry_run_log(
    host_stack: HostStack, openssh: OpenSshServer
):
    state = host_stack.state_file_text()
    elsewhere = host_stack.printed() + Path(host_stack.layout.dry_run_log).read_text()

    key_body = openssh.private_key.splitlines()[1]
    admin_password = host_stack.stack.outputs()["stalwart_admin_password"].value
    for secret in (RESTIC_PASSWORD, admin_password, key_body, "DRY RUN PLACEHOLDER"):
        assert secret not in state
        assert secret not in elsewhere
    assert "ciphertext" in state


def test_refresh_sees_a_file_edited_on_the_host_and_up_puts_it_back(host_stack: HostStack):
    dropin = Path(host_stack.layout.sshd_dropin)
    wanted = dropin.read_text()
    dropin.write_text(wanted.replace("MaxAuthTries 3", "MaxAuthTries 10"))

    refreshed = host_stack.stack.refresh(on_output=host_stack.output.append, color="never")
    result = host_stack.stack.up(on_output=host_stack.output.append, color="never")

    assert refreshed.summary.resource_changes.get("update") == 1
    assert result.summary.resource_changes.get("update") == 1
    assert dropin.read_text() == wanted


def test_destroy_records_the_k3s_uninstall_and_removes_the_files(host_stack: HostStack):
    result = host_stack.stack.destroy(on_output=host_stack.output.append, color="never")

    deletes = {
        e["resource"].rsplit(":", 1)[-1] for e in host_stack.dry_run_entries() if e["phase"] == "delete"
    }
    assert result.summary.result == "succeeded"
    assert deletes == {"k3s-install", "stalwart-service", "backup-timer"}
    assert not Path(host_stack.layout.stalwart_bin_dir).exists()  # the install's delete ran for real
    assert not Path(host_stack.layout.sshd_dropin).exists()
    assert not Path(host_stack.layout.restic_password).exists()
