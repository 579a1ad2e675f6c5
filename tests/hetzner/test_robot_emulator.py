"""The Robot emulator refuses what Robot's documentation says Robot refuses, with Robot's own error body."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.emulators.robot import PASSWORD, USER, RobotEmulator
from tests.emulators.robot_state import SERVER_NUMBER

FIREWALL = f"/firewall/{SERVER_NUMBER}"


@pytest.fixture
def http(robot: RobotEmulator) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=robot.url, auth=(USER, PASSWORD), timeout=5) as client:
        yield client


def refused(robot: RobotEmulator, response: httpx.Response) -> dict[str, object]:
    assert [i.status for i in robot.claim_invalid_requests()] == [response.status_code]
    return response.json()["error"]


def rule(**fields: str) -> dict[str, str]:
    return {f"rules[input][0][{key}]": value for key, value in {"action": "accept", **fields}.items()}


def test_json_body_is_not_read_as_parameters(http: httpx.Client, robot: RobotEmulator) -> None:
    error = refused(robot, http.put("/rdns/203.0.113.10", json={"ptr": "mail.dezky.eu"}))

    assert error["code"] == "INVALID_INPUT" and error["status"] == 400
    assert "application/x-www-form-urlencoded" in error["invalid"][0]  # type: ignore[index]


def test_missing_parameter_is_named(http: httpx.Client, robot: RobotEmulator) -> None:
    error = refused(robot, http.post("/rdns/203.0.113.10", data={}))

    assert (error["code"], error["missing"], error["invalid"]) == ("INVALID_INPUT", ["ptr"], None)


def test_parameter_robot_does_not_know_is_invalid(http: httpx.Client, robot: RobotEmulator) -> None:
    error = refused(robot, http.post(FIREWALL, data={"status": "active", "filter_ip6": "true"}))

    assert error["invalid"] == ["filter_ip6"]


@pytest.mark.parametrize(
    ("fields", "invalid"),
    [
        ({"protocol": "tcp"}, "protocol"),  # a protocol needs an IP version
        ({"ip_version": "ipv6", "src_ip": "2001:db8::/32"}, "src_ip"),  # Robot cannot match IPv6 addresses
        ({"ip_version": "ipv4", "src_ip": "198.51.100.7/24"}, "src_ip"),
        ({"name": "ssh admin 1"}, "name"),  # no digits in names
        ({"ip_version": "ipv4", "protocol": "udp", "tcp_flags": "ack"}, "tcp_flags"),
        ({"dst_port": "443,80"}, "dst_port"),
        ({"action": "drop"}, "action"),
    ],
)
def test_rules_robot_refuses_are_refused(
    http: httpx.Client, robot: RobotEmulator, fields: dict[str, str], invalid: str
) -> None:
    error = refused(robot, http.post(FIREWALL, data={"status": "active", **rule(**fields)}))

    assert error["invalid"] == [f"rules[input][0][{invalid}]"]


def test_more_than_ten_rules_are_refused(http: httpx.Client, robot: RobotEmulator) -> None:
    form = {"status": "active"}
    for index in range(11):
        form |= {f"rules[input][{index}][name]": "web", f"rules[input][{index}][action]": "accept"}

    error = refused(robot, http.post(FIREWALL, data=form))

    assert error["invalid"] == ["rules[input]: at most 10 rules"]


def test_second_change_while_in_process_is_a_conflict(http: httpx.Client, robot: RobotEmulator) -> None:
    assert http.post(FIREWALL, data={"status": "disabled"}).json()["firewall"]["status"] == "in process"

    second = http.post(FIREWALL, data={"status": "disabled"})

    assert (second.status_code, second.json()["error"]["code"]) == (409, "FIREWALL_IN_PROCESS")
    assert robot.claim_invalid_requests() == [], "a conflict with the state is not a client mistake"


def test_accepted_rules_read_back_with_every_key(http: httpx.Client) -> None:
    http.post(FIREWALL, data={"status": "active", **rule(name="web", dst_port="443")})

    (read,) = http.get(FIREWALL).json()["firewall"]["rules"]["input"]

    assert read == {
        "name": "web",
        "ip_version": None,
        "dst_ip": None,
        "src_ip": None,
        "dst_port": "443",
        "src_port": None,
        "protocol": None,
        "tcp_flags": None,
        "action": "accept",
    }


def test_every_request_is_counted(http: httpx.Client, robot: RobotEmulator) -> None:
    http.get(f"/server/{SERVER_NUMBER}")
    http.post("/rdns/203.0.113.10", data={"ptr": "mail.dezky.eu"})

    assert [(c.method, c.status) for c in robot.calls] == [("GET", 200), ("POST", 200)]
    assert robot.write_count == 1
