"""Reading one customer from Authentik, Stalwart and OCIS through the project's own clients: read calls only.

Where the search starts: the customer's primary mail domain, and its slug (given, taken from a tenant group's
name `<slug>-members` / `<slug>-admins`, or from the Authentik path `tenants/<slug>` of the logins of the
domain's mailboxes). From there everything the program would have made for that slug is collected: logins
under the tenant's path and in its groups (and in `--group`), their mailboxes and the mail domains these use,
every account and list on those domains, the OCIS spaces under the tenant's alias prefix, its portal brand and
application. Connection settings come from the stack's configuration, as each provider's `configure` reads them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from pulumi.dynamic.config import Config

from components.authentik.client import AuthentikClient, AuthentikSettings, authentik_settings_from_config
from components.ocis.client import OcisClient, OcisSettings, is_disabled
from components.ocis.members import Directory as OcisDirectory
from components.ocis.members import grants_of, observed_members
from components.ocis.provider import ocis_settings_from_config
from components.stalwart.accounts import Directory as MailDirectory
from components.stalwart.client import AccountObject, ObjectName, StalwartClient, StalwartSettings
from components.stalwart.client import settings_from_config as stalwart_settings_from_config
from dezky.importer.found import (
    Customer,
    Login,
    Mailbox,
    MailDomain,
    MailList,
    PortalBrand,
    ProjectSpace,
    SpaceGrant,
)
from dezky.tenants.catalog import PLATFORM_DOMAIN
from dezky.tenants.model import SLUG_PATTERN, TenantGroup

TENANT_GROUP_SUFFIXES = tuple(f"-{group.value}" for group in TenantGroup)


class CannotImport(Exception):
    """The customer cannot be found from what was given; the message says what to give instead."""


@dataclass(frozen=True)
class ServiceSettings:
    authentik: AuthentikSettings
    stalwart: StalwartSettings
    ocis: OcisSettings


def service_settings(stack_config: Mapping[str, str]) -> ServiceSettings:
    """The three services' settings from the stack's configuration (secrets decrypted), read as the providers
    read them; a missing key raises ValueError naming it."""
    config = Config(dict(stack_config), "dezky")
    return ServiceSettings(
        authentik_settings_from_config(config),
        stalwart_settings_from_config(config),
        ocis_settings_from_config(config),
    )


def read_customer(
    settings: ServiceSettings, *, domain: str, slug: str | None = None, group: str | None = None
) -> Customer:
    with (
        AuthentikClient(settings.authentik) as authentik,
        StalwartClient(settings.stalwart) as stalwart,
        OcisClient(settings.ocis) as ocis,
    ):
        mail = MailDirectory(stalwart)
        if group is not None and authentik.find_group(group) is None:
            raise CannotImport(f"--group: Authentik has no group `{group}`")
        slug = slug or _slug_of(authentik, mail, domain, group)
        if not re.fullmatch(SLUG_PATTERN, slug):  # a derived one too: it becomes the file's name
            raise CannotImport(
                f"`{slug}` is not a tenant slug (a DNS label, 3 to 32 characters): give --slug"
            )
        logins = _logins(authentik, slug, group)
        domains = _mail_domains(mail, domain, logins)
        mailboxes = _mailboxes(mail, domains)
        portal = f"portal.{slug}.{PLATFORM_DOMAIN}"
        brand = authentik.find_brand(portal)
        application = authentik.get_application(f"{slug}-portal")
        addresses = {login.username for login in logins} | {box.address for box in mailboxes}
        return Customer(
            slug=slug,
            primary_domain=domain,
            logins=logins,
            mail_domains=domains,
            mailboxes=mailboxes,
            lists=_lists(stalwart, {d.name for d in domains}),
            spaces=_spaces(ocis, slug, addresses),
            brand=PortalBrand(brand["branding_title"], brand["branding_logo"]) if brand else None,
            portal_description=application["meta_description"] if application else None,
        )


# --- which customer --------------------------------------------------------------------------------------


def _slug_of(authentik: AuthentikClient, mail: MailDirectory, domain: str, group: str | None) -> str:
    if group is not None:
        suffix = next((s for s in TENANT_GROUP_SUFFIXES if group.endswith(s)), None)
        if suffix is None:
            raise CannotImport(
                f"--group: `{group}` is not named like a tenant's group (<slug>-members or <slug>-admins), so "
                "it does not tell the tenant's slug: give --slug as well"
            )
        return group.removesuffix(suffix)
    paths = set()
    for account in _accounts_on(mail, [domain]):
        login = authentik.find_user(account.get("emailAddress") or f"{account['name']}@{domain}")
        if login is not None and login["path"].startswith("tenants/"):
            paths.add(login["path"].removeprefix("tenants/"))
    if len(paths) != 1:
        found = (
            f"they belong to tenants {', '.join(sorted(paths))}" if paths else "none is under tenants/<slug>"
        )
        raise CannotImport(
            f"cannot tell the tenant's slug from the Authentik logins of the mailboxes on {domain} ({found}): "
            "give --slug"
        )
    return paths.pop()


# --- Authentik -------------------------------------------------------------------------------------------


def _logins(authentik: AuthentikClient, slug: str, group: str | None) -> tuple[Login, ...]:
    """Logins under `tenants/<slug>`, and the members of the tenant's groups and of `group`."""
    found = {user["username"]: user for user in authentik.list_users(f"tenants/{slug}")}
    groups = [f"{slug}{suffix}" for suffix in TENANT_GROUP_SUFFIXES] + ([group] if group else [])
    for name in dict.fromkeys(groups):
        for username in authentik.group_member_usernames(name):
            if username not in found and (user := authentik.find_user(username)) is not None:
                found[username] = user
    return tuple(
        Login(
            username=user["username"],
            name=user["name"],
            email=user["email"],
            path=user["path"],
            is_active=user["is_active"],
            groups=tuple(sorted(g["name"] for g in user.get("groups_obj") or ())),
        )
        for user in sorted(found.values(), key=lambda user: user["username"])
    )


