"""The PowerDNS backend against a real PowerDNS 4.7.3: what it writes is read back and served over DNS.

Every request and response of the `backend` fixture passes through the spec-checking transport, so each test
here also proves its exchanges conform to the vendored spec.
"""

from __future__ import annotations

import base64
import os

import dns.flags
import dns.message
import dns.query
import dns.rcode
import pytest

from components.common.http import ApiError
from components.dns.backend import RRset
from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import DkimKey, DnsPlatform, tenant_rrsets, zones_for
from dezky.tenants.model import Tenant
from tests.fixtures.powerdns import PowerDnsServer
from tests.fixtures.powerdns_spec import SpecCheckingTransport

pytestmark = pytest.mark.pdns

PLATFORM = DnsPlatform(
    ingress_ipv4="203.0.113.10",
    ingress_ipv6="2001:db8::10",
    mail_host="mail.dezky.eu",
    web_host="mail.dezky.eu",
    dmarc_rua="mailto:dmarc@dezky.eu",
    tls_rpt_rua="mailto:tlsrpt@dezky.eu",
    caa_iodef="mailto:security@dezky.eu",
    mta_sts_policy_id="20261101",
)


def ask(server: PowerDnsServer, name: str, type_: str, *, tcp: bool = False) -> dns.message.Message:
    query = dns.message.make_query(name, type_)
    send = dns.query.tcp if tcp else dns.query.udp
    return send(query, server.dns_address, port=server.dns_port, timeout=3)


def answer_texts(response: dns.message.Message) -> set[str]:
    return {rdata.to_text() for rrset in response.answer for rdata in rrset}


def rsa_dkim_text() -> str:
    # The size of a 2048-bit RSA SubjectPublicKeyInfo: 294 bytes, 392 characters of base64.
    key = base64.b64encode(b"\x30" + os.urandom(293)).decode()
    return f"v=DKIM1; k=rsa; p={key}"


