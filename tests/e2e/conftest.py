"""A throw-away copy of the project for end-to-end runs of the real Pulumi engine."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import dns.message
import dns.query
import dns.rdatatype
import pytest
from pulumi import automation as auto

from dezky.engine import runner
from dezky.engine.workspace import ROOT, TOOLS_BIN
from tests.emulators import authentik as authentik_emulator
from tests.emulators import ocis as ocis_emulator
from tests.emulators import stalwart as stalwart_emulator
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.loopback import LoopbackServer
from tests.emulators.ocis import OcisEmulator
from tests.emulators.robot import PASSWORD, USER
from tests.emulators.robot_state import SERVER_IPV4, SERVER_IPV6_NET, SERVER_NUMBER
from tests.emulators.stalwart import StalwartEmulator
from tests.emulators.storage_box import TOKEN as STORAGE_BOX_TOKEN
from tests.fixtures.counting_proxy import CountingProxy, counting_proxy
from tests.fixtures.openssh import OpenSshServer
from tests.fixtures.powerdns import PowerDnsServer
from tests.hetzner.conftest import S3_ACCESS_KEY, S3_SECRET_KEY


@dataclass
class Project:
    """The project's Pulumi.yaml and dev stack config in a temp folder, with its own tenants and state."""

    work_dir: Path
    tenants_dir: Path
    output: list[str] = field(default_factory=list)

    @property
    def options(self) -> runner.EngineOptions:
        return runner.EngineOptions(
            work_dir=self.work_dir, state_dir=self.work_dir / ".state", on_output=self.output.append
        )

    def stack(self, name: str = "dev") -> auto.Stack:
        return runner.open_stack(name, self.options)

    def up(self, stack: str = "dev", **kwargs: Any) -> auto.UpResult:
        return runner.up(stack, self.options, **kwargs)

    def preview(self, stack: str = "dev", **kwargs: Any) -> auto.PreviewResult:
        return runner.preview(stack, self.options, **kwargs)

    def refresh(self, stack: str = "dev", **kwargs: Any) -> auto.RefreshResult:
        return runner.refresh(stack, self.options, **kwargs)

    def destroy(self, stack: str = "dev", **kwargs: Any) -> auto.DestroyResult:
        return runner.destroy(stack, self.options, **kwargs)

    def tenant_file(self, slug: str) -> Path:
        return self.tenants_dir / f"{slug}.yaml"

    def printed(self) -> str:
        return "".join(self.output)


def require_engine() -> None:
    if not (TOOLS_BIN / "pulumi").exists():
        pytest.fail("the Pulumi CLI is missing: `make test` builds it (scripts/build-pulumi)")


def powerdns_config(url: str, api_key: str) -> dict[str, auto.ConfigValue]:
    return {
        "dezky:dnsBackend": auto.ConfigValue("powerdns"),
        "dezky:powerdnsUrl": auto.ConfigValue(url),
        "dezky:powerdnsApiKey": auto.ConfigValue(api_key, secret=True),
    }


def hetzner_config(endpoint: str, token: str) -> dict[str, auto.ConfigValue]:
    return {
        "dezky:dnsBackend": auto.ConfigValue("hetzner"),
        "dezky:hetznerDnsEndpoint": auto.ConfigValue(endpoint),
        "dezky:hetznerToken": auto.ConfigValue(token, secret=True),
    }


def make_project(
    base: Path, config: dict[str, auto.ConfigValue], tenants: list[Path] | None = None
) -> Project:
    require_engine()
    work_dir = base / "project"
    (work_dir / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", work_dir / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", work_dir / "stacks" / "Pulumi.dev.yaml")
    tenants_dir = work_dir / "tenants"
    tenants_dir.mkdir()
    for source in tenants if tenants is not None else sorted((ROOT / "tenants").glob("*.yaml")):
        shutil.copy(source, tenants_dir / source.name)
    project = Project(work_dir, tenants_dir)
    stack = project.stack("dev")
    stack.set_all_config({"dezky:tenantsDir": auto.ConfigValue(str(tenants_dir)), **config})
    return project


@pytest.fixture(scope="module")
def pdns_calls(powerdns: PowerDnsServer) -> Iterator[CountingProxy]:
    """Every API call the providers make to PowerDNS goes through this proxy and is counted."""
    with counting_proxy(powerdns.api_url) as proxy:
        yield proxy


