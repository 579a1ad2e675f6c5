"""The whole program through the real engine against the real Authentik, Stalwart and OCIS (and a real PowerDNS).

Two tenants of their own (a random run id in their slugs and domains), provisioned by `up`: a second `up` makes
no write call on any server, a user of one tenant is refused by the other tenant's application (Authentik's own
access check), suspending a tenant takes its logins away and resuming gives them back, and a killed run's
objects are adopted by the next `up`. Everything is purged at the end through the tenant files themselves.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import secrets
from collections.abc import Iterator
from contextlib import ExitStack
from dataclasses import dataclass

import pytest
from pulumi import automation as auto

from components.authentik.client import AuthentikClient, AuthentikSettings
from components.stalwart.client import StalwartClient, StalwartSettings
from dezky.engine import runner
from dezky.engine.workspace import ROOT
from tests.acceptance.conftest import RealServer
from tests.e2e.conftest import Project, make_project, powerdns_config
from tests.e2e.test_services_end_to_end import kill_tree, start_up_in_own_process, wait_until
from tests.fixtures.counting_proxy import CountingProxy, counting_proxy
from tests.fixtures.powerdns import PowerDnsServer

pytestmark = [pytest.mark.engine, pytest.mark.pdns]

RUN = secrets.token_hex(3)
TENANTS = {"acme": f"acc{RUN}a", "nordlicht": f"acc{RUN}n"}


@dataclass
class Servers:
    authentik: RealServer
    stalwart: RealServer
    ocis: RealServer
    proxies: dict[str, CountingProxy]

    def writes(self) -> dict[str, int]:
        """Calls that can change something, per server: non-GET for REST, JMAP `/set` calls for Stalwart."""
        counted = {name: proxy.counter.writes for name, proxy in self.proxies.items() if name != "stalwart"}
        counted["stalwart"] = sum(
            _jmap_sets(e.request_body) for e in self.proxies["stalwart"].counter.exchanges
        )
        return counted

    def reset(self) -> None:
        for proxy in self.proxies.values():
            proxy.counter.reset()
            proxy.counter.exchanges.clear()


def _jmap_sets(body: bytes) -> int:
    try:
        return sum(call[0].endswith("/set") for call in json.loads(body)["methodCalls"])
    except (ValueError, KeyError, TypeError):
        return 0


@pytest.fixture(scope="module")
def servers() -> Iterator[Servers]:
    found = {name: RealServer.from_env(name) for name in ("authentik", "stalwart", "ocis")}
    with ExitStack() as stack:
        proxies = {
            name: stack.enter_context(counting_proxy(server.url, record=True, verify_tls=False))
            for name, server in found.items()
        }
        yield Servers(found["authentik"], found["stalwart"], found["ocis"], proxies)


def tenant_text(template: str, slug: str) -> str:
    """A repository tenant as a tenant of this run: its own slug, domains and addresses."""
    original = re.search(r"(?m)^slug: (\S+)$", template)
    assert original is not None
    domain = re.search(r"(?m)^  primary: (\S+)$", template)
    assert domain is not None
    text = template.replace(domain.group(1), f"{slug}.de")
    return re.sub(r"(?m)^slug: \S+$", f"slug: {slug}", text)


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory, servers: Servers, powerdns: PowerDnsServer) -> Project:
    sources = tmp_path_factory.mktemp("tenants")
    files = []
    for name, slug in TENANTS.items():
        path = sources / f"{slug}.yaml"
        path.write_text(tenant_text((ROOT / "tenants" / f"{name}.yaml").read_text(), slug))
        files.append(path)
    proxies = servers.proxies
    config = {
        **powerdns_config(powerdns.api_url, powerdns.api_key),
        "dezky:authentikUrl": auto.ConfigValue(proxies["authentik"].url),
        "dezky:authentikToken": auto.ConfigValue(servers.authentik.token, secret=True),
        "dezky:stalwartUrl": auto.ConfigValue(proxies["stalwart"].url),
        "dezky:stalwartToken": auto.ConfigValue(servers.stalwart.token, secret=True),
        "dezky:ocisUrl": auto.ConfigValue(proxies["ocis"].url),
        "dezky:ocisUser": auto.ConfigValue(servers.ocis.user),
        "dezky:ocisToken": auto.ConfigValue(servers.ocis.token, secret=True),
    }
    return make_project(tmp_path_factory.mktemp("services"), config, files)


def authentik(servers: Servers) -> AuthentikClient:
    return AuthentikClient(
        AuthentikSettings(url=servers.proxies["authentik"].url, token=servers.authentik.token)
    )


def set_status(project: Project, slug: str, status: str) -> None:
    path = project.tenant_file(slug)
    path.write_text(re.sub(r"(?m)^status: \w+$", f"status: {status}", path.read_text()))


def test_up_provisions_both_tenants_on_the_real_servers(project: Project, servers: Servers):
    result = project.up()

    states = result.outputs["tenants"].value
    for slug in TENANTS.values():
        status = re.search(r"(?m)^status: (\w+)$", project.tenant_file(slug).read_text())
        assert status is not None
        service_state = "ready" if status.group(1) == "active" else status.group(1)
        assert states[slug] == {
            "status": status.group(1), "dns": "ready",
            "stalwart": service_state, "ocis": service_state, "authentik": service_state,
        }  # fmt: skip


def test_a_second_up_makes_no_write_call_on_any_real_server(project: Project, servers: Servers):
    servers.reset()

    again = project.up()

    assert set(again.summary.resource_changes) == {"same"}
    assert servers.writes() == {"authentik": 0, "stalwart": 0, "ocis": 0}


def test_a_user_of_one_tenant_is_refused_by_the_other_tenants_application(project: Project, servers: Servers):
    acme, nordlicht = TENANTS["acme"], TENANTS["nordlicht"]
    with authentik(servers) as client:
        anna = client.find_user(f"anna.schmidt@{acme}.de")
        assert anna is not None
        own = client.check_access(f"{acme}-portal", anna["pk"])  # objects.app_slug: <slug>-<app key>
        other = client.check_access(f"{nordlicht}-portal", anna["pk"])

    assert own["passing"] is True
    assert other["passing"] is False


def test_suspend_takes_the_logins_away_and_resume_gives_them_back(project: Project, servers: Servers):
    slug = TENANTS["acme"]
    set_status(project, slug, "suspended")
    project.up()
    with authentik(servers) as client:
        suspended = client.find_user(f"anna.schmidt@{slug}.de")

    set_status(project, slug, "active")
    project.up()
    with authentik(servers) as client:
        resumed = client.find_user(f"anna.schmidt@{slug}.de")

    assert suspended is not None and suspended["is_active"] is False
    assert resumed is not None and resumed["is_active"] is True


def test_an_up_killed_mid_run_is_finished_by_the_next_up_without_duplicates(
    project: Project, servers: Servers
):
    slug = TENANTS["acme"]
    lena = f"lena.bauer@{slug}.de"
    path = project.tenant_file(slug)
    path.write_text(
        path.read_text().replace("users:\n", f"users:\n  - email: {lena}\n    name: Lena Bauer\n", 1)
    )
    servers.reset()
    dying = start_up_in_own_process(project)
    try:
        reached = wait_until(lambda: servers.proxies["authentik"].counter.writes >= 1, timeout=180)
    finally:
        kill_tree(dying.pid)
        dying.wait()

    rerun = project.up()
    again = project.up()

    assert reached, "the killed up had started writing"
    assert rerun.summary.result == "succeeded"
    assert set(again.summary.resource_changes) == {"same"}
    with authentik(servers) as client:
        usernames = [user["username"] for user in client.list_users(f"tenants/{slug}")]
        bindings = {
            app: client.list_bindings(str(client.get_application(f"{slug}-{app}")["pk"]))  # type: ignore[index]
            for app in ("portal", "webmail")
        }
    assert sorted(usernames) == sorted(set(usernames)) and lena in usernames, "each user once"
    assert {app: len(found) for app, found in bindings.items()} == {"portal": 1, "webmail": 1}


def test_removing_a_tenant_unmarked_is_refused_before_any_write(project: Project, servers: Servers):
    slug = TENANTS["nordlicht"]
    kept = project.tenant_file(slug).read_text()
    project.tenant_file(slug).unlink()
    servers.reset()
    try:
        with pytest.raises(runner.DataLossRefused, match=f"of tenant {slug}"):
            project.up()
        assert servers.writes() == {"authentik": 0, "stalwart": 0, "ocis": 0}
    finally:
        project.tenant_file(slug).write_text(kept)


def test_tenants_are_purged_through_their_files_after_the_recorded_retention(
    project: Project, servers: Servers, monkeypatch: pytest.MonkeyPatch
):
    today = dt.date.today()
    back_dated = (today - dt.timedelta(days=31)).isoformat()  # the file may say so: the engine's day counts
    for slug in TENANTS.values():
        path = project.tenant_file(slug)
        path.write_text(
            re.sub(
                r"(?m)^status: \w+$",
                f"status: deleted\ndeleted_at: {back_dated}\npurge: true",
                path.read_text(),
            )
        )
    project.up()  # records today as the day of the deletion; nothing is marked yet
    monkeypatch.setenv("DEZKY_TODAY", (today + dt.timedelta(days=31)).isoformat())
    project.up()  # the recorded retention has passed: everything is marked for purge
    for slug in TENANTS.values():
        project.tenant_file(slug).unlink()

    project.up()

    acme = TENANTS["acme"]
    with authentik(servers) as client:
        assert client.find_user(f"anna.schmidt@{acme}.de") is None
    settings = StalwartSettings(servers.proxies["stalwart"].url, servers.stalwart.token, timeout=30.0)
    with StalwartClient(settings) as mail:
        assert mail.find_domain(f"{acme}.de") is None
