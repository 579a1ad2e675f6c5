"""What `dezky import` found on the services, as plain frozen values: the boundary between reading and mapping.

Every value is in the form the providers normalise it to (addresses in lowercase punycode, quotas in bytes,
OCIS members as `user:<username>` / `group:<name>` principals with role names), so the mapping compares them
with what the program would declare without knowing any service's wire format.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Login:
    """An Authentik user account."""

    username: str
    name: str
    email: str
    path: str
    is_active: bool
    groups: tuple[str, ...]  # group names, sorted


@dataclass(frozen=True)
class Mailbox:
    """A Stalwart account: a user's mailbox (`user`) or a shared mailbox (`group`)."""

    kind: Literal["user", "group"]
    address: str
    display_name: str
    aliases: tuple[str, ...] = ()
    quota: int | None = None  # bytes; None: no limit
    suspended: bool = False  # its `authenticate` permission is disabled
    member_of: tuple[str, ...] = ()  # shared mailboxes a user belongs to
    role: str | None = "User"  # Stalwart's role of a user account


@dataclass(frozen=True)
class MailDomain:
    name: str
    catch_all: str | None = None


@dataclass(frozen=True)
class MailList:
    address: str
    display_name: str
    recipients: tuple[str, ...]


@dataclass(frozen=True)
class SpaceGrant:
    principal: str  # user:<username> | group:<name> | user-id:<id> | group-id:<id> (a name OCIS did not tell)
    role: str  # viewer | editor | manager, or a role id the program does not use


@dataclass(frozen=True)
class ProjectSpace:
    alias: str
    name: str
    description: str
    quota: int
    enabled: bool
    members: tuple[SpaceGrant, ...] = ()


@dataclass(frozen=True)
class PortalBrand:
    """The brand on the tenant's portal host."""

    title: str
    logo: str


@dataclass(frozen=True)
class Customer:
    """Everything found of one customer. `primary_domain` and `slug` are what the search started from."""

    slug: str
    primary_domain: str
    logins: tuple[Login, ...] = ()
    mail_domains: tuple[MailDomain, ...] = ()  # the domains Stalwart has, the primary first when it has it
    mailboxes: tuple[Mailbox, ...] = ()
    lists: tuple[MailList, ...] = ()
    spaces: tuple[ProjectSpace, ...] = ()
    brand: PortalBrand | None = None
    portal_description: str | None = None  # the portal application's, which carries the customer's name
