"""The state of one emulated Stalwart server: registry objects, DKIM keys, mail per account and log-ins.

`get`, `query` and `set` follow RFC 8620 and the server's registry handlers (crates/jmap/src/registry/*.rs):
server-assigned ids, `primaryKeyViolation` for a second domain or address, `invalidForeignKey` for an id that
does not exist, `objectIsLinked` when destroying a domain or group that others still point at, passwords
hashed on write and masked on read, and DKIM keys made by a task that runs after the request that created an
Automatic-DKIM domain (as the real server schedules `Task::DkimManagement`), so a client must wait for them.
"""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import re
import time
from dataclasses import dataclass, field
from typing import Any

from tests.emulators.stalwart_keys import generate
from tests.emulators.stalwart_registry import Problem, RegistrySchema

OBJECTS = ("x:Domain", "x:Account", "x:DkimSignature", "x:MailingList")
MASK = "****"  # registry/src/schema/prelude.rs MASKED_PASSWORD
BYTES_PER_MESSAGE = 2048
_HASHED = "$emulator-sha256$"
_ALGORITHMS = {"Dkim1Ed25519Sha256": "ed25519", "Dkim1RsaSha256": "rsa"}
_TEMPLATE_VARIABLE = re.compile(r"\{([^}]*)\}")
_USER_ROLE_PERMISSIONS = frozenset({"authenticate", "emailSend", "emailReceive"})


class MethodError(Exception):
    """A JMAP method-level error: `["error", {"type", "description"}, callId]`."""

    def __init__(self, type_: str, description: str) -> None:
        super().__init__(f"{type_}: {description}")
        self.type, self.description = type_, description


class NotEmulated(Exception):
    """Something the real server supports that this emulator does not: a test must not rely on it."""


@dataclass
class SetFailure(Exception):
    type: str
    description: str | None = None
    properties: list[str] | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"type": self.type, **self.extra}
        if self.description:
            body["description"] = self.description
        if self.properties:
            body["properties"] = self.properties
        return body


def object_id(name: str, id_: str) -> dict[str, str]:
    """How the server names an object in a SetError (`objectId`, `linkedObjects`): `{"object", "id"}`."""
    return {"object": name.removeprefix("x:"), "id": id_}


def invalid_patch(problems: list[Problem]) -> SetFailure:
    first = problems[0]
    return SetFailure("invalidPatch", first.message, [p.path for p in problems])


