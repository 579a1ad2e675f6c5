"""Rules across tenant files: a slug, a domain and a mail address each belong to one tenant only.

A domain also may not sit inside another tenant's domain (`shop.acme.de` when another tenant has `acme.de`,
or anything under another tenant's platform subdomain): its DNS zone and its mail would be split between two
customers. Every tenant in a clash is told, so the problem shows in the file being edited whichever file sorts
first.

A domain that only looks like another tenant's (`acme.de` spelt with a Cyrillic a, U+0430, beside `acme.de`) is a
lookalike: the two share a Unicode skeleton (`lookalike.skeleton`), or one's skeleton is inside the other's. Only
the lookalike's file is told, as the name that passes for the other is the one to change; unless the other file
is the one that brought the clash (a new file, see `loader._Newer`), which is then told too.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Literal, NamedTuple

from dezky.tenants.catalog import PLATFORM_DOMAIN
from dezky.tenants.lookalike import is_lookalike, skeleton
from dezky.tenants.model import Tenant

FieldPath = tuple[str | int, ...]
Kind = Literal["slug", "domain", "address"]
Relation = Literal["same", "inside", "contains", "lookalike", "lookalike-inside", "lookalike-contains"]


class Claim(NamedTuple):  # a tuple: an estate has tens of thousands of claims, and they are built fast
    """Tenant number `tenant` (its index in the sequence checked) claims `value` at `loc` in its file."""

    tenant: int
    value: str
    loc: FieldPath


@dataclass(frozen=True)
class Conflict:
    """`claim` clashes with `others`, claims of other tenants: the same value, or a domain `inside` one of
    theirs, or a domain that `contains` one of theirs, or a lookalike of theirs: of the same name (`lookalike`),
    of one inside theirs or around it (`lookalike-inside`, `lookalike-contains`); `others` then hold one value."""

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
            yield from _lookalike_domains(by_value)


def _nested_domains(by_value: dict[str, list[Claim]]) -> Iterator[Conflict]:
    for inner, inner_claims in list(by_value.items()):
        for outer in _parent_domains(inner):
            # Every platform subdomain is inside the platform domain; claiming that is a per-file error.
            if outer == PLATFORM_DOMAIN or outer not in by_value:
                continue
            yield from _between("domain", inner_claims, by_value[outer], "inside")
            yield from _between("domain", by_value[outer], inner_claims, "contains")


def _lookalike_domains(by_value: dict[str, list[Claim]]) -> Iterator[Conflict]:
    """Each lookalike against the domains it passes for: the same name, or one inside or around theirs."""
    lookalikes = [value for value in by_value if is_lookalike(value)]
    if not lookalikes:  # the usual estate: nothing to compare, no skeleton to build
        return
    by_skeleton: dict[str, list[str]] = defaultdict(list)
    around: dict[str, list[str]] = defaultdict(list)  # skeleton of a parent -> domains under it
    for value in by_value:
        own = skeleton(value)
        by_skeleton[own].append(value)
        for parent in _parent_domains(own):
            if parent != PLATFORM_DOMAIN:  # a lookalike of the platform domain is a per-file error
                around[parent].append(value)
    for value in lookalikes:
        own = skeleton(value)
        for other in by_skeleton[own]:
            if other != value:
                yield from _between("domain", by_value[value], by_value[other], "lookalike")
        for parent in _parent_domains(own):
            if parent != PLATFORM_DOMAIN:
                for other in by_skeleton.get(parent, ()):
                    yield from _between("domain", by_value[value], by_value[other], "lookalike-inside")
        for other in around.get(own, ()):
            yield from _between("domain", by_value[value], by_value[other], "lookalike-contains")


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
    if tenant.renamed_from is not None:  # the previous slug names the tenant's objects until the rename ran
        yield Claim(index, tenant.renamed_from, ("renamed_from",))


def _domain_claims(index: int, tenant: Tenant) -> Iterator[Claim]:
    yield Claim(index, tenant.domains.primary, ("domains", "primary"))
    for position, domain in enumerate(tenant.domains.mail):
        yield Claim(index, domain, ("domains", "mail", position))
    yield Claim(index, tenant.platform_subdomain, ("domains", "platform_subdomain"))
    if tenant.domains.renamed_from is not None:  # the previous primary stays a mail domain of the tenant
        yield Claim(index, tenant.domains.renamed_from, ("domains", "renamed_from"))


def _address_claims(index: int, tenant: Tenant) -> Iterator[Claim]:
    for i, user in enumerate(tenant.users):
        yield Claim(index, user.email, ("users", i, "email"))
        if user.renamed_from is not None and user.renamed_from not in user.aliases:
            yield Claim(index, user.renamed_from, ("users", i, "renamed_from"))
        for j, alias in enumerate(user.aliases):
            yield Claim(index, alias, ("users", i, "aliases", j))
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        yield Claim(index, box.address, ("mail", "shared_mailboxes", i, "address"))
    for i, mailing_list in enumerate(tenant.mail.lists):
        yield Claim(index, mailing_list.address, ("mail", "lists", i, "address"))
