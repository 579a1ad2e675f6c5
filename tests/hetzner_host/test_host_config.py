"""What the bootstrap renders: snapshots of every file, and checks only a real program can make of them."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from syrupy.assertion import SnapshotAssertion

from hetzner.backup import render_backup_script
from hetzner.host import BackupSettings, HostBootstrapArgs, command_steps
from hetzner.host_config import (
    HostLayout,
    K3sSettings,
    StalwartSettings,
    StorageBox,
    backup_plan,
    render_backup_ssh_config,
    render_backup_units,
    render_k3s_config,
    render_known_hosts,
    render_placeholder_kubeconfig,
    render_sshd_hardening,
    render_stalwart_config,
    render_stalwart_environment,
    render_stalwart_unit,
    render_unattended_upgrades,
)
from hetzner.remote.checks import parse_unit
from hetzner.remote.ssh import connect
from k3s.authentik import DEFAULT_DUMP_DIR as AUTHENTIK_DUMP_DIR
from tests.fixtures.openssh import running_sshd

BOXES = (
    StorageBox("dezky-storagebox", "u100001.your-storagebox.de", "u100001-sub1", "/home/restic", 23, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBoxKeyOneForTheSnapshotTestsOnly0000000 box"),
    StorageBox("dezky-helsinki", "u100002.your-storagebox.de", "u100002-sub1", "/home/restic", 23, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBoxKeyTwoForTheSnapshotTestsOnly0000000"),
)  # fmt: skip
LAYOUT = HostLayout()


def test_rendered_host_files_match_their_snapshots(snapshot: SnapshotAssertion):
    service, timer = render_backup_units(LAYOUT)
    rendered = {
        "sshd": render_sshd_hardening(),
        "unattended-upgrades": render_unattended_upgrades(),
        "k3s": render_k3s_config(K3sSettings(tls_sans=("ax41.dezky.eu",))),
        "stalwart.json": render_stalwart_config(LAYOUT),
        "stalwart.env": render_stalwart_environment(StalwartSettings(), "generated-password"),
        "stalwart.service": render_stalwart_unit(LAYOUT),
        "dezky-backup": render_backup_script(backup_plan(LAYOUT, *BOXES)),
        "dezky-backup.service": service,
        "dezky-backup.timer": timer,
        "ssh_config": render_backup_ssh_config(LAYOUT, BOXES),
        "known_hosts": render_known_hosts(BOXES),
    }
    assert rendered == snapshot


def test_backup_script_keeps_7_daily_4_weekly_12_monthly_and_copies_to_helsinki():
    script = render_backup_script(backup_plan(LAYOUT, *BOXES))

    assert "forget --tag dezky-nightly --keep-daily 7 --keep-weekly 4 --keep-monthly 12 --prune" in script
    assert "copy --from-repo sftp:dezky-storagebox:/home/restic" in script
    assert "restic --repo sftp:dezky-helsinki:/home/restic" in script
    subprocess.run(["bash", "-n"], input=script, text=True, check=True)


def test_backup_saves_stalwart_ocis_metadata_the_authentik_dump_and_the_k3s_snapshot():
    plan = backup_plan(LAYOUT, *BOXES)

    assert plan.paths == (
        "/var/lib/stalwart",
        "/var/lib/ocis/storage/users",
        AUTHENTIK_DUMP_DIR,
        "/var/lib/dezky-backup",
    )
    assert [dump.name for dump in plan.dumps] == ["k3s"]


def test_rendered_units_pass_the_fallback_parser_and_a_broken_one_does_not():
    service, timer = render_backup_units(LAYOUT)
    for name, text in (
        ("s.service", service),
        ("t.timer", timer),
        ("st.service", render_stalwart_unit(LAYOUT)),
    ):
        assert parse_unit(name, text) == []

    broken = service.replace("Type=oneshot", "Type=oneshoot").replace("ExecStart=", "ExecStrat=")
    problems = parse_unit("b.service", broken + "[Sevice]\n")

    assert len(problems) == 4, problems  # bad Type, unknown key, unknown section, no ExecStart


def test_stalwart_config_names_only_its_rocksdb_store_as_stalwart_0_16_reads_it():
    config = json.loads(render_stalwart_config(LAYOUT))

    assert config == {"@type": "RocksDb", "path": "/var/lib/stalwart/data"}


def test_stalwart_environment_quotes_the_recovery_admin_for_systemd():
    text = render_stalwart_environment(StalwartSettings(), 'pa"ss\\word')

    assert 'STALWART_RECOVERY_ADMIN="admin:pa\\"ss\\\\word"' in text.splitlines()
    assert 'STALWART_HOSTNAME="mail.dezky.eu"' in text.splitlines()
    assert "EnvironmentFile=/etc/stalwart/stalwart.env" in render_stalwart_unit(LAYOUT).splitlines()


def test_k3s_config_pins_embedded_etcd_and_a_private_kubeconfig():
    config = yaml.safe_load(render_k3s_config(K3sSettings()))

    assert config["cluster-init"] is True and config["write-kubeconfig-mode"] == "0600"


def test_dry_run_kubeconfig_placeholder_is_valid_yaml_and_says_what_it_is():
    text = render_placeholder_kubeconfig("ax41.dezky.eu")

    assert text.startswith("# DRY RUN PLACEHOLDER")
    assert yaml.safe_load(text)["current-context"] == "dry-run-placeholder"


def test_every_bootstrap_command_passes_bash_syntax_check():
    args = HostBootstrapArgs(
        target=None,  # type: ignore[arg-type]  # not connected: only the commands are rendered
        backup=BackupSettings(*BOXES, restic_password="x"),
        stalwart_admin_password="x",
        stalwart=StalwartSettings(sha256="0" * 64),
    )
    for step in command_steps(args):
        for command in filter(None, (step.create, step.delete)):
            subprocess.run(["bash", "-n"], input=command, text=True, check=True)


def test_real_stalwart_install_needs_a_pinned_checksum_and_dry_run_groups_are_known():
    backup = BackupSettings(*BOXES, restic_password="x")
    with pytest.raises(ValueError, match="sha256"):
        HostBootstrapArgs(target=None, backup=backup, stalwart_admin_password="x")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown"):
        HostBootstrapArgs(None, backup, "x", dry_run=frozenset({"stalwart", "kernel"}))  # type: ignore[arg-type]


@pytest.mark.skipif(shutil.which("sshd", path="/usr/sbin") is None, reason="OpenSSH server not installed")
def test_the_bootstrap_still_logs_in_to_an_sshd_hardened_with_the_drop_in(tmp_path: Path):
    with (
        running_sshd(tmp_path / "hardened", render_sshd_hardening()) as server,
        connect(server.target, server.credentials) as session,
    ):
        result = session.exec("echo logged in")

    assert result.stdout == "logged in\n"
