"""The estate through the platform's own program: `pulumi up` of the `dev.estate` stack, as `dezky up` runs it.

Robot and the Storage Box API are the spec-checked emulators, Object Storage is moto's S3 server, the host is
the local OpenSSH server (files for real; k3s, Stalwart and systemd in dry run, see
`tests/hetzner_host/test_bootstrap_end_to_end.py` for exactly what runs), and the platform's OCIS application
lands in the Authentik emulator. The tests run in order on one stack.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pulumi import automation as auto

from dezky.engine import runner
from tests.e2e.conftest import Project, make_project
from tests.emulators import authentik as authentik_emulator
from tests.emulators.robot import PASSWORD, USER
from tests.emulators.robot_state import SERVER_IPV4, SERVER_IPV6_NET, SERVER_NUMBER
from tests.emulators.storage_box import TOKEN
from tests.fixtures.openssh import OpenSshServer
from tests.hetzner.conftest import S3_ACCESS_KEY, S3_SECRET_KEY

pytestmark = pytest.mark.engine

STACK = "dev.estate"
RESTIC_PASSWORD = "restic-password-for-the-estate-e2e"
ADMIN_HASH = "$6$e2e$not-a-real-admin-hash"


@pytest.fixture(scope="module")
def estate_project(
    tmp_path_factory: pytest.TempPathFactory,
    openssh: OpenSshServer,
    moto_s3_session: str,
    robot_session,
    storage_box_session,
    authentik_server,
) -> tuple[Project, Path]:
    base = tmp_path_factory.mktemp("estate-e2e")
    sandbox = base / "host"
    for server in (robot_session, storage_box_session, authentik_server):
        server.emulator.reset()
    boxes = {
        alias: {"alias": alias, "host": openssh.host, "user": openssh.user, "path": f"{sandbox}/boxes/{alias}",
                "port": openssh.port, "host_key": openssh.known_hosts_line}
        for alias in ("storagebox", "helsinki")
    }  # fmt: skip
    estate = {
        "robotServerNumber": SERVER_NUMBER,
        "ipv4": SERVER_IPV4,
        "ipv6": f"{SERVER_IPV6_NET}2",
        "ptr": "mail.dezky.eu",
        "adminNetworks": ["198.51.100.0/24"],
        "bucket": {"name": "dezky-ocis", "region": "fsn1", "endpoint": moto_s3_session},
        "protect": False,  # the test stack is thrown away; prod keeps the default
    }
    host = {
        "address": openssh.host,
        "sshPort": openssh.port,
        "sshUser": openssh.user,
        "sshHostKey": openssh.known_hosts_line,
        "root": str(sandbox),
        "storageBox": boxes["storagebox"],
        "helsinkiBox": boxes["helsinki"],
        "sftpCommand": openssh.ssh_command() + " -s sftp",
    }
    secret = {
        "robotUser": USER, "robotPassword": PASSWORD, "hetznerToken": TOKEN, "s3AccessKey": S3_ACCESS_KEY,
        "s3SecretKey": S3_SECRET_KEY, "hostSshPrivateKey": openssh.private_key, "backupSshPrivateKey":
        openssh.private_key, "resticPassword": RESTIC_PASSWORD, "stalwartAdminSecretHash": ADMIN_HASH,
        "authentikToken": authentik_emulator.TOKEN,
    }  # fmt: skip
    config = {
        "dezky:estate": auto.ConfigValue(json.dumps(estate)),
        "dezky:host": auto.ConfigValue(json.dumps(host)),
        "dezky:robotEndpoint": auto.ConfigValue(robot_session.emulator.url),
        "dezky:storageBoxEndpoint": auto.ConfigValue(storage_box_session.emulator.url),
        "dezky:s3AddressingStyle": auto.ConfigValue("path"),
        "dezky:estatePollSeconds": auto.ConfigValue("0.01"),
        "dezky:authentikUrl": auto.ConfigValue(authentik_server.emulator.url),
        **{f"dezky:{key}": auto.ConfigValue(value, secret=True) for key, value in secret.items()},
    }
    project = make_project(base, {}, tenants=[])
    project.stack(STACK).set_all_config(
        {"dezky:tenantsDir": auto.ConfigValue(str(project.tenants_dir)), **config}, path=True
    )
    return project, sandbox


def test_up_builds_the_estate_bootstraps_the_host_and_registers_the_ocis_application(
    estate_project: tuple[Project, Path],
    robot_session,
    storage_box_session,
    authentik_server,
) -> None:
    project, sandbox = estate_project

    result = project.up(STACK)

    outputs = result.outputs
    assert outputs["estate_monthly_cost_eur"].value == pytest.approx(50.40)
    assert outputs["estate"].value["bucket"]["name"] == "dezky-ocis"
    assert set(outputs["estate_host"].value["dry_run_steps"]) >= {"k3s-install", "stalwart-install"}
    assert outputs["estate_kubeconfig"].secret and outputs["estate_credentials"].secret
    robot, boxes = robot_session.emulator, storage_box_session.emulator
    assert robot.account.rdns[SERVER_IPV4] == "mail.dezky.eu"
    assert robot.account.firewalls[SERVER_NUMBER]["status"] == "active"
    assert sorted(box["name"] for box in boxes.project.boxes.values()) == ["dezky-backups", "dezky-dr"]
    assert (sandbox / "etc/ssh/sshd_config.d/50-dezky-hardening.conf").exists()
    assert (sandbox / "etc/rancher/k3s/config.yaml").exists()
    applications = authentik_server.emulator.instance.applications.values()
    ocis = next(app for app in applications if app["slug"] == "ocis")
    assert ocis["meta_launch_url"] == "https://files.dezky.eu/"
    assert outputs["platform_oidc"].value["issuer"] == "https://id.dezky.eu/application/o/ocis/"
    assert "✅ dezky-platform" in project.printed() and "❌" not in project.printed()


def test_second_up_of_the_estate_changes_nothing(estate_project: tuple[Project, Path]) -> None:
    project, _ = estate_project

    result = project.up(STACK)

    assert set(result.summary.resource_changes) == {"same"}


def test_the_estate_stack_keeps_its_secrets_out_of_the_state(estate_project: tuple[Project, Path]) -> None:
    project, _ = estate_project
    state = next((project.work_dir / ".state" / ".pulumi" / "stacks").rglob(f"{STACK}.json")).read_text()

    for secret in (RESTIC_PASSWORD, ADMIN_HASH, PASSWORD, TOKEN, S3_SECRET_KEY, authentik_emulator.TOKEN):
        assert secret not in state
    assert runner.preview(STACK, project.options).change_summary.get("same")
