"""The review renderer on a recorded real preview (golden events) and on hand-made steps for the edge cases."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pulumi import automation as auto

from dezky.review.changed import only_tenants
from dezky.review.events import events_from_json
from dezky.review.model import ESTATE, Review, review_of
from dezky.review.render import terminal_text, to_json, to_markdown
from tests.review.scenario import GOLDEN

TENANT_URN = "urn:pulumi:dev::dezky::dezky:tenant:Tenant"


@pytest.fixture(scope="module")
def golden() -> Review:
    return review_of(events_from_json(json.loads(GOLDEN.read_text())), ["dev"])


def step_event(op: str, type_: str, name: str, old: dict | None, new: dict | None, parent: str) -> dict:
    urn = f"urn:pulumi:dev::dezky::{parent.split('::')[2]}${type_}::{name}"
    metadata: dict[str, Any] = {"op": op, "urn": urn, "type": type_, "provider": ""}
    for key, inputs in (("old", old), ("new", new)):
        if inputs is not None:
            metadata[key] = {"type": type_, "urn": urn, "parent": parent, "custom": True, "inputs": inputs}
    return {"resourcePreEvent": {"metadata": metadata}}


def review_from(*items: dict) -> Review:
    return review_of([auto.EngineEvent.from_json(item) for item in items])


def test_markdown_of_the_recorded_preview(golden: Review, snapshot):
    assert to_markdown(golden) == snapshot


def test_terminal_of_the_recorded_preview(golden: Review, snapshot):
    assert terminal_text(golden) == snapshot


def test_json_of_the_recorded_preview(golden: Review, snapshot):
    assert json.loads(to_json(golden)) == snapshot


def test_changes_are_grouped_by_tenant_then_integration(golden: Review):
    assert golden.tenants() == ["acme"]
    assert golden.integrations("acme") == ["authentik", "ocis", "stalwart"]
    assert dict(golden.counts("acme", "stalwart")) == {"create": 1, "update": 1}


def test_only_values_the_engine_flags_secret_are_masked_and_settings_with_secret_like_names_show():
    parent = f"{TENANT_URN}$dezky:authentik:TenantIdentity::acme"
    event = step_event(
        "update",
        "pulumi-python:dynamic/authentik:OAuth2Provider",
        "acme:oauth2:portal",
        {
            "client_secret": "[secret]",
            "include_claims_in_id_token": False,
            "access_token_validity": "minutes=5",
        },
        {
            "client_secret": "[secret]",
            "include_claims_in_id_token": True,
            "access_token_validity": "minutes=10",
        },
        parent,
    )

    text = to_markdown(review_from(event))

    assert "`include_claims_in_id_token: false -> true`" in text
    assert '`access_token_validity: "minutes=5" -> "minutes=10"`' in text
    assert "client_secret" not in text  # unchanged: a masked secret never shows as a change


def test_a_secret_value_is_masked_wherever_it_sits():
    parent = f"{TENANT_URN}$dezky:stalwart:TenantMail::acme"
    event = step_event(
        "create", "pulumi-python:dynamic/stalwart:Account", "acme:mail:user:a@acme.de",
        None, {"credentials": {"0": {"secret": "[secret]"}}, "note": "[secret]"}, parent,
    )  # fmt: skip

    [change] = review_from(event).changes

    assert {p.name: p.new for p in change.properties} == {
        "credentials": {"0": {"secret": "[secret]"}},
        "note": "[secret]",
    }


def test_unknown_values_read_known_after_apply_and_sizes_read_in_file_units():
    parent = f"{TENANT_URN}$dezky:ocis:TenantFiles::acme"
    event = step_event(
        "update", "pulumi-python:dynamic/ocis:Space", "acme:space:projekte",
        {"quota": 200 * 1024**3, "owner": "u-1"},
        {"quota": 250 * 1024**3 + 512 * 1024**2, "owner": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}, parent,
    )  # fmt: skip

    text = to_markdown(review_from(event))

    assert "`quota: 200 GiB -> 256512 MiB`" in text
    assert '`owner: "u-1" -> (known after apply)`' in text
    assert "04da6b54" not in text


def test_replacing_a_data_bearing_object_is_a_warning_and_a_plain_one_is_not():
    mail = f"{TENANT_URN}$dezky:stalwart:TenantMail::acme"
    identity = f"{TENANT_URN}$dezky:authentik:TenantIdentity::acme"
    review = review_from(
        step_event("replace", "pulumi-python:dynamic/stalwart:Domain", "acme:d", {"d": 1}, {"d": 2}, mail),
        step_event(
            "replace", "pulumi-python:dynamic/authentik:Group", "acme:g", {"n": 1}, {"n": 2}, identity
        ),
    )

    assert review.warnings == [
        "REPLACES (deletes, then recreates) stalwart Domain `acme:d` of acme: it holds customer data"
    ]


def test_marking_a_data_bearing_object_for_purge_is_a_warning_and_unmarking_it_is_not():
    mail = f"{TENANT_URN}$dezky:stalwart:TenantMail::acme"
    box = "acme:mail:group:buchhaltung@acme-werkzeuge.de"
    group = {"kind": "group", "address": "buchhaltung@acme-werkzeuge.de"}
    review = review_from(
        step_event("update", "pulumi-python:dynamic/stalwart:Account", box, {**group, "purge": False},
                   {**group, "purge": True}, mail),
        step_event("update", "pulumi-python:dynamic/stalwart:Domain", "acme:mail:domain:acme-tools.eu",
                   {"domain": "acme-tools.eu", "purge": True}, {"domain": "acme-tools.eu", "purge": False}, mail),
    )  # fmt: skip

    assert review.warnings == [
        f"MARKS stalwart Account `{box}` of acme for purge: removing it from the tenant file in a later change "
        "destroys it and its data for good"
    ]


def test_resources_outside_any_tenant_belong_to_the_estate():
    event = step_event(
        "create",
        "pulumi-python:dynamic/robot:Server",
        "box",
        None,
        {"ip": "192.0.2.1"},
        "urn:pulumi:dev::dezky::dezky:hetzner:Estate::estate",
    )

    assert review_from(event).tenants() == [ESTATE]


def test_long_markdown_sheds_details_but_keeps_summary_violations_and_warnings(golden: Review):
    full = to_markdown(golden)
    short = to_markdown(golden, limit=1300)
    shortest = to_markdown(golden, limit=10)

    assert len(short) <= 1300 < len(full)
    assert "quota" not in short and "update Account" in short
    for text in (short, shortest):
        assert "· 2 to create, 1 to update, 1 to delete · 1 refusal(s) · 1 data-loss warning(s)**" in text
        assert "POLICY data-not-deleted: tenants/acme.yaml" in text
        assert "DELETES ocis Space `acme:space:projekte`" in text
    assert "Details left out" in shortest


def test_a_backtick_in_a_value_does_not_break_the_markdown():
    parent = f"{TENANT_URN}$dezky:authentik:TenantIdentity::acme"
    event = step_event(
        "update",
        "pulumi-python:dynamic/authentik:User",
        "acme:user:x",
        {"name": "A"},
        {"name": "A`B"},
        parent,
    )

    assert '  - `` name: "A" -> "A`B" ``' in to_markdown(review_from(event))


def test_filtering_to_changed_tenants_keeps_data_loss_elsewhere_and_counts_the_rest():
    def tenant_urn(slug: str) -> str:
        return f"{TENANT_URN}$dezky:stalwart:TenantMail::{slug}"

    review = review_from(
        step_event(
            "update", "pulumi-python:dynamic/stalwart:Account", "a:1", {"q": 1}, {"q": 2}, tenant_urn("a")
        ),
        step_event(
            "update", "pulumi-python:dynamic/stalwart:Account", "b:1", {"q": 1}, {"q": 2}, tenant_urn("b")
        ),
        step_event(
            "delete", "pulumi-python:dynamic/stalwart:Account", "b:2", {"q": 1}, None, tenant_urn("b")
        ),
    )

    kept = only_tenants(review, {"a"})

    assert [change.name for change in kept.changes] == ["a:1", "b:2"]
    assert "_1 change(s) of tenants this change does not touch are not shown._" in to_markdown(kept)


def test_drift_found_by_a_refresh_shows_the_service_value_against_the_file():
    parent = f"{TENANT_URN}$dezky:stalwart:TenantMail::acme"
    event = step_event(
        "update",
        "pulumi-python:dynamic/stalwart:Account",
        "acme:mail:user:a",
        {"quota": 1},
        {"quota": 1},
        parent,
    )
    event["resourcePreEvent"]["metadata"]["old"]["outputs"] = {"quota": 5, "id_on_server": "x"}

    assert "`quota: 5 bytes -> 1 bytes`" in to_markdown(review_from(event))


def policy_event(policy: str, message: str, level: str = "mandatory") -> dict:
    return {
        "policyEvent": {
            "message": f"{policy} description\n{message}",
            "color": "never",
            "policyName": policy,
            "policyPackName": "dezky",
            "policyPackVersion": "1",
            "policyPackVersionTag": "1",
            "enforcementLevel": level,
        }
    }


def test_two_or_more_refusals_render_in_every_format_with_the_whole_plan():
    files = f"{TENANT_URN}$dezky:ocis:TenantFiles::acme"
    space_type = "pulumi-python:dynamic/ocis:Space"
    space = step_event("delete", space_type, "acme:space:buro", {"name": "Büro"}, None, files)
    review = review_from(
        space,
        policy_event("data-not-deleted", "tenants/acme.yaml:30:5 files.spaces: space Büro would be deleted"),
        policy_event(
            "data-not-deleted", "tenants/acme.yaml:20:5 mail.shared_mailboxes: box would be deleted"
        ),
        policy_event("within-plan", "tenants/acme.yaml:9:1 users: 6 accounts", "advisory"),
    )
    assert review.blocked
    assert [v.message.split()[0] for v in review.violations] == [
        "tenants/acme.yaml:20:5",
        "tenants/acme.yaml:30:5",
        "tenants/acme.yaml:9:1",
    ]
    for text in (to_markdown(review), terminal_text(review), to_json(review)):
        assert "acme.yaml:20:5" in text and "acme.yaml:30:5" in text and "space:buro" in text


def test_the_comment_leads_with_stack_commit_time_counts_refusals_and_warnings_and_folds_each_tenant(
    golden: Review,
):
    from dataclasses import replace

    review = replace(golden, commit="0bcbed6a1b2c", generated_at="2026-11-30 04:10:00 UTC")

    text = to_markdown(review)
    first_lines = text.splitlines()[:3]

    assert first_lines[0] == "## Dezky preview :no_entry: refused"
    assert first_lines[2] == (
        "**stack dev · commit 0bcbed6a1b2c · 2026-11-30 04:10:00 UTC · 2 to create, 1 to update, 1 to delete"
        " · 1 refusal(s) · 1 data-loss warning(s)**"
    )
    assert "<details><summary><b>acme</b>: 2 to create, 1 to update, 1 to delete</summary>" in text
    assert text.count("<details>") == text.count("</details>") == 1


def test_the_plain_form_for_logs_never_cuts_a_name_or_a_value():
    from dezky.review.render import to_plain

    long_name = "acme:mail:user:" + "a" * 150 + "@acme-werkzeuge.de"
    event = step_event(
        "update", "pulumi-python:dynamic/stalwart:Account", long_name,
        {"description": "x" * 200}, {"description": "y" * 200}, f"{TENANT_URN}$dezky:stalwart:TenantMail::acme",
    )  # fmt: skip

    text = to_plain(review_from(event))

    assert long_name in text and "y" * 200 in text and "…" not in text
