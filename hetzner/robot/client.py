"""A thin client for the Hetzner Robot webservice: the dedicated server, its reverse DNS and its firewall.

Robot is not the Cloud API: HTTP Basic with a webservice user, form-encoded request bodies, JSON answers wrapped
in the object's name (`{"rdns": {...}}`) and errors as `{"error": {"status", "code", "message"}}`. Hetzner
publishes no machine-readable spec; the shapes follow its webservice documentation. A firewall change is applied
asynchronously: the answer says `in process` until the switch holds the new rules, so the client polls.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal, TypedDict
from urllib.parse import quote

import httpx

from components.common.http import ApiClient, ApiError

SERVICE = "Hetzner Robot"
DEFAULT_ENDPOINT = "https://robot-ws.your-server.de"
RULE_KEYS = (
    "name",
    "ip_version",
    "dst_ip",
    "src_ip",
    "dst_port",
    "src_port",
    "protocol",
    "tcp_flags",
    "action",
)
IN_PROCESS = "in process"


@dataclass(frozen=True)
class RobotSettings:
    """A Robot webservice user (created in Robot under Settings > Webservice), never the account login.

    Robot applies a firewall change in about a minute; `firewall_timeout` bounds the wait, polled every
    `poll_interval` seconds. Tests shorten both.
    """

    user: str
    password: str = field(repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    request_timeout: float = 15.0
    firewall_timeout: float = 300.0
    poll_interval: float = 10.0


class WireServer(TypedDict):
    server_number: int
    server_ip: str
    server_ipv6_net: str
    server_name: str
    product: str
    dc: str
    status: str


class WireRule(TypedDict):
    name: str
    ip_version: str | None
    dst_ip: str | None
    src_ip: str | None
    dst_port: str | None
    src_port: str | None
    protocol: str | None
    tcp_flags: str | None
    action: str


class WireRules(TypedDict):
    input: list[WireRule]
    output: list[WireRule]


class WireFirewall(TypedDict):
    server_number: int
    status: str  # active | disabled | in process
    filter_ipv6: bool
    whitelist_hos: bool
    port: str
    rules: WireRules


@dataclass(frozen=True)
class FirewallConfig:
    """What a POST /firewall sets: every rule, both directions, replaced at once."""

    status: Literal["active", "disabled"]
    filter_ipv6: bool
    whitelist_hos: bool
    input: tuple[Mapping[str, str], ...]
    output: tuple[Mapping[str, str], ...]


class FirewallTimeoutError(ApiError, TimeoutError):
    """Robot accepted a firewall change but still reports `in process`; it may apply later."""


class RobotClient(ApiClient):
    """One HTTP client for one provider call path; use `with` so it is closed."""

    def __init__(self, settings: RobotSettings, *, transport: httpx.BaseTransport | None = None) -> None:
        super().__init__(
            service=SERVICE,
            error_message=error_message,
            shown={"endpoint": settings.endpoint, "user": settings.user},
            base_url=settings.endpoint.rstrip("/"),
            auth=httpx.BasicAuth(settings.user, settings.password),
            headers={"Accept": "application/json"},
            timeout=settings.request_timeout,
            transport=transport,
        )
        self._settings = settings

    # --- the dedicated server -------------------------------------------------------------------------

    def get_server(self, number: int) -> WireServer | None:
        response = self._send("GET", f"/server/{number}", ok_statuses={404})
        return None if response.status_code == 404 else response.json()["server"]

    # --- reverse DNS ----------------------------------------------------------------------------------

    def get_rdns(self, ip: str) -> str | None:
        """The PTR of one of the account's IPs, or None when it has none; an IP of another account is an error."""
        response = self._send("GET", _rdns_path(ip), ok_statuses={404})
        if response.status_code == 404:
            if error_code(response) == "RDNS_NOT_FOUND":
                return None
            raise _api_error(response)
        return response.json()["rdns"]["ptr"]

    def set_rdns(self, ip: str, ptr: str) -> None:
        """PUT creates an entry and POST changes one; Robot refuses a PUT where an entry exists."""
        method = "PUT" if self.get_rdns(ip) is None else "POST"
        self._send(method, _rdns_path(ip), data={"ptr": ptr})

    def delete_rdns(self, ip: str) -> None:
        self._send("DELETE", _rdns_path(ip), ok_statuses={404})

    # --- firewall -------------------------------------------------------------------------------------

    def get_firewall(self, number: int) -> WireFirewall:
        """The firewall once Robot has applied any pending change (never `in process`)."""
        return self._settled(number, self._send("GET", f"/firewall/{number}"))

    def set_firewall(self, number: int, config: FirewallConfig) -> WireFirewall:
        """Replace the whole firewall (both directions) and wait until Robot has applied it."""
        self.get_firewall(number)  # a change still in process would be refused with 409 FIREWALL_IN_PROCESS
        response = self._send("POST", f"/firewall/{number}", data=firewall_form(config))
        return self._settled(number, response)

    def delete_firewall(self, number: int) -> WireFirewall:
        """Remove every rule and disable the firewall, as a new server has it."""
        self.get_firewall(number)
        return self._settled(number, self._send("DELETE", f"/firewall/{number}"))

    def _settled(self, number: int, response: httpx.Response) -> WireFirewall:
        firewall: WireFirewall = response.json()["firewall"]
        deadline = time.monotonic() + self._settings.firewall_timeout
        while firewall["status"] == IN_PROCESS:
            if time.monotonic() >= deadline:
                waited = f"firewall of {number} still in process after {self._settings.firewall_timeout:g} s"
                raise FirewallTimeoutError(
                    SERVICE, response.request.method, str(response.request.url), response.status_code, waited
                )
            time.sleep(self._settings.poll_interval)
            firewall = self._send("GET", f"/firewall/{number}").json()["firewall"]
        return firewall


def firewall_form(config: FirewallConfig) -> dict[str, str]:
    """The form Robot reads: flat keys `rules[input][0][name]`, booleans as `true`/`false`, no empty values."""
    form = {
        "status": config.status,
        "filter_ipv6": _bool(config.filter_ipv6),
        "whitelist_hos": _bool(config.whitelist_hos),
    }
    for direction, rules in (("input", config.input), ("output", config.output)):
        for index, rule in enumerate(rules):
            for key in RULE_KEYS:
                if rule.get(key) not in (None, ""):
                    form[f"rules[{direction}][{index}][{key}]"] = str(rule[key])
    return form


def error_code(response: httpx.Response) -> str | None:
    try:
        return response.json()["error"]["code"]
    except (ValueError, KeyError, TypeError):
        return None


def error_message(response: httpx.Response) -> str:
    """Robot's own words, `CODE: message`, with the fields INVALID_INPUT names and the limit a 403 hit."""
    try:
        error = response.json()["error"]
        text = f"{error['code']}: {error['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text.strip()[:500] or response.reason_phrase
    details = [f"{key}: {', '.join(error[key])}" for key in ("missing", "invalid") if error.get(key)]
    if error["code"] == "RATE_LIMIT_EXCEEDED":
        # Robot counts per hour and per call; retrying within seconds cannot help, so `send` does not retry.
        details.append(f"at most {error.get('max_request')} requests per {error.get('interval')} s")
    return f"{text} ({'; '.join(details)})" if details else text


def _api_error(response: httpx.Response) -> ApiError:
    request = response.request
    return ApiError(SERVICE, request.method, str(request.url), response.status_code, error_message(response))


def _rdns_path(ip: str) -> str:
    return f"/rdns/{quote(ip, safe='')}"


def _bool(value: bool) -> str:
    return "true" if value else "false"
