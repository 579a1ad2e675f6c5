"""Rules over one whole tenant: its plan's limits and which addresses and members it may use.

Each rule yields `(field path, message)` pairs so that every problem in a file is reported at once.
"""

from __future__ import annotations

import datetime as dt
import difflib
from collections.abc import Iterator

from pydantic import ByteSize

from dezky.tenants.catalog import PLANS, PLATFORM_DOMAIN, RESERVED_SLUGS, RETENTION_DAYS, Feature, Plan
from dezky.tenants.limits import DNS_NAME_MAX, LONGEST_MAIL_DOMAIN_PREFIX, MAIL_DOMAIN_MAX, space_alias
from dezky.tenants.lookalike import is_lookalike, mixed_scripts, skeleton, unicode_form
from dezky.tenants.model import Tenant, TenantStatus, domain_of
from dezky.tenants.salvage import Salvage

Finding = tuple[tuple[str | int, ...], str]


def check_tenant(tenant: Tenant, file_name: str, salvaged: Salvage | None = None) -> list[Finding]:
    """Every rule-breaking `(field path, message)` in a tenant whose shape is valid.

    With `salvaged`, the tenant is what was left of a file the model refused in parts: rules whose answer those
    parts could change are left out, and the addresses written in them count as the tenant's own.
    """
    aside = salvaged or Salvage()
    findings: list[Finding] = []
    if not aside.touches(("slug",)):
        findings.extend(_check_file_name(tenant, file_name))
    if not aside.touches(("status",), ("created",), ("deleted_at",), ("purge",)):
        findings.extend(_check_lifecycle(tenant))
    findings.extend(_check_platform_subdomain(tenant))
    findings.extend(_check_domain_scripts(tenant))
    findings.extend(_check_addresses(tenant, aside))
    findings.extend(_check_members(tenant, aside))
    findings.extend(_check_list_members(tenant, aside))
    findings.extend(_check_renames(tenant))
    if not aside.touches(("plan",)):
        plan = PLANS[tenant.plan]
        for plan_rule in (_check_seats, _check_user_quotas, _check_features, _check_file_quota):
            findings.extend(plan_rule(tenant, plan))
    return findings


def _check_file_name(tenant: Tenant, file_name: str) -> Iterator[Finding]:
    if tenant.slug != file_name.rsplit(".", 1)[0]:
        yield (
            ("slug",),
            f"the slug `{tenant.slug}` must equal the file name `{file_name}` without its extension",
        )


def _check_lifecycle(tenant: Tenant) -> Iterator[Finding]:
    if tenant.status is TenantStatus.DELETED and tenant.deleted_at is None:
        yield ("status",), "a deleted tenant needs `deleted_at` (the day of the soft delete)"
    if tenant.status is not TenantStatus.DELETED and tenant.deleted_at is not None:
        yield ("deleted_at",), f"`deleted_at` is only for deleted tenants; this one is {tenant.status.value}"
    if tenant.deleted_at is not None and tenant.deleted_at < tenant.created:
        yield ("deleted_at",), "`deleted_at` is before `created`"
    if tenant.purge and tenant.status is not TenantStatus.DELETED:
        yield ("purge",), "only a deleted tenant can be purged"
    if tenant.purge and tenant.deleted_at is not None:
        purgeable_from = tenant.deleted_at + dt.timedelta(days=RETENTION_DAYS)
        if dt.date.today() < purgeable_from:
            yield (
                ("purge",),
                (
                    f"its data is kept {RETENTION_DAYS} days after `deleted_at`; purge is possible from "
                    f"{purgeable_from.isoformat()}"
                ),
            )


def _check_platform_subdomain(tenant: Tenant) -> Iterator[Finding]:
    own = tenant.domains.platform_subdomain
    if own is not None:
        label, _, parent = own.partition(".")
        if parent != PLATFORM_DOMAIN:
            yield ("domains", "platform_subdomain"), f"must be a single label under {PLATFORM_DOMAIN}"
        elif label in RESERVED_SLUGS:  # `webmail.dezky.eu` is the platform's, whoever asks for it
            yield (
                ("domains", "platform_subdomain"),
                f"`{own}` is reserved for the platform; choose another name",
            )
    for index, domain in enumerate(tenant.domains.mail_domains):
        loc = _mail_domain_field(tenant, index, domain)
        if _inside_platform(domain):
            yield (
                loc,
                f"`{domain}` is inside the platform domain {PLATFORM_DOMAIN}; use the tenant's own domain",
            )
        elif is_lookalike(domain) and _inside_platform(skeleton(domain)):
            yield (
                loc,
                (
                    f"`{unicode_form(domain)}` ({domain}) looks like the platform domain {PLATFORM_DOMAIN} or a "
                    "name under it; use the tenant's own domain"
                ),
            )
        if len(domain) > MAIL_DOMAIN_MAX:
            yield (
                loc,
                (
                    f"`{domain}` has {len(domain)} characters; its DKIM record `{LONGEST_MAIL_DOMAIN_PREFIX}<domain>` "
                    f"must fit the {DNS_NAME_MAX} characters of a DNS name, so a mail domain has at most "
                    f"{MAIL_DOMAIN_MAX}"
                ),
            )


