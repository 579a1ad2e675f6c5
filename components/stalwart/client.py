"""A typed client for Stalwart 0.16's JMAP management API: `POST /jmap` with `x:<Object>/get|set|query`.

Stalwart 0.16 replaced its REST API with JMAP (RFC 8620): every management object is a registry object with
`get`, `set` and `query` methods, all sent in one request body and answered with HTTP 200 even when a call
fails. So an error has two levels besides HTTP: a method error (`["error", {type, description}, callId]`) and
a SetError per object in `notCreated` / `notUpdated` / `notDestroyed`. Both become `JmapError` (an `ApiError`)
naming the method, the object and the server's own words, with any secret that was sent masked.

Requests go through `components.common.http.send`, so timeouts and retries match every other client.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypedDict, cast

import httpx

from components.common.http import ApiClient, ApiError, send

SERVICE = "Stalwart"
USING = ("urn:ietf:params:jmap:core", "urn:stalwart:jmap")
PAGE_SIZE = 500

ObjectName = Literal["x:Domain", "x:Account", "x:DkimSignature", "x:MailingList"]

# --- the objects, as the registry schema (specs/stalwart-0.16.18-jmap-registry-schema.json) names them ------
# Sets are JSON objects of `value: true`; object lists are JSON objects keyed "0", "1", ...


class EmailAlias(TypedDict, total=False):
    name: str
    domainId: str
    enabled: bool


class DomainObject(TypedDict, total=False):
    id: str
    name: str
    isEnabled: bool
    aliases: dict[str, bool]
    catchAllAddress: str | None
    dkimManagement: dict[str, Any]  # {"@type": "Automatic", "algorithms": {...}, "selectorTemplate": ...}
    dnsManagement: dict[str, Any]  # {"@type": "Manual"}


# Objects with several variants carry `@type`, which only the functional TypedDict syntax can name.
AccountObject = TypedDict(
    "AccountObject",
    {"id": str, "@type": Literal["User", "Group"], "name": str, "domainId": str, "emailAddress": str,
     "description": str | None, "aliases": dict[str, EmailAlias], "quotas": dict[str, int],
     "memberGroupIds": dict[str, bool], "permissions": dict[str, Any], "roles": dict[str, Any],
     "credentials": dict[str, dict[str, Any]]},
    total=False,
)  # fmt: skip
DkimSignatureObject = TypedDict(
    "DkimSignatureObject",
    {"id": str, "@type": str, "domainId": str, "selector": str, "publicKey": str, "stage": str},
    total=False,
)


class MailingListObject(TypedDict, total=False):
    id: str
    name: str
    domainId: str
    emailAddress: str
    description: str | None
    recipients: dict[str, bool]
    aliases: dict[str, EmailAlias]


class SetErrorBody(TypedDict, total=False):
    type: str
    description: str
    properties: list[str]
    validationErrors: list[dict[str, Any]]
    linkedObjects: list[Any]  # [{"object": "Account", "id": "k"}, ...]
    objectId: Any  # {"object": "Account", "id": "k"}: the object a primaryKeyViolation clashes with


#: the account Stalwart 0.16 gives the credential in `STALWART_RECOVERY_ADMIN=admin:<password>`
RECOVERY_ADMIN = "admin"


@dataclass(frozen=True)
class StalwartSettings:
    """`token` is an API key (`API_...`, sent as a bearer); `admin_password` is the recovery admin's password
    (sent as HTTP Basic), the credential the program generates and gives the host's Stalwart at its start."""

    url: str
    token: str = field(default="", repr=False)
    timeout: float = 10.0
    #: how long to wait for the DKIM keys the server generates after a domain is created
    dkim_wait: float = 120.0
    poll_interval: float = 1.0
    admin_password: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        if not self.token and not self.admin_password:
            raise ValueError("Stalwart needs dezky:stalwartToken (an API key) or dezky:stalwartAdminPassword")

    @property
    def authorization(self) -> str:
        if self.admin_password:
            pair = f"{RECOVERY_ADMIN}:{self.admin_password}".encode()
            return "Basic " + base64.b64encode(pair).decode()
        return f"Bearer {self.token}"


