"""Rules across tenant files: a slug, a domain and a mail address each belong to one tenant only."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from dezky.tenants.model import Tenant

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Claim:
    value: str
    loc: FieldPath


@dataclass(frozen=True)
class Conflict:
    """Tenant `tenant_index` claims what tenant `owner_index` claimed first, at `owner_claim`."""

    tenant_index: int
    claim: Claim
    owner_index: int
    owner_claim: Claim
    kind: str


def find_conflicts(tenants: Sequence[Tenant]) -> Iterator[Conflict]:
    for kind, claims_of in (("slug", _slug_claims), ("domain", _domain_claims), ("address", _address_claims)):
        owners: dict[str, tuple[int, Claim]] = {}
        for index, tenant in enumerate(tenants):
            for claim in claims_of(tenant):
                owner_index, owner_claim = owners.setdefault(claim.value, (index, claim))
                if owner_index != index:
                    yield Conflict(index, claim, owner_index, owner_claim, kind)


def _slug_claims(tenant: Tenant) -> Iterator[Claim]:
    yield Claim(tenant.slug, ("slug",))


def _domain_claims(tenant: Tenant) -> Iterator[Claim]:
    yield Claim(tenant.domains.primary, ("domains", "primary"))
    for index, domain in enumerate(tenant.domains.mail):
        yield Claim(domain, ("domains", "mail", index))
    yield Claim(tenant.platform_subdomain, ("domains", "platform_subdomain"))


def _address_claims(tenant: Tenant) -> Iterator[Claim]:
    for i, user in enumerate(tenant.users):
        yield Claim(user.email, ("users", i, "email"))
        for j, alias in enumerate(user.aliases):
            yield Claim(alias, ("users", i, "aliases", j))
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        yield Claim(box.address, ("mail", "shared_mailboxes", i, "address"))
    for i, mailing_list in enumerate(tenant.mail.lists):
        yield Claim(mailing_list.address, ("mail", "lists", i, "address"))