class StalwartState:
    def __init__(self, registry: RegistrySchema) -> None:
        self.registry = registry
        self.objects: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in OBJECTS}
        self.created_at: dict[str, str] = {}
        self.public_keys: dict[str, str] = {}  # DkimSignature id -> base64 public key
        self.messages: dict[str, int] = {}  # Account id -> messages stored
        self.pending_dkim: list[tuple[int, str]] = []  # (request number it was scheduled in, domain id)
        self.pending_rsa: dict[str, bool] = {}  # domain id -> its Ed25519 key was read: make the RSA key next
        self.states = dict.fromkeys(OBJECTS, 0)
        self._last_id = 0

    # --- lookups -------------------------------------------------------------------------------------

    def domain_name(self, domain_id: str) -> str:
        return self.objects["x:Domain"].get(domain_id, {}).get("name", "")

    def domain_id(self, name: str) -> str | None:
        return next((i for i, d in self.objects["x:Domain"].items() if d["name"] == name), None)

    def address(self, obj: dict[str, Any]) -> str:
        return f"{obj['name']}@{self.domain_name(obj['domainId'])}"

    def addresses(self, exclude: str | None = None) -> dict[str, str]:
        """Every address an account or list answers to (own and aliases), to the id that owns it."""
        owners: dict[str, str] = {}
        for name in ("x:Account", "x:MailingList"):
            for id_, obj in self.objects[name].items():
                if id_ != exclude:
                    owners.update(dict.fromkeys(self._addresses_of(obj), id_))
        return owners

    def _addresses_of(self, obj: dict[str, Any]) -> list[str]:
        return [self.address(obj), *(self.address(alias) for alias in obj.get("aliases", {}).values())]

    def find_account(self, address: str) -> tuple[str, dict[str, Any]] | None:
        for id_, obj in self.objects["x:Account"].items():
            if self.address(obj) == address:
                return id_, obj
        return None

    # --- /get and /query -----------------------------------------------------------------------------

    def get(self, name: str, ids: list[str] | None, properties: list[str] | None) -> dict[str, Any]:
        stored = self.objects[name]
        wanted = list(stored) if ids is None else ids
        listed = [self.view(name, i, properties) for i in wanted if i in stored]
        return {"accountId": "a", "list": listed,
                "notFound": [i for i in wanted if i not in stored]}  # fmt: skip

    def view(self, name: str, id_: str, properties: list[str] | None = None) -> dict[str, Any]:
        """An object as `/get` shows it: server-set properties added, secrets masked."""
        obj = copy.deepcopy(self.objects[name][id_])
        obj["id"] = id_
        obj["createdAt"] = self.created_at[id_]
        if name in ("x:Account", "x:MailingList"):
            obj["emailAddress"] = self.address(obj)
        if name == "x:Account":
            obj["usedDiskQuota"] = self.messages.get(id_, 0) * BYTES_PER_MESSAGE
            for key, credential in obj.get("credentials", {}).items():
                credential["secret"], credential["credentialId"] = MASK, key
                if credential.get("otpAuth") is None:
                    credential.pop("otpAuth", None)  # the server leaves out an OTP URI that is not set
        if name == "x:MailingList":
            del obj["createdAt"]  # a mailing list has no creation date in the registry
        if name == "x:Domain":
            obj["dnsZoneFile"] = self._zone_file(id_)
        if name == "x:DkimSignature":
            obj["publicKey"] = self.public_keys[id_]
            obj["privateKey"] = {"@type": "Text", "secret": MASK}
        if properties is not None:
            obj = {key: value for key, value in obj.items() if key in {*properties, "id"}}
        return obj

    def _zone_file(self, domain_id: str) -> str:
        name = self.domain_name(domain_id)
        lines = [f"{name}. 3600 IN MX 10 mail.{name}."]
        for id_, sig in self.objects["x:DkimSignature"].items():
            if sig["domainId"] == domain_id:
                algorithm = _ALGORITHMS[sig["@type"]]
                lines.append(f'{sig["selector"]}._domainkey.{name}. 3600 IN TXT "v=DKIM1; k={algorithm}; '
                             f'h=sha256; p={self.public_keys[id_]}"')  # fmt: skip
        return "\n".join(lines) + "\n"

    def query(self, name: str, conditions: dict[str, Any], text_fields: set[str]) -> list[str]:
        return [id_ for id_ in self.objects[name] if self._matches(name, id_, conditions, text_fields)]

    def _matches(self, name: str, id_: str, conditions: dict[str, Any], text_fields: set[str]) -> bool:
        obj = self.view(name, id_)
        for key, wanted in conditions.items():
            if key == "text":
                haystack = " ".join(str(obj.get(k) or "") for k in ("name", "emailAddress", "description"))
                if str(wanted).lower() not in haystack.lower():
                    return False
            elif key in text_fields:
                if str(wanted).lower() not in str(obj.get(key) or "").lower():
                    return False
            elif isinstance(obj.get(key), dict):
                if wanted not in obj[key]:
                    return False
            elif obj.get(key) != wanted:
                return False
        return True

    # --- /set ----------------------------------------------------------------------------------------

    def create(self, name: str, value: Any) -> str:
        problems = self.registry.check_object(name, value)
        if problems:
            raise invalid_patch(problems)
        obj = self._complete(name, value)
        self._validate(name, obj, None, None)
        self._last_id += 1
        id_ = f"{self._last_id:x}"
        self.objects[name][id_] = obj
        self.created_at[id_] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if name == "x:Account":
            self.messages[id_] = 0
        self.states[name] += 1
        return id_

    def update(self, name: str, id_: str, patch: Any, request_number: int) -> None:
        current = self.objects[name].get(id_)
        if current is None:
            raise SetFailure("notFound")
        if not isinstance(patch, dict):
            raise SetFailure("invalidPatch", "Invalid value type for object")
        changed = copy.deepcopy(current)
        for pointer, value in patch.items():
            _apply(changed, pointer.split("/"), value)
        if changed.get("@type") != current.get("@type"):
            raise SetFailure("invalidProperties", "Cannot change the type of an existing account.", ["@type"])
        problems = self.registry.check_object(name, changed)
        if problems:
            raise invalid_patch(problems)
        changed = self._complete(name, changed)
        self._validate(name, changed, current, id_)
        self.objects[name][id_] = changed
        self.states[name] += 1
        if name == "x:Domain" and _automatic(changed) and not _automatic(current):
            self.pending_dkim.append((request_number, id_))

    def destroy(self, name: str, id_: str) -> None:
        if id_ not in self.objects[name]:
            raise SetFailure("notFound")
        linked = self._linked_to(name, id_)
        if linked:
            raise SetFailure(
                "objectIsLinked", extra={"objectId": object_id(name, id_), "linkedObjects": linked}
            )
        del self.objects[name][id_]
        self.messages.pop(id_, None)  # an account's mail goes with it: the data loss the providers guard
        self.public_keys.pop(id_, None)
        self.states[name] += 1

    def _complete(self, name: str, value: dict[str, Any]) -> dict[str, Any]:
        obj = self.registry.with_defaults(name, value)
        # the server names a missing `name` before the other missing properties (its structs' field order)
        missing = sorted(self.registry.missing_required(name, obj), key=lambda prop: (prop != "name", prop))
        if missing:
            errors = [{"type": "Required", "property": prop} for prop in missing]
            raise SetFailure("validationFailed", extra={"validationErrors": errors})
        return obj

    def _linked_to(self, name: str, id_: str) -> list[dict[str, str]]:
        links = []
        for other, objects in self.objects.items():
            for other_id, obj in objects.items():
                refs = [obj.get("domainId"), *(a["domainId"] for a in obj.get("aliases", {}).values())]
                by_domain = name == "x:Domain" and id_ in refs
                by_membership = name == "x:Account" and id_ in obj.get("memberGroupIds", {})
                if by_domain or by_membership:
                    links.append(object_id(other, other_id))
        return links

    def _validate(self, name: str, obj: dict[str, Any], old: dict[str, Any] | None, id_: str | None) -> None:
        if name == "x:Domain":
            self._validate_domain(obj, id_)
            return
        self._require_domains([obj["domainId"], *(a["domainId"] for a in obj.get("aliases", {}).values())])
        if name in ("x:Account", "x:MailingList"):
            in_use = self.addresses(exclude=id_)
            own, *aliases = self._addresses_of(obj)
            for address in (own, *aliases):
                if address in in_use:
                    owner = in_use[address]
                    kind = "x:Account" if owner in self.objects["x:Account"] else "x:MailingList"
                    raise SetFailure("primaryKeyViolation", None, ["email"],
                                     extra={"objectId": object_id(kind, owner)})  # fmt: skip
        if name == "x:Account":
            groups = self.objects["x:Account"]
            for group_id in obj.get("memberGroupIds", {}):
                if groups.get(group_id, {}).get("@type") != "Group":
                    raise SetFailure(
                        "invalidForeignKey", extra={"objectId": object_id("x:Account", group_id)}
                    )
            _secure_credentials(obj, old)

    def _validate_domain(self, domain: dict[str, Any], id_: str | None) -> None:
        for prop, names in (("name", [domain["name"]]), ("aliases", list(domain["aliases"]))):
            if not all(is_valid_domain(name) for name in names):
                raise SetFailure("invalidPatch", "Invalid domain name", [prop])
        for other_id, other in self.objects["x:Domain"].items():
            taken = {other["name"], *other["aliases"]}
            if other_id != id_ and ({domain["name"], *domain["aliases"]} & taken):
                prop = "name" if domain["name"] in taken else "aliases"
                raise SetFailure("primaryKeyViolation", None, [prop],
                                 extra={"objectId": object_id("x:Domain", other_id)})  # fmt: skip
        if _automatic(domain):
            template = domain["dkimManagement"]["selectorTemplate"]
            try:
                render_selector(template, "rsa")
            except ValueError as exc:
                raise SetFailure("invalidProperties", str(exc), ["selectorTemplate"]) from None

    def _require_domains(self, domain_ids: list[str]) -> None:
        for domain_id in domain_ids:
            if domain_id not in self.objects["x:Domain"]:
                raise SetFailure("invalidForeignKey", extra={"objectId": object_id("x:Domain", domain_id)})

    # --- the DKIM task -------------------------------------------------------------------------------

    def schedule_dkim(self, domain_id: str, request_number: int) -> None:
        if _automatic(self.objects["x:Domain"][domain_id]):
            self.pending_dkim.append((request_number, domain_id))

    def run_dkim_tasks(self, before_request: int) -> None:
        """Generate the keys of domains whose DKIM task was scheduled before request `before_request`: the
        Ed25519 key at once, the RSA key only once the domain's keys have been read with the Ed25519 key alone.
        The real server takes up to ~1 s more for an RSA key, so a client always sees the Ed25519 key alone
        first and must poll again (recordings keep one such poll: see tests/acceptance/stalwart/conftest.py)."""
        due = [(n, d) for n, d in self.pending_dkim if n < before_request]
        self.pending_dkim = [entry for entry in self.pending_dkim if entry not in due]
        for _, domain_id in due:
            domain = self.objects["x:Domain"].get(domain_id)
            if domain is None or not _automatic(domain):
                continue
            for signature_type in domain["dkimManagement"]["algorithms"]:
                if signature_type == "Dkim1RsaSha256":
                    self.pending_rsa[domain_id] = False  # not read yet
                else:
                    self._add_signature(
                        domain_id, signature_type, domain["dkimManagement"]["selectorTemplate"]
                    )
        for domain_id, was_read in list(self.pending_rsa.items()):
            domain = self.objects["x:Domain"].get(domain_id)
            if domain is None or not _automatic(domain):
                del self.pending_rsa[domain_id]
            elif was_read:
                del self.pending_rsa[domain_id]
                self._add_signature(domain_id, "Dkim1RsaSha256", domain["dkimManagement"]["selectorTemplate"])

    def keys_read(self, signature_ids: list[str]) -> None:
        """A client saw these DKIM signatures: a domain's pending RSA key is made before the next request."""
        for id_ in signature_ids:
            domain_id = self.objects["x:DkimSignature"].get(id_, {}).get("domainId")
            if domain_id in self.pending_rsa:
                self.pending_rsa[domain_id] = True

    def _add_signature(self, domain_id: str, signature_type: str, template: str) -> None:
        if signature_type not in _ALGORITHMS:
            raise NotEmulated(f"DKIM signature type {signature_type}")
        pair = generate(_ALGORITHMS[signature_type])  # type: ignore[arg-type]
        value = {"@type": signature_type, "domainId": domain_id,
                 "selector": render_selector(template, pair.algorithm),
                 "privateKey": {"@type": "Text", "secret": pair.private_pem}}  # fmt: skip
        id_ = self.create("x:DkimSignature", value)
        self.public_keys[id_] = pair.public_key

    # --- mail and log-ins, for tests -----------------------------------------------------------------

    def can_authenticate(self, address: str, password: str, *, ignore_permissions: bool = False) -> bool:
        found = self.find_account(address)
        if found is None or found[1]["@type"] != "User":
            return False
        account = found[1]
        domain = self.objects["x:Domain"].get(account["domainId"], {})
        secrets = [c["secret"] for c in account["credentials"].values() if c["@type"] == "Password"]
        return (
            bool(domain.get("isEnabled"))
            and _hashed(password) in secrets
            and (ignore_permissions or "authenticate" in effective_permissions(account))
        )


