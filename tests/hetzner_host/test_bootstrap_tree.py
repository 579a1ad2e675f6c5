"""The resources `HostBootstrap` declares from a stack's configuration, checked with Pulumi's mocks (no engine)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pulumi
import pytest

from hetzner.host import HostBootstrap, bootstrap_args_from_config
from tests.fixtures import pulumi_mocks as mocks_base

HOST = {
    "address": "203.0.113.10",
    "sshHostKey": "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHostKeyForTheMockTestOnly00000000000000",
    "storageBox": {
        "alias": "dezky-storagebox",
        "host": "u1.your-storagebox.de",
        "user": "u1-sub1",
        "path": "/home/r",
    },
    "helsinkiBox": {
        "alias": "dezky-helsinki",
        "host": "u2.your-storagebox.de",
        "user": "u2-sub1",
        "path": "/home/r",
    },
}
SECRETS = {
    "dezky:resticPassword": "pw",
    "dezky:backupSshPrivateKey": "BOX-KEY-VALUE",
    "dezky:hostSshPrivateKey": "LOGIN-KEY-VALUE",
}
COMMAND = "pulumi-python:dynamic/hetzner:RemoteCommand"
FILE = "pulumi-python:dynamic/hetzner:RenderedFile"


class RecordingMocks(mocks_base.RecordingMocks):
    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, str]:
        return {"sha256": "0" * 64, "stdout": ""}

    def commands(self) -> dict[str, dict]:
        return {r.name.rsplit(":", 1)[-1]: r.inputs for r in self.resources if r.typ == COMMAND}

    def files(self) -> dict[str, dict]:
        return {r.name.rsplit(":", 1)[-1]: r.inputs for r in self.resources if r.typ == FILE}


def configure(environment: str, **host: object) -> Iterator[RecordingMocks]:
    recording = RecordingMocks()
    pulumi.runtime.set_mocks(recording, preview=False)
    config = {"dezky:environment": environment, "dezky:host": json.dumps({**HOST, **host}), **SECRETS}
    pulumi.runtime.set_all_config(config, secret_keys=list(SECRETS))
    yield recording
    pulumi.runtime.set_all_config({})
    pulumi.runtime.settings.reset_options()


def registered(host: HostBootstrap) -> pulumi.Output:
    """Resolves once every child resource is registered with the mocks."""
    children = [*host.commands.values(), *host.files.values()]
    return pulumi.Output.all(host.kubeconfig, *[child.id for child in children])


@pytest.fixture
def dev() -> Iterator[RecordingMocks]:
    yield from configure("dev")


@pytest.fixture
def prod() -> Iterator[RecordingMocks]:
    yield from configure("prod", stalwartSha256="ab" * 32)


@pulumi.runtime.test
def test_dev_stack_records_k3s_stalwart_and_systemd_and_runs_the_rest(dev: RecordingMocks):
    host = HostBootstrap("ax41", bootstrap_args_from_config(pulumi.Config("dezky"), "generated"))

    def check(_: object) -> None:
        dry = {name for name, inputs in dev.commands().items() if inputs["dry_run"]}
        assert dry == {
            "k3s-install",
            "kubeconfig",
            "stalwart-install",
            "stalwart-service",
            "sshd-reload",
            "backup-timer",
        }
        assert {"packages", "sshd-check", "apt-check", "backup-init"} <= set(dev.commands()) - dry
        assert len([r for r in dev.resources if r.typ == FILE]) == 13

    return registered(host).apply(check)


@pulumi.runtime.test
def test_prod_stack_runs_every_step_and_never_passes_the_login_key_as_an_input(prod: RecordingMocks):
    host = HostBootstrap("ax41", bootstrap_args_from_config(pulumi.Config("dezky"), "generated"))

    def check(_: object) -> None:
        assert not any(inputs["dry_run"] for inputs in prod.commands().values())
        assert all("LOGIN-KEY-VALUE" not in json.dumps(r.inputs) for r in prod.resources)
        stalwart = prod.commands()["stalwart-install"]["create"]
        assert f'echo "{"ab" * 32}  $tarball" | sha256sum --check' in stalwart

    return registered(host).apply(check)


@pytest.fixture
def boxes_from_the_estate() -> Iterator[RecordingMocks]:
    without_accounts = {
        name: {key: value for key, value in box.items() if key not in ("host", "user")}
        for name, box in HOST.items()
        if name in ("storageBox", "helsinkiBox")
    }
    yield from configure("prod", stalwartSha256="ab" * 32, **without_accounts)


@pulumi.runtime.test
def test_a_box_without_host_and_user_takes_them_from_the_estate(boxes_from_the_estate: RecordingMocks):
    accounts = {
        "dezky-backups": {"host": "u9.your-storagebox.de", "user": "u9-sub1"},
        "dezky-dr": {"host": "u8.your-storagebox.de", "user": "u8-sub1"},
    }
    args = bootstrap_args_from_config(pulumi.Config("dezky"), "generated", pulumi.Output.from_input(accounts))
    host = HostBootstrap("ax41", args)

    def check(_: object) -> None:
        ssh_config = boxes_from_the_estate.files()["backup-ssh-config"]["content"]
        assert (
            "Host dezky-storagebox\n    HostName u9.your-storagebox.de\n    Port 23\n    User u9-sub1"
            in ssh_config
        )
        assert "HostName u8.your-storagebox.de" in ssh_config and "User u8-sub1" in ssh_config

    return registered(host).apply(check)
