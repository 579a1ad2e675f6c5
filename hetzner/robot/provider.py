"""Pulumi dynamic providers for what Robot manages on the hand-ordered AX41: the server itself, rDNS, firewall.

The Robot webservice user and password come from the stack configuration in `configure`
(`dezky:robotUser`, `dezky:robotPassword`, optionally `dezky:robotEndpoint`), never from resource inputs.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure, CreateResult, UpdateResult

from components.common.provider import ConflictError
from hetzner.common import EstateObjectProvider
from hetzner.robot.client import (
    DEFAULT_ENDPOINT,
    RULE_KEYS,
    FirewallConfig,
    RobotClient,
    RobotSettings,
    WireFirewall,
)
from hetzner.robot.firewall import MAX_RULES_PER_DIRECTION

# Hetzner gives a new server's IPv4 this PTR; it is Hetzner's placeholder, not anybody's choice to keep.
_HETZNER_DEFAULT_PTR = re.compile(r"^static\.[0-9.]+\.clients\.your-server\.de$")
_RULE_NAME = re.compile(r"^[A-Za-z .\-+_@]{1,64}$")
_HOST_NAME = re.compile(r"^(?=.{1,253}$)(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def robot_settings_from_config(config: Any) -> RobotSettings:
    poll = float(config.get("dezky:estatePollSeconds") or 10.0)
    return RobotSettings(
        user=config.require("dezky:robotUser"),
        password=config.require("dezky:robotPassword"),
        endpoint=config.get("dezky:robotEndpoint") or DEFAULT_ENDPOINT,
        poll_interval=poll,
        firewall_timeout=max(300.0, 30 * poll),
    )


class _RobotProvider(EstateObjectProvider):
    service = "Hetzner Robot"

    def settings_from_config(self, config: Any) -> RobotSettings:
        return robot_settings_from_config(config)

    def client(self) -> RobotClient:
        return RobotClient(self.settings)


class DedicatedServerProvider(_RobotProvider):
    """The AX41 as Robot knows it. Ordered by hand: never created, never cancelled, only checked and read.

    Checking it first turns a wrong server number or address in the stack config into one clear error
    before any rDNS or firewall change.
    """

    replace_keys = ("server_number",)

    def object_id(self, props: dict[str, Any]) -> str:
        return str(int(props["server_number"]))

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "server_number": int(props["server_number"]),
            "ipv4": _canonical(props["ipv4"]),
            "ipv6": _canonical(props["ipv6"]),
        }

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.client() as robot:
            server = robot.get_server(int(object_id))
        if server is None:
            return None
        # Robot knows the server's /64, not which address in it the program uses: report the declared
        # address while it is inside the /64, else the /64 itself, so a wrong address shows as drift.
        network = ipaddress.IPv6Network(f"{server['server_ipv6_net']}/64", strict=False)
        declared = ipaddress.IPv6Address(props["ipv6"])
        return {
            "server_number": server["server_number"],
            "ipv4": server["server_ip"],
            "ipv6": str(declared) if declared in network else str(network),
            "server_name": server["server_name"],
            "product": server["product"],
            "dc": server["dc"],
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(self.object_id(props), self._verified(props))

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._verified(news))

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        return self._verified(props)

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        """Nothing: removing the server from the program must not cancel a server ordered by hand."""

    def _verified(self, props: dict[str, Any]) -> dict[str, Any]:
        wanted = self.normalise(props)
        found = self.fetch(self.object_id(props), props)
        if found is None:
            raise ConflictError(
                f"Hetzner Robot: server {wanted['server_number']} is not in this Robot account. "
                "The AX41 is ordered by hand; set dezky:estate.robotServerNumber to its number."
            )
        if not self._same(found, wanted):
            raise ConflictError(
                f"Hetzner Robot: server {wanted['server_number']} has other addresses than the stack config "
                f"declares.\n  in Robot: {self._describe(found)}\n  declared: {self._describe(wanted)}"
            )
        return found


class ReverseDnsProvider(_RobotProvider):
    """The PTR record of one of the server's IPs."""

    replace_keys = ("ip",)

    def object_id(self, props: dict[str, Any]) -> str:
        return str(ipaddress.ip_address(props["ip"]))

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {"ip": self.object_id(props), "ptr": str(props["ptr"]).lower().rstrip(".")}

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        try:
            ipaddress.ip_address(props.get("ip", ""))
        except ValueError:
            failures.append(CheckFailure("ip", f"`{props.get('ip')}` is not an IP address"))
        if not _HOST_NAME.match(str(props.get("ptr", "")).lower().rstrip(".")):
            failures.append(CheckFailure("ptr", f"`{props.get('ptr')}` is not a host name"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.client() as robot:
            ptr = robot.get_rdns(object_id)
        if ptr is None or _HETZNER_DEFAULT_PTR.match(ptr):
            return None
        return self.normalise({"ip": object_id, "ptr": ptr})

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        with self.client() as robot:
            robot.set_rdns(wanted["ip"], wanted["ptr"])
        return wanted

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.client() as robot:
            robot.delete_rdns(object_id)


class FirewallProvider(_RobotProvider):
    """The whole Robot firewall of one server: status, IPv6 filtering, Hetzner services, rules in order."""

    replace_keys = ("server_number",)

    def object_id(self, props: dict[str, Any]) -> str:
        return str(int(props["server_number"]))

    def normalise(self, props: dict[str, Any]) -> dict[str, Any]:
        return {
            "server_number": int(props["server_number"]),
            "status": str(props.get("status") or "active"),
            "filter_ipv6": bool(props["filter_ipv6"]),
            "whitelist_hos": bool(props["whitelist_hos"]),
            "input": [normalised_rule(rule) for rule in props.get("input") or []],
            "output": [normalised_rule(rule) for rule in props.get("output") or []],
        }

    def validate(self, props: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        for direction in ("input", "output"):
            rules = props.get(direction) or []
            if len(rules) > MAX_RULES_PER_DIRECTION:
                failures.append(
                    CheckFailure(direction, f"{len(rules)} rules; Robot allows {MAX_RULES_PER_DIRECTION}")
                )
            bad = [r.get("name") for r in rules if not _RULE_NAME.match(str(r.get("name", "")))]
            if bad:
                failures.append(CheckFailure(direction, f"rule names Robot refuses: {bad}"))
        return failures

    def fetch(self, object_id: str, props: dict[str, Any]) -> dict[str, Any] | None:
        with self.client() as robot:
            wire = robot.get_firewall(int(object_id))
        if wire["status"] == "disabled" and not (wire["rules"]["input"] or wire["rules"]["output"]):
            return None  # as Hetzner delivers a server: no firewall anybody configured
        return firewall_props(wire)

    def write(self, props: dict[str, Any], existing: dict[str, Any] | None) -> dict[str, Any]:
        wanted = self.normalise(props)
        config = FirewallConfig(
            status=wanted["status"],
            filter_ipv6=wanted["filter_ipv6"],
            whitelist_hos=wanted["whitelist_hos"],
            input=tuple(wanted["input"]),
            output=tuple(wanted["output"]),
        )
        with self.client() as robot:
            applied = robot.set_firewall(wanted["server_number"], config)
        return firewall_props(applied)

    def remove(self, object_id: str, props: dict[str, Any]) -> None:
        with self.client() as robot:
            robot.delete_firewall(int(object_id))


def _canonical(address: str) -> str:
    """An address in its canonical spelling; what is not one (a /64 that `fetch` reported) as it is."""
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return str(address)


def firewall_props(wire: WireFirewall) -> dict[str, Any]:
    return {
        "server_number": wire["server_number"],
        "status": wire["status"],
        "filter_ipv6": wire["filter_ipv6"],
        "whitelist_hos": wire["whitelist_hos"],
        "input": [normalised_rule(rule) for rule in wire["rules"]["input"]],
        "output": [normalised_rule(rule) for rule in wire["rules"]["output"]],
    }


def normalised_rule(rule: Mapping[str, Any]) -> dict[str, str]:
    """A rule as Robot compares it: only the keys that are set, lower case, networks in canonical CIDR."""
    normal = {}
    for key in RULE_KEYS:
        value = rule.get(key)
        if value in (None, ""):
            continue
        value = str(value)
        if key in ("src_ip", "dst_ip"):
            value = str(ipaddress.ip_network(value, strict=False))
        elif key != "name":
            value = value.lower()
        normal[key] = value
    return normal