def effective_permissions(account: dict[str, Any]) -> set[str]:
    """The permissions the account's role grants, merged with or replaced by its own (disabled wins)."""
    permissions = account.get("permissions", {"@type": "Inherit"})
    granted = set(_USER_ROLE_PERMISSIONS)
    if permissions["@type"] == "Replace":
        granted = set(permissions["enabledPermissions"])
    elif permissions["@type"] == "Merge":
        granted |= set(permissions["enabledPermissions"])
    return granted - set(permissions.get("disabledPermissions", {}))


# utils::is_valid_domain: a name ending in a public suffix (the server asks the compiled-in Public Suffix List;
# the emulator knows the common ones), or in a TLD reserved for private use.
RESERVED_TLDS = frozenset({"test", "localhost", "local", "internal", "lan", "home", "corp", "intranet",
                           "private", "localdomain"})  # fmt: skip
PUBLIC_SUFFIXES = frozenset({"de", "eu", "com", "org", "net", "io", "at", "ch", "nl", "fr", "uk", "co.uk",
                             "it", "es", "be", "dk", "se", "no", "fi", "pl", "cz", "info", "biz", "app", "dev",
                             "email", "online", "cloud"})  # fmt: skip


def is_valid_domain(name: str) -> bool:
    labels = name.split(".")
    if name in RESERVED_TLDS:
        return True
    if len(labels) < 2 or not all(labels):
        return False
    return (
        labels[-1] in RESERVED_TLDS
        or ".".join(labels[-2:]) in PUBLIC_SUFFIXES
        or labels[-1] in PUBLIC_SUFFIXES
    )


