"""Each platform rule on planned stacks built by hand: what it refuses, where it points, what it lets through."""

from __future__ import annotations

from pathlib import Path

from dezky.policy.rules import (
    UNKNOWN,
    Planned,
    check_apps_bound,
    check_data_not_deleted,
    check_data_not_replaced,
    check_dns_names,
    check_no_plaintext_secrets,
    check_within_plan,
)
from tests.policy.conftest import context_for, recorded

GiB = 1024**3
JONAS = "jonas.weber@acme-werkzeuge.de"


def rendered(violations: object, tenants_dir: Path) -> list[str]:
    return [violation.render(relative_to=tenants_dir.parent) for violation in violations]  # type: ignore[attr-defined]


def account(address: str = JONAS, quota: int = 10 * GiB, **extra: object) -> Planned:
    props = {"kind": "user", "address": address, "quota": quota, "purge": False, "password": None, **extra}
    return Planned("stalwart:Account", f"acme:mail:user:{address}", props, ("password",))


# --- data-not-deleted ------------------------------------------------------------------------------------------


def test_mailbox_removed_without_purge_mark_is_refused_at_the_users_field(tenants_dir: Path) -> None:
    old = recorded("stalwart:Account", f"acme:mail:user:{JONAS}", kind="user", address=JONAS, purge=False)
    found = rendered(check_data_not_deleted([], context_for(tenants_dir, old)), tenants_dir)
    assert found == [
        f"tenants/acme.yaml:9:1 users: mailbox {JONAS} of tenant acme would be deleted (it left the file) but was "
        "never marked `purge: true`; keep it, or mark it for purge in one change (set `purge: true` on the user "
        "in `users`) and remove it in a later one"
    ]


def test_mailbox_marked_for_purge_by_the_last_run_may_go(tenants_dir: Path) -> None:
    old = recorded("stalwart:Account", f"acme:mail:user:{JONAS}", kind="user", address=JONAS, purge=True)
    assert list(check_data_not_deleted([], context_for(tenants_dir, old))) == []


def test_mailbox_still_planned_is_not_a_deletion(tenants_dir: Path) -> None:
    old = recorded("stalwart:Account", f"acme:mail:user:{JONAS}", kind="user", address=JONAS, purge=False)
    assert list(check_data_not_deleted([account()], context_for(tenants_dir, old))) == []


