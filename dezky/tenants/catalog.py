"""The platform's fixed facts in one place: its domain, reserved names and the plans customers buy."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

PLATFORM_DOMAIN = "dezky.eu"

GiB = 1024**3
TiB = 1024**4

# The names the platform itself goes by, which a tenant's slug would collide with:
# - stacks: the environments (`stacks/Pulumi.<env>.yaml`) and the parts of a split stack, `<env>.<tenant slug>`
#   beside `<env>.estate` (dezky/engine/workspace.py `StackName`): a tenant `estate` could never get a stack;
# - the program's own top-level components (dezky/program.py: `estate`, `platform`), its integrations
#   (components/, hetzner/) and the policy pack;
# - the platform's own Authentik application (components/authentik/platform.py `OCIS_SLUG`).
PLATFORM_NAMES: frozenset[str] = frozenset(
    {
        "dev", "prod", "estate", "platform", "tenant", "tenants", "stack", "stacks", "pulumi", "policy",
        "authentik", "ocis", "stalwart", "hetzner",
    }
)  # fmt: skip

# Names a tenant slug may not take: the platform's own names, platform hosts, and words that would confuse
# users or operators. A tenant's platform subdomain (`<slug>.dezky.eu`) may not take them either.
RESERVED_SLUGS: frozenset[str] = PLATFORM_NAMES | frozenset(
    {
        "admin", "api", "app", "apps", "auth", "autoconfig", "autodiscover", "billing", "cdn", "dav", "dezky",
        "dns", "docs", "files", "ftp", "help", "id", "idp", "imap", "internal", "jmap", "login", "mail",
        "mta-sts", "mx", "ns", "ns1", "ns2", "office", "pop", "portal", "postmaster", "root", "s3", "smtp",
        "sso", "staging", "static", "status", "support", "system", "test", "traefik", "webmail", "www",
    }
)  # fmt: skip


class Feature(StrEnum):
    MAIL = "mail"
    FILES = "files"
    OFFICE = "office"
    SHARED_MAILBOXES = "shared_mailboxes"
    MAILING_LISTS = "mailing_lists"
    CATCH_ALL = "catch_all"
    CUSTOM_BRANDING = "custom_branding"
    EXTRA_DOMAINS = "extra_domains"


@dataclass(frozen=True)
class Plan:
    name: str
    seats: int
    mailbox_quota: int  # bytes per user: the default and the ceiling
    file_quota: int  # bytes for all of the tenant's spaces together
    features: frozenset[Feature]


PLANS: dict[str, Plan] = {
    plan.name: plan
    for plan in (
        Plan("starter", seats=5, mailbox_quota=5 * GiB, file_quota=100 * GiB,
             features=frozenset({Feature.MAIL, Feature.FILES})),
        Plan("business", seats=50, mailbox_quota=25 * GiB, file_quota=1 * TiB,
             features=frozenset({Feature.MAIL, Feature.FILES, Feature.OFFICE, Feature.SHARED_MAILBOXES,
                                 Feature.MAILING_LISTS, Feature.CUSTOM_BRANDING, Feature.EXTRA_DOMAINS})),
        Plan("enterprise", seats=500, mailbox_quota=100 * GiB, file_quota=10 * TiB, features=frozenset(Feature)),
    )
}  # fmt: skip

# Days a soft-deleted tenant's data is kept before `purge: true` may remove it.
RETENTION_DAYS = 30
