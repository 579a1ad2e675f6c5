"""The state and rules behind the Robot emulator: one account's dedicated server, its rDNS and its firewall.

Hetzner publishes no machine-readable spec for Robot. The rules here are those of its webservice documentation
(robot.hetzner.com/doc/webservice) and its firewall documentation (docs.hetzner.com/robot/dedicated-server/
firewall): form-encoded parameters, `rules[input][0][name]` keys, at most 10 rules per direction, rule names of
letters, spaces and `.-+_@` only, a rule without `ip_version` naming neither addresses nor a protocol, no IPv6
addresses in rules, TCP flags only on TCP rules. Each operation takes the parsed form and returns the reply, or
raises `RobotRejected` with Robot's error body.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable
from typing import Any

from tests.emulators.loopback import Reply

SERVER_NUMBER = 2345678
SERVER_IPV4 = "203.0.113.10"
SERVER_IPV6_NET = "2001:db8:4:2::"
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
MAX_RULES = 10
PROTOCOLS = frozenset({"tcp", "udp", "gre", "icmp", "ipip", "ah", "esp"})
_RULE_KEY = re.compile(r"^rules\[(input|output)\]\[(\d+)\]\[([a-z_]+)\]$")
_RULE_NAME = re.compile(r"^[A-Za-z .\-+_@]{1,64}$")
_PORTS = re.compile(r"^(\d{1,5})(?:-(\d{1,5}))?$")
_TCP_FLAGS = re.compile(r"^(syn|fin|rst|psh|urg|ack)(?:[|&](syn|fin|rst|psh|urg|ack))*$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")
_ROUTES = [
    (method, re.compile(pattern), operation)
    for method, pattern, operation in [
        ("GET", r"/server/(?P<number>\d+)", "get_server"),
        ("GET", r"/rdns/(?P<ip>[0-9a-fA-F.:]+)", "get_rdns"),
        ("PUT", r"/rdns/(?P<ip>[0-9a-fA-F.:]+)", "create_rdns"),
        ("POST", r"/rdns/(?P<ip>[0-9a-fA-F.:]+)", "set_rdns"),
        ("DELETE", r"/rdns/(?P<ip>[0-9a-fA-F.:]+)", "delete_rdns"),
        ("GET", r"/firewall/(?P<number>\d+)", "get_firewall"),
        ("POST", r"/firewall/(?P<number>\d+)", "set_firewall"),
        ("DELETE", r"/firewall/(?P<number>\d+)", "delete_firewall"),
    ]
]

Json = dict[str, Any]
Form = dict[str, str]


class RobotRejected(Exception):
    """Robot refuses. `client_error`: the request is wrong whatever the state (not a 404 or 409 about state)."""

    def __init__(self, status: int, code: str, message: str, *, client_error: bool, **extra: Any) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.client_error = client_error
        self.reply = Reply(status, {"error": {"status": status, "code": code, "message": message, **extra}})


class NotEmulated(Exception):
    pass


def invalid_input(missing: list[str] | None = None, invalid: list[str] | None = None) -> RobotRejected:
    return RobotRejected(
        400,
        "INVALID_INPUT",
        "invalid input",
        client_error=True,
        missing=missing or None,
        invalid=invalid or None,
    )


class RobotAccount:
    """One Robot account with one dedicated server. Firewall changes report `in process` for a few reads."""

    def __init__(self) -> None:
        self.servers: dict[int, Json] = {SERVER_NUMBER: _ax41()}
        # Hetzner delivers the main IPv4 with its own placeholder PTR and the IPv6 net with none.
        self.rdns: dict[str, str] = {SERVER_IPV4: "static.10.113.0.203.clients.your-server.de"}
        self.firewalls: dict[int, Json] = {SERVER_NUMBER: _delivered_firewall()}
        self.firewall_polls = 1
        self._polls_left: dict[int, int] = {}

    def route(self, method: str, path: str, form: Form) -> Reply:
        for route_method, pattern, operation in _ROUTES:
            match = pattern.fullmatch(path)
            if match and route_method == method:
                handler: Callable[..., Reply] = getattr(self, operation)
                return handler(form=form, **match.groupdict())
        raise RobotRejected(404, "NOT_FOUND", f"{method} {path} does not exist", client_error=True)

    # --- server -----------------------------------------------------------------------------------------

    def get_server(self, number: str, form: Form) -> Reply:
        _no_params(form)
        return Reply(200, {"server": self._server(int(number))})

    # --- reverse DNS ------------------------------------------------------------------------------------

    def get_rdns(self, ip: str, form: Form) -> Reply:
        _no_params(form)
        address = self._own_ip(ip)
        if address not in self.rdns:
            raise RobotRejected(404, "RDNS_NOT_FOUND", "The rdns entry was not found", client_error=False)
        return Reply(200, {"rdns": {"ip": address, "ptr": self.rdns[address]}})

    def create_rdns(self, ip: str, form: Form) -> Reply:
        address, ptr = self._own_ip(ip), _ptr(form)
        if address in self.rdns:
            raise RobotRejected(
                409, "RDNS_ALREADY_EXISTS", "The rdns entry already exists", client_error=False
            )
        self.rdns[address] = ptr
        return Reply(201, {"rdns": {"ip": address, "ptr": ptr}})

    def set_rdns(self, ip: str, form: Form) -> Reply:
        address, ptr = self._own_ip(ip), _ptr(form)
        status = 200 if address in self.rdns else 201
        self.rdns[address] = ptr
        return Reply(status, {"rdns": {"ip": address, "ptr": ptr}})

    def delete_rdns(self, ip: str, form: Form) -> Reply:
        _no_params(form)
        address = self._own_ip(ip)
        if self.rdns.pop(address, None) is None:
            raise RobotRejected(404, "RDNS_NOT_FOUND", "The rdns entry was not found", client_error=False)
        return Reply(200, {})

    # --- firewall ---------------------------------------------------------------------------------------

    def get_firewall(self, number: str, form: Form) -> Reply:
        _no_params(form)
        server = int(number)
        self._server(server)
        answer = self._firewall_json(server)
        if self._polls_left.get(server, 0) > 0:
            self._polls_left[server] -= 1
        return Reply(200, {"firewall": answer})

    def set_firewall(self, number: str, form: Form) -> Reply:
        server = int(number)
        self._server(server)
        if "template_id" in form:
            raise NotEmulated("POST /firewall/{server-id} with template_id")
        firewall = parse_firewall_form(form, self.firewalls[server])
        return self._change_firewall(server, firewall)

    def delete_firewall(self, number: str, form: Form) -> Reply:
        _no_params(form)
        server = int(number)
        self._server(server)
        return self._change_firewall(server, _delivered_firewall())

    def _change_firewall(self, server: int, firewall: Json) -> Reply:
        if self._polls_left.get(server, 0) > 0:
            raise RobotRejected(
                409, "FIREWALL_IN_PROCESS", "The firewall is being updated", client_error=False
            )
        self.firewalls[server] = firewall
        self._polls_left[server] = self.firewall_polls
        return Reply(200, {"firewall": self._firewall_json(server)})

    def _firewall_json(self, server: int) -> Json:
        firewall = self.firewalls[server]
        in_process = self._polls_left.get(server, 0) > 0
        return {
            "server_ip": self.servers[server]["server_ip"],
            "server_number": server,
            **firewall,
            "status": "in process" if in_process else firewall["status"],
        }

    def _server(self, number: int) -> Json:
        if number not in self.servers:
            raise RobotRejected(404, "SERVER_NOT_FOUND", "Server not found", client_error=False)
        return self.servers[number]

    def _own_ip(self, ip: str) -> str:
        try:
            address = ipaddress.ip_address(ip)
        except ValueError:
            raise RobotRejected(
                404, "IP_NOT_FOUND", "The IP address was not found", client_error=True
            ) from None
        net = ipaddress.IPv6Network(f"{SERVER_IPV6_NET}/64")
        if str(address) != SERVER_IPV4 and address not in net:
            raise RobotRejected(404, "IP_NOT_FOUND", "The IP address was not found", client_error=False)
        return str(address)


def parse_firewall_form(form: Form, current: Json) -> Json:
    """The firewall a POST describes, with every rule in the shape GET returns it, or INVALID_INPUT."""
    missing = [] if "status" in form else ["status"]
    invalid = [
        k for k in form if k not in ("status", "filter_ipv6", "whitelist_hos") and not _RULE_KEY.match(k)
    ]
    if form.get("status", "active") not in ("active", "disabled"):
        invalid.append("status")
    invalid += [k for k in ("filter_ipv6", "whitelist_hos") if form.get(k, "false") not in ("true", "false")]
    rules: Json = {"input": [], "output": []}
    for direction in rules:
        rules[direction], rule_missing, rule_invalid = _parse_rules(form, direction)
        missing += rule_missing
        invalid += rule_invalid
    if missing or invalid:
        raise invalid_input(missing, invalid)
    return {
        "status": form["status"],
        "filter_ipv6": form.get("filter_ipv6") == "true",
        "whitelist_hos": form.get("whitelist_hos") == "true",
        "port": current["port"],
        "rules": rules,
    }


def _parse_rules(form: Form, direction: str) -> tuple[list[Json], list[str], list[str]]:
    by_index: dict[int, dict[str, str]] = {}
    for key, value in form.items():
        match = _RULE_KEY.match(key)
        if match and match[1] == direction:
            by_index.setdefault(int(match[2]), {})[match[3]] = value
    prefix = f"rules[{direction}]"
    if sorted(by_index) != list(range(len(by_index))):
        return [], [], [f"{prefix}: indices must count up from 0"]
    if len(by_index) > MAX_RULES:
        return [], [], [f"{prefix}: at most {MAX_RULES} rules"]
    rules, missing, invalid = [], [], []
    for index in sorted(by_index):
        rule, rule_missing, rule_invalid = _parse_rule(by_index[index], f"{prefix}[{index}]")
        rules.append(rule)
        missing += rule_missing
        invalid += rule_invalid
    return rules, missing, invalid


def _parse_rule(given: dict[str, str], prefix: str) -> tuple[Json, list[str], list[str]]:
    missing = [f"{prefix}[action]"] if "action" not in given else []
    invalid = [f"{prefix}[{k}]" for k in given if k not in RULE_KEYS]
    version = given.get("ip_version")
    checks = {
        "name": _RULE_NAME.match(given.get("name", "rule")) is not None,
        "action": given.get("action", "accept") in ("accept", "discard"),
        "ip_version": version in (None, "ipv4", "ipv6"),
        "protocol": given.get("protocol") in (None, *PROTOCOLS)
        and (version is not None or "protocol" not in given),
        "tcp_flags": "tcp_flags" not in given
        or (given.get("protocol") == "tcp" and _TCP_FLAGS.match(given["tcp_flags"]) is not None),
        "dst_port": _ports_ok(given.get("dst_port")),
        "src_port": _ports_ok(given.get("src_port")),
    }
    invalid += [f"{prefix}[{key}]" for key, ok in checks.items() if not ok]
    rule: Json = {key: given.get(key) for key in RULE_KEYS}
    for key in ("src_ip", "dst_ip"):
        if key in given:
            network = _ipv4_network(given[key]) if version == "ipv4" else None
            if network is None:  # no IPv6 addresses in rules, and none without an IP version
                invalid.append(f"{prefix}[{key}]")
            rule[key] = network
    return rule, missing, invalid


def _ports_ok(ports: str | None) -> bool:
    match = _PORTS.match(ports) if ports is not None else None
    if ports is None:
        return True
    if match is None:
        return False
    first, last = int(match[1]), int(match[2] or match[1])
    return first <= last <= 65535


def _ipv4_network(value: str) -> str | None:
    try:
        return str(ipaddress.IPv4Network(value, strict=True))
    except ValueError:
        return None


def _ptr(form: Form) -> str:
    if "ptr" not in form:
        raise invalid_input(missing=["ptr"])
    extra = [k for k in form if k != "ptr"]
    if extra or not _HOST_NAME.match(form["ptr"]):
        raise invalid_input(invalid=extra or ["ptr"])
    return form["ptr"]


def _no_params(form: Form) -> None:
    if form:
        raise invalid_input(invalid=sorted(form))


def _delivered_firewall() -> Json:
    return {
        "status": "disabled",
        "filter_ipv6": False,
        "whitelist_hos": False,
        "port": "main",
        "rules": {"input": [], "output": []},
    }


def _ax41() -> Json:
    return {
        "server_ip": SERVER_IPV4,
        "server_ipv6_net": SERVER_IPV6_NET,
        "server_number": SERVER_NUMBER,
        "server_name": "dezky-ax41",
        "product": "AX41-NVMe",
        "dc": "FSN1-DC14",
        "traffic": "unlimited",
        "status": "ready",
        "cancelled": False,
        "paid_until": "2026-12-31",
        "ip": [SERVER_IPV4],
        "subnet": [{"ip": SERVER_IPV6_NET, "mask": "64"}],
    }
