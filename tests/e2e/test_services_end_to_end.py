"""Mail, files and DNS for a tenant through the real engine, against the spec-checked Stalwart and OCIS
emulators and a real PowerDNS: provisioning, DKIM keys published, zero writes on a second up, suspension."""

from __future__ import annotations

import base64
import contextlib
import enum
import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
from pulumi import automation as auto

from components.dns.powerdns import PowerDnsBackend, PowerDnsSettings
from components.dns.records import zones_for
from dezky.engine import runner
from dezky.engine.workspace import ROOT
from dezky.review.drift import Drift, drift_of
from dezky.review.preview import preview_review
from dezky.tenants.loader import load_one
from tests.e2e.conftest import Project, dns_answer, make_project, powerdns_config, services_config
from tests.emulators import authentik as authentik_emulator
from tests.emulators.authentik import AuthentikEmulator
from tests.emulators.ocis import OcisEmulator
from tests.emulators.stalwart import StalwartEmulator
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

TENANT = ROOT / "tenants" / "acme.yaml"
OTHER_TENANT = ROOT / "tenants" / "nordlicht.yaml"
TENANTS = (TENANT, OTHER_TENANT)


@pytest.fixture
def services(
    powerdns: PowerDnsServer, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
) -> Iterator[dict[str, auto.ConfigValue]]:
    yield {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        **services_config(authentik, stalwart, ocis),
    }
    # Each test's Stalwart makes new DKIM keys: leave no zone behind for the next test to conflict with.
    with PowerDnsBackend(PowerDnsSettings(powerdns.api_url, powerdns.api_key)) as backend:
        for tenant_file in TENANTS:
            for zone in zones_for(load_one(tenant_file)[0].tenant):
                backend.delete_zone(zone)


@pytest.fixture
def project(tmp_path, services: dict[str, auto.ConfigValue]) -> Project:
    return make_project(tmp_path, services, [TENANT])


def set_status(project: Project, status: str) -> None:
    path = project.tenant_file("acme")
    path.write_text(re.sub(r"(?m)^status: \w+$", f"status: {status}", path.read_text()))


