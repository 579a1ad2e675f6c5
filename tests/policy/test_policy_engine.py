"""The policy pack as the real engine runs it: every rule violated once by a program that breaks it.

The platform's own program derives every resource from validated tenant files, so it cannot break most rules;
these programs register the same resource types (with the real providers) the way a bug or a hand-written
change would. Each runs a real `pulumi preview` with the pack; the data rule runs on the platform's program in
`tests/e2e/test_services_end_to_end.py`.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pulumi
import pytest
from pulumi import automation as auto
from pulumi.dynamic import Resource

from components.authentik.component import Application, Group, PolicyBinding
from components.dns.backend import RRset
from components.dns.component import RecordSet
from components.stalwart.component import AccountInputs, MailAccount
from components.stalwart.provider import AccountProvider
from dezky.engine.workspace import POLICY_PACK, ROOT, StackName, engine_env, pulumi_command
from tests.e2e.conftest import require_engine

GiB = 1024**3
JONAS = "jonas.weber@acme-werkzeuge.de"
Program = Callable[[], None]


class RunWith:
    """One stack of a throw-away project (with the repository's tenants) that previews any program."""

    def __init__(self, work_dir: Path) -> None:
        self.work_dir = work_dir

    def preview(self, program: Program) -> str:
        """The engine's output of a preview with the policy pack; a failed preview's output too."""
        env = engine_env(StackName("dev"), self.work_dir / ".state")
        workspace = auto.LocalWorkspace(
            work_dir=str(self.work_dir), program=program, env_vars=env,
            pulumi_command=pulumi_command(), pulumi_home=env["PULUMI_HOME"],
        )  # fmt: skip
        stack = auto.Stack.create_or_select("dev", workspace)
        stack.set_config("dezky:tenantsDir", auto.ConfigValue(str(self.work_dir / "tenants")))
        try:
            return stack.preview(policy_packs=[str(POLICY_PACK)], color="never").stdout
        except auto.CommandError as exc:
            return str(exc)


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> RunWith:
    require_engine()
    work_dir = tmp_path_factory.mktemp("policy") / "project"
    (work_dir / "stacks").mkdir(parents=True)
    shutil.copy(ROOT / "Pulumi.yaml", work_dir / "Pulumi.yaml")
    shutil.copy(ROOT / "stacks" / "Pulumi.dev.yaml", work_dir / "stacks" / "Pulumi.dev.yaml")
    shutil.copytree(ROOT / "tenants", work_dir / "tenants")
    return RunWith(work_dir)


def violation(output: str, rule: str) -> str:
    """The message of the pack's violation of `rule` (the line after its description), or "" if none."""
    lines = output.splitlines()
    for i, line in enumerate(lines):
        if f"[mandatory]  {rule}  " in line:
            return lines[i + 2].strip()
    return ""


def test_a_mailbox_quota_above_the_plan_fails_the_preview_at_the_users_quota(engine: RunWith) -> None:
    def program() -> None:
        MailAccount(f"acme:mail:user:{JONAS}", AccountInputs("user", JONAS, "Jonas Weber", 30 * GiB))

    output = engine.preview(program)

    assert "error: preview failed" in output
    assert violation(output, "within-plan").startswith(
        f"tenants/acme.yaml:16:5 users[1].quota: mailbox {JONAS} gets {30 * GiB} bytes, above plan `business`"
    )


def test_a_record_in_another_tenants_domain_fails_the_preview_at_domains(engine: RunWith) -> None:
    def program() -> None:
        RecordSet(
            "acme:rrset:hijack",
            RRset("altbau-schroeder.de", "www.altbau-schroeder.de", "A", 300, ("1.2.3.4",)),
        )

    output = engine.preview(program)

    assert violation(output, "dns-inside-tenant-domains") == (
        "tenants/acme.yaml:7:1 domains: DNS name www.altbau-schroeder.de (zone altbau-schroeder.de) is outside "
        "tenant acme's domains (acme-werkzeuge.de, acme.dezky.eu)"
    )


def test_an_application_bound_to_another_tenants_group_fails_the_preview(engine: RunWith) -> None:
    def program() -> None:
        Group("acme:group:members", {"name": "acme-members", "is_superuser": False})
        Application("acme:app:portal", {"slug": "acme-portal", "name": "Portal", "provider": "acme-portal"})
        binding = {"order": 0, "enabled": True, "negate": False, "timeout": 30, "failure_result": False}
        PolicyBinding(
            "acme:binding:portal", {**binding, "application": "acme-portal", "group": "altbau-members"}
        )

    output = engine.preview(program)

    assert violation(output, "apps-bound-to-tenant-group") == (
        "tenants/acme.yaml:2:1 slug: application acme-portal is not bound to tenant acme's group acme-members "
        "(bound to altbau-members)"
    )


class LeakyAccount(Resource, module="stalwart", name="Account"):
    """A mail account registered the wrong way: a password as a plain input, no secret outputs declared."""

    def __init__(self, name: str, props: dict[str, object]) -> None:
        super().__init__(AccountProvider(), name, props)


def test_a_password_given_as_a_plain_input_fails_the_preview_without_showing_it(engine: RunWith) -> None:
    def program() -> None:
        props = {"kind": "user", "address": JONAS, "display_name": "Jonas", "quota": GiB, "aliases": [],
                 "member_of": [], "suspended": False, "purge": False, "password": "hunter2-plain"}  # fmt: skip
        LeakyAccount(f"acme:mail:user:{JONAS}", props)

    output = engine.preview(program)

    messages = [line.strip() for line in output.splitlines() if "tenants/acme.yaml:2:1 (file):" in line]
    assert messages == [
        f"tenants/acme.yaml:2:1 (file): acme:mail:user:{JONAS}: output `password` holds a credential but is not "
        "kept as a secret",
        f"tenants/acme.yaml:2:1 (file): acme:mail:user:{JONAS}: input `password` carries a credential; tenant "
        "resources get theirs from the service as secret outputs, never as inputs",
    ]
    assert "hunter2-plain" not in output


def test_a_program_that_keeps_the_rules_previews_cleanly(engine: RunWith) -> None:
    def program() -> None:
        MailAccount(f"acme:mail:user:{JONAS}", AccountInputs("user", JONAS, "Jonas Weber", 10 * GiB))
        RecordSet(
            "acme:rrset:www", RRset("acme-werkzeuge.de", "www.acme-werkzeuge.de", "A", 300, ("1.2.3.4",))
        )
        pulumi.export("ok", True)

    output = engine.preview(program)

    assert "✅ dezky-platform@v1.0.0" in output and "error" not in output
