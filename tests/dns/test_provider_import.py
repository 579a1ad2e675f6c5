"""`pulumi import` of an RRset: the provider reads it by its natural key with no state to go on."""

from __future__ import annotations

from pulumi.dynamic import ConfigureRequest
from pulumi.dynamic.config import Config

from components.dns.backend import RRset
from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.provider import RRsetProvider
from tests.fixtures.powerdns import PowerDnsServer


def configured(powerdns: PowerDnsServer) -> RRsetProvider:
    provider = RRsetProvider()
    config = {
        "dezky:dnsBackend": "powerdns",
        "dezky:powerdnsUrl": powerdns.api_url,
        "dezky:powerdnsApiKey": powerdns.api_key,
    }
    provider.configure(ConfigureRequest(Config(config, "dezky")))
    return provider


def test_import_reads_an_existing_rrset_by_zone_name_and_type(powerdns: PowerDnsServer):
    rrset = RRset("import-test.example", "_dmarc.import-test.example", "TXT", 600, ("v=DMARC1; p=none",))
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        if not backend.zone_exists(rrset.zone):
            backend.create_zone(rrset.zone)
        backend.put_rrset(rrset)
    provider = configured(powerdns)

    result = provider.read(f"{rrset.zone}/{rrset.name}/TXT", {})

    assert result.id == f"{rrset.zone}/{rrset.name}/TXT"
    assert result.outs == {
        "zone": rrset.zone,
        "name": rrset.name,
        "type": "TXT",
        "ttl": 600,
        "records": ["v=DMARC1; p=none"],
    }
    assert not provider.diff(result.id, result.outs, {**result.outs, "records": ["v=DMARC1; p=none"]}).changes


def test_import_of_an_rrset_that_does_not_exist_finds_nothing(powerdns: PowerDnsServer):
    provider = configured(powerdns)

    assert provider.read("import-test.example/missing.import-test.example/A", {}).id is None