def test_up_provisions_mail_and_files_and_publishes_the_dkim_keys_stalwart_made(
    project: Project, powerdns: PowerDnsServer, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    result = project.up()

    assert result.outputs["tenants"].value["acme"] == {
        "status": "active",
        "dns": "ready",
        "stalwart": "ready",
        "ocis": "ready",
        "authentik": "ready",
    }
    tenant = load_one(project.tenant_file("acme"))[0].tenant
    for user in tenant.users:
        assert stalwart.message_count(user.email) == 0, f"no mailbox for {user.email}"
    assert {space.name for space in ocis.state.spaces.values()} == {
        space.name for space in tenant.files.spaces
    }
    published = dns_answer(powerdns, "v1-ed25519._domainkey.acme-werkzeuge.de", "TXT")
    generated = stalwart.dkim_public_keys("acme-werkzeuge.de")
    ed25519_key = next(key for _type, key in generated.values() if len(base64.b64decode(key)) == 32)
    assert published == {f"v=DKIM1; k=ed25519; p={ed25519_key}"}
    assert dns_answer(powerdns, "v1-rsa._domainkey.acme-werkzeuge.de", "TXT") != set()
    assert stalwart.invalid_requests == [] and ocis.invalid_requests == []


def test_second_up_makes_zero_write_calls_on_every_service(
    project: Project,
    powerdns: PowerDnsServer,
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
):
    project.up()
    writes = (authentik.writes, stalwart.write_count, ocis.writes, powerdns.write_count())

    preview = project.preview()
    second = project.up()

    assert set(preview.change_summary) == {"same"}
    assert set(second.summary.resource_changes) == {"same"}
    assert (authentik.writes, stalwart.write_count, ocis.writes, powerdns.write_count()) == writes


def test_suspend_then_resume_disables_and_restores_without_losing_mail_or_files(
    project: Project, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.up()
    stalwart.deliver("anna.schmidt@acme-werkzeuge.de", 7)
    for space in ocis.state.spaces.values():
        space.files = 11

    set_status(project, "suspended")
    suspended = project.up()
    disabled_spaces = [space.disabled for space in ocis.state.spaces.values()]
    account = stalwart.state.find_account("anna.schmidt@acme-werkzeuge.de")[1]
    set_status(project, "active")
    resumed = project.up()

    assert suspended.outputs["tenants"].value["acme"]["stalwart"] == "suspended"
    assert all(disabled_spaces) and disabled_spaces
    assert account["permissions"]["disabledPermissions"] == {"authenticate": True}
    assert resumed.outputs["tenants"].value["acme"]["ocis"] == "ready"
    assert not any(space.disabled for space in ocis.state.spaces.values())
    assert (
        stalwart.state.find_account("anna.schmidt@acme-werkzeuge.de")[1]["permissions"]["@type"] == "Inherit"
    )
    assert stalwart.message_count("anna.schmidt@acme-werkzeuge.de") == 7
    assert {space.files for space in ocis.state.spaces.values()} == {11}


def test_generated_passwords_and_tokens_never_appear_in_state_logs_or_preview(project: Project):
    project.up()
    events: list[auto.EngineEvent] = []
    project.preview(diff=True, on_event=events.append)

    # The pickled provider classes hold no credential (components/common/provider.py); the rest all do.
    found = [secret for secret in stack_secrets(project) if secret[0] != "serialized provider"]
    kinds = {kind for kind, _, _ in found}
    places = {
        **{f"file {path.relative_to(project.work_dir)}": text for path, text in project_files(project)},
        "printed output of up and preview": project.printed(),
        "preview events": json.dumps(events, default=_plain),
    }

    assert {"password", "client secret", "token"} <= kinds, kinds
    owners = {where for kind, where, _ in found if kind == "password"}
    users = load_one(project.tenant_file("acme"))[0].tenant.users
    assert all(any(f"mail:user:{user.email}" in owner for owner in owners) for user in users), owners
    assert '"ciphertext"' in places["file .state/.pulumi/stacks/dezky/dev.json"]  # kept, encrypted
    assert plaintext_leaks(found, places) == []
    # The same search finds a value of each kind written in the clear into a copy of the state file.
    state = places["file .state/.pulumi/stacks/dezky/dev.json"]
    ciphertext = re.search(r'"ciphertext": ?"[^"]*"', state)
    assert ciphertext
    for kind in ("password", "client secret", "token"):
        value = next(value for each, _, value in found if each == kind)
        planted = state.replace(ciphertext[0], json.dumps(value), 1)
        assert plaintext_leaks(found, {"state copy": planted}) == [f"{kind} {_hint(value)} in state copy"]


def test_generated_passwords_search_finds_values_in_the_clear_escaped_or_in_a_base64_blob():
    password, token = 'pw-Zq9/x"1', "tok-77"
    secrets = [
        ("password", "dezky:stalwart:Account acme:mail:user:a@b.de", password),
        ("token", "config", token),
    ]
    pickled = base64.b64encode(b"\x80\x04dill-pickled provider " + token.encode() + b" \x00" * 30).decode()

    clean = plaintext_leaks(secrets, {"state": '{"password": {"ciphertext": "v1:abc"}}', "log": "all fine"})
    caught = plaintext_leaks(
        secrets, {"state": json.dumps({"password": password}), "log": f"x {token} y", "blob": f'"{pickled}"'}
    )

    assert clean == []
    assert caught == [
        f"password {_hint(password)} in state",
        f"token {_hint(token)} in log",
        f"token {_hint(token)} in blob (base64-decoded)",
    ]


_SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in a state file
_BASE64_BLOB = re.compile(r"[A-Za-z0-9+/]{40,}={0,2}")


def stack_secrets(project: Project) -> list[tuple[str, str, str]]:
    """(kind, where, value) of every secret of the dev stack in the clear: each secret value of its state
    (`pulumi stack export --show-secrets`, run by the Automation API with the project's engine environment)
    and each secret of its configuration (the services' API tokens). Kinds: `password`, `client secret`,
    `serialized provider`, `token` (every other secret: API tokens in the configuration and the provider's
    inputs)."""
    stack = project.stack()
    deployment = stack.export_stack().deployment
    found = [
        (_kind(path), f"{resource['type']} {resource['urn'].rsplit('::', 1)[-1]} {'.'.join(path)}", value)
        for resource in deployment.get("resources", ())
        for path, value in _secret_values(resource)
    ]
    found += [
        ("token", f"config {key}", item.value) for key, item in stack.get_all_config().items() if item.secret
    ]
    assert all(isinstance(value, str) and value for _, _, value in found)
    assert not any(value.startswith("v1:") for _, _, value in found), "the export must show secrets"
    return found


def _secret_values(value: object, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], str]]:
    if isinstance(value, dict) and value.get(_SECRET_SIG) == "1b47061264138c4ac30d75fd1eb44270":
        assert "plaintext" in value, f"secret at {'.'.join(path)} is not decrypted: {sorted(value)}"
        yield from ((path, leaf) for leaf in _strings(json.loads(value["plaintext"])))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _secret_values(item, (*path, str(key)))
    elif isinstance(value, list):
        for item in value:
            yield from _secret_values(item, path)


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def _kind(path: tuple[str, ...]) -> str:
    names = " ".join(path).lower()
    if "client_secret" in names:
        return "client secret"
    if "password" in names:
        return "password"
    # a dynamic resource's dill-pickled provider class: the SDK stores it as a secret
    return "serialized provider" if path[-1:] == ("__provider",) else "token"


