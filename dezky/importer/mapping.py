"""From what the services hold to the tenant file's data, and the list of what the file cannot say. Pure.

The file declares what the program would need to make these objects; each object found that the file cannot
express, or that the next `up` would change to match the file, is named in `notes` instead of being dropped
silently. The values written are the ones the program derives the same objects from (components/authentik
`objects.py`, components/stalwart `mail_plan`, components/ocis `space_inputs`), so an `up` of the file adopts
what is there.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from components.authentik.objects import DEFAULT_LOGO
from components.ocis.provider import space_alias
from dezky.importer.found import Customer, Login, Mailbox, ProjectSpace
from dezky.tenants.catalog import PLANS, Feature, Plan
from dezky.tenants.limits import ocis_space_name_problem
from dezky.tenants.model import Branding, TenantGroup, domain_of, normalise_email

PORTAL_DESCRIPTION_SUFFIX = "'s apps and settings"  # components/authentik/objects.py `tenant_apps`
SPACE_ROLES = ("viewer", "editor", "manager")
DEFAULT_COLOUR = Branding.model_fields["primary_color"].default


@dataclass(frozen=True)
class ImportedTenant:
    data: dict[str, Any]  # the tenant file's keys, in the order they are written
    plan_inferred: bool
    notes: tuple[str, ...]


@dataclass
class _Draft:
    """The file's data as it is being put together, and the notes about it."""

    found: Customer
    notes: list[str] = field(default_factory=list)

    @property
    def slug(self) -> str:
        return self.found.slug

    def group(self, group: TenantGroup) -> str:
        return f"{self.slug}-{group.value}"


def map_customer(
    found: Customer, *, today: dt.date, name: str | None = None, plan: str | None = None
) -> ImportedTenant:
    draft = _Draft(found)
    domains = _domains(draft)
    users = _users(draft, set(domains["mail_domains"]))
    addresses = {user["email"] for user in users}
    boxes = _shared_mailboxes(draft, addresses, set(domains["mail_domains"]))
    lists = _lists(draft, set(domains["mail_domains"]))
    spaces = _spaces(draft, addresses)
    status = _tenant_status(draft, users, spaces)
    catch_all = _catch_all(draft)
    customer_name = name or _customer_name(draft)
    branding = _branding(draft, customer_name)
    mail = {
        key: value
        for key, value in (("shared_mailboxes", boxes), ("lists", lists), ("catch_all", catch_all))
        if value
    }
    data: dict[str, Any] = {
        "slug": found.slug,
        "name": customer_name,
        "status": status,
        "created": today,
        "plan": plan,
        "domains": {
            "primary": found.primary_domain,
            **({"mail": domains["extra"]} if domains["extra"] else {}),
        },
        "users": users,
        **({"mail": mail} if mail else {}),
        **({"files": {"spaces": [_without_state(s) for s in spaces]}} if spaces else {}),
        **({"branding": branding} if branding else {}),
    }
    data["plan"] = plan or smallest_plan(data)
    _omit_default_quotas([*users, *boxes], PLANS.get(data["plan"]))
    return ImportedTenant(data, plan is None, tuple(draft.notes))


# --- domains -------------------------------------------------------------------------------------------


def _domains(draft: _Draft) -> dict[str, list[str]]:
    primary = draft.found.primary_domain
    found = [domain.name for domain in draft.found.mail_domains]
    if primary not in found:
        draft.notes.append(f"Stalwart has no mail domain {primary}: the next up creates it")
    extra = [name for name in found if name != primary]
    return {"mail_domains": [primary, *extra], "extra": extra}


def _catch_all(draft: _Draft) -> str | None:
    found = {domain.name: domain.catch_all for domain in draft.found.mail_domains}
    values = set(found.values())
    chosen = found.get(draft.found.primary_domain) if len(values) > 1 else next(iter(values), None)
    if len(values) > 1:
        shown = ", ".join(f"{name}: {value or 'none'}" for name, value in found.items())
        draft.notes.append(
            f"the mail domains have different catch-all addresses ({shown}); the file has the primary "
            f"domain's ({chosen or 'none'}), and the next up sets it on every mail domain"
        )
    return chosen


# --- users ---------------------------------------------------------------------------------------------


def _users(draft: _Draft, mail_domains: set[str]) -> list[dict[str, Any]]:
    logins = {login.username: login for login in draft.found.logins}
    boxes = {box.address: box for box in draft.found.mailboxes if box.kind == "user"}
    users = []
    for address in sorted(logins.keys() | boxes.keys()):
        user = _user(draft, address, logins.get(address), boxes.get(address), mail_domains)
        if user is not None:
            users.append(user)
    # Admins first, as a reader of the file looks for them first.
    return sorted(users, key=lambda user: user.get("role") != "admin")


