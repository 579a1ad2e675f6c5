"""Pulumi dynamic providers for a tenant's mail on Stalwart: domains, accounts (users and shared mailboxes), lists.

Each provider says how to find, write and remove one kind of object; `ObjectProvider` turns that into the
Pulumi protocol (adopt by natural key, refuse a different object, diff normalised values, honest reads).
Credentials come from the stack configuration in `configure`, never from inputs, so they are not in the state.

Data safety: an account's mailbox and a domain's accounts hold mail, so `remove` refuses to delete an account or
a domain unless its `purge` input is true (recorded in the state by an earlier `up`). Suspension never
deletes: it disables the account's `authenticate` permission (see `accounts.permissions_for`).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pulumi.dynamic import CheckFailure

from components.common.provider import ObjectProvider
from components.stalwart.accounts import Directory
from components.stalwart.client import (
    DkimSignatureObject,
    DomainObject,
    JmapError,
    StalwartClient,
    StalwartSettings,
    settings_from_config,
)
from dezky.tenants.model import normalise_domain, normalise_email

# Keys are made by the server (dkimManagement Automatic); DNS records are published by our DNS integration
# (dnsManagement Manual). The selector template has no date or random part, so the selectors are known before
# the keys exist and the DNS component can declare their RRsets in preview. Stalwart only rotates keys under
# Automatic DNS management, so a fixed selector never has to name two keys.
DKIM_SIGNATURE_TYPES = {"ed25519": "Dkim1Ed25519Sha256", "rsa": "Dkim1RsaSha256"}
DKIM_SELECTOR_TEMPLATE = "v{version}-{algorithm}"
_ALGORITHM_OF = {signature: algorithm for algorithm, signature in DKIM_SIGNATURE_TYPES.items()}
_ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")
_PASSWORD_BYTES = 24


def dkim_selectors(template: str = DKIM_SELECTOR_TEMPLATE) -> list[tuple[str, str]]:
    """The (selector, algorithm) pairs the server derives from the template, as its own renderer does."""
    return [(_selector(template, algorithm), algorithm) for algorithm in DKIM_SIGNATURE_TYPES]


def _selector(template: str, algorithm: str) -> str:
    values = {"algorithm": algorithm, "hash": "sha256", "version": "1"}
    rendered = re.sub(r"\{([^}]*)\}", lambda match: values[match.group(1)], template)
    return "".join(c for c in rendered if c.isalnum() or c in ".-_")


class PurgeRequired(Exception):
    """Deleting this object would delete mail, and its tenant file has not allowed that."""


class _StalwartProvider(ObjectProvider):
    service = "Stalwart"

    def settings_from_config(self, config: Any) -> StalwartSettings:
        return settings_from_config(config)

    @contextmanager
    def session(self) -> Iterator[StalwartClient]:
        with StalwartClient(self.settings) as client:
            yield client

    def _refuse_unless_purged(self, what: str, props: dict[str, Any], mark: str) -> None:
        """`mark`: where the tenant file says `purge: true` for this object, short of the deleted tenant."""
        if not props.get("purge"):
            raise PurgeRequired(
                f"{self.service}: refusing to delete {what}: it holds mail that would be lost for good. "
                f"To delete it on purpose, set `purge: true` ({mark}, or on the deleted tenant), run `up` "
                "so the flag is recorded, then remove it from the tenant file."
            )


class DomainProvider(_StalwartProvider):
    """A mail domain: automatic DKIM (Ed25519 and RSA), manual DNS, the tenant's catch-all address."""

    replace_keys = ("domain",)

    def object_id(self, props: dict[str, Any]) -> str:
        return normalise_domain(props["domain"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        catch_all = props.get("catch_all")
        return {
            "domain": normalise_domain(props["domain"]),
            "catch_all": normalise_email(catch_all) if catch_all else None,
            "enabled": True,
            "dkim_algorithms": sorted(DKIM_SIGNATURE_TYPES),
            "dkim_selector_template": DKIM_SELECTOR_TEMPLATE,
            "dns_management": "Manual",
            "purge": bool(props.get("purge")),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        return _failures(props, {"domain": normalise_domain, "catch_all": normalise_email})

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            domain = client.find_domain(object_id)
            if domain is None:
                return None
            keys = dkim_keys(client.dkim_signatures(domain["id"]))
        return {**domain_props(domain), "purge": bool(props.get("purge")), "stalwart_id": domain["id"],
                "dkim_keys": keys}  # fmt: skip

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        subject = f"domain {wanted['domain']}"
        with self.session() as client:
            current = client.find_domain(wanted["domain"])
            if current is None:
                try:
                    domain_id = client.create("x:Domain", domain_object(wanted), subject)
                except JmapError as error:
                    # our own create, whose reply was lost, landed: retried, it clashes with itself
                    current = _landed(error, lambda: client.find_domain(wanted["domain"]))
            if current is not None:
                domain_id = current["id"]
                patch = domain_patch(domain_props(current), wanted)
                if patch:
                    client.update("x:Domain", domain_id, patch, subject)
            keys = self._wait_for_keys(client, domain_id, wanted["domain"])
        return {**wanted, "stalwart_id": domain_id, "dkim_keys": keys}

    def _wait_for_keys(self, client: StalwartClient, domain_id: str, name: str) -> list[dict[str, str]]:
        """The server generates DKIM keys in a task after the domain is saved: poll until each algorithm has one."""
        deadline, delay = time.monotonic() + self.settings.dkim_wait, 0.05
        while True:
            keys = dkim_keys(client.dkim_signatures(domain_id))
            missing = set(DKIM_SIGNATURE_TYPES) - {key["algorithm"] for key in keys}
            if not missing:
                return keys
            if time.monotonic() >= deadline:
                raise TimeoutError(
                    f"{self.service}: domain {name} has no DKIM key for {', '.join(sorted(missing))} after "
                    f"{self.settings.dkim_wait:.0f} s. The domain exists; run `up` again to pick the keys up."
                )
            time.sleep(delay)
            delay = min(delay * 2, self.settings.poll_interval)

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        self._refuse_unless_purged(
            f"domain {object_id} (and with it every mailbox on it)",
            props,
            f"on its entry in `domains.mail`: `{{domain: {object_id}, purge: true}}`",
        )
        with self.session() as client:
            domain = client.find_domain(object_id)
            if domain is None:
                return
            subject = f"domain {object_id}"
            try:
                client.destroy("x:Domain", [domain["id"]], subject)
            except JmapError as error:
                # The server refuses to destroy a domain anything still points at. Its own DKIM keys go with it;
                # anything else (an account, a list) is refused as it is, before anything was removed.
                if error.error_type != "objectIsLinked" or set(error.linked_objects) - {"DkimSignature"}:
                    raise
                signatures = [s["id"] for s in client.dkim_signatures(domain["id"])]
                client.destroy("x:DkimSignature", signatures, f"DKIM keys of domain {object_id}")
                client.destroy("x:Domain", [domain["id"]], subject)


class AccountProvider(_StalwartProvider):
    """A user (`kind: user`, with a generated password) or a shared mailbox (`kind: group`)."""

    replace_keys = ("address", "kind")
    kept_state = ("password",)  # generated once at create; the server only ever shows it masked
    secret_outputs = ("password",)
    renames = True  # a changed address: the same account, mailbox and password under the new name

    def object_id(self, props: dict[str, Any]) -> str:
        return normalise_email(props["address"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        user = props["kind"] == "user"
        return {
            "kind": props["kind"],
            "address": normalise_email(props["address"]),
            "display_name": str(props.get("display_name") or ""),
            "aliases": sorted({normalise_email(a) for a in props.get("aliases") or ()}),
            "quota": int(props["quota"]) if props.get("quota") is not None else None,
            "suspended": bool(props.get("suspended")) and user,
            "member_of": sorted({normalise_email(a) for a in props.get("member_of") or ()}) if user else [],
            "role": "User" if user else None,
            "purge": bool(props.get("purge")),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = _failures(props, {"address": normalise_email})
        if props.get("kind") not in ("user", "group"):
            failures.append(CheckFailure("kind", "kind must be `user` or `group`"))
        for field in ("aliases", "member_of"):
            for address in props.get(field) or ():
                failures += _failures({field: address}, {field: normalise_email})
        quota = props.get("quota")
        if quota is not None and (not isinstance(quota, int | float) or quota <= 0):
            failures.append(CheckFailure("quota", "quota must be a positive number of bytes"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            directory = Directory(client)
            account = directory.account(object_id)
            if account is None:
                return None
            found = directory.account_props(account)
        kept = {"password": props["password"]} if props.get("password") else {}
        return {**found, "purge": bool(props.get("purge")), "stalwart_id": account["id"], **kept}

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        subject = f"{'account' if wanted['kind'] == 'user' else 'shared mailbox'} {wanted['address']}"
        with self.session() as client:
            directory = Directory(client)
            current, password = directory.account(wanted["address"]), None
            if current is None:
                password = secrets.token_urlsafe(_PASSWORD_BYTES) if wanted["kind"] == "user" else None
                try:
                    account_id = client.create(
                        "x:Account", directory.account_object(wanted, password), subject
                    )
                    return {
                        **wanted,
                        "stalwart_id": account_id,
                        **({"password": password} if password else {}),
                    }
                except JmapError as error:
                    # Our create landed but its reply was lost, and the retry clashed with it: the account is
                    # ours, with the password just sent (a foreign one would have been found above).
                    current = _landed(error, lambda: directory.account(wanted["address"]))
            patch = directory.account_patch(directory.account_props(current), wanted)
            if patch:
                client.update("x:Account", current["id"], patch, subject)
        return {**wanted, "stalwart_id": current["id"], **({"password": password} if password else {})}

    def rename(self, old_id: str, props: dict[str, Any]) -> bool:
        wanted = self.normalise(props)
        with self.session() as client:
            directory = Directory(client)
            account = directory.account(old_id)
            if account is None:
                return False
            subject = f"account {old_id}, renamed to {wanted['address']}"
            client.update("x:Account", account["id"], directory.rename_patch(wanted), subject)
        return True

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        owner = "user" if props.get("kind") == "user" else "shared mailbox"
        self._refuse_unless_purged(f"account {object_id}", props, f"on the {owner}")
        with self.session() as client:
            account = Directory(client).account(object_id)
            if account is not None:
                client.destroy("x:Account", [account["id"]], f"account {object_id}")


class MailingListProvider(_StalwartProvider):
    """A list address that forwards to its recipients. It stores no mail, so removing it needs no purge."""

    replace_keys = ("address",)

    def object_id(self, props: dict[str, Any]) -> str:
        return normalise_email(props["address"])

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "address": normalise_email(props["address"]),
            "display_name": str(props.get("display_name") or ""),
            "recipients": sorted({normalise_email(r) for r in props.get("recipients") or ()}),
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = _failures(props, {"address": normalise_email})
        if not props.get("recipients"):
            failures.append(CheckFailure("recipients", "a mailing list needs at least one recipient"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.session() as client:
            found = client.find_mailing_list(object_id)
        if found is None:
            return None
        return {"address": found["emailAddress"], "display_name": found.get("description") or "",
                "recipients": sorted(found.get("recipients") or {}), "stalwart_id": found["id"]}  # fmt: skip

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        local, domain = wanted["address"].split("@")
        subject = f"mailing list {wanted['address']}"
        desired = {
            "description": wanted["display_name"] or None,
            "recipients": dict.fromkeys(wanted["recipients"], True),
        }
        with self.session() as client:
            current = client.find_mailing_list(wanted["address"])
            if current is None:
                domain_found = client.find_domain(domain)
                if domain_found is None:
                    raise LookupError(
                        f"{self.service}: {subject} needs domain {domain}, which does not exist"
                    )
                obj = {"name": local, "domainId": domain_found["id"], **desired}
                try:
                    return {**wanted, "stalwart_id": client.create("x:MailingList", obj, subject)}
                except JmapError as error:
                    current = _landed(error, lambda: client.find_mailing_list(wanted["address"]))
            patch = {key: value for key, value in desired.items() if current.get(key) != value}
            if patch:
                client.update("x:MailingList", current["id"], patch, subject)
        return {**wanted, "stalwart_id": current["id"]}

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.session() as client:
            found = client.find_mailing_list(object_id)
            if found is not None:
                client.destroy("x:MailingList", [found["id"]], f"mailing list {object_id}")


# --- domains: between normalised props and the registry object -----------------------------------------


def domain_props(domain: DomainObject) -> dict[str, Any]:
    dkim = domain.get("dkimManagement") or {}
    automatic = dkim.get("@type") == "Automatic"
    return {
        "domain": domain["name"],
        "catch_all": domain.get("catchAllAddress"),
        "enabled": domain.get("isEnabled"),
        "dkim_algorithms": sorted(_ALGORITHM_OF.get(t, t) for t in dkim.get("algorithms") or {})
        if automatic
        else [],
        "dkim_selector_template": dkim.get("selectorTemplate") if automatic else None,
        "dns_management": (domain.get("dnsManagement") or {}).get("@type"),
    }


def domain_object(wanted: dict[str, Any]) -> dict[str, Any]:
    return {"name": wanted["domain"], **domain_patch({}, wanted)}


def domain_patch(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    """The registry properties whose normalised value differs (all of them against an empty `current`)."""
    dkim = {
        "@type": "Automatic",
        "algorithms": {DKIM_SIGNATURE_TYPES[a]: True for a in wanted["dkim_algorithms"]},
        "selectorTemplate": wanted["dkim_selector_template"],
    }
    patch: dict[str, Any] = {}
    if current.get("catch_all") != wanted["catch_all"] or not current:
        patch["catchAllAddress"] = wanted["catch_all"]
    if current.get("enabled") != wanted["enabled"]:
        patch["isEnabled"] = wanted["enabled"]
    if any(current.get(k) != wanted[k] for k in ("dkim_algorithms", "dkim_selector_template")):
        patch["dkimManagement"] = dkim
    if current.get("dns_management") != wanted["dns_management"]:
        patch["dnsManagement"] = {"@type": wanted["dns_management"]}
    return patch


def dkim_keys(signatures: list[DkimSignatureObject]) -> list[dict[str, str]]:
    """The keys to publish, as `DkimKey(**key)` takes them: all but retired ones, Ed25519 first."""
    keys = [
        {
            "selector": s["selector"],
            "algorithm": _ALGORITHM_OF[s["@type"]],
            "public_key": dkim_public_key(_ALGORITHM_OF[s["@type"]], s["publicKey"]),
        }
        for s in signatures
        if s.get("@type") in _ALGORITHM_OF and s.get("stage") != "retired" and s.get("publicKey")
    ]
    return sorted(keys, key=lambda k: (list(DKIM_SIGNATURE_TYPES).index(k["algorithm"]), k["selector"]))


def dkim_public_key(algorithm: str, value: str) -> str:
    """The `p=` value: base64 of the raw Ed25519 key (RFC 8463) or of the RSA DER key, whether the server
    answers in PEM or in bare base64."""
    body = "".join(line for line in value.strip().splitlines() if not line.startswith("-----"))
    try:
        raw = base64.b64decode("".join(body.split()), validate=True)
    except (binascii.Error, ValueError):
        raise ValueError(f"Stalwart answered a DKIM public key that is not base64: {value[:40]!r}") from None
    if algorithm == "ed25519" and raw.startswith(_ED25519_SPKI_PREFIX):
        raw = raw[len(_ED25519_SPKI_PREFIX) :]
    return base64.b64encode(raw).decode()


def _landed(error: JmapError, find: Callable[[], Any]) -> Any:
    """The object a create made although the client never heard back: the transport retried the create after
    the lost reply, and the retry clashed with the object the first attempt had made (`primaryKeyViolation`).
    Any other error, or a clash with nothing to show for it, is raised as it is."""
    found = find() if error.error_type == "primaryKeyViolation" else None
    if found is None:
        raise error
    return found


def _failures(props: dict[str, Any], checks: dict[str, Any]) -> list[CheckFailure]:
    """A CheckFailure for each field whose value its normaliser rejects (absent optional fields pass)."""
    failures = []
    for field, check in checks.items():
        value = props.get(field)
        if value is None and field not in ("address", "domain"):
            continue
        try:
            check(value)
        except (ValueError, TypeError) as exc:
            failures.append(CheckFailure(field, str(exc)))
    return failures
