"""The estate through the platform's own program: `pulumi up` of the `dev.estate` stack, as `dezky up` runs it.

Robot and the Storage Box API are the spec-checked emulators, Object Storage is moto's S3 server, the host is
the local OpenSSH server (files for real; k3s, Stalwart and systemd in dry run, see
`tests/hetzner_host/test_bootstrap_end_to_end.py` for exactly what runs), and the platform's OCIS application
lands in the Authentik emulator. The tests run in order on one stack.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi import automation as auto

from dezky.engine import runner
from tests.e2e.conftest import Project, estate_config, make_project
from tests.emulators import authentik as authentik_emulator
from tests.emulators.robot import PASSWORD
from tests.emulators.robot_state import SERVER_IPV4, SERVER_NUMBER
from tests.emulators.storage_box import TOKEN
from tests.fixtures.openssh import OpenSshServer
from tests.hetzner.conftest import S3_SECRET_KEY

pytestmark = pytest.mark.engine

STACK = "dev.estate"
RESTIC_PASSWORD = "restic-password-for-the-estate-e2e"


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
    config = {
        **estate_config(openssh, sandbox, moto_s3_session, robot_session.emulator.url,
                        storage_box_session.emulator.url, RESTIC_PASSWORD),
        "dezky:authentikUrl": auto.ConfigValue(authentik_server.emulator.url),
        "dezky:authentikToken": auto.ConfigValue(authentik_emulator.TOKEN, secret=True),
    }  # fmt: skip
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
    project, sandbox = estate_project
    state = next((project.work_dir / ".state" / ".pulumi" / "stacks").rglob(f"{STACK}.json")).read_text()
    environment = (sandbox / "etc/stalwart/stalwart.env").read_text()
    generated = environment.split('STALWART_RECOVERY_ADMIN="admin:', 1)[1].split('"', 1)[0]

    assert len(generated) == 40  # the program made Stalwart's admin password and wrote it to the host only
    for secret in (RESTIC_PASSWORD, generated, PASSWORD, TOKEN, S3_SECRET_KEY, authentik_emulator.TOKEN):
        assert secret not in state
    assert runner.preview(STACK, project.options).change_summary.get("same")