def test_space_of_a_removed_tenant_file_names_the_missing_file(tenants_dir: Path) -> None:
    (tenants_dir / "acme.yaml").unlink()
    old = recorded("ocis:Space", "acme:space:projekte", name="Projekte", purge=False)
    found = rendered(check_data_not_deleted([], context_for(tenants_dir, old)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:1:1 (file): space Projekte of tenant acme would be deleted (its tenant file was "
        "removed) but was never marked `purge: true`; keep it, or mark it for purge in one change (a whole tenant "
        "goes with `status: deleted` and, once its retention has passed, `purge: true`) and remove it in a later one"
    ]


# --- data-not-replaced -----------------------------------------------------------------------------------------


def test_space_whose_alias_changes_would_be_replaced_and_is_refused(tenants_dir: Path) -> None:
    old = recorded("ocis:Space", "acme:space:projekte", name="Projekte", alias="acme-projekte", purge=False)
    planned = Planned(
        "ocis:Space", "acme:space:projekte", {"name": "Projekte", "alias": "acme-x", "purge": False}
    )
    found = rendered(check_data_not_replaced(planned, context_for(tenants_dir, old)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:28:7 files.spaces[0]: space Projekte of tenant acme would be replaced (a new, empty "
        "one instead) because alias changed; it was never marked `purge: true`"
    ]


def test_space_update_that_keeps_its_alias_is_no_replacement(tenants_dir: Path) -> None:
    old = recorded("ocis:Space", "acme:space:projekte", name="Projekte", alias="acme-projekte", quota=1)
    planned = Planned(
        "ocis:Space", "acme:space:projekte", {"name": "Projekte", "alias": "acme-projekte", "quota": 2}
    )
    assert list(check_data_not_replaced(planned, context_for(tenants_dir, old))) == []


def test_replacement_key_not_known_during_preview_is_not_guessed(tenants_dir: Path) -> None:
    old = recorded("ocis:Space", "acme:space:projekte", name="Projekte", alias="acme-projekte")
    planned = Planned("ocis:Space", "acme:space:projekte", {"name": "Projekte", "alias": UNKNOWN})
    assert list(check_data_not_replaced(planned, context_for(tenants_dir, old))) == []


# --- within-plan -----------------------------------------------------------------------------------------------


def test_mailbox_quota_above_the_plan_points_at_the_users_quota(tenants_dir: Path) -> None:
    found = rendered(check_within_plan([account(quota=26 * GiB)], context_for(tenants_dir)), tenants_dir)
    assert found == [
        f"tenants/acme.yaml:16:5 users[1].quota: mailbox {JONAS} gets {26 * GiB} bytes, above plan `business`'s "
        f"mailbox quota of {25 * GiB} bytes"
    ]


def test_more_accounts_than_seats_points_at_users(tenants_dir: Path) -> None:
    users = [
        Planned("authentik:User", f"acme:user:u{i}@acme-werkzeuge.de", {"username": f"u{i}"})
        for i in range(51)
    ]
    found = rendered(check_within_plan(users, context_for(tenants_dir)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:9:1 users: 51 accounts planned for tenant acme, but plan `business` has 50 seats"
    ]


def test_spaces_above_the_file_quota_point_at_files_spaces(tenants_dir: Path) -> None:
    spaces = [
        Planned("ocis:Space", f"acme:space:s{i}", {"name": f"s{i}", "quota": 600 * GiB}) for i in range(2)
    ]
    found = rendered(check_within_plan(spaces, context_for(tenants_dir)), tenants_dir)
    assert found == [
        f"tenants/acme.yaml:27:3 files.spaces: spaces of tenant acme add up to {1200 * GiB} bytes, above plan "
        f"`business`'s file quota of {1024 * GiB} bytes"
    ]


def test_quotas_within_the_plan_pass(tenants_dir: Path) -> None:
    assert list(check_within_plan([account(quota=25 * GiB)], context_for(tenants_dir))) == []


# --- dns-inside-tenant-domains ---------------------------------------------------------------------------------


def test_record_outside_the_tenants_domains_is_refused(tenants_dir: Path) -> None:
    rrset = Planned(
        "dns:RRset", "acme:rrset:x", {"zone": "acme-werkzeuge.de", "name": "www.altbau-schroeder.de"}
    )
    found = rendered(check_dns_names(rrset, context_for(tenants_dir)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:7:1 domains: DNS name www.altbau-schroeder.de (zone acme-werkzeuge.de) is outside "
        "tenant acme's domains (acme-werkzeuge.de, acme.dezky.eu)"
    ]


def test_zone_of_another_tenant_is_refused(tenants_dir: Path) -> None:
    zone = Planned("dns:Zone", "acme:zone:altbau-schroeder.de", {"zone": "altbau-schroeder.de"})
    assert len(list(check_dns_names(zone, context_for(tenants_dir)))) == 1


def test_records_inside_the_tenants_zones_pass(tenants_dir: Path) -> None:
    rrset = Planned("dns:RRset", "acme:rrset:mx", {"zone": "acme.dezky.eu", "name": "mail.acme.dezky.eu"})
    assert list(check_dns_names(rrset, context_for(tenants_dir))) == []


# --- apps-bound-to-tenant-group --------------------------------------------------------------------------------


def identity(binding_group: object) -> list[Planned]:
    return [
        Planned("authentik:Group", "acme:group:members", {"name": "acme-members"}),
        Planned("authentik:Application", "acme:app:portal", {"slug": "acme-portal"}),
        Planned(
            "authentik:PolicyBinding",
            "acme:binding:portal",
            {"application": "acme-portal", "group": binding_group},
        ),
    ]


def test_application_bound_to_another_group_is_refused(tenants_dir: Path) -> None:
    found = rendered(check_apps_bound(identity("altbau-members"), context_for(tenants_dir)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:2:1 slug: application acme-portal is not bound to tenant acme's group acme-members "
        "(bound to altbau-members)"
    ]


def test_application_without_binding_is_refused(tenants_dir: Path) -> None:
    assert len(list(check_apps_bound(identity("acme-members")[:2], context_for(tenants_dir)))) == 1


def test_the_platforms_own_application_needs_no_tenant_binding(tenants_dir: Path) -> None:
    ocis = Planned("authentik:Application", "platform:app:ocis", {"slug": "ocis"})
    assert list(check_apps_bound([ocis], context_for(tenants_dir))) == []


def test_application_bound_to_its_tenants_members_passes_even_before_names_are_known(
    tenants_dir: Path,
) -> None:
    assert list(check_apps_bound(identity("acme-members"), context_for(tenants_dir))) == []
    assert list(check_apps_bound(identity(UNKNOWN), context_for(tenants_dir))) == []


# --- no-plaintext-secrets --------------------------------------------------------------------------------------


def test_password_passed_as_an_input_is_refused(tenants_dir: Path) -> None:
    found = rendered(
        check_no_plaintext_secrets(account(password="hunter2"), context_for(tenants_dir)), tenants_dir
    )
    assert found == [
        f"tenants/acme.yaml:2:1 (file): acme:mail:user:{JONAS}: input `password` carries a credential; tenant "
        "resources get theirs from the service as secret outputs, never as inputs"
    ]
    assert "hunter2" not in found[0]


def test_credential_output_not_kept_secret_is_refused(tenants_dir: Path) -> None:
    provider = Planned("authentik:OAuth2Provider", "acme:oauth2:portal", {"client_secret": None}, ())
    found = rendered(check_no_plaintext_secrets(provider, context_for(tenants_dir)), tenants_dir)
    assert found == [
        "tenants/acme.yaml:2:1 (file): acme:oauth2:portal: output `client_secret` holds a credential but is not "
        "kept as a secret"
    ]


def test_settings_named_like_tokens_are_not_credentials(tenants_dir: Path) -> None:
    props = {"access_token_validity": "minutes=10", "include_claims_in_id_token": True, "client_secret": None}
    provider = Planned("authentik:OAuth2Provider", "acme:oauth2:portal", props, ("client_secret",))
    assert list(check_no_plaintext_secrets(provider, context_for(tenants_dir))) == []
