"""The records a tenant needs: the full set for one example tenant, and the rules every set follows."""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from typing import Any

import dns.name
import dns.rdata
import dns.rdataclass
import dns.rdatatype
import pytest
from syrupy.assertion import SnapshotAssertion

from components.dns.backend import RRset, quote_txt
from components.dns.records import DkimKey, DnsPlatform, tenant_rrsets, zones_for
from dezky.tenants.model import Tenant

PLATFORM = DnsPlatform(
    ingress_ipv4="203.0.113.10",
    ingress_ipv6="2001:db8:0:0::10",
    mail_host="mail.dezky.eu",
    web_host="webmail.dezky.eu",
    dmarc_rua="mailto:dmarc@dezky.eu",
    tls_rpt_rua="mailto:tlsrpt@dezky.eu",
    caa_iodef="mailto:security@dezky.eu",
    mta_sts_policy_id="20261101",
)
ED25519 = DkimKey("ed-2026", "ed25519", base64.b64encode(bytes(range(32))).decode())
RSA = DkimKey(
    "rsa-2026", "rsa", base64.b64encode(b"\x30\x82\x01\x22" + bytes(range(256)) + bytes(34)).decode()
)


def tenant(**changes: Any) -> Tenant:
    data: dict[str, Any] = {
        "slug": "acme",
        "name": "ACME Werkzeuge GmbH",
        "created": dt.date(2026, 2, 3),
        "plan": "business",
        "domains": {"primary": "acme-werkzeuge.de", "mail": ["acme.example"]},
    }
    return Tenant.model_validate({**data, **changes})


def zone_file(rrsets: tuple[RRset, ...]) -> str:
    lines = []
    for rrset in rrsets:
        for record in rrset.records:
            content = quote_txt(record) if rrset.type == "TXT" else record
            lines.append(f"{rrset.zone:18} {rrset.name + '.':40} {rrset.ttl} {rrset.type:5} {content}")
    return "\n".join(lines) + "\n"


def test_full_record_set_for_an_example_tenant(snapshot: SnapshotAssertion) -> None:
    keys = {"acme-werkzeuge.de": [ED25519, RSA], "acme.example": [ED25519]}
    assert zone_file(tenant_rrsets(tenant(), PLATFORM, keys)) == snapshot


def test_zones_are_the_mail_domains_primary_first_then_the_platform_subdomain() -> None:
    assert zones_for(tenant()) == ("acme-werkzeuge.de", "acme.example", "acme.dezky.eu")


def test_every_rrset_is_unique_inside_its_zone_and_parses_as_dns() -> None:
    rrsets = tenant_rrsets(tenant(), PLATFORM, {"acme-werkzeuge.de": [ED25519, RSA]})

    assert len({r.key for r in rrsets}) == len(rrsets)
    for rrset in rrsets:
        assert rrset.zone in zones_for(tenant())
        assert rrset.name == rrset.zone or rrset.name.endswith("." + rrset.zone)
        assert rrset.ttl == PLATFORM.ttl and rrset.records
        for record in rrset.records:
            text = quote_txt(record) if rrset.type == "TXT" else record
            rdata = dns.rdata.from_text(dns.rdataclass.IN, dns.rdatatype.from_text(rrset.type), text)
            assert rdata.to_text() == text, "written the way a DNS server writes it back"


def test_every_target_name_is_absolute() -> None:
    for rrset in tenant_rrsets(tenant(), PLATFORM):
        if rrset.type in ("MX", "SRV", "CNAME"):
            for record in rrset.records:
                assert dns.name.from_text(record.split()[-1], origin=None).is_absolute()


def test_mail_domain_answers_for_each_mail_service() -> None:
    found = {
        (r.name, r.type): r.records for r in tenant_rrsets(tenant(), PLATFORM) if r.zone == "acme.example"
    }

    assert found[("acme.example", "MX")] == ("10 mail.dezky.eu.",)
    assert found[("acme.example", "TXT")] == ("v=spf1 mx -all",)
    assert found[("_dmarc.acme.example", "TXT")] == ("v=DMARC1; p=quarantine; rua=mailto:dmarc@dezky.eu",)
    assert found[("_submissions._tcp.acme.example", "SRV")] == ("0 1 465 mail.dezky.eu.",)
    assert found[("_imap._tcp.acme.example", "SRV")] == ("0 0 0 .",)
    assert found[("mta-sts.acme.example", "CNAME")] == ("webmail.dezky.eu.",)
    assert found[("_carddavs._tcp.acme.example", "SRV")] == ("0 1 443 webmail.dezky.eu.",)


