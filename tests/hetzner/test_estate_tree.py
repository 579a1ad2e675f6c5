"""The Estate component tree and the program's estate outputs, checked with Pulumi's mocks (no engine)."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pulumi
import pytest

from hetzner.estate import Estate
from hetzner.robot.firewall import input_rules, output_rules
from hetzner.settings import EstateSettings, parse_estate_settings
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

ESTATE = {
    "robotServerNumber": 2345678,
    "ipv4": "203.0.113.10",
    "ipv6": "2001:db8:4:2::2",
    "ptr": "mail.dezky.eu",
    "adminNetworks": ["198.51.100.0/24"],
}
DYNAMIC = "pulumi-python:dynamic/"


class RecordingMocks(mocks_base.RecordingMocks):
    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        outputs: dict[str, Any] = {}
        if args.typ.endswith("storage_box:StorageBox"):
            outputs |= {
                "box_id": 1001,
                "username": "u1001",
                "server": "u1001.your-storagebox.de",
                "password": "pw",
            }
        if args.typ.endswith("storage_box:Subaccount"):
            outputs |= {"username": f"u1001-{args.inputs['name']}", "password": "sub-pw"}
        return outputs

    def of_type(self, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == DYNAMIC + suffix]


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    with mocked(RecordingMocks(), project="dezky", stack="dev.estate") as recording:
        yield recording


@pytest.fixture
def stack_config(tmp_path: Path) -> Iterator[dict[str, str]]:
    """The stack's config for a program run, emptied again afterwards: Pulumi keeps it process-wide."""
    config = {"dezky:tenantsDir": str(tmp_path)}
    yield config
    pulumi.runtime.set_all_config({})


def settled(estate: Estate) -> pulumi.Output[dict[str, Any]]:
    """The summary, once every child is registered: rDNS and firewall wait for the server, so they register
    after the summary (which does not depend on them) can already be read."""
    children = [estate.firewall.id, *(record.id for record in estate.reverse_dns.values())]
    return pulumi.Output.all(estate.summary, *children).apply(lambda values: values[0])


def settings() -> EstateSettings:
    return parse_estate_settings(ESTATE)


@pulumi.runtime.test
def test_estate_holds_server_rdns_firewall_boxes_subaccounts_and_bucket(mocks: RecordingMocks) -> Any:
    estate = Estate("estate", settings())

    def check(_: object) -> None:
        by_type = Counter(r.typ for r in mocks.resources)
        assert by_type == {
            "dezky:hetzner:Estate": 1,
            DYNAMIC + "robot:Server": 1,
            DYNAMIC + "robot:ReverseDns": 2,
            DYNAMIC + "robot:Firewall": 1,
            DYNAMIC + "storage_box:StorageBox": 2,
            DYNAMIC + "storage_box:Subaccount": 2,
            DYNAMIC + "object_storage:Bucket": 1,
        }

    return settled(estate).apply(check)


@pulumi.runtime.test
def test_rdns_points_both_addresses_at_the_mail_host(mocks: RecordingMocks) -> Any:
    estate = Estate("estate", settings())

    def check(_: object) -> None:
        rdns = {r.inputs["ip"]: r.inputs["ptr"] for r in mocks.of_type("robot:ReverseDns")}
        assert rdns == {"203.0.113.10": "mail.dezky.eu", "2001:db8:4:2::2": "mail.dezky.eu"}

    return settled(estate).apply(check)


@pulumi.runtime.test
def test_firewall_is_the_rendered_policy_with_ipv6_filtered(mocks: RecordingMocks) -> Any:
    estate = Estate("estate", settings())

    def check(_: object) -> None:
        (firewall,) = mocks.of_type("robot:Firewall")
        assert firewall.inputs["input"] == input_rules(["198.51.100.0/24"])
        assert firewall.inputs["output"] == output_rules()
        assert (firewall.inputs["filter_ipv6"], firewall.inputs["whitelist_hos"]) == (True, True)

    return settled(estate).apply(check)


@pulumi.runtime.test
def test_one_subaccount_per_purpose_in_each_box(mocks: RecordingMocks) -> Any:
    estate = Estate("estate", settings())

    def check(summary: dict[str, Any]) -> None:
        boxes = {r.inputs["name"]: r.inputs["location"] for r in mocks.of_type("storage_box:StorageBox")}
        assert boxes == {"dezky-backups": "fsn1", "dezky-dr": "hel1"}
        assert sorted(r.inputs["home_directory"] for r in mocks.of_type("storage_box:Subaccount")) == [
            "backups",
            "dr",
        ]
        assert summary["subaccounts"] == {"dezky-backups/backups": "u1001-backups", "dezky-dr/dr": "u1001-dr"}

    return settled(estate).apply(check)


@pulumi.runtime.test
def test_no_credential_is_an_input_and_generated_ones_are_secret(mocks: RecordingMocks) -> Any:
    estate = Estate("estate", settings())

    def check(secret: bool) -> None:
        inputs = json.dumps([r.inputs for r in mocks.resources if r.typ.startswith(DYNAMIC)], default=str)
        assert not [word for word in ("token", "robotPassword", "s3SecretKey", "pw") if f'"{word}"' in inputs]
        assert secret, "credentials are a secret output"

    return pulumi.Output.from_input(estate.credentials.is_secret()).apply(check)


@pulumi.runtime.test
def test_program_exports_the_estate_cost_and_summary(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch, stack_config: dict[str, str]
) -> Any:
    pulumi.runtime.set_all_config({**stack_config, "dezky:estate": json.dumps(ESTATE)})
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    from dezky.program import run

    run()

    assert exported["estate_monthly_cost_eur"] == 50.4
    assert set(exported) >= {"estate", "estate_credentials", "tenants", "tenant_count"}

    def check(summary: dict[str, Any]) -> None:
        assert summary["server"] == {
            "robot_server_number": 2345678,
            "ipv4": "203.0.113.10",
            "ipv6": "2001:db8:4:2::2",
            "ptr": "mail.dezky.eu",
        }
        assert summary["monthly_cost_eur"] == 50.4 and summary["firewall"]["input_rules"] == 10

    return pulumi.Output.from_input(exported["estate"]).apply(check)


@pulumi.runtime.test
def test_stack_without_estate_config_builds_none(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch, stack_config: dict[str, str]
) -> None:
    pulumi.runtime.set_all_config(stack_config)
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    from dezky.program import run

    run()

    assert "estate_monthly_cost_eur" not in exported
    assert not [r for r in mocks.resources if r.typ == "dezky:hetzner:Estate"]