# --- Stalwart --------------------------------------------------------------------------------------------


def _mail_domains(mail: MailDirectory, primary: str, logins: Iterable[Login]) -> tuple[MailDomain, ...]:
    """The primary domain and every other domain Stalwart has that the logins' addresses or aliases use."""
    candidates = {primary} | {login.username.rsplit("@", 1)[-1] for login in logins if "@" in login.username}
    for login in logins:
        account = mail.account(login.username) if "@" in login.username else None
        if account is not None:
            candidates.update(alias.split("@")[1] for alias in mail.account_props(account)["aliases"])
    ordered = [primary, *sorted(candidates - {primary})]
    existing = [name for name, found in mail.domain_ids(ordered).items() if found is not None]
    domains = []
    for name in existing:
        domain = mail.client.find_domain(name)
        if domain is not None:
            domains.append(MailDomain(name, domain.get("catchAllAddress")))
    return tuple(domains)


def _accounts_on(mail: MailDirectory, domains: list[str]) -> list[AccountObject]:
    """Every account (users and shared mailboxes) on these domains; Stalwart's filter is checked exactly."""
    ids = {i for i in mail.domain_ids(domains).values() if i is not None}
    searches: list[tuple[ObjectName, dict[str, Any]]] = [("x:Account", {"domainId": i}) for i in sorted(ids)]
    found = [account for page in mail.client.find(searches) for account in page]
    return [cast(AccountObject, account) for account in found if account.get("domainId") in ids]


def _mailboxes(mail: MailDirectory, domains: Iterable[MailDomain]) -> tuple[Mailbox, ...]:
    boxes = []
    for account in _accounts_on(mail, [d.name for d in domains]):
        props = mail.account_props(account)
        boxes.append(
            Mailbox(
                kind=props["kind"],
                address=props["address"],
                display_name=props["display_name"],
                aliases=tuple(props["aliases"]),
                quota=props["quota"],
                suspended=props["suspended"],
                member_of=tuple(props["member_of"]),
                role=props["role"],
            )
        )
    return tuple(sorted(boxes, key=lambda box: box.address))


def _lists(stalwart: StalwartClient, domains: set[str]) -> tuple[MailList, ...]:
    found = [
        MailList(
            address=str(item["emailAddress"]),
            display_name=str(item.get("description") or ""),
            recipients=tuple(sorted(item.get("recipients") or {})),
        )
        for item in stalwart.get("x:MailingList")
        if str(item.get("emailAddress", "")).rsplit("@", 1)[-1] in domains
    ]
    return tuple(sorted(found, key=lambda item: item.address))


# --- OCIS ------------------------------------------------------------------------------------------------


def _spaces(ocis: OcisClient, slug: str, addresses: set[str]) -> tuple[ProjectSpace, ...]:
    directory = OcisDirectory(ocis)
    prefix = f"project/{slug}."
    drives = [d for d in ocis.project_drives() if str(d.get("driveAlias", "")).startswith(prefix)]
    if drives:
        # OCIS tells a grantee's username only to admins; looked up by name first, the tenant's own read back.
        groups = [f"group:{slug}{suffix}" for suffix in TENANT_GROUP_SUFFIXES]
        directory.resolve_all([*(f"user:{a}" for a in sorted(addresses)), *groups])
    spaces = []
    for drive in drives:
        root = drive.get("root", {})
        grants = grants_of(root.get("permissions") or [], directory.service_account())
        members = observed_members(grants, directory)
        spaces.append(
            ProjectSpace(
                alias=str(drive["driveAlias"]),
                name=str(drive.get("name", "")),
                description=str(drive.get("description", "")),
                quota=int(drive.get("quota", {}).get("total", 0)),
                enabled=not is_disabled(drive),
                members=tuple(SpaceGrant(m["principal"], m["role"]) for m in members),
            )
        )
    return tuple(sorted(spaces, key=lambda space: space.alias))
