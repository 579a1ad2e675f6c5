"""The Robot client against the emulator: each call, Robot's errors, retries and the firewall's `in process`."""

from __future__ import annotations

import pytest

from components.common.http import ApiError
from hetzner.robot.client import FirewallConfig, FirewallTimeoutError, RobotClient, RobotSettings
from hetzner.robot.firewall import input_rules, output_rules
from hetzner.robot.provider import normalised_rule
from tests.emulators.robot import RobotEmulator
from tests.emulators.robot_state import SERVER_IPV4, SERVER_NUMBER

IPV6 = "2001:db8:4:2::2"
PTR = "mail.dezky.eu"


def firewall() -> FirewallConfig:
    return FirewallConfig(
        "active", True, True, tuple(input_rules(["198.51.100.0/24"])), tuple(output_rules())
    )


def calls(robot: RobotEmulator) -> list[tuple[str, str, int | None]]:
    return [(c.method, c.path, c.status) for c in robot.calls]


def test_server_is_read_by_its_number(robot_client: RobotClient) -> None:
    server = robot_client.get_server(SERVER_NUMBER)
    assert server is not None
    assert (server["server_ip"], server["server_ipv6_net"], server["product"]) == (
        SERVER_IPV4,
        "2001:db8:4:2::",
        "AX41-NVMe",
    )


def test_unknown_server_number_reads_as_none(robot_client: RobotClient) -> None:
    assert robot_client.get_server(999) is None


def test_rdns_of_an_ip_without_one_reads_as_none(robot_client: RobotClient) -> None:
    assert robot_client.get_rdns(IPV6) is None


def test_rdns_is_created_with_put_where_none_exists(robot_client: RobotClient, robot: RobotEmulator) -> None:
    robot_client.set_rdns(IPV6, PTR)

    assert robot_client.get_rdns(IPV6) == PTR
    assert [c[0] for c in calls(robot) if c[0] != "GET"] == ["PUT"]


def test_rdns_is_changed_with_post_where_one_exists(robot_client: RobotClient, robot: RobotEmulator) -> None:
    robot_client.set_rdns(SERVER_IPV4, PTR)  # replaces Hetzner's placeholder

    assert robot_client.get_rdns(SERVER_IPV4) == PTR
    assert [c[:2] for c in calls(robot) if c[0] != "GET"] == [("POST", f"/rdns/{SERVER_IPV4}")]


def test_rdns_is_deleted_and_deleting_it_again_is_no_error(robot_client: RobotClient) -> None:
    robot_client.delete_rdns(SERVER_IPV4)
    robot_client.delete_rdns(SERVER_IPV4)

    assert robot_client.get_rdns(SERVER_IPV4) is None


def test_rdns_of_an_ip_outside_the_account_is_robots_error(robot_client: RobotClient) -> None:
    with pytest.raises(ApiError) as caught:
        robot_client.get_rdns("192.0.2.1")

    assert caught.value.status == 404 and caught.value.message.startswith("IP_NOT_FOUND")


def test_firewall_is_set_form_encoded_and_waited_for(robot_client: RobotClient, robot: RobotEmulator) -> None:
    robot.account.firewall_polls = 3

    applied = robot_client.set_firewall(SERVER_NUMBER, firewall())

    assert applied["status"] == "active"
    assert [normalised_rule(r) for r in robot.account.firewalls[SERVER_NUMBER]["rules"]["input"]] == [
        normalised_rule(r) for r in input_rules(["198.51.100.0/24"])
    ]
    posts = [c for c in calls(robot) if c[0] == "POST"]
    after = calls(robot)[calls(robot).index(posts[0]) + 1 :]
    assert len(posts) == 1 and [c[0] for c in after] == ["GET"] * 4, "three reads in process, then settled"


def test_firewall_change_in_process_is_waited_for_before_the_next(
    robot_client: RobotClient, robot: RobotEmulator
) -> None:
    robot.account.firewall_polls = 2
    robot.account._change_firewall(SERVER_NUMBER, robot.account.firewalls[SERVER_NUMBER])

    robot_client.set_firewall(SERVER_NUMBER, firewall())

    assert all(c[2] != 409 for c in calls(robot))


def test_firewall_that_stays_in_process_times_out(
    robot_settings: RobotSettings, robot: RobotEmulator
) -> None:
    robot.account.firewall_polls = 1000
    quick = RobotSettings(
        robot_settings.user, robot_settings.password, robot.url, firewall_timeout=0.2, poll_interval=0.05
    )

    with RobotClient(quick) as client, pytest.raises(FirewallTimeoutError) as caught:
        client.set_firewall(SERVER_NUMBER, firewall())

    assert "still in process" in str(caught.value)


def test_deleting_the_firewall_disables_it(robot_client: RobotClient) -> None:
    robot_client.set_firewall(SERVER_NUMBER, firewall())

    cleared = robot_client.delete_firewall(SERVER_NUMBER)

    assert cleared["status"] == "disabled" and cleared["rules"] == {"input": [], "output": []}


@pytest.mark.parametrize("kind", ["429", "503", "drop"])
def test_transient_failures_are_retried(robot_client: RobotClient, robot: RobotEmulator, kind: str) -> None:
    robot.fail_next("GET", "/rdns/*", kind)  # type: ignore[arg-type]

    assert robot_client.get_rdns(SERVER_IPV4) is not None
    assert [c[2] for c in calls(robot)] == [None if kind == "drop" else int(kind), 200]


def test_call_that_hangs_past_the_timeout_is_retried(
    robot_settings: RobotSettings, robot: RobotEmulator
) -> None:
    robot.hang_seconds = 1.5
    robot.fail_next("GET", "/server/*", "hang")
    quick = RobotSettings(robot_settings.user, robot_settings.password, robot.url, request_timeout=0.5)

    with RobotClient(quick) as client:
        assert client.get_server(SERVER_NUMBER) is not None

    assert [c[2] for c in calls(robot)] == [None, 200]


def test_exhausted_hourly_limit_is_not_retried_and_says_so(
    robot_client: RobotClient, robot: RobotEmulator
) -> None:
    robot.exceed_rate_limit("POST", "/rdns/*")

    with pytest.raises(ApiError) as caught:
        robot_client.set_rdns(SERVER_IPV4, PTR)

    assert caught.value.status == 403
    assert (
        caught.value.message == "RATE_LIMIT_EXCEEDED: Rate limit exceeded (at most 200 requests per 3600 s)"
    )
    assert [c[0] for c in calls(robot)] == ["GET", "POST"]


def test_wrong_password_is_refused_without_showing_it(
    robot_settings: RobotSettings, robot: RobotEmulator
) -> None:
    secret = "not-the-robot-password-81f2"
    wrong = RobotSettings(robot_settings.user, secret, robot.url)

    with RobotClient(wrong) as client, pytest.raises(ApiError) as caught:
        client.get_server(SERVER_NUMBER)

    assert (caught.value.status, caught.value.message) == (401, "UNAUTHORIZED: Unauthorized")
    assert secret not in str(caught.value) and secret not in repr(wrong) and secret not in repr(client)
    assert [i.status for i in robot.claim_invalid_requests()] == [401]