def _mail_domain_field(tenant: Tenant, index: int, domain: str) -> tuple[str | int, ...]:
    if index == 0:
        return ("domains", "primary")
    if domain in tenant.domains.mail:
        return ("domains", "mail", tenant.domains.mail.index(domain))
    return ("domains", "renamed_from")


def _inside_platform(domain: str) -> bool:
    return domain == PLATFORM_DOMAIN or domain.endswith("." + PLATFORM_DOMAIN)


def _check_domain_scripts(tenant: Tenant) -> Iterator[Finding]:
    """A label that mixes scripts (a Cyrillic a, U+0430, in a Latin name) passes for another name: refused."""
    own = tenant.domains.platform_subdomain
    declared = [
        (("domains", "primary"), tenant.domains.primary),
        *((("domains", "mail", i), domain) for i, domain in enumerate(tenant.domains.mail)),
        *([(("domains", "platform_subdomain"), own)] if own else []),
    ]
    for loc, domain in declared:
        mixed = mixed_scripts(domain)
        if mixed is not None:
            label, scripts = mixed
            yield (
                loc,
                (
                    f"`{unicode_form(domain)}` ({domain}) mixes {' and '.join(scripts)} letters in `{label}`; "
                    "use the letters of one script in a label, so the name cannot pass for another"
                ),
            )


def _check_addresses(tenant: Tenant, aside: Salvage) -> Iterator[Finding]:
    """Every address the tenant receives mail at: in its domains, and claimed once."""
    domains = set(tenant.domains.mail_domains)
    domains_known = not aside.touches(("domains",))
    claimed: dict[str, tuple[str | int, ...]] = {}

    def claim(address: str, loc: tuple[str | int, ...]) -> Iterator[Finding]:
        if domains_known and domain_of(address) not in domains:
            yield (
                loc,
                f"`{address}` is not in one of the tenant's mail domains ({', '.join(sorted(domains))})",
            )
        if address in claimed:
            yield loc, f"`{address}` is already used at {_dotted(claimed[address])}"
        else:
            claimed[address] = loc

    for i, user in enumerate(tenant.users):
        yield from claim(user.email, ("users", i, "email"))
        for j, alias in enumerate(user.aliases):
            yield from claim(alias, ("users", i, "aliases", j))
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        yield from claim(box.address, ("mail", "shared_mailboxes", i, "address"))
    for i, mailing_list in enumerate(tenant.mail.lists):
        yield from claim(mailing_list.address, ("mail", "lists", i, "address"))
    catch_all = tenant.mail.catch_all
    if catch_all is not None and catch_all not in claimed and catch_all not in aside.addresses:
        yield (
            ("mail", "catch_all"),
            f"`{catch_all}` must be an address of this tenant (a user, alias or mailbox)",
        )


def _check_members(tenant: Tenant, aside: Salvage) -> Iterator[Finding]:
    users = {user.email for user in tenant.users}
    known_users = users | aside.addresses
    if (
        tenant.status is not TenantStatus.DELETED
        and tenant.users
        and not any(user.role.value == "admin" for user in tenant.users)
        and not aside.touches(("users",), ("status",))
    ):
        yield ("users",), "at least one user must have role `admin`"
    owner_of_alias = {alias: user.email for user in tenant.users for alias in user.aliases}
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        for j, member in enumerate(box.members):
            if member in known_users:
                continue
            if member in owner_of_alias:
                message = (
                    f"`{member}` is an alias of `{owner_of_alias[member]}`; a shared mailbox's members are users: "
                    f"name `{owner_of_alias[member]}`"
                )
            else:
                message = f"`{member}` is not a user of this tenant{_suggest(member, users)}"
            yield ("mail", "shared_mailboxes", i, "members", j), message
    seen_spaces: dict[str, int] = {}
    seen_aliases: dict[str, int] = {}
    for i, space in enumerate(tenant.files.spaces):
        key, alias = space.name.casefold(), space_alias(tenant.slug, space.name)
        if key in seen_spaces:
            yield (
                ("files", "spaces", i, "name"),
                f"space `{space.name}` is declared twice (also at [{seen_spaces[key]}])",
            )
        elif alias in seen_aliases:
            # The program knows a space by this alias (its natural key in OCIS): the two would be one space.
            other = tenant.files.spaces[seen_aliases[alias]].name
            yield (
                ("files", "spaces", i, "name"),
                (
                    f"space `{space.name}` and space `{other}` (at [{seen_aliases[alias]}]) both become the OCIS "
                    f"space `{alias}`; rename one of them"
                ),
            )
        seen_spaces.setdefault(key, i)
        seen_aliases.setdefault(alias, i)
        principals: set[str] = set()
        for j, member in enumerate(space.members):
            principal = member.user or f"group:{member.group}"
            if member.user is not None and member.user not in known_users:
                yield (
                    ("files", "spaces", i, "members", j, "user"),
                    f"`{member.user}` is not a user of this tenant{_suggest(member.user, users)}",
                )
            if principal in principals:
                yield ("files", "spaces", i, "members", j), f"`{principal}` is a member twice"
            principals.add(principal)