def _user(
    draft: _Draft, address: str, login: Login | None, box: Mailbox | None, mail_domains: set[str]
) -> dict[str, Any] | None:
    try:
        email = normalise_email(address)
    except ValueError as exc:
        draft.notes.append(f"user {address} is not imported: {exc}")
        return None
    if domain_of(email) not in mail_domains:
        draft.notes.append(
            f"user {email} is not imported: {domain_of(email)} is not one of the mail domains Stalwart has "
            "for this customer"
        )
        return None
    _note_login(draft, email, login)
    _note_mailbox(draft, email, login, box)
    name = login.name if login else _display(box) if box else email
    user: dict[str, Any] = {"email": email, "name": name}
    if login and draft.group(TenantGroup.ADMINS) in login.groups:
        user["role"] = "admin"
    if (login and not login.is_active) or (box and box.suspended):
        user["status"] = "suspended"
    if box and box.aliases:
        user["aliases"] = list(box.aliases)
    if box and box.quota is not None:
        user["quota"] = box.quota
    return user


def _note_login(draft: _Draft, email: str, login: Login | None) -> None:
    if login is None:
        draft.notes.append(f"{email} has a mailbox but no Authentik login: the next up creates the login")
        return
    path = f"tenants/{draft.slug}"
    if login.email != login.username or login.path != path:
        draft.notes.append(
            f"Authentik login {login.username} has email `{login.email}` and path `{login.path}`; the program "
            f"makes the email the username and the path `{path}`, so the next up refuses the login as a "
            "different object: change it in Authentik first"
        )
    if draft.group(TenantGroup.MEMBERS) not in login.groups:
        draft.notes.append(
            f"{email} is not in group {draft.group(TenantGroup.MEMBERS)}: the next up adds it, as every user is"
        )


def _note_mailbox(draft: _Draft, email: str, login: Login | None, box: Mailbox | None) -> None:
    if box is None:
        draft.notes.append(f"{email} has an Authentik login but no mailbox: the next up creates the mailbox")
        return
    if login is not None and box.display_name != login.name:
        draft.notes.append(
            f"the mailbox of {email} is named `{box.display_name}`, the login `{login.name}`: the file has the "
            "login's, and the next up renames the mailbox"
        )
    if box.quota is None:
        draft.notes.append(
            f"the mailbox of {email} has no quota: the file gives it the plan's, which the next up sets"
        )
    if box.role != "User":
        draft.notes.append(f"the mailbox of {email} has Stalwart role `{box.role}`: the next up sets `User`")
    if login is not None and login.is_active == box.suspended:
        draft.notes.append(
            f"{email} is {'suspended' if box.suspended else 'active'} in Stalwart but "
            f"{'active' if login.is_active else 'disabled'} in Authentik: imported as suspended, and the next "
            "up suspends it in both"
        )


# --- mail ----------------------------------------------------------------------------------------------


def _shared_mailboxes(draft: _Draft, users: set[str], mail_domains: set[str]) -> list[dict[str, Any]]:
    groups = [box for box in draft.found.mailboxes if box.kind == "group"]
    known = {box.address for box in groups}
    members: dict[str, list[str]] = {}
    for box in draft.found.mailboxes:
        if box.kind != "user" or box.address not in users:
            continue
        for group in box.member_of:
            if group in known:
                members.setdefault(group, []).append(box.address)
            else:
                draft.notes.append(
                    f"{box.address} belongs to shared mailbox {group}, which is not one of this customer's: "
                    "not imported, and the next up takes it out"
                )
    result = []
    for box in groups:
        if domain_of(box.address) not in mail_domains:
            continue
        entry: dict[str, Any] = {"address": box.address, "name": _display(box)}
        if members.get(box.address):
            entry["members"] = sorted(members[box.address])
        if box.quota is not None:
            entry["quota"] = box.quota
        else:
            draft.notes.append(f"shared mailbox {box.address} has no quota: the next up sets the plan's")
        result.append(entry)
    return result


def _lists(draft: _Draft, mail_domains: set[str]) -> list[dict[str, Any]]:
    result = []
    for found in draft.found.lists:
        if domain_of(found.address) not in mail_domains:
            continue
        if not found.recipients:
            draft.notes.append(
                f"mailing list {found.address} has no recipients, which a tenant file cannot say: not imported"
            )
            continue
        name = found.display_name or found.address.split("@")[0]
        result.append({"address": found.address, "name": name, "members": list(found.recipients)})
    return result


# --- files ---------------------------------------------------------------------------------------------


def _spaces(draft: _Draft, users: set[str]) -> list[dict[str, Any]]:
    result = []
    for space in draft.found.spaces:
        problem = ocis_space_name_problem(space.name)
        expected = space_alias(draft.slug, space.name)
        if problem or space.alias != expected:
            why = problem or f"its name gives the alias {expected}, not {space.alias}"
            draft.notes.append(f"space {space.name!r} ({space.alias}) is not imported: {why}")
            continue
        entry: dict[str, Any] = {"name": space.name, "quota": space.quota}
        if space.description:
            entry["description"] = space.description
        members = _space_members(draft, space, users)
        if members:
            entry["members"] = members
        result.append({**entry, "enabled": space.enabled})
    return result


