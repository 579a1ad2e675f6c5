"""The platform's own zone: its records (pure), its component tree and the program's opt-in (Pulumi's mocks)."""

from __future__ import annotations

import base64
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.dns.platform_zone import PlatformDns, platform_dns_args
from components.dns.provider import DEFAULT_NAMESERVERS, RRsetProvider, nameservers_from_config
from components.dns.records import platform_zone_rrsets
from tests.dns.test_records import PLATFORM  # the same platform the tenant records are checked with
from tests.fixtures import pulumi_mocks as mocks_base
from tests.fixtures.pulumi_mocks import mocked

ROOT = Path(__file__).resolve().parents[2]
NAMESERVERS = ("ns1.dezky.eu", "ns2.dezky.eu")
DYNAMIC = "pulumi-python:dynamic/"
FAKE_DKIM_KEYS = [
    {"selector": "v1-ed25519", "algorithm": "ed25519", "public_key": base64.b64encode(bytes(32)).decode()},
    {"selector": "v1-rsa", "algorithm": "rsa", "public_key": base64.b64encode(b"\x30" + bytes(40)).decode()},
]


def records_by_key(rrsets: Any) -> dict[str, tuple[str, ...]]:
    return {rrset.key: rrset.records for rrset in rrsets}


def test_platform_zone_holds_hosts_mail_records_report_authorisation_and_delegations():
    rrsets = platform_zone_rrsets("dezky.eu", PLATFORM, ["acme.dezky.eu", "nordlicht.dezky.eu"], NAMESERVERS)

    at_ingress = {"A": ("203.0.113.10",), "AAAA": ("2001:db8::10",)}
    delegation = ("ns1.dezky.eu.", "ns2.dezky.eu.")
    assert records_by_key(rrsets) == {
        **{f"{name}/{type_}": ips for name in ("dezky.eu",) for type_, ips in at_ingress.items()},
        "dezky.eu/CAA": ('0 issue "letsencrypt.org"', '0 iodef "mailto:security@dezky.eu"'),
        "dezky.eu/MX": ("10 mail.dezky.eu.",),
        "dezky.eu/TXT": ("v=spf1 mx -all",),
        "*._report._dmarc.dezky.eu/TXT": ("v=DMARC1",),
        "_caldavs._tcp.dezky.eu/SRV": ("0 1 443 webmail.dezky.eu.",),
        "_carddavs._tcp.dezky.eu/SRV": ("0 1 443 webmail.dezky.eu.",),
        "_dmarc.dezky.eu/TXT": ("v=DMARC1; p=quarantine; rua=mailto:dmarc@dezky.eu",),
        "_imap._tcp.dezky.eu/SRV": ("0 0 0 .",),
        "_imaps._tcp.dezky.eu/SRV": ("0 1 993 mail.dezky.eu.",),
        "_jmap._tcp.dezky.eu/SRV": ("0 1 443 webmail.dezky.eu.",),
        "_mta-sts.dezky.eu/TXT": ("v=STSv1; id=20261101",),
        "_smtp._tls.dezky.eu/TXT": ("v=TLSRPTv1; rua=mailto:tlsrpt@dezky.eu",),
        "_submission._tcp.dezky.eu/SRV": ("10 1 587 mail.dezky.eu.",),
        "_submissions._tcp.dezky.eu/SRV": ("0 1 465 mail.dezky.eu.",),
        "acme.dezky.eu/NS": delegation,
        "autoconfig.dezky.eu/CNAME": ("webmail.dezky.eu.",),
        "autodiscover.dezky.eu/CNAME": ("webmail.dezky.eu.",),
        **{f"{host}.dezky.eu/{type_}": ips for host in ("files", "id") for type_, ips in at_ingress.items()},
        **{f"mail.dezky.eu/{type_}": ips for type_, ips in at_ingress.items()},
        "mta-sts.dezky.eu/CNAME": ("webmail.dezky.eu.",),
        "nordlicht.dezky.eu/NS": delegation,
        **{
            f"{host}.dezky.eu/{type_}": ips
            for host in ("office", "webmail")
            for type_, ips in at_ingress.items()
        },
    }
    assert {(rrset.zone, rrset.ttl) for rrset in rrsets} == {("dezky.eu", 3600)}