def render_selector(template: str, algorithm: str) -> str:
    """A selector from the domain's template, as crates/common/src/network/dkim.rs renders it."""
    now = time.gmtime()
    values = {"algorithm": algorithm, "hash": "sha256", "version": "1", "epoch": str(int(time.time())),
              "random": "emulatr8"}  # fmt: skip

    def variable(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("date-") and len(name) > 5:
            return time.strftime(name[5:], now)
        if name not in values:
            raise ValueError(f"unrecognized variable '{{{name}}}'")
        return values[name]

    if template.count("{") != template.count("}"):
        raise ValueError("unclosed '{' in template")
    rendered = "".join(c for c in _TEMPLATE_VARIABLE.sub(variable, template) if c.isalnum() or c in ".-_")
    if not rendered:
        raise ValueError("Selector cannot be empty")
    return rendered


def _automatic(domain: dict[str, Any]) -> bool:
    return domain.get("dkimManagement", {}).get("@type") == "Automatic"


def _apply(obj: dict[str, Any], path: list[str], value: Any) -> None:
    """One JSON-pointer patch: a top-level property is replaced; deeper, null removes a map or set entry."""
    *parents, leaf = path
    for step in parents:
        obj = obj.setdefault(step, {})
        if not isinstance(obj, dict):
            raise SetFailure("invalidPatch", "Invalid JSON Pointer path", ["/".join(path)])
    if value is None and parents:
        obj.pop(leaf, None)
    else:
        obj[leaf] = value


def _secure_credentials(account: dict[str, Any], old: dict[str, Any] | None) -> None:
    if account["@type"] != "User":
        return
    old_secrets = {k: c["secret"] for k, c in (old or {}).get("credentials", {}).items()}
    passwords = [c for c in account["credentials"].values() if c["@type"] == "Password"]
    if len(passwords) > 1:
        raise SetFailure("invalidProperties", "Only one password credential is allowed.", ["credentials"])
    for key, credential in account["credentials"].items():
        if credential["@type"] != "Password" and key not in old_secrets:
            raise SetFailure(
                "invalidProperties", "Secondary credentials cannot be set directly.", ["credentials"]
            )
        secret = credential["secret"]
        if secret == MASK and key in old_secrets:
            credential["secret"] = old_secrets[key]  # a client that sends back the mask keeps the password
        elif not secret.startswith(_HASHED):
            if len(secret) < 8:
                raise SetFailure(
                    "invalidProperties", "Password must be at least 8 characters long.", ["secret"]
                )
            if _weak(secret):
                raise SetFailure("invalidProperties", "Password is too weak.", ["secret"])
            credential["secret"] = _hashed(secret)


def _weak(password: str) -> bool:
    """A stand-in for the server's zxcvbn check (score 3 required by default): short passwords of few kinds
    of character, or of few distinct characters, are refused."""
    kinds = sum(any(test(c) for c in password) for test in (str.islower, str.isupper, str.isdigit))
    kinds += any(not c.isalnum() for c in password)
    return len(set(password)) < 6 or (len(password) < 12 and kinds < 3)


def _hashed(password: str) -> str:
    return _HASHED + hashlib.sha256(password.encode()).hexdigest()
