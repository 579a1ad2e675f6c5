"""The Robot providers called as the engine calls them: configured from stack config, then check .. delete."""

from __future__ import annotations

from typing import Any

import pytest

from components.common.provider import ConflictError
from hetzner.robot.firewall import input_rules, output_rules
from hetzner.robot.provider import DedicatedServerProvider, FirewallProvider, ReverseDnsProvider
from tests.emulators.robot import RobotEmulator
from tests.emulators.robot_state import SERVER_IPV4, SERVER_NUMBER

from .conftest import configured

IPV6 = "2001:db8:4:2::2"
PTR = "mail.dezky.eu"


@pytest.fixture
def rdns(robot_config: dict[str, str]) -> ReverseDnsProvider:
    return configured(ReverseDnsProvider(), robot_config)


@pytest.fixture
def firewall(robot_config: dict[str, str]) -> FirewallProvider:
    return configured(FirewallProvider(), robot_config)


@pytest.fixture
def server(robot_config: dict[str, str]) -> DedicatedServerProvider:
    return configured(DedicatedServerProvider(), robot_config)


def firewall_props(admin: str = "198.51.100.0/24") -> dict[str, Any]:
    return {
        "server_number": SERVER_NUMBER,
        "status": "active",
        "filter_ipv6": True,
        "whitelist_hos": True,
        "input": input_rules([admin]),
        "output": output_rules(),
    }


# --- the server ordered by hand ------------------------------------------------------------------------


def test_server_is_checked_not_created(server: DedicatedServerProvider, robot: RobotEmulator) -> None:
    created = server.create({"server_number": SERVER_NUMBER, "ipv4": SERVER_IPV4, "ipv6": IPV6})

    assert created.id == str(SERVER_NUMBER)
    assert created.outs["product"] == "AX41-NVMe" and created.outs["ipv6"] == IPV6
    assert robot.write_count == 0


def test_unknown_server_number_says_the_server_is_ordered_by_hand(server: DedicatedServerProvider) -> None:
    with pytest.raises(ConflictError, match=r"not in this Robot account.*ordered by hand"):
        server.create({"server_number": 42, "ipv4": SERVER_IPV4, "ipv6": IPV6})


def test_addresses_that_are_not_the_servers_are_refused(server: DedicatedServerProvider) -> None:
    with pytest.raises(ConflictError, match="other addresses"):
        server.create({"server_number": SERVER_NUMBER, "ipv4": SERVER_IPV4, "ipv6": "2001:db8:9::2"})


def test_server_whose_ipv6_net_changed_shows_as_drift(
    server: DedicatedServerProvider, robot: RobotEmulator
) -> None:
    declared = {"server_number": SERVER_NUMBER, "ipv4": SERVER_IPV4, "ipv6": IPV6}
    outs = server.create(declared).outs
    robot.account.servers[SERVER_NUMBER]["server_ipv6_net"] = "2001:db8:9:9::"

    refreshed = server.read(str(SERVER_NUMBER), outs).outs

    assert refreshed["ipv6"] == "2001:db8:9:9::/64"
    assert server.diff(str(SERVER_NUMBER), refreshed, declared).changes


def test_removing_the_server_from_the_program_never_calls_robot(
    server: DedicatedServerProvider, robot: RobotEmulator
) -> None:
    server.delete(str(SERVER_NUMBER), {"server_number": SERVER_NUMBER, "ipv4": SERVER_IPV4, "ipv6": IPV6})

    assert robot.calls == []


# --- reverse DNS ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("ip", [SERVER_IPV4, IPV6])
def test_rdns_is_set_for_both_addresses(rdns: ReverseDnsProvider, robot: RobotEmulator, ip: str) -> None:
    created = rdns.create({"ip": ip, "ptr": PTR})

    assert (created.id, created.outs) == (ip, {"ip": ip, "ptr": PTR})
    assert robot.account.rdns[ip] == PTR


def test_hetzners_placeholder_ptr_is_replaced_not_a_conflict(
    rdns: ReverseDnsProvider, robot: RobotEmulator
) -> None:
    rdns.create({"ip": SERVER_IPV4, "ptr": PTR})

    assert [c.method for c in robot.calls if c.method != "GET"] == ["POST"]


def test_identical_rdns_is_adopted_without_writes(rdns: ReverseDnsProvider, robot: RobotEmulator) -> None:
    robot.account.rdns[IPV6] = PTR

    created = rdns.create({"ip": IPV6, "ptr": PTR + "."})

    assert created.outs["ptr"] == PTR and robot.write_count == 0


def test_someone_elses_rdns_is_refused_untouched(rdns: ReverseDnsProvider, robot: RobotEmulator) -> None:
    robot.account.rdns[IPV6] = "shop.example.org"

    with pytest.raises(ConflictError, match="already exists with different content"):
        rdns.create({"ip": IPV6, "ptr": PTR})

    assert robot.write_count == 0 and robot.account.rdns[IPV6] == "shop.example.org"


def test_unchanged_rdns_diffs_empty_and_reads_back_equal(
    rdns: ReverseDnsProvider, robot: RobotEmulator
) -> None:
    outs = rdns.create({"ip": IPV6, "ptr": PTR}).outs
    robot.calls.clear()

    assert not rdns.diff(IPV6, outs, {"ip": IPV6, "ptr": PTR}).changes
    assert rdns.read(IPV6, outs).outs == outs
    assert robot.write_count == 0