def project_files(project: Project) -> Iterator[tuple[Path, str]]:
    """Every file the engine wrote or read in the project folder: the state (with its history and backups),
    the stack's configuration and any log."""
    for path in sorted(project.work_dir.rglob("*")):
        if path.is_file() and project.tenants_dir not in path.parents:
            yield path, path.read_bytes().decode("utf-8", errors="replace")


def plaintext_leaks(secrets: list[tuple[str, str, str]], places: dict[str, str]) -> list[str]:
    """`<kind> <hint> in <place>` for every secret value found in a place's text: as it is, JSON-escaped, or
    inside a base64 blob (a dill-pickled dynamic provider in the state is one). The hint is never the value."""
    views = dict(places)
    for name, text in places.items():
        decoded = [_b64decode(blob) for blob in _BASE64_BLOB.findall(text)]
        if any(decoded):
            views[f"{name} (base64-decoded)"] = "\n".join(decoded)
    leaks = []
    for kind, _, value in secrets:
        forms = {value, json.dumps(value)[1:-1]}
        leaks += [
            f"{kind} {_hint(value)} in {name}"
            for name, text in views.items()
            if any(f in text for f in forms)
        ]
    return list(dict.fromkeys(leaks))


def _b64decode(blob: str) -> str:
    try:
        return base64.b64decode(blob + "=" * (-len(blob) % 4)).decode("utf-8", errors="replace")
    except ValueError:
        return ""


def _hint(value: str) -> str:
    return f"{value[:3]}…({len(value)} chars)"


def _plain(value: object) -> object:
    """JSON for the Automation API's event objects."""
    if isinstance(value, enum.Enum):
        return value.value
    if hasattr(value, "__dict__"):
        return vars(value)
    return str(value)


def authentik_user(authentik: AuthentikEmulator, email: str) -> dict:
    return next(user for user in authentik.instance.users.values() if user["username"] == email)


def can_use(authentik: AuthentikEmulator, app_slug: str, email: str) -> bool:
    pk = authentik_user(authentik, email)["pk"]
    response = httpx.get(
        f"{authentik.url}/api/v3/core/applications/{app_slug}/check_access/",
        params={"for_user": pk},
        headers={"Authorization": f"Bearer {authentik_emulator.TOKEN}"},
    )
    assert response.status_code == 200, response.text
    return response.json()["passing"]


def test_a_user_of_one_tenant_cannot_pass_another_tenants_application(
    tmp_path, services: dict[str, auto.ConfigValue], authentik: AuthentikEmulator
):
    project = make_project(tmp_path, services, list(TENANTS))
    project.up()

    anna, ida = "anna.schmidt@acme-werkzeuge.de", "jana.lindqvist@nordlicht-design.de"
    assert can_use(authentik, "acme-portal", anna)
    assert not can_use(authentik, "nordlicht-portal", anna)
    assert can_use(authentik, "nordlicht-webmail", ida)
    assert not can_use(authentik, "acme-webmail", ida)


def test_a_user_disabled_by_hand_shows_in_refresh_and_up_repairs_it(
    project: Project, authentik: AuthentikEmulator
):
    project.up()
    authentik_user(authentik, "jonas.weber@acme-werkzeuge.de")["is_active"] = False

    refreshed = project.refresh()
    repaired = project.up()

    assert refreshed.summary.resource_changes.get("update") == 1
    assert repaired.summary.resource_changes.get("update") == 1
    assert authentik_user(authentik, "jonas.weber@acme-werkzeuge.de")["is_active"] is True


def test_drift_preview_names_the_tenant_and_object_changed_by_hand_without_recording_it(
    project: Project, authentik: AuthentikEmulator
):
    project.up()
    authentik_user(authentik, "jonas.weber@acme-werkzeuge.de")["is_active"] = False
    events: list[auto.EngineEvent] = []

    runner.preview_drift("dev", replace(project.options, on_event=events.append), slug="acme")
    second: list[auto.EngineEvent] = []
    runner.preview_drift("dev", replace(project.options, on_event=second.append), slug="acme")

    assert drift_of(events) == [
        Drift("acme", "authentik", "User", "acme:user:jonas.weber@acme-werkzeuge.de", False)
    ]
    assert drift_of(second) == drift_of(events)  # a preview records nothing: the drift is still there
    project.up()