def settings_from_config(config: Any) -> StalwartSettings:
    """From the provider's configure request: `dezky:stalwartUrl` and either the secret `dezky:stalwartToken`
    or the secret `dezky:stalwartAdminPassword` (the platform connection passes the generated one)."""
    return StalwartSettings(
        config.require("dezky:stalwartUrl"),
        config.get("dezky:stalwartToken") or "",
        admin_password=config.get("dezky:stalwartAdminPassword") or "",
    )


@dataclass(frozen=True)
class MethodCall:
    name: str
    arguments: dict[str, Any]
    call_id: str


@dataclass(frozen=True)
class Change:
    """One `/set` call: what to create (client id -> object), update (id -> patch) and destroy."""

    object_name: ObjectName
    subject: str  # how errors name the object: "account ida@nordlicht.de"
    create: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    update: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    destroy: tuple[str, ...] = ()


class JmapError(ApiError):
    """Stalwart refused a method call or an object: the call, the object, the error type and its message."""

    @property
    def linked_objects(self) -> list[str]:
        """For `objectIsLinked`: the kinds of object still pointing at the one that was to be destroyed."""
        return [str(o.get("object")) if isinstance(o, dict) else str(o).split("/")[0]
                for o in self.set_error.get("linkedObjects") or ()]  # fmt: skip

    def __init__(
        self, method: str, url: str, error_type: str, detail: str, subject: str = "",
        set_error: SetErrorBody | None = None,
    ) -> None:  # fmt: skip
        self.error_type, self.subject = error_type, subject
        self.set_error: SetErrorBody = set_error or {}
        prefix = f"{subject}: " if subject else ""
        super().__init__(SERVICE, method, url, 200, f"{prefix}{error_type}{f' ({detail})' if detail else ''}")


