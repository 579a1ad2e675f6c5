"""Accounts between their normalised inputs and Stalwart's `x:Account` objects.

The registry stores references by id (`domainId`, alias `domainId`, `memberGroupIds`) while the tenant file
speaks in names and addresses. `Directory` translates both ways for one provider operation, asking the server
once per name and batching lookups into one request where it can.
"""

from __future__ import annotations

from typing import Any

from components.stalwart.client import AccountObject, StalwartClient


def permissions_for(suspended: bool) -> dict[str, Any]:
    """A suspended account keeps its mail and keeps receiving, but may not sign in: `authenticate` is the
    permission every log-in (IMAP, SMTP submission, JMAP, DAV, OAuth) is checked against, and a disabled
    permission wins over one the role grants. Resuming goes back to what the account's role gives."""
    if suspended:
        return {"@type": "Merge", "enabledPermissions": {}, "disabledPermissions": {"authenticate": True}}
    return {"@type": "Inherit"}


class Directory:
    """Domain names and account addresses to registry ids and back, cached for one operation."""

    def __init__(self, client: StalwartClient) -> None:
        self.client = client
        self._domain_ids: dict[str, str | None] = {}
        self._domain_names: dict[str, str] = {}
        self._addresses: dict[str, str] = {}  # account id -> address

    # --- lookups -------------------------------------------------------------------------------------

    def domain_ids(self, names: list[str]) -> dict[str, str | None]:
        unknown = sorted({n for n in names if n not in self._domain_ids})
        for name, found in zip(
            unknown, self.client.find([("x:Domain", {"name": n}) for n in unknown]), strict=True
        ):
            domain = next((d for d in found if d["name"] == name), None)
            self._domain_ids[name] = domain["id"] if domain else None
            if domain:
                self._domain_names[domain["id"]] = name
        return {name: self._domain_ids[name] for name in names}

    def domain_name(self, domain_id: str) -> str:
        if domain_id not in self._domain_names:
            for domain in self.client.get("x:Domain", [domain_id]):
                self._domain_names[domain["id"]] = domain["name"]
        return self._domain_names.get(domain_id, f"<unknown domain {domain_id}>")

    def account(self, address: str) -> AccountObject | None:
        local, domain = address.split("@")
        domain_id = self.domain_ids([domain])[domain]
        return None if domain_id is None else self.client.find_account(domain_id, local)

    def addresses(self, account_ids: list[str]) -> dict[str, str]:
        unknown = [i for i in account_ids if i not in self._addresses]
        if unknown:
            for account in self.client.get("x:Account", unknown):
                self._addresses[account["id"]] = account["emailAddress"]
        return {i: self._addresses.get(i, f"<unknown account {i}>") for i in account_ids}

    def group_ids(self, addresses: list[str]) -> dict[str, str]:
        """The ids of shared mailboxes; one that does not exist (yet) is an error naming it."""
        ids = {}
        for address in addresses:
            group = self.account(address)
            if group is None or group.get("@type") != "Group":
                raise LookupError(f"Stalwart: shared mailbox {address} does not exist, so no one can join it")
            ids[address] = group["id"]
        return ids

    # --- mapping -------------------------------------------------------------------------------------

    def account_props(self, account: AccountObject) -> dict[str, Any]:
        """The account in the providers' normalised form, every reference turned back into a name."""
        user = account["@type"] == "User"
        aliases = [a for a in (account.get("aliases") or {}).values() if a.get("enabled", True)]
        permissions = account.get("permissions") or {}
        groups = list(account.get("memberGroupIds") or {})
        return {
            "kind": "user" if user else "group",
            "address": account.get("emailAddress")
            or f"{account['name']}@{self.domain_name(account['domainId'])}",
            "display_name": account.get("description") or "",
            "aliases": sorted(f"{a['name']}@{self.domain_name(a['domainId'])}" for a in aliases),
            "quota": (account.get("quotas") or {}).get("maxDiskQuota"),
            "suspended": "authenticate" in (permissions.get("disabledPermissions") or {}),
            "member_of": sorted(self.addresses(groups).values()),
            "role": (account.get("roles") or {}).get("@type") if user else None,
        }

    def account_object(self, wanted: dict[str, Any], password: str | None) -> dict[str, Any]:
        """A new account: every managed property, plus the one password credential of a user."""
        local, domain = wanted["address"].split("@")
        domain_id = self.domain_ids([domain])[domain]
        if domain_id is None:
            raise LookupError(
                f"Stalwart: account {wanted['address']} needs domain {domain}, which does not exist"
            )
        obj = {"@type": "User" if wanted["kind"] == "user" else "Group", "name": local, "domainId": domain_id}
        obj.update(self.account_patch({}, wanted))
        if password is not None:
            obj["credentials"] = {"0": {"@type": "Password", "secret": password}}
        return obj

    def account_patch(self, current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
        """The registry properties whose normalised value differs (all of them against an empty `current`).

        The quota is patched by JSON pointer, so other quotas an operator set stay; credentials are never
        patched, so a change to the file never resets a password.
        """
        user, patch = wanted["kind"] == "user", {}
        changed = {key for key in wanted if key not in current or current[key] != wanted[key]}
        if "display_name" in changed:
            patch["description"] = wanted["display_name"] or None
        if "aliases" in changed:
            patch["aliases"] = self._aliases(wanted["aliases"])
        if "quota" in changed and current:
            patch["quotas/maxDiskQuota"] = wanted["quota"]  # null removes the limit
        elif "quota" in changed and wanted["quota"] is not None:
            patch["quotas"] = {"maxDiskQuota": wanted["quota"]}
        if user and "suspended" in changed:
            patch["permissions"] = permissions_for(wanted["suspended"])
        if user and "member_of" in changed:
            patch["memberGroupIds"] = dict.fromkeys(self.group_ids(wanted["member_of"]).values(), True)
        if user and "role" in changed:
            patch["roles"] = {"@type": wanted["role"]}
        return patch

    def rename_patch(self, wanted: dict[str, Any]) -> dict[str, Any]:
        """The account's new address, with its aliases in the same patch: the new address may be one of its
        aliases until now, or the old address one of them from now on. The account's id, and so its mailbox,
        stays."""
        local, domain = wanted["address"].split("@")
        domain_id = self.domain_ids([domain])[domain]
        if domain_id is None:
            raise LookupError(
                f"Stalwart: account {wanted['address']} needs domain {domain}, which does not exist"
            )
        return {"name": local, "domainId": domain_id, "aliases": self._aliases(wanted["aliases"])}

    def _aliases(self, addresses: list[str]) -> dict[str, dict[str, Any]]:
        domains = self.domain_ids(sorted({a.split("@")[1] for a in addresses}))
        missing = sorted(d for d, i in domains.items() if i is None)
        if missing:
            raise LookupError(f"Stalwart: aliases need domains {', '.join(missing)}, which do not exist")
        return {
            str(n): {"name": a.split("@")[0], "domainId": domains[a.split("@")[1]], "enabled": True}
            for n, a in enumerate(addresses)
        }
