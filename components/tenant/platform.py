"""Platform-wide settings every tenant's components need, read once from the stack configuration."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from dezky.tenants.catalog import PLATFORM_DOMAIN


@dataclass(frozen=True)
class PlatformSettings:
    environment: str
    domain: str = PLATFORM_DOMAIN
    ingress_ipv4: str = "127.0.0.1"
    ingress_ipv6: str = "::1"
    mail_host: str = f"mail.{PLATFORM_DOMAIN}"
    web_host: str = f"mail.{PLATFORM_DOMAIN}"
    dmarc_rua: str = f"mailto:dmarc@{PLATFORM_DOMAIN}"
    tls_rpt_rua: str = f"mailto:tlsrpt@{PLATFORM_DOMAIN}"
    caa_issuer: str = "letsencrypt.org"
    caa_iodef: str = f"mailto:security@{PLATFORM_DOMAIN}"
    mta_sts_policy_id: str = "20261101"
    dns_ttl: int = 3600


def platform_settings(config: Any) -> PlatformSettings:
    """From `pulumi.Config("dezky")`: every key optional but the environment's ingress addresses."""
    defaults = PlatformSettings(environment="dev")
    values: dict[str, Any] = {"environment": config.get("environment") or "dev"}
    for field, key in (
        ("ingress_ipv4", "ingressIpv4"),
        ("ingress_ipv6", "ingressIpv6"),
        ("mail_host", "mailHost"),
        ("web_host", "webHost"),
        ("dmarc_rua", "dmarcRua"),
        ("tls_rpt_rua", "tlsRptRua"),
        ("caa_issuer", "caaIssuer"),
        ("caa_iodef", "caaIodef"),
        ("mta_sts_policy_id", "mtaStsPolicyId"),
    ):
        values[field] = config.get(key) or getattr(defaults, field)
    values["dns_ttl"] = config.get_int("dnsTtl") or defaults.dns_ttl
    return PlatformSettings(**values)
