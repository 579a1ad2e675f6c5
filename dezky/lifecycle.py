"""Which objects hold customer data, and the rules that none of them is destroyed by accident.

Mail domains, mailboxes (users and shared ones), file spaces, logins and DNS zones hold data. Marking comes
first and removal second (two runs), the way Pulumi's `protect` works: an object may be destroyed only when
the state an earlier run recorded for it carries `purge: true`. Users, shared mailboxes, spaces and extra mail
domains (with their zones) each carry their own mark in the tenant file (`how_to_mark`). Mailing lists store no
mail and go without one. Three guards read that mark:
- the runner previews every apply first, with the same targets, and refuses the run before any write when the
  plan destroys or replaces an unmarked object (`dezky.engine.guard`);
- the policy pack says the same in every review;
- each provider refuses such a delete itself, the last line (`ObjectProvider.holds_data`).

A whole tenant's data is marked once it is `deleted`, its file says `purge: true`, and the retention period
has passed since the engine first applied the deletion. That day comes from the stack, where the program
records it (`tenant_deletions`), never from the file's `deleted_at`, which anyone can back-date.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from dezky.tenants.catalog import RETENTION_DAYS
from dezky.tenants.model import Tenant, TenantStatus

#: the resource types (without the dynamic prefix) whose objects hold customer data
DATA_BEARING_TYPES = frozenset(
    {"stalwart:Domain", "stalwart:Account", "ocis:Space", "dns:Zone", "authentik:User"}
)


@dataclass(frozen=True)
class DataObject:
    tenant: str
    kind: str  # mail-domain | mailbox | shared-mailbox | space | zone | login
    name: str
    purge: bool

    @property
    def key(self) -> str:
        return f"{self.tenant}/{self.kind}/{self.name}"

    def describe(self) -> str:
        return f"{self.kind.replace('-', ' ')} {self.name} of tenant {self.tenant}"


def data_object_of(resource_type: str, name: str, props: Mapping[str, Any]) -> DataObject | None:
    """The customer data a tenant resource (named `<slug>:...`) holds, or None for other resources."""
    slug = name.partition(":")[0]
    if resource_type == "stalwart:Domain":
        return DataObject(slug, "mail-domain", str(props.get("domain")), bool(props.get("purge")))
    if resource_type == "stalwart:Account":
        kind = "mailbox" if props.get("kind") == "user" else "shared-mailbox"
        return DataObject(slug, kind, str(props.get("address")), bool(props.get("purge")))
    if resource_type == "ocis:Space":
        return DataObject(slug, "space", str(props.get("name")), bool(props.get("purge")))
    if resource_type == "dns:Zone":
        return DataObject(slug, "zone", str(props.get("zone")), bool(props.get("purge")))
    if resource_type == "authentik:User":
        return DataObject(slug, "login", str(props.get("username")), bool(props.get("purge")))
    return None


def how_to_mark(item: DataObject, tenant_file_gone: bool = False) -> str:
    """The exact key that lets `item` go, as the operator writes it in the tenant file."""
    if tenant_file_gone:
        return "a whole tenant goes with `status: deleted` and, once its retention has passed, `purge: true`"
    as_entry = f"write its entry in `domains.mail` as `{{domain: {item.name}, purge: true}}`"
    return {
        "mailbox": "set `purge: true` on the user in `users`",
        "login": "set `purge: true` on the user in `users`",
        "shared-mailbox": "set `purge: true` on the shared mailbox in `mail.shared_mailboxes`",
        "space": "set `purge: true` on the space in `files.spaces`",
        "mail-domain": as_entry,
        "zone": f"an extra mail domain's zone goes with it: {as_entry}; the primary domain's and the platform "
        "subdomain's only with the tenant",
    }.get(item.kind, "set `purge: true` on it")


def deletion_days(
    tenants: Iterable[Tenant], recorded: Mapping[str, str] | None, today: dt.date
) -> dict[str, str]:
    """The day each deleted tenant's deletion was first applied: as the stack recorded it, else today."""
    recorded = recorded or {}
    return {
        tenant.slug: recorded.get(tenant.slug) or today.isoformat()
        for tenant in tenants
        if tenant.status is TenantStatus.DELETED
    }


def tenant_purge_allowed(tenant: Tenant, deleted_since: str | None, today: dt.date) -> bool:
    """A tenant's data may go once it is deleted, its file says `purge: true`, and the retention period has
    passed since the day the engine recorded the deletion."""
    if not tenant.purge or tenant.status is not TenantStatus.DELETED or deleted_since is None:
        return False
    return today >= dt.date.fromisoformat(deleted_since) + dt.timedelta(days=RETENTION_DAYS)


def as_provisioned(tenant: Tenant, deleted_since: str | None, today: dt.date) -> Tenant:
    """The tenant as the components build it: its `purge` holds only once the recorded retention is over."""
    allowed = tenant_purge_allowed(tenant, deleted_since, today)
    return tenant if tenant.purge == allowed else tenant.model_copy(update={"purge": allowed})


def refusal(objects: list[DataObject], where: Sequence[str] = ()) -> str:
    """The runner's refusal: each object with the key that lets it go, and where the policy pack found it
    (`where`: its violations, `file:line:column field: ...`)."""
    lines = [f"  - {item.describe()}: {how_to_mark(item)}" for item in objects]
    located = ["In the tenant files:", *(f"  - {found}" for found in where)] if where else []
    return "\n".join(
        [
            f"refusing to destroy {len(objects)} object(s) that hold customer data:",
            *lines,
            *located,
            "Nothing was applied. To remove data for good, first mark it in the tenant file as said above and",
            "apply that; then remove it from the file in a later change. A whole tenant: `status: deleted`, and",
            f"once {RETENTION_DAYS} days have passed since that was applied, `purge: true`.",
        ]
    )
