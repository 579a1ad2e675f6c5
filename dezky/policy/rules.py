"""The platform's rules over a planned stack, as pure functions: planned resources and context in, violations out.

Each rule names the tenant file and the field the offending resource comes from, so a reviewer knows what to
change. `pack.py` hands these to pulumi-policy; the tests call them directly as well as through the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.authentik.apps import ApplicationProvider, OAuth2ProviderProvider, PolicyBindingProvider
from components.authentik.provider import BrandProvider, GroupProvider, UserProvider
from components.common.provider import RENAMED_FROM, ObjectProvider
from components.dns.provider import RRsetProvider, ZoneProvider
from components.dns.records import zones_for
from components.ocis.provider import SpaceProvider
from components.stalwart.provider import AccountProvider, DomainProvider, MailingListProvider
from dezky.lifecycle import DATA_BEARING_TYPES, DataObject, data_object_of, how_to_mark
from dezky.policy.state import PolicyContext, Recorded, tenant_of
from dezky.tenants.catalog import PLANS
from dezky.tenants.problems import Location, Problem


class _Unknown:
    """A value the engine cannot know before the apply (another resource's output during a preview)."""

    def __repr__(self) -> str:
        return "<unknown>"


UNKNOWN = _Unknown()

#: every tenant resource type and its provider (which names its replacement keys and its credential outputs)
TENANT_TYPES: dict[str, type[ObjectProvider]] = {
    "authentik:Brand": BrandProvider,
    "authentik:Group": GroupProvider,
    "authentik:User": UserProvider,
    "authentik:OAuth2Provider": OAuth2ProviderProvider,
    "authentik:Application": ApplicationProvider,
    "authentik:PolicyBinding": PolicyBindingProvider,
    "stalwart:Domain": DomainProvider,
    "stalwart:Account": AccountProvider,
    "stalwart:MailingList": MailingListProvider,
    "ocis:Space": SpaceProvider,
    "dns:Zone": ZoneProvider,
    "dns:RRset": RRsetProvider,
}
#: the tenant resources that hold customer data (`dezky.lifecycle`)
DATA_BEARING = {resource_type: TENANT_TYPES[resource_type] for resource_type in DATA_BEARING_TYPES}
#: names of inputs that would carry a credential; tenant resources get theirs from the service as secret outputs
CREDENTIAL_WORDS = ("password", "secret", "token", "private_key", "passphrase", "api_key", "access_key")


def _is_credential_input(key: str, value: Any) -> bool:
    """A string under a credential's name (`client_secret`, `password`); `access_token_validity` is a setting."""
    named = any(key.lower() == word or key.lower().endswith("_" + word) for word in CREDENTIAL_WORDS)
    return named and isinstance(value, str) and value != ""


@dataclass(frozen=True)
class Planned:
    """A resource of the planned stack: its type without the dynamic prefix, its name and its inputs."""

    type: str
    name: str
    props: Mapping[str, Any]
    secret_outputs: Sequence[str] = ()
    aliases: Sequence[str] = ()  # the names it had before a rename (`renamed_from`): the same object

    @property
    def tenant(self) -> str:
        return tenant_of(self.name)

    def known(self, key: str) -> Any:
        value = self.props.get(key)
        return None if value is UNKNOWN else value


@dataclass(frozen=True)
class Violation:
    location: Location
    message: str

    def render(self, relative_to: Path) -> str:
        return Problem(self.location, self.message).render(relative_to=relative_to)


@dataclass(frozen=True)
class Rule:
    name: str
    description: str
    check: Any  # (resources, context) -> Iterator[Violation]; or (resource, context) for per-resource rules
    per_resource: bool = False


# --- no data lost ----------------------------------------------------------------------------------------------


#: where in a tenant file each kind of data object is declared
DATA_FIELDS: dict[str, tuple[str, ...]] = {
    "mail-domain": ("domains", "mail"),
    "mailbox": ("users",),
    "shared-mailbox": ("mail", "shared_mailboxes"),
    "space": ("files", "spaces"),
    "zone": ("domains",),
    "login": ("users",),
}


def _may_destroy(old: Recorded, item: DataObject, context: PolicyContext) -> bool:
    """Marked `purge: true` by the run that recorded it: its own mark, or its tenant's once the retention the
    engine recorded had passed. Never the tenant file alone, whose `deleted_at` anyone can back-date."""
    return item.purge


def check_data_not_deleted(resources: Sequence[Planned], context: PolicyContext) -> Iterator[Violation]:
    planned = {(resource.type, name) for resource in resources for name in (resource.name, *resource.aliases)}
    for old in context.checkpoint.resources.values():
        item = data_object_of(old.type, old.name, old.inputs)
        if item is None or (old.type, old.name) in planned or _may_destroy(old, item, context):
            continue
        where = context.tenants.locate(item.tenant, DATA_FIELDS[item.kind])
        file_gone = context.tenants.get(item.tenant) is None
        gone = "its tenant file was removed" if file_gone else "it left the file"
        yield Violation(
            where,
            f"{item.describe()} would be deleted ({gone}) but was never marked `purge: true`; "
            f"keep it, or mark it for purge in one change ({how_to_mark(item, file_gone)}) and remove it in a "
            "later one",
        )


def check_data_not_replaced(resource: Planned, context: PolicyContext) -> Iterator[Violation]:
    provider = DATA_BEARING.get(resource.type)
    found = (context.checkpoint.find(resource.type, name) for name in (resource.name, *resource.aliases))
    old = next((recorded for recorded in found if recorded is not None), None)
    if provider is None or old is None:
        return
    item = data_object_of(old.type, old.name, old.inputs)
    assert item is not None
    changed = [
        key
        for key in provider.replace_keys
        if resource.props.get(key) is not UNKNOWN and resource.props.get(key) != old.inputs.get(key)
    ]
    if changed and _renamed_in_place(provider, resource, old):
        return
    if changed and not _may_destroy(old, item, context):
        yield Violation(
            context.tenants.locate(item.tenant, _field_of(item, context)),
            f"{item.describe()} would be replaced (a new, empty one instead) because "
            f"{', '.join(changed)} changed; it was never marked `purge: true`",
        )


def _renamed_in_place(provider: type[ObjectProvider], resource: Planned, old: Recorded) -> bool:
    """The tenant file renames the recorded object (`renamed_from` names its key): its provider renames it in
    place, keeping its data, as `ObjectProvider.diff` plans it."""
    previous = resource.known(RENAMED_FROM)
    if not provider.renames or not previous:
        return False
    try:
        return previous == provider().object_id(dict(old.inputs))
    except (KeyError, TypeError, ValueError):
        return False


def _field_of(item: DataObject, context: PolicyContext) -> tuple[str | int, ...]:
    """The field of the one object in its tenant file (`files.spaces[1]`), or the list it belongs in."""
    loaded = context.tenants.get(item.tenant)
    base = DATA_FIELDS[item.kind]
    if loaded is None:
        return base
    tenant = loaded.tenant
    names: list[str] = {
        "mailbox": [user.email for user in tenant.users],
        "login": [user.email for user in tenant.users],
        "shared-mailbox": [box.address for box in tenant.mail.shared_mailboxes],
        "space": [space.name for space in tenant.files.spaces],
        "mail-domain": list(tenant.domains.mail),
    }.get(item.kind, [])
    return (*base, names.index(item.name)) if item.name in names else base


# --- within the plan -------------------------------------------------------------------------------------------


def check_within_plan(resources: Sequence[Planned], context: PolicyContext) -> Iterator[Violation]:
    by_tenant: dict[str, list[Planned]] = {}
    for resource in resources:
        if resource.type in TENANT_TYPES:
            by_tenant.setdefault(resource.tenant, []).append(resource)
    for slug, owned in sorted(by_tenant.items()):
        loaded = context.tenants.get(slug)
        if loaded is None:
            continue
        plan = PLANS[loaded.tenant.plan]
        users = [r for r in owned if r.type == "authentik:User"]
        if len(users) > plan.seats:
            yield Violation(
                context.tenants.locate(slug, ("users",)),
                f"{len(users)} accounts planned for tenant {slug}, but plan `{plan.name}` has {plan.seats} seats",
            )
        for account in (r for r in owned if r.type == "stalwart:Account"):
            quota = account.known("quota")
            if isinstance(quota, int | float) and quota > plan.mailbox_quota:
                item = data_object_of(account.type, account.name, account.props)
                assert item is not None
                yield Violation(
                    context.tenants.locate(slug, (*_field_of(item, context), "quota")),
                    f"mailbox {item.name} gets {int(quota)} bytes, above plan `{plan.name}`'s "
                    f"mailbox quota of {plan.mailbox_quota} bytes",
                )
        quotas = [r.known("quota") for r in owned if r.type == "ocis:Space"]
        total = sum(int(q) for q in quotas if isinstance(q, int | float))
        if total > plan.file_quota:
            yield Violation(
                context.tenants.locate(slug, ("files", "spaces")),
                f"spaces of tenant {slug} add up to {total} bytes, above plan `{plan.name}`'s file quota "
                f"of {plan.file_quota} bytes",
            )


# --- DNS names inside the tenant's domains ---------------------------------------------------------------------


def _inside(name: str, zone: str) -> bool:
    return name == zone or name.endswith("." + zone)


def check_dns_names(resource: Planned, context: PolicyContext) -> Iterator[Violation]:
    if resource.type not in ("dns:Zone", "dns:RRset"):
        return
    loaded = context.tenants.get(resource.tenant)
    if loaded is None:
        return
    zones = zones_for(loaded.tenant)
    zone, name = resource.known("zone"), resource.known("name") or resource.known("zone")
    if zone is None or name is None:
        return
    if zone not in zones or not _inside(str(name).rstrip("."), zone):
        yield Violation(
            context.tenants.locate(resource.tenant, ("domains",)),
            f"DNS name {name} (zone {zone}) is outside tenant {resource.tenant}'s domains "
            f"({', '.join(zones)})",
        )


# --- applications bound to the tenant's group ------------------------------------------------------------------


def check_apps_bound(resources: Sequence[Planned], context: PolicyContext) -> Iterator[Violation]:
    named = {(r.type, r.name): r for r in resources}
    for app in (r for r in resources if r.type == "authentik:Application"):
        if context.tenants.get(app.tenant) is None:
            continue  # the platform's own applications (OCIS) serve every tenant
        slug, key = app.tenant, app.name.rsplit(":", 1)[-1]
        binding = named.get(("authentik:PolicyBinding", f"{slug}:binding:{key}"))
        members = named.get(("authentik:Group", f"{slug}:group:members"))
        group = binding.known("group") if binding is not None else None
        expected = members.known("name") if members is not None else None
        bound_to = group if group is not None else (expected if binding is not None else None)
        if binding is None or members is None or bound_to != expected:
            yield Violation(
                context.tenants.locate(slug, ("slug",)),
                f"application {app.known('slug') or app.name} is not bound to tenant {slug}'s group "
                f"{expected or f'{slug}-members'}" + (f" (bound to {group})" if group else ""),
            )


# --- no plaintext secrets --------------------------------------------------------------------------------------


def check_no_plaintext_secrets(resource: Planned, context: PolicyContext) -> Iterator[Violation]:
    provider = TENANT_TYPES.get(resource.type)
    if provider is None:
        return
    where = context.tenants.locate(resource.tenant)
    for key in sorted(set(provider.secret_outputs) - set(resource.secret_outputs)):
        yield Violation(
            where, f"{resource.name}: output `{key}` holds a credential but is not kept as a secret"
        )
    for key, value in sorted(resource.props.items()):
        if _is_credential_input(key, value):
            yield Violation(
                where,
                f"{resource.name}: input `{key}` carries a credential; tenant resources get theirs from the "
                "service as secret outputs, never as inputs",
            )


STACK_RULES: tuple[Rule, ...] = (
    Rule("data-not-deleted", "No mail domain, mailbox, space or zone is deleted unless marked for purge",
         check_data_not_deleted),
    Rule("within-plan", "Seats and quotas stay within the tenant's plan", check_within_plan),
    Rule("apps-bound-to-tenant-group", "Every tenant application is bound to the tenant's members group",
         check_apps_bound),
)  # fmt: skip
RESOURCE_RULES: tuple[Rule, ...] = (
    Rule("data-not-replaced", "No mail domain, mailbox, space or zone is replaced unless marked for purge",
         check_data_not_replaced, per_resource=True),
    Rule("dns-inside-tenant-domains", "Every DNS name lies inside the tenant's own domains", check_dns_names,
         per_resource=True),
    Rule("no-plaintext-secrets", "Credentials are secret outputs, never plaintext inputs",
         check_no_plaintext_secrets, per_resource=True),
)  # fmt: skip


def run_stack_rules(resources: Sequence[Planned], context: PolicyContext) -> Iterable[tuple[str, Violation]]:
    for rule in STACK_RULES:
        yield from ((rule.name, violation) for violation in rule.check(resources, context))
    for resource in resources:
        for rule in RESOURCE_RULES:
            yield from ((rule.name, violation) for violation in rule.check(resource, context))