def test_platform_zone_lists_the_apex_first_then_names_in_order():
    rrsets = platform_zone_rrsets("dezky.eu", PLATFORM, ["acme.dezky.eu"], NAMESERVERS)

    names = [rrset.name for rrset in rrsets]
    apex = [name for name in names if name == "dezky.eu"]
    assert names == apex + sorted(name for name in names if name != "dezky.eu")


def test_only_subdomains_inside_the_platform_zone_are_delegated():
    rrsets = platform_zone_rrsets("dezky.eu", PLATFORM, ["acme-werkzeuge.de", "acme.dezky.eu"], NAMESERVERS)

    assert [rrset.name for rrset in rrsets if rrset.type == "NS"] == ["acme.dezky.eu"]


def test_a_tenant_subdomain_that_is_a_platform_host_is_refused():
    with pytest.raises(ValueError, match=r"files\.dezky\.eu cannot be delegated"):
        platform_zone_rrsets("dezky.eu", PLATFORM, ["files.dezky.eu"], NAMESERVERS)


def test_delegating_without_nameservers_is_refused():
    with pytest.raises(ValueError, match="at least one nameserver"):
        platform_zone_rrsets("dezky.eu", PLATFORM, ["acme.dezky.eu"], ())


def test_report_authorisation_is_left_to_the_zone_that_holds_the_report_address():
    elsewhere = replace(PLATFORM, dmarc_rua="mailto:reports@dmarc.example.net")

    rrsets = platform_zone_rrsets("dezky.eu", elsewhere, [], NAMESERVERS)

    assert [rrset.name for rrset in rrsets if "_report" in rrset.name] == []


def test_mail_and_web_hosts_outside_the_zone_get_no_address_records():
    elsewhere = replace(PLATFORM, mail_host="mx.example.net", web_host="web.example.net")

    rrsets = platform_zone_rrsets("dezky.eu", elsewhere, [], NAMESERVERS)

    assert sorted({rrset.name for rrset in rrsets if rrset.type == "A"}) == [
        "dezky.eu",
        "files.dezky.eu",
        "id.dezky.eu",
        "office.dezky.eu",
    ]


def test_nameservers_default_per_backend_and_come_from_the_stack_when_set():
    assert nameservers_from_config("powerdns", None) == DEFAULT_NAMESERVERS["powerdns"]
    assert nameservers_from_config("hetzner", None) == (
        "hydrogen.ns.hetzner.com",
        "oxygen.ns.hetzner.com",
        "helium.ns.hetzner.de",
    )
    assert nameservers_from_config("powerdns", '["a.ns.example.net", "b.ns.example.net"]') == (
        "a.ns.example.net",
        "b.ns.example.net",
    )
    assert nameservers_from_config("hetzner", ["a.ns.example.net"]) == ("a.ns.example.net",)


@pytest.mark.parametrize("raw", ["ns1.dezky.eu", "[]", '["NS1 dezky"]', "[1]"])
def test_nameservers_that_are_not_a_list_of_host_names_are_refused(raw: str):
    with pytest.raises(ValueError, match="dezky:dnsNameservers must be a list of lowercase host names"):
        nameservers_from_config("powerdns", raw)


def test_the_apex_ns_rrset_is_left_to_the_dns_server():
    props = {"zone": "dezky.eu", "name": "dezky.eu", "type": "NS", "ttl": 3600, "records": ["ns1.dezky.eu."]}

    failures = RRsetProvider().validate(props)

    assert [(f.property, f.reason) for f in failures] == [
        ("type", "the NS records of `dezky.eu` itself are the DNS server's own")
    ]


