"""Rules across tenant files: a slug, a domain and a mail address each belong to one tenant only.

A domain also may not sit inside another tenant's domain (`shop.acme.de` when another tenant has `acme.de`,
or anything under another tenant's platform subdomain): its DNS zone and its mail would be split between two
customers. Every tenant in a clash is told, so the problem shows in the file being edited whichever file sorts
first.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from dezky.tenants.catalog import PLATFORM_DOMAIN
from dezky.tenants.model import Tenant

FieldPath = tuple[str | int, ...]
Kind = Literal["slug", "domain", "address"]
Relation = Literal["same", "inside", "contains"]


class Claim(NamedTuple):  # a tuple: an estate has tens of thousands of claims, and they are built fast
    """Tenant number `tenant` (its index in the sequence checked) claims `value` at `loc` in its file."""

    tenant: int
    value: str
    loc: FieldPath


@dataclass(frozen=True)
class Conflict:
    """`claim` clashes with `others`, claims of other tenants: the same value, or a domain `inside` one of
    theirs, or a domain that `contains` one of theirs."""

    kind: Kind
    claim: Claim
    others: tuple[Claim, ...]
    relation: Relation = "same"


def find_conflicts(tenants: Sequence[Tenant]) -> Iterator[Conflict]:
    kinds: tuple[tuple[Kind, Callable[[int, Tenant], Iterator[Claim]]], ...] = (
        ("slug", _slug_claims),
        ("domain", _domain_claims),
        ("address", _address_claims),
    )
    for kind, claims_of in kinds:
        by_value: dict[str, list[Claim]] = defaultdict(list)
        for index, tenant in enumerate(tenants):
            for claim in claims_of(index, tenant):
                by_value[claim.value].append(claim)
        for claims in by_value.values():
            if len(claims) > 1:
                yield from _between(kind, claims, claims, "same")
        if kind == "domain":
            yield from _nested_domains(by_value)


def _nested_domains(by_value: dict[str, list[Claim]]) -> Iterator[Conflict]:
    for inner, inner_claims in list(by_value.items()):
        for outer in _parent_domains(inner):
            # Every platform subdomain is inside the platform domain; claiming that is a per-file error.
            if outer == PLATFORM_DOMAIN or outer not in by_value:
                continue
            yield from _between("domain", inner_claims, by_value[outer], "inside")
            yield from _between("domain", by_value[outer], inner_claims, "contains")


def _between(
    kind: Kind, mine: Iterable[Claim], theirs: list[Claim], relation: Relation
) -> Iterator[Conflict]:
    for claim in mine:
        others = tuple(other for other in theirs if other.tenant != claim.tenant)
        if others:
            yield Conflict(kind, claim, others, relation)


def _parent_domains(domain: str) -> Iterator[str]:
    """`a.b.example.de` -> `b.example.de`, `example.de` (never a bare top-level domain)."""
    labels = domain.split(".")
    for start in range(1, len(labels) - 1):
        yield ".".join(labels[start:])


def _slug_claims(index: int, tenant: Tenant) -> Iterator[Claim]:
    yield Claim(index, tenant.slug, ("slug",))


def _domain_claims(index: int, tenant: Tenant) -> Iterator[Claim]:
    yield Claim(index, tenant.domains.primary, ("domains", "primary"))
    for position, domain in enumerate(tenant.domains.mail):
        yield Claim(index, domain, ("domains", "mail", position))
    yield Claim(index, tenant.platform_subdomain, ("domains", "platform_subdomain"))


def _address_claims(index: int, tenant: Tenant) -> Iterator[Claim]:
    for i, user in enumerate(tenant.users):
        yield Claim(index, user.email, ("users", i, "email"))
        for j, alias in enumerate(user.aliases):
            yield Claim(index, alias, ("users", i, "aliases", j))
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        yield Claim(index, box.address, ("mail", "shared_mailboxes", i, "address"))
    for i, mailing_list in enumerate(tenant.mail.lists):
        yield Claim(index, mailing_list.address, ("mail", "lists", i, "address"))