def test_reconcile_repairs_one_tenants_drift_and_leaves_other_tenants_alone(
    tmp_path, services: dict[str, auto.ConfigValue], authentik: AuthentikEmulator
):
    project = make_project(tmp_path, services, list(TENANTS))
    project.up()
    authentik_user(authentik, "jonas.weber@acme-werkzeuge.de")["is_active"] = False
    authentik_user(authentik, "ole.hansen@nordlicht-design.de")["is_active"] = False
    writes = authentik.writes

    result = runner.reconcile("dev", "acme", project.options)

    assert result.summary.resource_changes.get("update") == 1
    assert authentik.writes == writes + 1
    assert authentik_user(authentik, "jonas.weber@acme-werkzeuge.de")["is_active"] is True
    assert authentik_user(authentik, "ole.hansen@nordlicht-design.de")["is_active"] is False


PERSISTENT_FAULTS = [
    ("authentik", "POST", "/core/users/"),
    ("authentik", "POST", "/policies/bindings/"),
    ("stalwart", "POST", "x:Account/*"),
    ("ocis", "POST", "/v1.0/drives"),
]


@pytest.mark.parametrize("fault", PERSISTENT_FAULTS, ids=lambda f: f"{f[0]}-{f[2]}")
def test_faults_at_random_points_of_up_converge_on_rerun_without_duplicates(
    project: Project,
    fault: tuple[str, str, str],
    authentik: AuthentikEmulator,
    stalwart: StalwartEmulator,
    ocis: OcisEmulator,
):
    # One kind of call to one service keeps failing past every retry, wherever it falls in the run.
    service, method, pattern = fault
    emulator = {"authentik": authentik, "stalwart": stalwart, "ocis": ocis}[service]
    if service == "stalwart":
        emulator.fail_next(pattern, "drop", times=50)
    else:
        emulator.fail_next(method, pattern, "drop", times=50)
    stalwart.fail_next("x:Domain/*", "503")  # and a passing fault the retries hide

    with pytest.raises(auto.CommandError):
        project.up()
    for each in (authentik, stalwart, ocis):
        each.faults.clear()
    rerun = project.up()
    again = project.up()

    assert rerun.summary.result == "succeeded"
    assert set(again.summary.resource_changes) == {"same"}
    usernames = [user["username"] for user in authentik.instance.users.values()]
    assert len(usernames) == len(set(usernames)), "no duplicate users"
    aliases = [space.alias for space in ocis.state.spaces.values()]
    assert len(aliases) == len(set(aliases)) == len(load_one(TENANT)[0].tenant.files.spaces)
    tenant = load_one(TENANT)[0].tenant
    assert all(stalwart.message_count(user.email) == 0 for user in tenant.users)


def test_an_up_killed_mid_run_is_finished_by_the_next_up_without_duplicates(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    # The operator's `dezky up` dies half-way (OOM, power loss): the runner, the CLI and every plugin get
    # SIGKILL. The CLI saves the state once, at the end (PULUMI_SKIP_CHECKPOINTS), so it recorded nothing of
    # what it did, and its lock stays behind. The next run releases the lock and adopts what exists.
    dying = start_up_in_own_process(project)
    try:
        reached = wait_until(lambda: authentik.writes >= 6, timeout=90)
    finally:
        kill_tree(dying.pid)
        dying.wait()

    rerun = project.up()
    again = project.up()

    assert reached, "the killed up had started writing"
    assert "Released the lock of a run that died" in project.printed()
    assert rerun.summary.result == "succeeded"
    assert set(again.summary.resource_changes) == {"same"}
    tenant = load_one(TENANT)[0].tenant
    usernames = [u["username"] for u in authentik.instance.users.values() if u["username"].endswith(".de")]
    assert sorted(usernames) == sorted(user.email for user in tenant.users), "each user once"
    aliases = [space.alias for space in ocis.state.spaces.values()]
    assert len(aliases) == len(set(aliases)) == len(tenant.files.spaces)


def start_up_in_own_process(project: Project) -> subprocess.Popen[bytes]:
    """`runner.up` of the project's dev stack in a process of its own, as an operator's `dezky up` runs."""
    script = (
        "from pathlib import Path\n"
        "from dezky.engine import runner\n"
        f"work = Path({str(project.work_dir)!r})\n"
        "runner.up('dev', runner.EngineOptions(work_dir=work, state_dir=work / '.state', on_output=None))\n"
    )
    return subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip


def kill_tree(root: int) -> None:
    """SIGKILL a process and all it started: the CLI gives its plugins process groups of their own.

    Each process found is stopped first, so none can start another between the search and the kill.
    """
    family: set[int] = set()
    found = {root}
    while found:
        for pid in found:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGSTOP)
        family |= found
        found = {pid for pid in _pids() if pid not in family and _parent(pid) in family}
    for pid in family:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _pids() -> list[int]:
    return [int(entry.name) for entry in Path("/proc").iterdir() if entry.name.isdigit()]