def test_created_zone_exists_and_serves_our_nameservers(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    assert backend.zone_exists(zone)
    response = ask(powerdns, zone, "NS")
    assert response.flags & dns.flags.AA
    assert answer_texts(response) == {"ns1.dezky.eu.", "ns2.dezky.eu."}


def test_zone_that_was_never_created_does_not_exist(backend: PowerDnsBackend) -> None:
    assert not backend.zone_exists("never-created.dns-test.example")


@pytest.mark.parametrize(
    ("host", "type_", "records"),
    [
        ("www", "A", ("192.0.2.10", "192.0.2.11")),
        ("www", "AAAA", ("2001:db8::10",)),
        ("@", "MX", ("10 mail.dezky.eu.",)),
        ("_imaps._tcp", "SRV", ("0 1 993 mail.dezky.eu.",)),
        ("_imap._tcp", "SRV", ("0 0 0 .",)),
        ("@", "CAA", ('0 issue "letsencrypt.org"', '0 iodef "mailto:security@dezky.eu"')),
        ("autoconfig", "CNAME", ("mail.dezky.eu.",)),
    ],
)
def test_put_rrset_is_read_back_unchanged_and_served(
    backend: PowerDnsBackend,
    zone: str,
    powerdns: PowerDnsServer,
    host: str,
    type_: str,
    records: tuple[str, ...],
) -> None:
    name = zone if host == "@" else f"{host}.{zone}"
    rrset = RRset(zone, name, type_, 600, records)

    backend.put_rrset(rrset)

    assert backend.get_rrset(zone, name, type_) == rrset.normalised()
    response = ask(powerdns, name, type_)
    assert answer_texts(response) == set(records)
    assert {rrset.ttl for rrset in response.answer} == {600}


def test_long_dkim_txt_travels_as_255_byte_strings_and_reads_back_whole(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    text = rsa_dkim_text()
    name = f"rsa2026._domainkey.{zone}"

    backend.put_rrset(RRset(zone, name, "TXT", 3600, (text,)))

    assert backend.get_rrset(zone, name, "TXT") == RRset(zone, name, "TXT", 3600, (text,))
    (served,) = ask(powerdns, name, "TXT", tcp=True).answer[0]
    assert [len(s) for s in served.strings] == [255, len(text) - 255]
    assert b"".join(served.strings).decode() == text


def test_txt_with_quotes_backslashes_and_umlauts_round_trips(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    # 100 three-byte groups put a two-byte character across the 255-byte boundary.
    text = 'Grüße "aus" C:\\Büro; ' + "aä" * 100
    name = f"note.{zone}"

    backend.put_rrset(RRset(zone, name, "TXT", 300, (text, "second")))

    assert (
        backend.get_rrset(zone, name, "TXT") == RRset(zone, name, "TXT", 300, ("second", text)).normalised()
    )
    served = {b"".join(rdata.strings).decode() for rdata in ask(powerdns, name, "TXT", tcp=True).answer[0]}
    assert served == {text, "second"}


def test_replace_leaves_exactly_the_new_records_and_ttl(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    name = f"portal.{zone}"
    backend.put_rrset(RRset(zone, name, "A", 3600, ("192.0.2.1",)))

    backend.put_rrset(RRset(zone, name, "A", 300, ("192.0.2.2", "192.0.2.3")))

    assert backend.get_rrset(zone, name, "A") == RRset(zone, name, "A", 300, ("192.0.2.2", "192.0.2.3"))
    assert answer_texts(ask(powerdns, name, "A")) == {"192.0.2.2", "192.0.2.3"}


def test_get_rrset_is_none_for_an_absent_name_or_zone(backend: PowerDnsBackend, zone: str) -> None:
    assert backend.get_rrset(zone, f"nothing.{zone}", "A") is None
    assert backend.get_rrset("never-created.dns-test.example", "never-created.dns-test.example", "MX") is None


def test_get_rrset_returns_only_the_type_asked_for(backend: PowerDnsBackend, zone: str) -> None:
    backend.put_rrset(RRset(zone, zone, "MX", 3600, ("10 mail.dezky.eu.",)))
    backend.put_rrset(RRset(zone, zone, "TXT", 3600, ("v=spf1 mx -all",)))

    assert backend.get_rrset(zone, zone, "TXT") == RRset(zone, zone, "TXT", 3600, ("v=spf1 mx -all",))


def test_deleted_rrset_is_gone_and_deleting_again_is_fine(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    name = f"_dmarc.{zone}"
    backend.put_rrset(RRset(zone, name, "TXT", 3600, ("v=DMARC1; p=reject",)))

    backend.delete_rrset(zone, name, "TXT")
    backend.delete_rrset(zone, name, "TXT")
    backend.delete_rrset("never-created.dns-test.example", f"x.{zone}", "TXT")

    assert backend.get_rrset(zone, name, "TXT") is None
    assert ask(powerdns, name, "TXT").rcode() == dns.rcode.NXDOMAIN


def test_deleted_zone_is_no_longer_served_and_deleting_again_is_fine(
    backend: PowerDnsBackend, powerdns: PowerDnsServer
) -> None:
    zone = "short-lived.dns-test.example"
    backend.create_zone(zone)

    backend.delete_zone(zone)
    backend.delete_zone(zone)

    assert not backend.zone_exists(zone)
    assert ask(powerdns, zone, "SOA").rcode() == dns.rcode.REFUSED


def test_api_error_carries_powerdns_message(backend: PowerDnsBackend, zone: str) -> None:
    with pytest.raises(ApiError) as caught:
        backend.put_rrset(RRset(zone, f"www.{zone}", "A", 300, ("192.0.2.999",)))

    error = caught.value
    assert error.status == 422
    assert (
        error.message
        == f"Record www.{zone}./A '192.0.2.999': Parsing record content (try 'pdnsutil check-zone'): unable to parse IP address"
    )
    assert error.message in str(error) and "PowerDNS" in str(error)


def test_name_outside_the_zone_is_refused_with_powerdns_reason(backend: PowerDnsBackend, zone: str) -> None:
    with pytest.raises(ApiError, match="Name is out of zone"):
        backend.put_rrset(RRset(zone, "elsewhere.example", "TXT", 300, ("x",)))


def test_creating_an_existing_zone_is_a_conflict(backend: PowerDnsBackend, zone: str) -> None:
    with pytest.raises(ApiError) as caught:
        backend.create_zone(zone)
    assert (caught.value.status, caught.value.message) == (409, "Conflict")


def test_api_key_appears_in_no_error_or_repr(
    powerdns: PowerDnsServer,
    pdns_settings: PowerDnsSettings,
    spec_transport: SpecCheckingTransport,
    zone: str,
) -> None:
    wrong = PowerDnsSettings(powerdns.api_url, "wrong-key-" + powerdns.api_key[:8])
    with PowerDnsBackend(wrong, transport=spec_transport) as refused, pytest.raises(ApiError) as unauthorised:
        refused.zone_exists(zone)
    with PowerDnsBackend(pdns_settings, transport=spec_transport) as backend:
        with pytest.raises(ApiError) as invalid:
            backend.put_rrset(RRset(zone, f"www.{zone}", "A", 300, ("not-an-address",)))
        shown = [str(unauthorised.value), repr(unauthorised.value), str(invalid.value), repr(invalid.value)]
        shown += [repr(pdns_settings), repr(wrong), repr(backend)]

    assert unauthorised.value.status == 401 and invalid.value.status == 422
    for text in shown:
        assert powerdns.api_key not in text and wrong.api_key not in text and powerdns.api_key[:8] not in text


def test_reads_make_no_writes_and_writes_are_counted(
    backend: PowerDnsBackend, zone: str, powerdns: PowerDnsServer
) -> None:
    before = powerdns.write_count()
    backend.zone_exists(zone)
    backend.get_rrset(zone, zone, "MX")
    assert powerdns.write_count() == before

    backend.put_rrset(RRset(zone, zone, "MX", 3600, ("10 mail.dezky.eu.",)))
    assert powerdns.write_count() > before


def test_every_operation_the_backend_uses_was_checked_against_the_spec(
    backend: PowerDnsBackend, spec_transport: SpecCheckingTransport
) -> None:
    zone = "spec-tour.dns-test.example"
    backend.create_zone(zone)
    backend.put_rrset(RRset(zone, zone, "TXT", 300, ("v=spf1 mx -all",)))
    backend.get_rrset(zone, zone, "TXT")
    backend.delete_rrset(zone, zone, "TXT")
    backend.delete_zone(zone)
    backend.zone_exists(zone)

    zones, zone_path = "/servers/{server_id}/zones", "/servers/{server_id}/zones/{zone_id}"
    assert {(e.method, e.template, e.status) for e in spec_transport.exchanges} == {
        ("POST", zones, 201),
        ("PATCH", zone_path, 204),
        ("GET", zone_path, 200),
        ("DELETE", zone_path, 204),
        ("GET", zone_path, 404),
    }


def test_rrset_types_are_read_case_insensitively(backend: PowerDnsBackend, zone: str) -> None:
    backend.put_rrset(RRset(zone, f"www.{zone}", "a", 300, ("192.0.2.7",)))
    assert backend.get_rrset(zone, f"WWW.{zone}", "A") == RRset(zone, f"www.{zone}", "A", 300, ("192.0.2.7",))


def test_every_record_a_tenant_needs_is_accepted_and_reads_back_equal(
    backend: PowerDnsBackend, powerdns: PowerDnsServer
) -> None:
    tenant = Tenant.model_validate(
        {
            "slug": "roundtrip",
            "name": "Roundtrip GmbH",
            "created": "2026-01-01",
            "plan": "business",
            "domains": {"primary": "roundtrip.example", "mail": ["ründtrip.example"]},
        }
    )
    dkim = DkimKey("rsa1", "rsa", base64.b64encode(b"\x30" + os.urandom(293)).decode())
    wanted = tenant_rrsets(tenant, PLATFORM, {"roundtrip.example": [dkim]})
    for zone in zones_for(tenant):
        backend.create_zone(zone)
    try:
        for rrset in wanted:
            backend.put_rrset(rrset)
        writes = powerdns.write_count()

        read = tuple(backend.get_rrset(r.zone, r.name, r.type) for r in wanted)

        assert read == tuple(r.normalised() for r in wanted)
        assert powerdns.write_count() == writes
    finally:
        for zone in zones_for(tenant):
            backend.delete_zone(zone)