class StalwartClient(ApiClient):
    """One HTTP connection pool per provider operation; use as a context manager."""

    def __init__(self, settings: StalwartSettings, transport: httpx.BaseTransport | None = None) -> None:
        self.url = settings.url.rstrip("/") + "/jmap"
        super().__init__(
            service=SERVICE,
            error_message=_problem_detail,
            shown={},
            headers={"Authorization": settings.authorization, "Accept": "application/json"},
            timeout=settings.timeout,
            transport=transport,
        )

    def __repr__(self) -> str:
        return f"StalwartClient({self.url!r})"

    # --- the wire ------------------------------------------------------------------------------------

    def request(self, *calls: MethodCall) -> list[dict[str, Any]]:
        """Send method calls in one request; their answers in order, or JmapError for the first that failed."""
        body = {"using": list(USING), "methodCalls": [[c.name, c.arguments, c.call_id] for c in calls]}
        secrets = set(_secrets_in(body))
        response = send(
            self._client, "POST", self.url, service=SERVICE, json=body,
            error_message=lambda r: _masked(_problem_detail(r), secrets),
        )  # fmt: skip
        answers = {answer[2]: answer for answer in reversed(_method_responses(response))}
        results = []
        for call in calls:
            name, arguments, _ = answers.get(call.call_id, ("error", {"type": "serverFail"}, call.call_id))
            if name == "error":
                detail = _masked(str(arguments.get("description") or ""), secrets)
                raise JmapError(call.name, self.url, str(arguments.get("type")), detail)
            results.append(arguments)
        return results

    # --- reading -------------------------------------------------------------------------------------

    def get(self, object_name: ObjectName, ids: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The objects with these ids (all of them for None), a page of ids per call: the server refuses a
        `/get` of more objects than its `maxObjectsInGet` (500) with `requestTooLarge`."""
        if ids is None:
            return self.get(object_name, self.query(object_name, {}))
        wanted, found = list(ids), []
        for start in range(0, len(wanted), PAGE_SIZE):
            arguments = {"ids": wanted[start : start + PAGE_SIZE]}
            found += self.request(MethodCall(f"{object_name}/get", arguments, "g"))[0]["list"]
        return found

    def query(self, object_name: ObjectName, conditions: Mapping[str, Any]) -> list[str]:
        """Every id matching the filter, page by page, each exactly once."""
        ids: list[str] = []
        for page in self._pages(object_name, conditions):
            ids += page
        return ids

    def _pages(self, object_name: ObjectName, conditions: Mapping[str, Any]) -> Iterator[list[str]]:
        position = 0
        while True:
            call = MethodCall(f"{object_name}/query", _query_arguments(conditions, position), "q")
            page = self.request(call)[0]["ids"]
            yield page
            if len(page) < PAGE_SIZE:
                return
            position += len(page)

    def find(self, searches: Iterable[tuple[ObjectName, Mapping[str, Any]]]) -> list[list[dict[str, Any]]]:
        """Objects matching each filter: the first page of every search in one round trip (query, then get
        by result reference), then one round trip per further page of a search that has more.

        Stalwart's text filters match words, not whole values: callers check the exact value themselves.
        """
        searches = list(searches)
        calls = []
        for n, (object_name, conditions) in enumerate(searches):
            query = MethodCall(f"{object_name}/query", _query_arguments(conditions, 0), f"q{n}")
            calls += [query, _get_by_reference(query, f"g{n}")]
        answers = self.request(*calls) if calls else []
        results = []
        for n, (object_name, conditions) in enumerate(searches):
            found, page = list(answers[2 * n + 1]["list"]), answers[2 * n]["ids"]
            position = len(page)
            while len(page) == PAGE_SIZE:
                query = MethodCall(f"{object_name}/query", _query_arguments(conditions, position), "q")
                page_answers = self.request(query, _get_by_reference(query, "g"))
                page = page_answers[0]["ids"]
                found += page_answers[1]["list"]
                position += len(page)
            results.append(found)
        return results

    def find_domain(self, name: str) -> DomainObject | None:
        found = self.find([("x:Domain", {"name": name})])[0]
        return next((cast(DomainObject, d) for d in found if d["name"] == name), None)

    def dkim_signatures(self, domain_id: str) -> list[DkimSignatureObject]:
        found = self.find([("x:DkimSignature", {"domainId": domain_id})])[0]
        return [cast(DkimSignatureObject, s) for s in found if s["domainId"] == domain_id]

    def find_account(self, domain_id: str, name: str) -> AccountObject | None:
        found = self.find([("x:Account", {"domainId": domain_id, "name": name})])[0]
        matches = (a for a in found if a["domainId"] == domain_id and a["name"] == name)
        return next((cast(AccountObject, a) for a in matches), None)

    def find_mailing_list(self, address: str) -> MailingListObject | None:
        found = self.find([("x:MailingList", {"text": address.split("@")[0]})])[0]
        return next((cast(MailingListObject, m) for m in found if m.get("emailAddress") == address), None)

    # --- writing -------------------------------------------------------------------------------------

    def create(self, object_name: ObjectName, obj: Mapping[str, Any], subject: str) -> str:
        return self.change(Change(object_name, subject, create={"new": obj}))[0]["new"]

    def update(self, object_name: ObjectName, id_: str, patch: Mapping[str, Any], subject: str) -> None:
        self.change(Change(object_name, subject, update={id_: patch}))

    def destroy(self, object_name: ObjectName, ids: Iterable[str], subject: str) -> None:
        self.change(Change(object_name, subject, destroy=tuple(ids)))

    def change(self, *changes: Change) -> list[dict[str, str]]:
        """Apply `/set` calls in one request, in order; the created ids of each (client id -> id).

        A SetError raises JmapError naming the object; the server stops at nothing, so calls after a failed
        one in the same request may have been applied: callers send together only what belongs together.
        """
        calls = [
            MethodCall(f"{c.object_name}/set", _set_arguments(c), f"s{n}") for n, c in enumerate(changes)
        ]
        secrets = set(_secrets_in([c.arguments for c in calls]))
        created = []
        for change, call, answer in zip(changes, calls, self.request(*calls), strict=True):
            for key in ("notCreated", "notUpdated", "notDestroyed"):
                for error in (answer.get(key) or {}).values():
                    raise JmapError(call.name, self.url, error.get("type", "?"), _masked(_describe(error), secrets),
                                    change.subject, error)  # fmt: skip
            created.append({cid: value["id"] for cid, value in (answer.get("created") or {}).items()})
        return created


def _method_responses(response: httpx.Response) -> list[list[Any]]:
    """The answers of a JMAP Response; anything else (a proxy's error page) is an ApiError, not a KeyError."""
    try:
        answers = response.json()["methodResponses"]
        if all(isinstance(a, list) and len(a) == 3 for a in answers):
            return answers
    except (ValueError, KeyError, TypeError):
        pass
    url = str(response.request.url)
    raise ApiError(SERVICE, "POST", url, response.status_code, f"not a JMAP response: {response.text[:200]}")


def _query_arguments(conditions: Mapping[str, Any], position: int) -> dict[str, Any]:
    """One page of a query, in ascending id order. The server's default order (descending id) pages wrongly in
    Stalwart 0.16: pages past the first repeat objects of the first and leave others out."""
    return {"filter": dict(conditions), "sort": [{"property": "id", "isAscending": True}],
            "position": position, "limit": PAGE_SIZE}  # fmt: skip


def _get_by_reference(query: MethodCall, call_id: str) -> MethodCall:
    object_name = query.name.rsplit("/", 1)[0]
    reference = {"resultOf": query.call_id, "name": query.name, "path": "/ids"}
    return MethodCall(f"{object_name}/get", {"#ids": reference}, call_id)


def _set_arguments(change: Change) -> dict[str, Any]:
    arguments: dict[str, Any] = {}
    if change.create:
        arguments["create"] = {k: dict(v) for k, v in change.create.items()}
    if change.update:
        arguments["update"] = {k: dict(v) for k, v in change.update.items()}
    if change.destroy:
        arguments["destroy"] = list(change.destroy)
    return arguments


def _describe(error: SetErrorBody) -> str:
    parts = [error.get("description") or ""]
    if error.get("properties"):
        parts.append(f"properties: {', '.join(error['properties'])}")
    for problem in error.get("validationErrors") or ():
        parts.append(f"{problem.get('property')}: {problem.get('type')}")
    if error.get("linkedObjects"):
        parts.append(f"still used by {', '.join(_object_reference(o) for o in error['linkedObjects'])}")
    if error.get("objectId") and error.get("type") == "primaryKeyViolation":
        parts.append(f"already used by {_object_reference(error['objectId'])}")
    elif error.get("objectId") and error.get("type") == "invalidForeignKey":
        parts.append(f"no such {_object_reference(error['objectId'])}")
    return "; ".join(part for part in parts if part)


def _object_reference(reference: Any) -> str:
    """`{"object": "Account", "id": "k"}` (how Stalwart 0.16 names an object in a SetError) as `Account k`."""
    if isinstance(reference, dict):
        return " ".join(str(reference[key]) for key in ("object", "id") if reference.get(key) is not None)
    return str(reference)


def _problem_detail(response: httpx.Response) -> str:
    """An RFC 7807 problem's detail (JMAP request-level errors and HTTP errors come as problems)."""
    try:
        problem = response.json()
    except ValueError:
        return response.text[:500]
    if not isinstance(problem, dict):
        return response.text[:500]
    kind = problem.get("type") or "about:blank"
    head = problem.get("title") or "" if kind == "about:blank" else kind  # about:blank: the title says it
    text = f"{head}: {problem.get('detail') or problem.get('title') or ''}".strip(": ")
    if response.status_code == 401:
        text += (
            " (dezky:stalwartToken must be an API key of a Stalwart account, API_..., not a password;"
            " or dezky:stalwartAdminPassword the recovery admin's password)"
        )
    return text


def _secrets_in(value: Any) -> Iterator[str]:
    """Every value sent under a `secret` key: a password must never come back in an error message."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key == "secret" and isinstance(item, str) and item:
                yield item
            else:
                yield from _secrets_in(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _secrets_in(item)


def _masked(text: str, secrets: set[str]) -> str:
    for secret in secrets:
        text = text.replace(secret, "[secret]")
    return text
