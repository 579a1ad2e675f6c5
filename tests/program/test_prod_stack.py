"""The production stack file is enough for the whole program: with the secrets the README lists and nothing
else, the program builds the estate, bootstraps the host with the estate's own box accounts, deploys the
platform on the host's k3s and configures the tenant providers with credentials it generated itself.
Checked with Pulumi's mocks: every resource is registered, none is applied."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pulumi
import pytest
import yaml

from dezky import program
from dezky.engine.workspace import ROOT
from dezky.platform import service_token_from
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

PROD = ROOT / "stacks" / "Pulumi.prod.yaml"
#: what the README's bring-up tells the operator to set with --secret, and nothing else
OPERATOR_SECRETS = {
    "dezky:hetznerToken": "hetzner-token",
    "dezky:robotUser": "robot-user",
    "dezky:robotPassword": "robot-password",
    "dezky:s3AccessKey": "s3-access",
    "dezky:s3SecretKey": "s3-secret",
    "dezky:hostSshPrivateKey": "LOGIN-KEY",
    "dezky:backupSshPrivateKey": "BOX-KEY",
    "dezky:resticPassword": "restic-password",
}
GENERATED = "pulumi-python:dynamic/generated:Secret"
BOX_SERVERS = {"dezky-backups": "u100.your-storagebox.de", "dezky-dr": "u200.your-storagebox.de"}


class ProdMocks(mocks_base.RecordingMocks):
    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, object]:
        if args.typ == GENERATED:
            return {"value": f"generated-{args.name}"}
        if args.typ.endswith("storage_box:StorageBox"):
            return {"server": BOX_SERVERS[args.inputs["name"]], "username": args.inputs["name"] + "-main"}
        if args.typ.endswith("storage_box:Subaccount"):
            return {"username": f"{args.inputs['name']}-sub1"}
        if args.typ.endswith("hetzner:RemoteCommand") and args.name == "platform:ocis-service-token":
            return {"stdout": "App token created for admin\n token: minted-by-ocis\n"}
        if args.typ.endswith("hetzner:RemoteCommand"):
            return {"stdout": "apiVersion: v1\nkind: Config\nclusters: []\n"}
        return {}

    def of_type(self, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ.endswith(suffix)]


#: the one committed value the README has the operator fill in: the pinned Stalwart release's checksum
STALWART_SHA256 = "ab" * 32


#: how the mocks hand over a value marked secret (Pulumi's wire signature for secrets)
SECRET_SIGNATURE = ("4dabf18193072939515e22adb298388d", "1b47061264138c4ac30d75fd1eb44270")


def secret_value(value: object) -> object:
    """The value of an input Pulumi carries as a secret; fails for a plain one."""
    assert isinstance(value, dict) and value.get(SECRET_SIGNATURE[0]) == SECRET_SIGNATURE[1], value
    return value["value"]


def prod_config() -> dict[str, str]:
    stack = yaml.safe_load(PROD.read_text())["config"]
    stack["dezky:host"]["stalwartSha256"] = STALWART_SHA256
    plain = {key: value if isinstance(value, str) else json.dumps(value) for key, value in stack.items()}
    return {**plain, **OPERATOR_SECRETS}


@pytest.fixture
def prod(tmp_path: Path) -> Iterator[ProdMocks]:
    config = {**prod_config(), "dezky:tenantsDir": str(tmp_path)}
    with mocked(ProdMocks(), project="dezky", stack="prod") as recording:
        pulumi.runtime.set_all_config(config, secret_keys=list(OPERATOR_SECRETS))
        yield recording
        pulumi.runtime.set_all_config({})


def registered_program() -> None:
    """The whole program under the mocks; returns once every resource it declares is registered."""
    pulumi.runtime.test(program.run)()


def test_the_prod_stack_file_and_the_listed_secrets_are_all_the_program_needs(prod: ProdMocks) -> None:
    registered_program()

    typed = {"dezky:authentikToken", "dezky:stalwartToken", "dezky:ocisToken", "dezky:ocisUser"}
    assert not typed & set(prod_config())
    purposes = {r.inputs["purpose"] for r in prod.of_type("generated:Secret")}
    assert {"Stalwart's recovery admin", "Authentik bootstrap_token"} <= purposes
    connections = {r.name: r.inputs for r in prod.resources if r.typ == "pulumi:providers:pulumi-python"}
    assert set(connections) == {"platform-connection", "platform-identity-connection"}
    connection = connections["platform-connection"]
    assert (
        secret_value(connection["dezky:authentikToken"])
        == "generated-platform:credentials:authentik-bootstrap_token"
    )
    assert (
        secret_value(connection["dezky:stalwartAdminPassword"])
        == "generated-platform:credentials:stalwart-admin-password"
    )
    assert secret_value(connection["dezky:ocisToken"]) == "minted-by-ocis"
    assert connection["dezky:ocisUser"] == "admin"
    assert connection["dezky:authentikUrl"] == "https://id.dezky.eu"
    assert connection["dezky:ocisUrl"] == "https://files.dezky.eu"
    assert connection["dezky:stalwartUrl"] == "https://mail.dezky.eu"
    files = {r.name.rsplit(":", 1)[-1]: r.inputs for r in prod.of_type("hetzner:RenderedFile")}
    ssh_config = files["backup-ssh-config"]["content"]
    assert "HostName u100.your-storagebox.de" in ssh_config and "User backups-sub1" in ssh_config
    assert "HostName u200.your-storagebox.de" in ssh_config and "User dr-sub1" in ssh_config
    assert prod.of_type("kubernetes:apps/v1:Deployment")  # the platform goes onto the host's k3s
    assert "dezky.eu" in {r.inputs.get("zone") for r in prod.of_type("dns:Zone")}  # the platform's own zone


def test_the_ocis_token_is_read_from_what_auth_app_create_prints() -> None:
    printed = "App token created for admin\n token: Zx81-abc\n"

    assert service_token_from(printed) == "Zx81-abc"
    with pytest.raises(ValueError, match="without a token line"):
        service_token_from("error: no such user\n")