def services_config(
    authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
) -> dict[str, auto.ConfigValue]:
    return {
        "dezky:authentikUrl": auto.ConfigValue(authentik.url),
        "dezky:authentikToken": auto.ConfigValue(authentik_emulator.TOKEN, secret=True),
        "dezky:stalwartUrl": auto.ConfigValue(stalwart.url),
        "dezky:stalwartToken": auto.ConfigValue(stalwart_emulator.TOKEN, secret=True),
        "dezky:ocisUrl": auto.ConfigValue(ocis.url),
        "dezky:ocisUser": auto.ConfigValue(ocis_emulator.USER),
        "dezky:ocisToken": auto.ConfigValue(ocis_emulator.APP_TOKEN, secret=True),
    }


def estate_config(
    openssh: OpenSshServer, sandbox: Path, s3_endpoint: str, robot_url: str, storage_box_url: str, restic: str
) -> dict[str, auto.ConfigValue]:
    """A dev stack's estate on local stand-ins: Robot and the Storage Box API emulators, moto's S3, and the
    local sshd as the AX41 (files under `sandbox`) and as both Storage Boxes (restic over SFTP)."""
    boxes = {
        alias: {"alias": alias, "host": openssh.host, "user": openssh.user, "path": f"{sandbox}/boxes/{alias}",
                "port": openssh.port, "host_key": openssh.known_hosts_line}
        for alias in ("storagebox", "helsinki")
    }  # fmt: skip
    estate = {
        "robotServerNumber": SERVER_NUMBER, "ipv4": SERVER_IPV4, "ipv6": f"{SERVER_IPV6_NET}2",
        "ptr": "mail.dezky.eu", "adminNetworks": ["198.51.100.0/24"],
        "bucket": {"name": "dezky-ocis", "region": "fsn1", "endpoint": s3_endpoint},
        "protect": False,  # the test stack is thrown away; prod keeps the default
    }  # fmt: skip
    host = {
        "address": openssh.host, "sshPort": openssh.port, "sshUser": openssh.user,
        "sshHostKey": openssh.known_hosts_line, "root": str(sandbox), "storageBox": boxes["storagebox"],
        "helsinkiBox": boxes["helsinki"], "sftpCommand": openssh.ssh_command() + " -s sftp",
    }  # fmt: skip
    secret = {
        "robotUser": USER, "robotPassword": PASSWORD, "hetznerToken": STORAGE_BOX_TOKEN,
        "s3AccessKey": S3_ACCESS_KEY, "s3SecretKey": S3_SECRET_KEY, "hostSshPrivateKey": openssh.private_key,
        "backupSshPrivateKey": openssh.private_key, "resticPassword": restic,
    }  # fmt: skip
    return {
        "dezky:estate": auto.ConfigValue(json.dumps(estate)),
        "dezky:host": auto.ConfigValue(json.dumps(host)),
        "dezky:robotEndpoint": auto.ConfigValue(robot_url),
        "dezky:storageBoxEndpoint": auto.ConfigValue(storage_box_url),
        "dezky:s3AddressingStyle": auto.ConfigValue("path"),
        "dezky:estatePollSeconds": auto.ConfigValue("0.01"),
        **{f"dezky:{key}": auto.ConfigValue(value, secret=True) for key, value in secret.items()},
    }


@pytest.fixture(scope="module")
def module_services(
    authentik_server: LoopbackServer, stalwart_server: LoopbackServer, ocis_server: LoopbackServer
) -> dict[str, auto.ConfigValue]:
    """The service emulators, fresh for a module whose tests share one project (and so one state)."""
    emulators = [server.emulator for server in (authentik_server, stalwart_server, ocis_server)]
    for emulator in emulators:
        emulator.reset()
    return services_config(*emulators)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def project(
    tmp_path_factory: pytest.TempPathFactory,
    powerdns: PowerDnsServer,
    pdns_calls: CountingProxy,
    module_services: dict[str, auto.ConfigValue],
) -> Project:
    config = {**powerdns_config(pdns_calls.url, powerdns.api_key), **module_services}
    return make_project(tmp_path_factory.mktemp("e2e"), config)


def dns_answer(server: PowerDnsServer, name: str, type_: str) -> set[str]:
    """What PowerDNS answers for name/type over real DNS (TCP: DKIM RSA TXT is larger than a UDP answer)."""
    query = dns.message.make_query(name + ".", dns.rdatatype.from_text(type_))
    response = dns.query.tcp(query, server.dns_address, port=server.dns_port, timeout=5)
    answers: set[str] = set()
    for rrset in response.answer:
        if rrset.rdtype != dns.rdatatype.from_text(type_):
            continue
        for rdata in rrset:
            if type_ == "TXT":
                answers.add(b"".join(rdata.strings).decode())
            else:
                answers.add(rdata.to_text())
    return answers