class RecordingMocks(mocks_base.RecordingMocks):
    def outputs(self, args: pulumi.runtime.MockResourceArgs) -> dict[str, Any]:
        if args.typ == DYNAMIC + "stalwart:Domain":
            return {"dkim_keys": FAKE_DKIM_KEYS}  # what Stalwart reports once it generated the domain's keys
        return {}

    def of_type(self, suffix: str) -> list[pulumi.runtime.MockResourceArgs]:
        return [r for r in self.resources if r.typ == DYNAMIC + suffix]


@pytest.fixture
def mocks() -> Iterator[RecordingMocks]:
    with mocked(RecordingMocks(), project="dezky", stack="dev") as recording:
        yield recording


@pulumi.runtime.test
def test_platform_dns_creates_its_zone_and_one_resource_per_rrset(mocks: RecordingMocks) -> Any:
    args = platform_dns_args("dezky.eu", PLATFORM, ["acme.dezky.eu"], NAMESERVERS)

    platform_dns = PlatformDns("platform-dns", args)

    def check(state: str) -> None:
        assert state == "ready"
        zones = [(z.name, z.inputs["zone"], z.inputs["purge"]) for z in mocks.of_type("dns:Zone")]
        assert zones == [("platform-dns:zone:dezky.eu", "dezky.eu", False)]
        declared = {
            r.inputs["name"] + "/" + r.inputs["type"]: tuple(r.inputs["records"])
            for r in mocks.of_type("dns:RRset")
        }
        assert declared == records_by_key(args.rrsets)
        assert {r.name for r in mocks.of_type("dns:RRset")} == {
            f"platform-dns:rrset:{r.key}" for r in args.rrsets
        }

    return platform_dns.state.apply(check)


@pytest.fixture
def stack_config(tmp_path: Path) -> Iterator[dict[str, str]]:
    """A dev stack with acme's tenant file, emptied again afterwards: Pulumi keeps the config process-wide."""
    shutil.copy(ROOT / "tenants" / "acme.yaml", tmp_path / "acme.yaml")
    yield {"dezky:tenantsDir": str(tmp_path)}
    pulumi.runtime.set_all_config({})


def run_program(monkeypatch: pytest.MonkeyPatch, config: dict[str, str]) -> dict[str, Any]:
    pulumi.runtime.set_all_config(config)
    exported: dict[str, Any] = {}
    monkeypatch.setattr(pulumi, "export", lambda name, value: exported.__setitem__(name, value))
    from dezky.program import run

    run()
    return exported


@pulumi.runtime.test
def test_a_stack_that_opts_in_gets_the_platform_zone_delegating_its_tenants(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch, stack_config: dict[str, str]
) -> Any:
    exported = run_program(monkeypatch, {**stack_config, "dezky:platformZone": "true"})

    def check(state: str) -> None:
        assert state == "ready"
        zones = [z.inputs["zone"] for z in mocks.of_type("dns:Zone")]
        assert "dezky.eu" in zones and "acme.dezky.eu" in zones
        delegations = [r.inputs for r in mocks.of_type("dns:RRset") if r.inputs["type"] == "NS"]
        assert [(d["zone"], d["name"], d["records"]) for d in delegations] == [
            ("dezky.eu", "acme.dezky.eu", ["ns1.dezky.eu.", "ns2.dezky.eu."])
        ]

    return exported["platform_zone"].apply(check)


@pulumi.runtime.test
def test_a_stack_that_does_not_opt_in_has_no_platform_zone(
    mocks: RecordingMocks, monkeypatch: pytest.MonkeyPatch, stack_config: dict[str, str]
) -> Any:
    exported = run_program(monkeypatch, stack_config)

    def check(_: Any) -> None:
        assert "platform_zone" not in exported
        assert "dezky.eu" not in [z.inputs["zone"] for z in mocks.of_type("dns:Zone")]
        assert not [r for r in mocks.resources if r.typ == "dezky:dns:PlatformDns"]

    return pulumi.Output.from_input(exported["tenant_count"]).apply(check)
