"""Which objects hold customer data, and the rule that none of them is destroyed by accident.

Mail domains, mailboxes (users and shared ones) and file spaces hold data. Each run exports the set of them
with their `purge` flag; before the next `up` the runner compares that set with what the tenant files declare
now. An object that would disappear without having been marked `purge: true` in an earlier run stops the run
before anything is applied: a deleted file, a removed user or a typo in a domain never loses data silently.

Marking comes first and removal second (two runs), the way Pulumi's `protect` works: the providers refuse to
delete an object whose recorded state does not carry `purge: true`, so the guard here and theirs agree.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from dezky.tenants.catalog import RETENTION_DAYS
from dezky.tenants.model import Tenant, TenantStatus

#: the resource types (without the dynamic prefix) whose objects hold customer data
DATA_BEARING_TYPES = frozenset({"stalwart:Domain", "stalwart:Account", "ocis:Space", "dns:Zone"})


@dataclass(frozen=True)
class DataObject:
    tenant: str
    kind: str  # mail-domain | mailbox | shared-mailbox | space
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
        return DataObject(slug, "zone", str(props.get("zone")), False)
    return None


def tenant_purge_allowed(tenant: Tenant, today: dt.date | None = None) -> bool:
    """A tenant's data may go once it is deleted, its retention has passed and its file says `purge: true`."""
    if not tenant.purge or tenant.status is not TenantStatus.DELETED or tenant.deleted_at is None:
        return False
    return (today or dt.date.today()) >= tenant.deleted_at + dt.timedelta(days=RETENTION_DAYS)


def data_objects(tenants: Iterable[Tenant], today: dt.date | None = None) -> dict[str, DataObject]:
    found: list[DataObject] = []
    for tenant in tenants:
        whole = tenant_purge_allowed(tenant, today)
        found += [DataObject(tenant.slug, "mail-domain", d, whole) for d in tenant.domains.mail_domains]
        found += [DataObject(tenant.slug, "mailbox", u.email, whole or u.purge) for u in tenant.users]
        found += [
            DataObject(tenant.slug, "shared-mailbox", b.address, whole) for b in tenant.mail.shared_mailboxes
        ]
        found += [DataObject(tenant.slug, "space", s.name, whole or s.purge) for s in tenant.files.spaces]
    return {item.key: item for item in found}


def as_output(objects: Mapping[str, DataObject]) -> dict[str, dict[str, Any]]:
    return {key: asdict(item) for key, item in sorted(objects.items())}


def endangered(
    previous: Mapping[str, Mapping[str, Any]], current: Mapping[str, DataObject]
) -> list[DataObject]:
    """Objects the last run recorded, not declared any more, and never marked for purge."""
    gone = [DataObject(**value) for key, value in previous.items() if key not in current]
    return sorted((item for item in gone if not item.purge), key=lambda item: item.key)


def refusal(objects: list[DataObject]) -> str:
    lines = [f"  - {item.describe()}" for item in objects]
    return "\n".join(
        [
            f"refusing to destroy {len(objects)} object(s) that hold customer data:",
            *lines,
            "Nothing was applied. To remove data for good, first mark it in the tenant file and apply that:",
            "  a user or space: `purge: true` on it; a whole tenant: `status: deleted`, `deleted_at`, and after",
            f"  {RETENTION_DAYS} days `purge: true`. Then remove it from the file in a later change.",
        ]
    )
