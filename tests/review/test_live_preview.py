"""A real engine preview of an edit, rendered; and the recorder of the golden events the renderer tests use."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pulumi import automation as auto
from typer.testing import CliRunner

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from dezky.cli import app
from dezky.engine.processes import children_of
from dezky.review.events import event_to_json
from dezky.review.model import review_of
from dezky.review.render import to_markdown
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, make_project, powerdns_config, services_config
from tests.review.scenario import GOLDEN, TENANT, edit_acme, preview_events

pytestmark = [pytest.mark.engine, pytest.mark.pdns]


@pytest.fixture
def project(tmp_path, powerdns, authentik, stalwart, ocis) -> Iterator[Project]:
    config = {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        **services_config(authentik, stalwart, ocis),
    }
    yield make_project(tmp_path, config, [TENANT])
    # Each test's Stalwart makes new DKIM keys: leave no zone behind for the next test to conflict with.
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for zone in zones_for(load_one(TENANT)[0].tenant):
            backend.delete_zone(zone)


def test_review_of_a_real_preview_shows_the_edit_and_warns_about_the_removed_space(project: Project):
    project.up()
    edit_acme(project)

    events = preview_events(project)
    if os.environ.get("DEZKY_RECORD_GOLDEN"):  # re-record: DEZKY_RECORD_GOLDEN=1 pytest tests/review
        _record(events)
    text = to_markdown(review_of(events, ["dev"]))

    assert "2 to create, 1 to update, 1 to delete" in text.splitlines()[2]
    assert "The policy pack refuses this change" in text
    assert "POLICY data-not-deleted: tenants/acme.yaml" in text and "space Projekte of tenant acme" in text
    assert "DELETES ocis Space `acme:space:projekte` of acme: it holds customer data" in text
    assert "`quota: 10 GiB -> 20 GiB`" in text
    assert "ciphertext" not in text and "__provider" not in text


def _record(events: list[auto.EngineEvent]) -> None:
    recorded = [item for item in map(event_to_json, events) if item is not None]
    GOLDEN.parent.mkdir(exist_ok=True)
    GOLDEN.write_text(json.dumps(recorded, indent=1, sort_keys=True) + "\n")


def dezky(project: Project, *args: str):
    options = ("--work-dir", str(project.work_dir), "--state-dir", str(project.work_dir / ".state"))
    return CliRunner().invoke(app, [*args, *options])


def test_status_shows_each_integration_of_the_provisioned_tenant_and_the_last_update(project: Project):
    before = dezky(project, "status")
    project.up()

    result = dezky(project, "status", "acme")
    missing = dezky(project, "status", "nobody")

    assert before.exit_code == 0 and "never updated" in before.output
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if "acme" in line and "│" in line)
    assert [cell.strip() for cell in row.split("│")[1:7]] == [
        "acme",
        "active",
        "ready",
        "ready",
        "ready",
        "ready",
    ]
    assert "last update: succeeded at" in result.output
    assert missing.exit_code == 1 and "not provisioned on stack dev" in missing.output


def test_review_command_prints_json_of_the_edit_and_exits_4_when_the_policy_refuses_it(project: Project):
    project.up()
    edit_acme(project)

    result = dezky(project, "review", "--format", "json", "--refresh", "--exit-code")

    assert result.exit_code == 4, result.output  # refused by the policy pack: the PR cannot merge as it is
    document = json.loads(result.output)
    assert document["summary"] == {"create": 2, "update": 1, "replace": 0, "delete": 1}
    assert [v["policy"] for v in document["violations"]] == ["data-not-deleted"]
    assert len(document["warnings"]) == 1


def test_review_of_an_allowed_change_exits_3_for_changes_and_0_without(project: Project):
    project.up()
    unchanged = dezky(project, "review", "--exit-code")
    path = project.tenant_file("acme")
    path.write_text(path.read_text().replace("    quota: 10GiB\n", "    quota: 20GiB\n", 1))

    changed = dezky(project, "review", "--format", "json", "--exit-code")

    assert unchanged.exit_code == 0, unchanged.output
    assert changed.exit_code == 3, changed.output  # what the nightly drift check reports
    assert json.loads(changed.output)["violations"] == []


def test_status_drift_finds_a_user_disabled_by_hand_and_reconcile_repairs_it(project: Project, authentik):
    project.up()

    def jonas() -> dict:
        return next(
            u for u in authentik.instance.users.values() if u["username"] == "jonas.weber@acme-werkzeuge.de"
        )

    jonas()["is_active"] = False

    drifted = dezky(project, "status", "acme", "--drift")
    repaired = dezky(project, "reconcile", "acme", "--yes")
    after = dezky(project, "status", "acme", "--drift")

    assert drifted.exit_code == 0, drifted.output
    assert "drift: 1 object(s) changed outside the program" in drifted.output
    assert "acme: authentik User acme:user:jonas.weber@acme-werkzeuge.de: changed outside the program" in (
        drifted.output
    )
    assert "is_active: true -> false" in drifted.output
    assert "Repair with: dezky reconcile acme --stack dev" in drifted.output
    assert repaired.exit_code == 0, repaired.output
    assert "acme reconciled on dev: 1 update" in repaired.output
    assert jonas()["is_active"] is True
    assert "drift: none" in after.output


def test_users_shows_each_users_login_and_mailbox_as_the_services_have_them(project: Project, authentik):
    before = dezky(project, "users", "acme", "--folder", str(project.tenants_dir))
    project.up()
    jonas = next(
        u for u in authentik.instance.users.values() if u["username"] == "jonas.weber@acme-werkzeuge.de"
    )
    jonas["is_active"] = False

    after = dezky(project, "users", "acme", "--folder", str(project.tenants_dir))

    assert before.exit_code == 0 and after.exit_code == 0, after.output
    table = [[cell.strip() for cell in line.split("│")] for line in after.output.splitlines() if "│" in line]
    services = {cells[2]: cells[-3:-1] for cells in table if len(cells) == 8}  # name -> login, mailbox
    assert services["Anna Schmidt"] == ["active", "enabled"]
    assert services["Jonas Weber"] == ["disabled", "enabled"]  # the file says active: drift, shown as it is
    assert "missing" in before.output  # nothing provisioned yet


def test_drift_is_not_repaired_by_a_plain_up_but_by_up_with_refresh(project: Project, authentik):
    project.up()

    def jonas() -> dict:  # read anew each time: the emulator keeps a new record after an update
        return next(u for u in authentik.instance.users.values() if u["username"].startswith("jonas.weber@"))

    jonas()["is_active"] = False

    plain = project.up()
    assert jonas()["is_active"] is False, "a plain up compares with the state, which still says active"
    assert set(plain.summary.resource_changes) == {"same"}

    refreshed = project.up(refresh=True)

    assert jonas()["is_active"] is True
    assert refreshed.summary.resource_changes.get("update") == 1


def test_reconcile_without_yes_and_without_a_terminal_refuses_and_applies_nothing(
    project: Project, authentik
):
    project.up()
    writes = authentik.writes

    result = dezky(project, "reconcile", "acme")

    assert result.exit_code == 2
    assert "without --yes" in result.output
    assert authentik.writes == writes


def test_a_drift_check_with_a_service_down_fails_at_once_naming_it(project: Project):
    project.up()
    stack = project.stack()
    stack.set_config("dezky:stalwartUrl", auto.ConfigValue("http://127.0.0.1:9"))  # nothing listens on 9
    started = time.monotonic()

    result = dezky(project, "status", "acme", "--drift")

    assert result.exit_code == 1, result.output
    assert time.monotonic() - started < 20
    assert result.output.count("Stalwart at http://127.0.0.1:9: Connection refused") == 1


def test_interrupting_a_drift_check_stops_every_process_it_started(project: Project, authentik):
    project.up()
    authentik.hang_seconds = 120
    authentik.fail_next("GET", "/core/users/*", "hang", times=1000)
    options = ["--work-dir", str(project.work_dir), "--state-dir", str(project.work_dir / ".state")]
    check = subprocess.Popen([str(DEZKY), "status", "acme", "--drift", *options])
    try:
        providers = wait_for(lambda: [p for p in children_of(check.pid) if "pulumi.dynamic" in cmdline(p)])
        started = children_of(check.pid)

        check.send_signal(signal.SIGINT)
        check.wait(timeout=30)
    finally:
        if check.poll() is None:
            check.kill()

    assert providers, "the drift check had started its provider processes"
    time.sleep(1)
    assert [(pid, cmdline(pid)) for pid in started if alive(pid)] == [], "left behind"


DEZKY = Path(sys.executable).parent / "dezky"


def wait_for(found: Callable[[], list[int]], timeout: float = 120) -> list[int]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if result := found():
            return result
        time.sleep(0.5)
    return []


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


def test_status_and_users_speak_json_for_tools_with_zoned_times(project: Project):
    project.up()

    status = dezky(project, "status", "--format", "json")
    users = dezky(project, "users", "acme", "--format", "json", "--folder", str(project.tenants_dir))

    assert status.exit_code == 0, status.output
    document = json.loads(status.output)
    assert document["tenants"]["acme"]["authentik"] == "ready"
    assert document["last_update"]["result"] == "succeeded"
    assert document["last_update"]["time"].endswith("Z") and document["drift"] is None
    assert users.exit_code == 0, users.output
    listed = json.loads(users.output)["users"]
    assert {u["email"]: u["authentik_login"] for u in listed} == {
        "anna.schmidt@acme-werkzeuge.de": "active",
        "jonas.weber@acme-werkzeuge.de": "active",
    }