def test_rdns_changed_by_hand_shows_as_drift_and_update_restores_it(
    rdns: ReverseDnsProvider, robot: RobotEmulator
) -> None:
    outs = rdns.create({"ip": IPV6, "ptr": PTR}).outs
    robot.account.rdns[IPV6] = "other.dezky.eu"

    refreshed = rdns.read(IPV6, outs).outs
    assert refreshed["ptr"] == "other.dezky.eu"
    assert rdns.diff(IPV6, refreshed, {"ip": IPV6, "ptr": PTR}).changes

    rdns.update(IPV6, refreshed, {"ip": IPV6, "ptr": PTR})
    assert robot.account.rdns[IPV6] == PTR


def test_new_ip_replaces_the_rdns_resource(rdns: ReverseDnsProvider) -> None:
    diff = rdns.diff(IPV6, {"ip": IPV6, "ptr": PTR}, {"ip": SERVER_IPV4, "ptr": PTR})

    assert diff.replaces == ["ip"]


def test_deleted_rdns_is_gone(rdns: ReverseDnsProvider, robot: RobotEmulator) -> None:
    outs = rdns.create({"ip": IPV6, "ptr": PTR}).outs

    rdns.delete(IPV6, outs)

    assert IPV6 not in robot.account.rdns
    assert rdns.read(IPV6, outs).id is None


def test_invalid_ptr_fails_check(rdns: ReverseDnsProvider) -> None:
    failures = rdns.check({}, {"ip": IPV6, "ptr": "not a name"}).failures

    assert [f.property for f in failures] == ["ptr"]


# --- firewall ------------------------------------------------------------------------------------------


def test_firewall_is_written_once_on_a_delivered_server(
    firewall: FirewallProvider, robot: RobotEmulator
) -> None:
    created = firewall.create(firewall_props())

    assert robot.write_count == 1
    assert created.outs["status"] == "active" and len(created.outs["input"]) == 10
    assert robot.account.firewalls[SERVER_NUMBER]["filter_ipv6"] is True


def test_second_up_after_first_makes_no_writes(firewall: FirewallProvider, robot: RobotEmulator) -> None:
    outs = firewall.create(firewall_props()).outs
    robot.calls.clear()

    assert not firewall.diff(str(SERVER_NUMBER), outs, firewall_props()).changes
    assert firewall.read(str(SERVER_NUMBER), outs).outs == outs
    assert robot.write_count == 0


def test_identical_firewall_is_adopted_without_writes(
    firewall: FirewallProvider, robot: RobotEmulator
) -> None:
    firewall.create(firewall_props())
    robot.calls.clear()

    adopted = configured(FirewallProvider(), _config(firewall)).create(firewall_props())

    assert adopted.outs["status"] == "active" and robot.write_count == 0


def test_different_firewall_is_refused_untouched(firewall: FirewallProvider, robot: RobotEmulator) -> None:
    firewall.create(firewall_props(admin="192.0.2.0/24"))
    before = robot.account.firewalls[SERVER_NUMBER]
    robot.calls.clear()

    with pytest.raises(ConflictError, match="already exists with different content"):
        firewall.create(firewall_props())

    assert robot.write_count == 0 and robot.account.firewalls[SERVER_NUMBER] is before


def test_firewall_disabled_by_hand_shows_as_drift(firewall: FirewallProvider, robot: RobotEmulator) -> None:
    outs = firewall.create(firewall_props()).outs
    robot.account.firewalls[SERVER_NUMBER]["status"] = "disabled"

    refreshed = firewall.read(str(SERVER_NUMBER), outs).outs

    assert refreshed["status"] == "disabled"
    assert firewall.diff(str(SERVER_NUMBER), refreshed, firewall_props()).changes


def test_new_admin_network_updates_the_rules(firewall: FirewallProvider, robot: RobotEmulator) -> None:
    outs = firewall.create(firewall_props()).outs

    firewall.update(str(SERVER_NUMBER), outs, firewall_props(admin="192.0.2.0/24"))

    (ssh,) = [r for r in robot.account.firewalls[SERVER_NUMBER]["rules"]["input"] if r["dst_port"] == "22"]
    assert ssh["src_ip"] == "192.0.2.0/24"


def test_deleted_firewall_is_disabled_and_empty(firewall: FirewallProvider, robot: RobotEmulator) -> None:
    outs = firewall.create(firewall_props()).outs

    firewall.delete(str(SERVER_NUMBER), outs)

    assert robot.account.firewalls[SERVER_NUMBER]["status"] == "disabled"
    assert firewall.read(str(SERVER_NUMBER), outs).id is None


def test_too_many_rules_fail_check(firewall: FirewallProvider) -> None:
    props = firewall_props()
    props["input"] = props["input"] + [{"name": "extra", "action": "accept"}]

    assert [f.property for f in firewall.check({}, props).failures] == ["input"]


def _config(provider: FirewallProvider) -> dict[str, str]:
    settings = provider.settings
    return {
        "dezky:robotUser": settings.user,
        "dezky:robotPassword": settings.password,
        "dezky:robotEndpoint": settings.endpoint,
        "dezky:estatePollSeconds": str(settings.poll_interval),
    }
