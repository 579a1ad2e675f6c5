"""Every DNS record a tenant needs, computed from its file and the platform's settings. Pure: no I/O.

A tenant's zones are its mail domains and its platform subdomain (`zones_for`). The platform subdomain points
the tenant's web hosts at the ingress; each mail domain gets what mail clients and other mail servers look up:
MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT, client autoconfiguration and service SRV records, CAA.

A suspended or deleted tenant keeps all of its DNS: mail to it must still reach our MX so it bounces with a
clear answer instead of timing out or being caught by whoever registers the name next, and its data is kept
until the purge, so the names that serve it stay too. Only removing the tenant file removes its records.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from components.dns.backend import RRset
from dezky.tenants.model import Tenant, normalise_domain

# Hosts the ingress serves under the tenant's platform subdomain; "@" is the subdomain itself.
WEB_HOSTS = ("@", "portal", "files", "mail", "office")
# Hosts the ingress serves in the platform's own zone: Authentik, OCIS, Collabora; "@" is the domain itself.
PLATFORM_HOSTS = ("@", "id", "files", "office")
MX_PREFERENCE = 10
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_SELECTOR = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*$")
_POLICY_ID = re.compile(r"^[A-Za-z0-9]{1,32}$")  # RFC 8461 section 3.1


@dataclass(frozen=True)
class DkimKey:
    """One DKIM public key, as the mail server that signs with it reports it."""

    selector: str
    algorithm: Literal["ed25519", "rsa"]
    public_key: str  # base64: the raw 32-byte key for ed25519 (RFC 8463), DER SubjectPublicKeyInfo for rsa

    def __post_init__(self) -> None:
        if not _SELECTOR.fullmatch(self.selector):
            raise ValueError(f"DKIM selector `{self.selector}` is not a lowercase DNS name")
        if self.algorithm not in ("ed25519", "rsa"):
            raise ValueError(f"DKIM algorithm must be ed25519 or rsa, not `{self.algorithm}`")
        _check_public_key(self.algorithm, self.public_key)

    @property
    def record(self) -> str:
        return f"v=DKIM1; k={self.algorithm}; p={self.public_key}"


@dataclass(frozen=True, kw_only=True)
class DnsPlatform:
    """The platform facts a tenant's records point at. URIs are written in full (`mailto:dmarc@dezky.eu`).

    When `dmarc_rua` is outside a tenant's domain, receivers only send reports if the report domain allows it
    (RFC 7489 section 7.1): the platform zone publishes `*._report._dmarc.<rua domain> TXT "v=DMARC1"` once.
    """

    ingress_ipv4: str
    ingress_ipv6: str
    mail_host: str
    web_host: str
    dmarc_rua: str
    tls_rpt_rua: str
    caa_issuer: str = "letsencrypt.org"
    caa_iodef: str
    mta_sts_policy_id: str
    # quarantine, not reject: a sender the tenant forgot to tell us about lands in spam instead of bouncing,
    # while spoofed mail is still kept out of the inbox. Raise to reject once the DMARC reports are clean.
    dmarc_policy: Literal["none", "quarantine", "reject"] = "quarantine"
    ttl: int = 3600

    def __post_init__(self) -> None:
        _check("ingress_ipv4", self.ingress_ipv4, ipaddress.IPv4Address, "an IPv4 address")
        _check("ingress_ipv6", self.ingress_ipv6, ipaddress.IPv6Address, "an IPv6 address")
        _check("mail_host", self.mail_host, normalise_domain, "a host name")
        _check("web_host", self.web_host, normalise_domain, "a host name")
        _check_uri("dmarc_rua", self.dmarc_rua, ("mailto:",))
        _check_uri("tls_rpt_rua", self.tls_rpt_rua, ("mailto:", "https://"))
        _check_uri("caa_iodef", self.caa_iodef, ("mailto:", "https://"))
        if not self.caa_issuer or '"' in self.caa_issuer or " " in self.caa_issuer:
            raise ValueError(f"caa_issuer `{self.caa_issuer}` must be a CA domain without spaces or quotes")
        if not _POLICY_ID.fullmatch(self.mta_sts_policy_id):
            raise ValueError("mta_sts_policy_id must be 1 to 32 letters and digits (RFC 8461)")
        if self.dmarc_policy not in ("none", "quarantine", "reject"):
            raise ValueError(f"dmarc_policy must be none, quarantine or reject, not `{self.dmarc_policy}`")
        if not 60 <= self.ttl <= 86400:
            raise ValueError("ttl must be between 60 and 86400 seconds")


def zones_for(tenant: Tenant) -> tuple[str, ...]:
    """One zone per tenant domain: the mail domains, primary first, then the platform subdomain."""
    return tuple(dict.fromkeys(tenant.all_domains))


def tenant_rrsets(
    tenant: Tenant, platform: DnsPlatform, dkim_keys: Mapping[str, Sequence[DkimKey]] | None = None
) -> tuple[RRset, ...]:
    """Every RRset the tenant needs, one per name and type, ordered by zone (as `zones_for`), apex, name, type.

    `dkim_keys` maps a mail domain to the keys its mail is signed with; a domain without keys gets no DKIM
    records yet. Keys for a domain the tenant does not have are a mistake and raise ValueError.
    """
    keys = dkim_keys or {}
    unknown = sorted(set(keys) - set(tenant.domains.mail_domains))
    if unknown:
        raise ValueError(f"tenant `{tenant.slug}` has no mail domain {', '.join(unknown)} for its DKIM keys")
    rrsets = list(platform_subdomain_rrsets(tenant.platform_subdomain, platform))
    for domain in tenant.domains.mail_domains:
        rrsets += mail_domain_rrsets(domain, platform, keys.get(domain, ()))
    return _ordered(_merged(rrsets), zones_for(tenant))


def platform_subdomain_rrsets(zone: str, platform: DnsPlatform) -> list[RRset]:
    """A and AAAA for the tenant's web hosts. No CAA: CAA lookup climbs past zone cuts to the platform's own."""
    ipv4 = str(ipaddress.IPv4Address(platform.ingress_ipv4))
    ipv6 = str(ipaddress.IPv6Address(platform.ingress_ipv6))
    rrsets = []
    for host in WEB_HOSTS:
        rrsets += [
            _rrset(zone, host, "A", platform.ttl, ipv4),
            _rrset(zone, host, "AAAA", platform.ttl, ipv6),
        ]
    return rrsets


def mail_domain_rrsets(domain: str, platform: DnsPlatform, dkim_keys: Sequence[DkimKey] = ()) -> list[RRset]:
    selectors = [key.selector for key in dkim_keys]
    if len(set(selectors)) != len(selectors):
        raise ValueError(f"{domain}: two DKIM keys share a selector ({', '.join(selectors)})")
    mx, web, ttl = _target(platform.mail_host), _target(platform.web_host), platform.ttl
    return [
        _rrset(domain, "@", "MX", ttl, f"{MX_PREFERENCE} {mx}"),
        _rrset(domain, "@", "TXT", ttl, "v=spf1 mx -all"),
        _rrset(domain, "@", "CAA", ttl, *_caa_records(platform)),
        *(_rrset(domain, f"{key.selector}._domainkey", "TXT", ttl, key.record) for key in dkim_keys),
        _rrset(
            domain, "_dmarc", "TXT", ttl, f"v=DMARC1; p={platform.dmarc_policy}; rua={platform.dmarc_rua}"
        ),
        _rrset(domain, "_mta-sts", "TXT", ttl, f"v=STSv1; id={platform.mta_sts_policy_id}"),
        # The policy is served at https://mta-sts.<domain>/.well-known/mta-sts.txt by the web host.
        _rrset(domain, "mta-sts", "CNAME", ttl, web),
        _rrset(domain, "_smtp._tls", "TXT", ttl, f"v=TLSRPTv1; rua={platform.tls_rpt_rua}"),
        _rrset(domain, "autoconfig", "CNAME", ttl, web),
        _rrset(domain, "autodiscover", "CNAME", ttl, web),
        *_service_rrsets(domain, mx, web, ttl),
    ]


def platform_zone_rrsets(
    domain: str, platform: DnsPlatform, delegated: Iterable[str], nameservers: Sequence[str]
) -> tuple[RRset, ...]:
    """The platform's own zone: its web hosts and mail host at the ingress, the records it needs as a mail
    domain (DKIM aside: its keys are not ours to know here), the authorisation for tenants' DMARC reports,
    and an NS delegation to `nameservers` for each of `delegated` (tenants' platform subdomains) inside it.

    Ordered apex first, then by name and type. A delegated name that is also one of the platform's hosts
    would hide that host and raises ValueError; delegated names outside the zone are not ours to delegate.
    """
    domain = normalise_domain(domain)
    hosts = sorted({*PLATFORM_HOSTS, *_hosts_inside(domain, platform.mail_host, platform.web_host)})
    children = sorted({name for name in map(normalise_domain, delegated) if name.endswith(f".{domain}")})
    shadowed = [name for name in children if _relative(domain, name) in hosts]
    if shadowed:
        raise ValueError(f"{', '.join(shadowed)} cannot be delegated: the platform serves that host itself")
    if children and not nameservers:
        raise ValueError("delegating the tenants' zones needs at least one nameserver")
    ipv4 = str(ipaddress.IPv4Address(platform.ingress_ipv4))
    ipv6 = str(ipaddress.IPv6Address(platform.ingress_ipv6))
    rrsets = [
        *(
            _rrset(domain, host, type_, platform.ttl, ip)
            for host in hosts
            for type_, ip in (("A", ipv4), ("AAAA", ipv6))
        ),
        *mail_domain_rrsets(domain, platform),
        *_dmarc_report_authorisation(domain, platform),
        *(
            _rrset(domain, _relative(domain, child), "NS", platform.ttl, *map(_target, nameservers))
            for child in children
        ),
    ]
    return _ordered(_merged(rrsets), (domain,))


def _hosts_inside(domain: str, *names: str) -> list[str]:
    return [_relative(domain, name) for name in map(normalise_domain, names) if name.endswith(f".{domain}")]


def _relative(domain: str, name: str) -> str:
    return "@" if name == domain else name.removesuffix(f".{domain}")


def _dmarc_report_authorisation(domain: str, platform: DnsPlatform) -> list[RRset]:
    """`*._report._dmarc` (RFC 7489 section 7.1) when the report address is in this zone: receivers then
    send tenants' aggregate reports to it although it is outside the tenants' own domains."""
    rua_domain = normalise_domain(platform.dmarc_rua.rsplit("@", 1)[-1])
    if rua_domain != domain and not rua_domain.endswith(f".{domain}"):
        return []
    host = "*._report._dmarc" if rua_domain == domain else f"*._report._dmarc.{_relative(domain, rua_domain)}"
    return [_rrset(domain, host, "TXT", platform.ttl, "v=DMARC1")]


def _service_rrsets(domain: str, mx: str, web: str, ttl: int) -> list[RRset]:
    """SRV records for mail client autoconfiguration (RFC 6186, 8314) and calendars and contacts (RFC 6764).

    Implicit TLS gets the lower priority number: RFC 8314 section 5.1 asks clients to prefer it when both
    submission services are published. Port 587 stays published for devices that only do STARTTLS
    (scanners, older programs). CalDAV and CardDAV need no `path` TXT: the server answers at /.well-known/.
    """
    return [
        _rrset(domain, "_submissions._tcp", "SRV", ttl, f"0 1 465 {mx}"),
        _rrset(domain, "_submission._tcp", "SRV", ttl, f"10 1 587 {mx}"),
        _rrset(domain, "_imaps._tcp", "SRV", ttl, f"0 1 993 {mx}"),
        # IMAP on 143 with STARTTLS is not advertised ("." = not offered, RFC 6186 section 3.4): every IMAP
        # client in use speaks implicit TLS on 993, and a client steered to 143 can be downgraded by anyone
        # on the path who strips STARTTLS (RFC 8314 section 4.1).
        _rrset(domain, "_imap._tcp", "SRV", ttl, "0 0 0 ."),
        _rrset(domain, "_jmap._tcp", "SRV", ttl, f"0 1 443 {web}"),
        _rrset(domain, "_caldavs._tcp", "SRV", ttl, f"0 1 443 {web}"),
        _rrset(domain, "_carddavs._tcp", "SRV", ttl, f"0 1 443 {web}"),
    ]


def _caa_records(platform: DnsPlatform) -> tuple[str, str]:
    return f'0 issue "{platform.caa_issuer}"', f'0 iodef "{platform.caa_iodef}"'


def _rrset(zone: str, host: str, type_: str, ttl: int, *records: str) -> RRset:
    name = zone if host == "@" else f"{host}.{zone}"
    return RRset(zone=zone, name=name, type=type_, ttl=ttl, records=tuple(records))


def _target(host: str) -> str:
    return normalise_domain(host) + "."


def _merged(rrsets: Iterable[RRset]) -> list[RRset]:
    """One RRset per name and type. The same RRset twice (a platform subdomain that is also a mail domain)
    collapses into one; two different ones for the same name and type are a conflict."""
    by_key: dict[str, RRset] = {}
    for rrset in rrsets:
        seen = by_key.setdefault(rrset.key, rrset)
        if seen.normalised() != rrset.normalised():
            raise ValueError(
                f"two different {rrset.type} RRsets for {rrset.name}: {seen.records} and {rrset.records}"
            )
    return list(by_key.values())


def _ordered(rrsets: list[RRset], zones: Sequence[str]) -> tuple[RRset, ...]:
    return tuple(sorted(rrsets, key=lambda r: (zones.index(r.zone), r.name != r.zone, r.name, r.type)))


def _check(field: str, value: str, parse: Callable[[str], object], what: str) -> None:
    try:
        parse(value)
    except ValueError:
        raise ValueError(f"{field} `{value}` is not {what}") from None


def _check_uri(field: str, value: str, schemes: tuple[str, ...]) -> None:
    has_address = any(value.startswith(scheme) and len(value) > len(scheme) for scheme in schemes)
    if not has_address or any(char in value for char in ' ;,"'):
        raise ValueError(f"{field} `{value}` must be one URI starting with {' or '.join(schemes)}")


def _check_public_key(algorithm: str, public_key: str) -> None:
    try:
        raw = base64.b64decode(public_key, validate=True)
    except (binascii.Error, ValueError):
        raise ValueError("DKIM public_key must be base64 without spaces") from None
    if algorithm == "ed25519" and len(raw) != 32:
        raise ValueError(f"an ed25519 DKIM key is the raw 32-byte key (RFC 8463), not {len(raw)} bytes")
    if algorithm == "rsa" and not raw.startswith(b"\x30"):
        raise ValueError("an rsa DKIM key is a DER SubjectPublicKeyInfo (it starts with a SEQUENCE)")
