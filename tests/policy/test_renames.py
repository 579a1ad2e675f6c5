"""The data rules on renames (`renamed_from`): an object renamed in place is kept, not deleted or replaced."""

from __future__ import annotations

from pathlib import Path

from dezky.policy.pack import planned_from
from dezky.policy.rules import Planned, check_data_not_deleted, check_data_not_replaced
from dezky.policy.state import Recorded
from tests.policy.conftest import context_for, recorded

OLD, NEW = "jonas.weber@acme-werkzeuge.de", "jonas.koch@acme-werkzeuge.de"
OLD_NAME, NEW_NAME = f"acme:mail:user:{OLD}", f"acme:mail:user:{NEW}"


def mailbox(**extra: object) -> Planned:
    props = {"kind": "user", "address": NEW, "purge": False, **extra}
    return Planned("stalwart:Account", NEW_NAME, props, ("password",), aliases=(OLD_NAME,))


def old_mailbox() -> Recorded:
    return recorded("stalwart:Account", OLD_NAME, kind="user", address=OLD, purge=False)


def test_a_mailbox_planned_under_its_new_name_with_the_old_one_as_alias_is_not_deleted(
    tenants_dir: Path,
) -> None:
    context = context_for(tenants_dir, old_mailbox())

    assert list(check_data_not_deleted([mailbox(renamed_from=OLD)], context)) == []


def test_a_mailbox_under_a_new_name_without_the_alias_is_still_a_deletion(tenants_dir: Path) -> None:
    context = context_for(tenants_dir, old_mailbox())
    unaliased = Planned("stalwart:Account", NEW_NAME, {"kind": "user", "address": NEW, "purge": False})

    found = list(check_data_not_deleted([unaliased], context))

    assert [v.message.split(" (")[0] for v in found] == [f"mailbox {OLD} of tenant acme would be deleted"]


def test_a_mailbox_renamed_from_its_recorded_address_is_no_replacement(tenants_dir: Path) -> None:
    context = context_for(tenants_dir, old_mailbox())

    assert list(check_data_not_replaced(mailbox(renamed_from=OLD), context)) == []


def test_a_mailbox_renamed_from_another_address_than_the_recorded_one_is_a_replacement(
    tenants_dir: Path,
) -> None:
    context = context_for(tenants_dir, old_mailbox())

    found = list(check_data_not_replaced(mailbox(renamed_from="someone@acme-werkzeuge.de"), context))

    assert [v.message for v in found] == [
        f"mailbox {OLD} of tenant acme would be replaced (a new, empty one instead) because address changed; it "
        "was never marked `purge: true`"
    ]


def test_a_space_renamed_from_its_recorded_alias_is_no_replacement(tenants_dir: Path) -> None:
    old = recorded(
        "ocis:Space", "acme:space:projekte", tenant="acme", name="Projekte", alias="project/acme.projekte"
    )
    planned = Planned(
        "ocis:Space",
        "acme:space:kundenprojekte",
        {"tenant": "acme", "name": "Kundenprojekte", "alias": "project/acme.kundenprojekte",
         "renamed_from": "project/acme.projekte"},
        aliases=("acme:space:projekte",),
    )  # fmt: skip

    context = context_for(tenants_dir, old)

    assert list(check_data_not_replaced(planned, context)) == []
    assert list(check_data_not_deleted([planned], context)) == []


class _Options:
    additional_secret_outputs = ["password"]
    aliases = [
        f"urn:pulumi:dev::dezky::dezky:tenant:Tenant$pulumi-python:dynamic:stalwart:Account::{OLD_NAME}"
    ]


def test_the_pack_reads_the_aliases_the_engine_hands_it_as_urns() -> None:
    planned = planned_from("pulumi-python:dynamic:stalwart:Account", NEW_NAME, {"address": NEW}, _Options())

    assert planned.aliases == (OLD_NAME,)