def _check_list_members(tenant: Tenant, aside: Salvage) -> Iterator[Finding]:
    """A list member on the tenant's own domains must be one of its addresses: a typo there loses mail.

    Users, their aliases, shared mailboxes and the tenant's other lists receive mail; an address on another
    domain is an outside subscriber and is not checked.
    """
    if aside.touches(("domains",)):
        return
    domains = set(tenant.domains.mail_domains)
    addresses = {user.email for user in tenant.users}
    addresses.update(alias for user in tenant.users for alias in user.aliases)
    addresses.update(box.address for box in tenant.mail.shared_mailboxes)
    lists = {mailing_list.address for mailing_list in tenant.mail.lists}
    for i, mailing_list in enumerate(tenant.mail.lists):
        for j, member in enumerate(mailing_list.members):
            loc = ("mail", "lists", i, "members", j)
            if member == mailing_list.address:
                yield loc, f"`{member}` is the list's own address; a list cannot be its own member"
            elif (
                domain_of(member) in domains
                and member not in addresses
                and member not in lists
                and member not in aside.addresses
            ):
                yield (
                    loc,
                    (
                        f"`{member}` is on this tenant's domain {domain_of(member)} but is not one of its users, "
                        f"aliases, shared mailboxes or lists{_suggest(member, addresses | lists)}"
                    ),
                )


def _check_renames(tenant: Tenant) -> Iterator[Finding]:
    """`renamed_from` names what the item was called before: never what it is called now, nor a live item.

    A user may keep their previous address as one of their own aliases (mail to it still arrives); nothing
    else of the tenant may have it, or the rename would take it over.
    """
    if tenant.renamed_from == tenant.slug:
        yield (
            ("renamed_from",),
            f"`{tenant.slug}` is the tenant's slug now; `renamed_from` names the previous one",
        )
    elif tenant.renamed_from is not None and tenant.domains.platform_subdomain is None:
        yield (
            ("renamed_from",),
            (
                "the platform subdomain follows the slug unless it is set, and moving it is refused (its zone "
                "serves the tenant's web hosts); keep it with "
                f"`domains.platform_subdomain: {tenant.renamed_from}.{PLATFORM_DOMAIN}`"
            ),
        )
    domains = tenant.domains
    if domains.renamed_from is not None:
        if domains.renamed_from == domains.primary:
            yield (
                ("domains", "renamed_from"),
                f"`{domains.primary}` is the primary domain now; `renamed_from` names the previous one",
            )
        elif domains.renamed_from in domains.mail:
            where = _dotted(("domains", "mail", domains.mail.index(domains.renamed_from)))
            yield (
                ("domains", "renamed_from"),
                f"`{domains.renamed_from}` is listed at {where} too; the previous primary domain stays a mail "
                "domain by itself, so name it once",
            )
    yield from _check_user_renames(tenant)
    yield from _check_space_renames(tenant)


def _check_user_renames(tenant: Tenant) -> Iterator[Finding]:
    live: dict[str, tuple[str | int, ...]] = {}
    for i, user in enumerate(tenant.users):
        live[user.email] = ("users", i, "email")
        for j, alias in enumerate(user.aliases):
            live.setdefault(alias, ("users", i, "aliases", j))
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        live.setdefault(box.address, ("mail", "shared_mailboxes", i, "address"))
    for i, mailing_list in enumerate(tenant.mail.lists):
        live.setdefault(mailing_list.address, ("mail", "lists", i, "address"))
    renamed: dict[str, int] = {}
    for i, user in enumerate(tenant.users):
        old, loc = user.renamed_from, ("users", i, "renamed_from")
        if old is None:
            continue
        if old == user.email:
            yield loc, f"`{old}` is the user's address now; `renamed_from` names the previous one"
        elif old in live and old not in user.aliases:
            yield (
                loc,
                f"`{old}` is in use at {_dotted(live[old])}; only an address no one has now can be renamed",
            )
        elif old in renamed:
            yield loc, f"`{old}` is renamed already at {_dotted(('users', renamed[old], 'renamed_from'))}"
        renamed.setdefault(old, i)


