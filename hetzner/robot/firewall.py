"""The AX41's Robot firewall: SSH only from the admin networks, the mail and web ports open, the rest closed.

Robot's firewall sits in the switch in front of the server and is stateless, which shapes the rules:
- whatever no input rule accepts is discarded, so "the rest closed" needs no rule of its own;
- answers to connections the server opens (ACME, outgoing mail, package updates) are new packets to it, so TCP
  segments with ACK set to the ephemeral ports are accepted, once per IP version;
- Hetzner's own services (its DNS resolvers, NTP, rescue system, monitoring) pass with `whitelist_hos`, which is
  what lets the server resolve names without opening UDP;
- IPv6 is only filtered with `filter_ipv6`; Robot cannot match IPv6 source addresses, so admin networks are IPv4
  only and SSH over IPv6 stays closed; ICMPv6 always passes (Robot cannot filter it), ICMP for IPv4 is opened
  so that path-MTU discovery and ping work;
- a rule without `ip_version` covers both versions but may not name addresses or a protocol, so the public
  ports are opened that way, for TCP and UDP alike (nothing listens on UDP there);
- at most ten rules per direction, and names only of letters, spaces and `.-+_@`.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

MAX_RULES_PER_DIRECTION = 10
EPHEMERAL_PORTS = "32768-65535"
PUBLIC_PORTS = (
    ("smtp", 25),
    ("smtps", 465),
    ("submission", 587),
    ("imaps", 993),
    ("http", 80),
    ("https", 443),
)
_RULE_NAME_LETTERS = "abcdefghijklmnopqrstuvwxyz"

Rule = dict[str, str]


def input_rules(admin_networks: Sequence[str]) -> list[Rule]:
    """The input rules in the order Robot evaluates them: admin SSH, public ports, answers, ICMP."""
    return [
        *(_ssh_from(network, index) for index, network in enumerate(admin_networks)),
        *({"name": name, "dst_port": str(port), "action": "accept"} for name, port in PUBLIC_PORTS),
        *(_answers(version, spelled) for version, spelled in (("ipv4", "four"), ("ipv6", "six"))),
        {"name": "icmp", "ip_version": "ipv4", "protocol": "icmp", "action": "accept"},
    ]


def output_rules() -> list[Rule]:
    """Everything may leave: the server is trusted, and an empty output list would block all traffic out."""
    return [{"name": "allow all out", "action": "accept"}]


def admin_network_problems(admin_networks: Sequence[str]) -> list[str]:
    """Why these admin networks cannot be rendered into the firewall, if they cannot."""
    problems = []
    for network in admin_networks:
        try:
            parsed = ipaddress.ip_network(network, strict=True)
        except ValueError as exc:
            problems.append(f"`{network}` is not a network in CIDR notation ({exc})")
            continue
        if parsed.version != 4:
            problems.append(f"`{network}`: Robot's firewall cannot match IPv6 source addresses")
    rules = len(input_rules(["0.0.0.0/0"] * len(admin_networks)))
    if rules > MAX_RULES_PER_DIRECTION:
        problems.append(
            f"{len(admin_networks)} admin networks need {rules} input rules; Robot allows "
            f"{MAX_RULES_PER_DIRECTION}: merge them into a wider prefix"
        )
    return problems


def _ssh_from(network: str, index: int) -> Rule:
    # Rule names may not contain digits, so admin networks are told apart by letter.
    return {
        "name": f"ssh admin {_RULE_NAME_LETTERS[index % 26]}",
        "ip_version": "ipv4",
        "src_ip": str(ipaddress.ip_network(network, strict=False)),
        "dst_port": "22",
        "protocol": "tcp",
        "action": "accept",
    }


def _answers(version: str, spelled: str) -> Rule:
    return {
        "name": f"tcp answers ipv {spelled}",
        "ip_version": version,
        "dst_port": EPHEMERAL_PORTS,
        "protocol": "tcp",
        "tcp_flags": "ack",
        "action": "accept",
    }