def _space_members(draft: _Draft, space: ProjectSpace, users: set[str]) -> list[dict[str, str]]:
    groups = {f"group:{draft.group(group)}": group.value for group in TenantGroup}
    members = []
    for grant in space.members:
        kind, _, name = grant.principal.partition(":")
        principal: dict[str, str] | None = None
        if kind == "user" and name in users:
            principal = {"user": name}
        elif grant.principal in groups:
            principal = {"group": groups[grant.principal]}
        if principal is None or grant.role not in SPACE_ROLES:
            what = f"role `{grant.role}`" if principal else "not a user or group of this customer"
            draft.notes.append(
                f"space {space.name!r}: the grant to {grant.principal} is not imported ({what}); the next up "
                "removes it"
            )
            continue
        members.append({**principal, "role": grant.role})
    return members


def _display(box: Mailbox) -> str:
    return box.display_name or box.address.split("@")[0]


def _without_state(space: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in space.items() if key != "enabled"}


# --- the tenant as a whole -----------------------------------------------------------------------------


def _tenant_status(draft: _Draft, users: list[dict[str, Any]], spaces: list[dict[str, Any]]) -> str:
    """`suspended` when everything is locked (every login off, every mailbox suspended, every space
    disabled), as a suspended tenant's objects are; then which users were suspended on their own cannot be
    told, and each user is written active."""
    disabled = [space["name"] for space in spaces if not space["enabled"]]
    locked = (users or spaces) and len(disabled) == len(spaces) and all(_locked(draft, u) for u in users)
    if locked:
        for user in users:
            user.pop("status", None)
        draft.notes.append(
            "every login, mailbox and space is locked: imported as a suspended tenant; which users were "
            "suspended on their own cannot be told, so each user is written active"
        )
        return "suspended"
    if disabled:
        draft.notes.append(
            f"space(s) {', '.join(repr(name) for name in disabled)} are disabled while the customer is active: "
            "the next up enables them"
        )
    return "active"


def _locked(draft: _Draft, user: dict[str, Any]) -> bool:
    login = next((login for login in draft.found.logins if login.username == user["email"]), None)
    box = next((box for box in draft.found.mailboxes if box.address == user["email"]), None)
    return (login is None or not login.is_active) and (box is None or box.suspended)


def _customer_name(draft: _Draft) -> str:
    description = draft.found.portal_description or ""
    if description.endswith(PORTAL_DESCRIPTION_SUFFIX) and len(description) > len(PORTAL_DESCRIPTION_SUFFIX):
        return description.removesuffix(PORTAL_DESCRIPTION_SUFFIX)
    fallback = draft.found.brand.title if draft.found.brand else draft.slug
    draft.notes.append(
        f"the customer's name was not found (no portal application {draft.slug}-portal): the file says "
        f"`{fallback}`; correct it, or give --name"
    )
    return fallback


def _branding(draft: _Draft, name: str) -> dict[str, Any] | None:
    brand = draft.found.brand
    if brand is None:
        draft.notes.append(
            f"Authentik has no brand on the customer's portal host: the next up creates it (title `{name}`)"
        )
        return None
    logo = brand.logo if brand.logo != DEFAULT_LOGO else None
    if logo is not None and not logo.startswith("https://"):
        draft.notes.append(
            f"the brand's logo `{logo}` is not an https:// URL, which a tenant file needs: not imported, and "
            "the next up puts Authentik's default logo back"
        )
        logo = None
    if brand.title == name and logo is None:
        return None
    draft.notes.append(
        f"branding.primary_color is kept by no service: the file has the default ({DEFAULT_COLOUR})"
    )
    return {"title": brand.title, **({"logo_url": logo} if logo else {})}


def smallest_plan(data: dict[str, Any]) -> str:
    """The first plan, smallest first, whose seats, quotas and features hold everything in the file's data;
    the largest when none does (validation then says what is beyond it)."""
    mail, users = data.get("mail", {}), data["users"]
    boxes, spaces = mail.get("shared_mailboxes", []), data.get("files", {}).get("spaces", [])
    features = {
        Feature.EXTRA_DOMAINS: bool(data["domains"].get("mail")),
        Feature.SHARED_MAILBOXES: bool(boxes),
        Feature.MAILING_LISTS: bool(mail.get("lists")),
        Feature.CATCH_ALL: bool(mail.get("catch_all")),
        Feature.CUSTOM_BRANDING: "branding" in data,
    }
    quotas = [int(item["quota"]) for item in [*users, *boxes] if item.get("quota") is not None]
    files = sum(int(space["quota"]) for space in spaces)
    for plan in PLANS.values():
        if (
            len(users) <= plan.seats
            and all(quota <= plan.mailbox_quota for quota in quotas)
            and files <= plan.file_quota
            and all(feature in plan.features for feature, used in features.items() if used)
        ):
            return plan.name
    return list(PLANS)[-1]


def _omit_default_quotas(items: Iterable[dict[str, Any]], plan: Plan | None) -> None:
    """A quota equal to the plan's mailbox quota is what the program sets anyway: the file leaves it out."""
    for item in items:
        if plan is not None and item.get("quota") == plan.mailbox_quota:
            del item["quota"]