def _parent(pid: int) -> int | None:
    try:
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    except (OSError, IndexError, ValueError):
        return None


def wait_until(condition: Callable[[], bool], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def remove_user(project: Project, email: str) -> None:
    """The user's entry gone from `users`, and from the lists it was a member of (which the file checks)."""
    path = project.tenant_file("acme")
    text = path.read_text()
    start = text.index(f"  - email: {email}")
    end = text.find("\n  - email:", start + 1)
    end = text.index("\nmail:", start) if end < 0 else end
    text = text[:start] + text[end + 1 :]
    path.write_text(text.replace(f", {email}]", "]").replace(f"[{email}, ", "["))


def mark_user_for_purge(project: Project, email: str) -> None:
    path = project.tenant_file("acme")
    path.write_text(
        path.read_text().replace(f"  - email: {email}\n", f"  - email: {email}\n    purge: true\n")
    )


def test_removing_a_user_is_refused_before_anything_is_applied_and_the_preview_says_why(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator
):
    project.up()
    remove_user(project, "jonas.weber@acme-werkzeuge.de")
    writes = (authentik.writes, stalwart.write_count)

    review = preview_review("dev", project.options)
    with pytest.raises(
        runner.DataLossRefused, match=re.escape("mailbox jonas.weber@acme-werkzeuge.de of tenant acme")
    ):
        project.up()

    assert "WARNING: applying this would be refused" in project.printed()
    # the mailbox and the login both hold data (the login: password, second factors)
    assert review.blocked and [v.policy for v in review.violations] == ["data-not-deleted"] * 2
    assert [v.message.split(" would be deleted")[0] for v in review.violations] == [
        "tenants/acme.yaml:9:1 users: login jonas.weber@acme-werkzeuge.de of tenant acme",
        "tenants/acme.yaml:9:1 users: mailbox jonas.weber@acme-werkzeuge.de of tenant acme",
    ]
    assert ("delete", "Account") in {(c.op, c.kind) for c in review.of("acme", "stalwart")}
    assert (authentik.writes, stalwart.write_count) == writes
    assert stalwart.message_count("jonas.weber@acme-werkzeuge.de") == 0  # the mailbox is still there


def test_a_user_marked_purge_true_is_removed_by_the_next_change(project: Project, stalwart: StalwartEmulator):
    project.up()
    mark_user_for_purge(project, "jonas.weber@acme-werkzeuge.de")
    project.up()
    remove_user(project, "jonas.weber@acme-werkzeuge.de")

    result = project.up()

    assert result.summary.resource_changes.get("delete", 0) >= 1
    assert stalwart.message_count("jonas.weber@acme-werkzeuge.de") is None
    assert stalwart.message_count("anna.schmidt@acme-werkzeuge.de") == 0


def test_a_soft_deleted_tenant_is_disabled_everywhere_and_keeps_its_data(
    project: Project, authentik: AuthentikEmulator, stalwart: StalwartEmulator, ocis: OcisEmulator
):
    project.up()
    stalwart.deliver("anna.schmidt@acme-werkzeuge.de", 3)
    path = project.tenant_file("acme")
    path.write_text(path.read_text().replace("status: active\n", "status: deleted\ndeleted_at: 2026-11-01\n"))

    result = project.up()

    assert result.outputs["tenants"].value["acme"] == {
        "status": "deleted",
        "authentik": "deleted",
        "stalwart": "deleted",
        "ocis": "deleted",
        "dns": "ready",
    }
    assert not any(
        user["is_active"] for user in authentik.instance.users.values() if user["path"] == "tenants/acme"
    )
    assert all(space.disabled for space in ocis.state.spaces.values())
    assert stalwart.message_count("anna.schmidt@acme-werkzeuge.de") == 3
