"""Space members: how the program names them, how OCIS knows them, and the calls that make one match the other.

The program names a member by principal and role: `user:<username>` (the e-mail address Authentik sends as the
username, which OCIS takes for the account it creates at first login) or `group:<name>` (`<slug>-members`,
`<slug>-admins`, created by OCIS from the groups claim), and `viewer`, `editor` or `manager`. OCIS knows them by
user and group ids and unified role ids. The provider never creates users or groups: Authentik is where accounts
come from, and an account OCIS has not seen yet is reported as pending instead of failing the space.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, TypedDict

from components.ocis.client import ROLE_IDS, ROLE_NAMES, OcisClient, Permission, RecipientType

PRINCIPAL_KINDS: tuple[RecipientType, ...] = ("user", "group")


class Member(TypedDict):
    principal: str  # user:<username> | group:<name>
    role: str  # viewer | editor | manager (or a role id the program does not use, as read)


def normalise_members(raw: Any) -> list[Member]:
    """Members in one comparable form: usernames in lowercase, sorted by principal."""
    members = [
        Member(principal=_normal_principal(str(m["principal"])), role=str(m["role"])) for m in raw or []
    ]
    return sorted(members, key=lambda m: m["principal"])


def _normal_principal(principal: str) -> str:
    kind, _, name = principal.partition(":")
    return f"{kind}:{name.lower()}" if kind == "user" else principal


@dataclass(frozen=True)
class Grant:
    permission_id: str
    principal_id: str
    kind: RecipientType
    role_id: str


def grants_of(permissions: list[Permission], service_account: str) -> list[Grant]:
    """The member grants among a space root's permissions, leaving out links and the service account's own.

    OCIS makes whoever creates a space its manager; that grant belongs to the platform, not to the tenant.
    """
    grants = []
    for permission in permissions:
        granted = permission.get("grantedToV2") or {}
        kind: RecipientType | None = next((k for k in PRINCIPAL_KINDS if k in granted), None)
        if kind is None or "id" not in permission:
            continue
        principal_id = granted[kind].get("id", "")
        if kind == "user" and principal_id == service_account:
            continue
        roles = permission.get("roles") or [""]
        grants.append(Grant(permission["id"], principal_id, kind, roles[0]))
    return grants


class Directory:
    """Names and ids of OCIS users and groups, each looked up at most once per provider call."""

    def __init__(self, client: OcisClient) -> None:
        self._client = client
        self._ids: dict[str, tuple[RecipientType, str] | None] = {}
        self._principals: dict[str, str] = {}
        self._me: str | None = None

    def service_account(self) -> str:
        if self._me is None:
            self._me = self._client.me()["id"]
        return self._me

    def resolve(self, principal: str) -> tuple[RecipientType, str] | None:
        """The kind and id OCIS gives a principal, or None while OCIS has no such account."""
        if principal not in self._ids:
            kind, _, name = principal.partition(":")
            found = self._client.user(name) if kind == "user" else self._client.group(name)
            self._ids[principal] = (
                None if found is None else ("user" if kind == "user" else "group", found["id"])
            )
            if found is not None:
                self._principals[found["id"]] = principal
        return self._ids[principal]

    def resolve_all(self, principals: list[str]) -> None:
        """Look the declared principals up by name first, so their grants read back under the declared names.

        OCIS tells a user's username (`onPremisesSamAccountName`) only to itself and to accounts with the
        Admin role's account-management permission; a lookup by username works for any account and gives the
        id, which is all a grant carries. Only a grant to an undeclared user then needs a lookup by id.
        """
        for principal in principals:
            self.resolve(principal)

    def principal_of(self, grant: Grant) -> str:
        if grant.principal_id not in self._principals:
            self._principals[grant.principal_id] = self._lookup_principal(grant)
        return self._principals[grant.principal_id]

    def _lookup_principal(self, grant: Grant) -> str:
        if grant.kind == "group":
            found = self._client.group(grant.principal_id)
            return f"group:{found['displayName']}" if found else f"group-id:{grant.principal_id}"
        found_user = self._client.user(grant.principal_id)
        username = (found_user or {}).get("onPremisesSamAccountName")
        # Without the Admin role OCIS sends the username empty; and a grant to an account the directory no
        # longer has still counts. Either way the grant reads under its id: removing it is the program's job.
        return f"user:{username.lower()}" if username else f"user-id:{grant.principal_id}"


def observed_members(grants: list[Grant], directory: Directory) -> list[Member]:
    members = [
        Member(principal=directory.principal_of(g), role=ROLE_NAMES.get(g.role_id, g.role_id)) for g in grants
    ]
    return normalise_members(members)


def pending_members(declared: list[str], observed: list[Member], directory: Directory) -> list[str]:
    """Declared principals that hold no grant because OCIS has no account for them yet."""
    granted = {m["principal"] for m in observed}
    return [p for p in dict.fromkeys(declared) if p not in granted and directory.resolve(p) is None]


def sync_members(client: OcisClient, drive_id: str, wanted: list[Member], directory: Directory) -> None:
    """Invite, re-role and revoke so the space's grants are the declared members; touch nothing that matches."""
    current = {
        g.principal_id: g for g in grants_of(client.permissions(drive_id), directory.service_account())
    }
    targets: dict[str, tuple[RecipientType, str]] = {}
    for member in wanted:
        resolved = directory.resolve(member["principal"])
        if resolved is not None and resolved[1] != directory.service_account():
            targets[resolved[1]] = (resolved[0], ROLE_IDS[member["role"]])
    for principal_id, (kind, role_id) in targets.items():
        grant = current.get(principal_id)
        if grant is None:
            client.invite(drive_id, kind, principal_id, role_id)
        elif grant.role_id != role_id:
            client.set_role(drive_id, grant.permission_id, role_id)
    for principal_id, grant in current.items():
        if principal_id not in targets:
            client.revoke(drive_id, grant.permission_id)
