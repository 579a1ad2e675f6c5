"""RRsets: absolute names in, relative on the wire; only what differs is written; TXT quoted and split."""

from __future__ import annotations

from components.dns.backend import RRset
from components.dns.hetzner import HetznerDnsBackend
from tests.emulators.hetzner_dns import HetznerDnsEmulator

from .conftest import ZONE

WWW = RRset(ZONE, f"www.{ZONE}", "A", 300, ("192.0.2.1", "192.0.2.2"))


def writes(hetzner_dns: HetznerDnsEmulator) -> list[tuple[str, str]]:
    return [(c.method, c.path) for c in hetzner_dns.calls if c.method != "GET"]


def test_created_rrset_reads_back_equal(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.put_rrset(WWW)

    assert backend.get_rrset(zone, WWW.name, "A").normalised() == WWW.normalised()
    assert writes(hetzner_dns) == [("POST", "/zones/acme.de/rrsets")]
    assert hetzner_dns.project.rrsets[zone][("www", "A")]["ttl"] == 300


def test_apex_rrset_is_named_at_on_the_wire(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    apex = RRset(zone, zone, "MX", 3600, ("10 mx.dezky.eu.",))

    backend.put_rrset(apex)

    assert ("@", "MX") in hetzner_dns.project.rrsets[zone]
    assert backend.get_rrset(zone, zone, "MX") == apex


def test_missing_rrset_reads_as_none(backend: HetznerDnsBackend, zone: str) -> None:
    assert backend.get_rrset(zone, f"nothing.{zone}", "A") is None
    assert backend.get_rrset("no-such-zone.de", "no-such-zone.de", "A") is None


def test_second_put_of_the_same_rrset_makes_no_writes(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.put_rrset(WWW)
    hetzner_dns.calls.clear()

    backend.put_rrset(RRset(zone, WWW.name, "A", 300, tuple(reversed(WWW.records))))

    assert hetzner_dns.write_count == 0


def test_changed_records_are_replaced_with_set_records_only(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.put_rrset(WWW)
    hetzner_dns.calls.clear()
    changed = RRset(zone, WWW.name, "A", 300, ("198.51.100.7",))

    backend.put_rrset(changed)

    assert writes(hetzner_dns) == [("POST", "/zones/acme.de/rrsets/www/A/actions/set_records")]
    assert backend.get_rrset(zone, WWW.name, "A") == changed


def test_changed_ttl_is_applied_with_change_ttl_only(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    backend.put_rrset(WWW)
    hetzner_dns.calls.clear()

    backend.put_rrset(RRset(zone, WWW.name, "A", 7200, WWW.records))

    assert writes(hetzner_dns) == [("POST", "/zones/acme.de/rrsets/www/A/actions/change_ttl")]
    assert backend.get_rrset(zone, WWW.name, "A").ttl == 7200


def test_delete_is_idempotent(backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator) -> None:
    backend.put_rrset(WWW)

    backend.delete_rrset(zone, WWW.name, "A")
    backend.delete_rrset(zone, WWW.name, "A")

    assert backend.get_rrset(zone, WWW.name, "A") is None
    assert [c.status for c in hetzner_dns.calls if c.method == "DELETE"] == [201, 404]


def test_putting_no_records_deletes_the_rrset(backend: HetznerDnsBackend, zone: str) -> None:
    backend.put_rrset(WWW)

    backend.put_rrset(RRset(zone, WWW.name, "A", 300, ()))

    assert backend.get_rrset(zone, WWW.name, "A") is None


def test_long_txt_is_split_on_the_wire_and_joined_on_read(
    backend: HetznerDnsBackend, zone: str, hetzner_dns: HetznerDnsEmulator
) -> None:
    dkim = "v=DKIM1; k=rsa; p=" + "A" * 400 + '"quoted"\\'
    rrset = RRset(zone, f"mail._domainkey.{zone}", "TXT", 3600, (dkim, "short"))

    backend.put_rrset(rrset)

    wire = hetzner_dns.project.rrsets[zone][("mail._domainkey", "TXT")]["records"]
    long_value = next(r["value"] for r in wire if "DKIM" in r["value"])
    assert long_value.count('" "') == 1 and long_value.startswith('"v=DKIM1')
    assert backend.get_rrset(zone, rrset.name, "TXT").normalised() == rrset.normalised()
    backend.put_rrset(rrset)
    assert writes(hetzner_dns) == [("POST", "/zones/acme.de/rrsets")]


def test_zone_listing_returns_every_rrset(backend: HetznerDnsBackend, zone: str) -> None:
    backend.put_rrset(WWW)

    listed = {(r.name, r.type) for r in backend.list_rrsets(zone)}

    assert listed == {(zone, "SOA"), (zone, "NS"), (WWW.name, "A")}