def test_platform_subdomain_points_web_hosts_at_the_ingress() -> None:
    found = {
        (r.name, r.type): r.records for r in tenant_rrsets(tenant(), PLATFORM) if r.zone == "acme.dezky.eu"
    }

    hosts = ["acme.dezky.eu", *(f"{h}.acme.dezky.eu" for h in ("files", "mail", "office", "portal"))]
    assert sorted(found) == sorted((host, t) for host in hosts for t in ("A", "AAAA"))
    assert set(found.values()) == {("203.0.113.10",), ("2001:db8::10",)}


def test_dkim_records_name_their_algorithm() -> None:
    rrsets = tenant_rrsets(tenant(), PLATFORM, {"acme.example": [ED25519, RSA]})
    found = {r.name: r.records for r in rrsets if "._domainkey." in r.name}

    assert found == {
        "ed-2026._domainkey.acme.example": (f"v=DKIM1; k=ed25519; p={ED25519.public_key}",),
        "rsa-2026._domainkey.acme.example": (f"v=DKIM1; k=rsa; p={RSA.public_key}",),
    }


@pytest.mark.parametrize("status", ["suspended", "deleted"])
def test_suspended_or_deleted_tenant_keeps_its_dns(status: str) -> None:
    extra = {"deleted_at": dt.date(2026, 5, 1)} if status == "deleted" else {}
    assert tenant_rrsets(tenant(status=status, **extra), PLATFORM) == tenant_rrsets(tenant(), PLATFORM)


def test_platform_subdomain_that_is_also_a_mail_domain_gets_both_sets_once() -> None:
    both = tenant(domains={"primary": "acme.dezky.eu"})
    rrsets = tenant_rrsets(both, PLATFORM)

    assert zones_for(both) == ("acme.dezky.eu",)
    assert {("acme.dezky.eu", "A"), ("acme.dezky.eu", "MX")} <= {(r.name, r.type) for r in rrsets}
    assert len({r.key for r in rrsets}) == len(rrsets)


def test_order_is_deterministic_zone_then_apex_then_name() -> None:
    rrsets = tenant_rrsets(tenant(), PLATFORM)
    first_of_each_zone = [next(r for r in rrsets if r.zone == zone) for zone in zones_for(tenant())]

    assert [r.zone for r in rrsets] == sorted((r.zone for r in rrsets), key=zones_for(tenant()).index)
    assert all(r.name == r.zone for r in first_of_each_zone)
    assert tenant_rrsets(tenant(), PLATFORM) == rrsets


def test_dkim_keys_for_a_domain_the_tenant_lacks_are_refused() -> None:
    with pytest.raises(ValueError, match=r"no mail domain other\.example"):
        tenant_rrsets(tenant(), PLATFORM, {"other.example": [ED25519]})


def test_two_dkim_keys_with_one_selector_are_refused() -> None:
    with pytest.raises(ValueError, match="share a selector"):
        tenant_rrsets(tenant(), PLATFORM, {"acme.example": [ED25519, replace(RSA, selector="ed-2026")]})


@pytest.mark.parametrize(
    ("algorithm", "public_key", "reason"),
    [
        ("ed25519", base64.b64encode(bytes(44)).decode(), "raw 32-byte key"),
        ("rsa", base64.b64encode(b"\x04" + bytes(200)).decode(), "SubjectPublicKeyInfo"),
        ("rsa", "not base64!", "base64"),
        ("dsa", ED25519.public_key, "ed25519 or rsa"),
    ],
)
def test_malformed_dkim_keys_are_refused(algorithm: Any, public_key: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        DkimKey("sel", algorithm, public_key)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"ingress_ipv4": "2001:db8::1"}, "ingress_ipv4 `2001:db8::1` is not an IPv4 address"),
        ({"web_host": "web host"}, "web_host"),
        ({"dmarc_rua": "dmarc@dezky.eu"}, "dmarc_rua"),
        ({"caa_iodef": "mailto:a@b.de, mailto:c@d.de"}, "caa_iodef"),
        ({"mta_sts_policy_id": "2026-11-01"}, "mta_sts_policy_id"),
        ({"ttl": 30}, "ttl"),
    ],
)
def test_platform_settings_are_checked(change: dict[str, Any], reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        replace(PLATFORM, **change)
