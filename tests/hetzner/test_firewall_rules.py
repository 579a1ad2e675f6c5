"""The AX41's firewall as rendered for Robot: SSH only from the admin network, the listed ports, nothing else."""

from __future__ import annotations

import pytest

from hetzner.robot.firewall import MAX_RULES_PER_DIRECTION, admin_network_problems, input_rules, output_rules

ADMIN = "198.51.100.0/24"


def test_input_rules_are_rendered_exactly() -> None:
    assert input_rules([ADMIN]) == [
        {
            "name": "ssh admin a",
            "ip_version": "ipv4",
            "src_ip": ADMIN,
            "dst_port": "22",
            "protocol": "tcp",
            "action": "accept",
        },
        {"name": "smtp", "dst_port": "25", "action": "accept"},
        {"name": "smtps", "dst_port": "465", "action": "accept"},
        {"name": "submission", "dst_port": "587", "action": "accept"},
        {"name": "imaps", "dst_port": "993", "action": "accept"},
        {"name": "http", "dst_port": "80", "action": "accept"},
        {"name": "https", "dst_port": "443", "action": "accept"},
        {
            "name": "tcp answers ipv four",
            "ip_version": "ipv4",
            "dst_port": "32768-65535",
            "protocol": "tcp",
            "tcp_flags": "ack",
            "action": "accept",
        },
        {
            "name": "tcp answers ipv six",
            "ip_version": "ipv6",
            "dst_port": "32768-65535",
            "protocol": "tcp",
            "tcp_flags": "ack",
            "action": "accept",
        },
        {"name": "icmp", "ip_version": "ipv4", "protocol": "icmp", "action": "accept"},
    ]


def test_ssh_is_accepted_only_from_the_admin_networks() -> None:
    ssh = [rule for rule in input_rules([ADMIN]) if _covers(rule, 22)]
    assert [rule.get("src_ip") for rule in ssh] == [ADMIN]


@pytest.mark.parametrize("port", [25, 465, 587, 993, 80, 443])
def test_each_public_port_is_open_for_both_ip_versions(port: int) -> None:
    (rule,) = [rule for rule in input_rules([ADMIN]) if _covers(rule, port) and "tcp_flags" not in rule]
    assert "ip_version" not in rule and "src_ip" not in rule and rule["action"] == "accept"


@pytest.mark.parametrize("port", [21, 53, 110, 143, 3306, 5432, 8080, 32767])
def test_other_ports_are_left_to_robots_default_discard(port: int) -> None:
    rules = input_rules([ADMIN])
    assert not [rule for rule in rules if _covers(rule, port)]
    assert all(rule["action"] == "accept" for rule in rules), "no rule of its own: unmatched is discarded"


def test_only_answers_reach_the_ephemeral_ports() -> None:
    answers = [rule for rule in input_rules([ADMIN]) if _covers(rule, 40000)]
    assert {(rule["protocol"], rule["tcp_flags"]) for rule in answers} == {("tcp", "ack")}


def test_everything_may_leave() -> None:
    assert output_rules() == [{"name": "allow all out", "action": "accept"}]


def test_rule_names_use_only_what_robot_allows() -> None:
    names = [rule["name"] for rule in input_rules([ADMIN]) + output_rules()]
    assert all(
        set(name) <= set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .-+_@") for name in names
    )


def test_the_rules_fit_robots_limit() -> None:
    assert len(input_rules([ADMIN])) <= MAX_RULES_PER_DIRECTION
    assert admin_network_problems([ADMIN]) == []


@pytest.mark.parametrize(
    ("networks", "problem"),
    [
        (["2001:db8::/48"], "cannot match IPv6 source addresses"),
        (["198.51.100.7/24"], "has host bits set"),
        (["office"], "not a network in CIDR notation"),
        (["198.51.100.0/24", "192.0.2.0/24"], "need 11 input rules; Robot allows 10"),
    ],
)
def test_admin_networks_robot_cannot_take_are_refused_with_the_reason(
    networks: list[str], problem: str
) -> None:
    assert problem in "; ".join(admin_network_problems(networks))


def _covers(rule: dict[str, str], port: int) -> bool:
    ports = rule.get("dst_port")
    if ports is None:
        return False
    first, _, last = ports.partition("-")
    return int(first) <= port <= int(last or first)