def _check_space_renames(tenant: Tenant) -> Iterator[Finding]:
    """Compared as OCIS keys them (`space_alias`): `Sales` and `sales` are one space."""
    live = {space_alias(tenant.slug, space.name): i for i, space in enumerate(tenant.files.spaces)}
    renamed: dict[str, int] = {}
    for i, space in enumerate(tenant.files.spaces):
        if space.renamed_from is None:
            continue
        old, loc = space_alias(tenant.slug, space.renamed_from), ("files", "spaces", i, "renamed_from")
        if live.get(old) == i:
            yield (
                loc,
                f"`{space.renamed_from}` is the space's name now; `renamed_from` names the previous one",
            )
        elif old in live:
            where = _dotted(("files", "spaces", live[old], "name"))
            yield (
                loc,
                f"`{space.renamed_from}` is the space at {where}; only a name no space has now can be renamed",
            )
        elif old in renamed:
            yield (
                loc,
                f"`{space.renamed_from}` is renamed already at {_dotted(('files', 'spaces', renamed[old], 'renamed_from'))}",
            )
        renamed.setdefault(old, i)


def _suggest(address: str, known: set[str]) -> str:
    """`; did you mean `anna@acme.de`?` for an address a letter or two away from a known one on its domain."""
    local, domain = address.rsplit("@", 1)
    same_domain = {other.rsplit("@", 1)[0]: other for other in sorted(known) if domain_of(other) == domain}
    close = difflib.get_close_matches(local, list(same_domain), n=1, cutoff=0.75)
    return f"; did you mean `{same_domain[close[0]]}`?" if close else ""


def _check_seats(tenant: Tenant, plan: Plan) -> Iterator[Finding]:
    if len(tenant.users) > plan.seats:
        yield ("users",), f"{len(tenant.users)} users, but plan `{plan.name}` has {plan.seats} seats"


def _check_user_quotas(tenant: Tenant, plan: Plan) -> Iterator[Finding]:
    for i, user in enumerate(tenant.users):
        if user.quota is not None and user.quota > plan.mailbox_quota:
            yield (
                ("users", i, "quota"),
                (
                    f"{user.quota.human_readable()} is above plan `{plan.name}`'s mailbox quota of "
                    f"{_bytes(plan.mailbox_quota)}"
                ),
            )
    for i, box in enumerate(tenant.mail.shared_mailboxes):
        if box.quota is not None and box.quota > plan.mailbox_quota:
            yield (
                ("mail", "shared_mailboxes", i, "quota"),
                (
                    f"{box.quota.human_readable()} is above plan `{plan.name}`'s mailbox quota of "
                    f"{_bytes(plan.mailbox_quota)}"
                ),
            )


def _check_features(tenant: Tenant, plan: Plan) -> Iterator[Finding]:
    wanted: list[tuple[Feature, tuple[str | int, ...]]] = []
    if tenant.domains.mail:
        wanted.append((Feature.EXTRA_DOMAINS, ("domains", "mail")))
    if tenant.mail.shared_mailboxes:
        wanted.append((Feature.SHARED_MAILBOXES, ("mail", "shared_mailboxes")))
    if tenant.mail.lists:
        wanted.append((Feature.MAILING_LISTS, ("mail", "lists")))
    if tenant.mail.catch_all:
        wanted.append((Feature.CATCH_ALL, ("mail", "catch_all")))
    if tenant.files.spaces:
        wanted.append((Feature.FILES, ("files", "spaces")))
    if tenant.branding is not None:
        wanted.append((Feature.CUSTOM_BRANDING, ("branding",)))
    for feature, loc in wanted:
        if feature not in plan.features:
            yield loc, f"plan `{plan.name}` does not include {feature.value.replace('_', ' ')}"


def _check_file_quota(tenant: Tenant, plan: Plan) -> Iterator[Finding]:
    total = sum(space.quota for space in tenant.files.spaces)
    if total > plan.file_quota:
        yield (
            ("files", "spaces"),
            (
                f"spaces add up to {_bytes(total)}, above plan `{plan.name}`'s file quota of {_bytes(plan.file_quota)}"
            ),
        )


def _bytes(value: int) -> str:
    return ByteSize(value).human_readable()


def _dotted(loc: tuple[str | int, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in loc).lstrip(".")
