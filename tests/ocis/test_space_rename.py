"""A renamed space (`renamed_from`): the same OCIS space, with its files and members, under the new name."""

from __future__ import annotations

import datetime as dt
from typing import Any

from components.ocis.component import space_inputs
from components.ocis.provider import SpaceProvider
from dezky.tenants.model import Tenant
from tests.emulators.ocis import OcisEmulator

from .conftest import space_props

OLD_ALIAS = "project/nordlicht.marketing"
NEW_ALIAS = "project/nordlicht.vertrieb-marketing"


def renamed(**changes: Any) -> dict[str, Any]:
    return space_props(**{"name": "Vertrieb & Marketing", "renamed_from": OLD_ALIAS, **changes})


def created(provider: SpaceProvider) -> tuple[str, dict[str, Any]]:
    result = provider.create(provider.check({}, space_props()).inputs)
    return result.id, result.outs


def test_a_renamed_space_keeps_its_files_and_members_under_the_new_name_and_alias(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider)
    before = ocis.state.space_by_alias(OLD_ALIAS)
    assert before is not None
    before.files = 9

    diff = provider.diff(space_id, outs, renamed())
    updated = provider.update(space_id, outs, renamed())

    after = ocis.state.space_by_alias(NEW_ALIAS)
    assert diff.changes and diff.replaces == []
    assert after is not None and after.id == before.id and after.files == 9
    assert after.name == "Vertrieb & Marketing" and ocis.state.space_by_alias(OLD_ALIAS) is None
    assert updated.outs["drive_id"] == outs["drive_id"] and updated.outs["members"] == outs["members"]


def test_after_the_rename_read_finds_it_under_the_new_alias_and_nothing_is_left_to_do(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider)
    updated = provider.update(space_id, outs, renamed())
    ocis.calls.clear()

    read = provider.read(space_id, updated.outs)

    assert read.outs["alias"] == NEW_ALIAS and read.outs["name"] == "Vertrieb & Marketing"
    assert provider.diff(space_id, read.outs, renamed()).changes is False
    assert ocis.writes == 0


def test_a_create_with_renamed_from_renames_the_existing_space_instead_of_making_a_second(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    _, outs = created(provider)

    result = provider.create(provider.check({}, renamed()).inputs)

    assert result.id == NEW_ALIAS and result.outs["drive_id"] == outs["drive_id"]
    assert len(ocis.state.spaces) == 1


def test_without_renamed_from_a_new_name_is_a_replacement_the_guard_refuses(provider: SpaceProvider) -> None:
    space_id, outs = created(provider)

    assert provider.diff(space_id, outs, renamed(renamed_from=None)).replaces == ["alias"]


def test_a_renamed_space_marked_for_purge_is_purged_under_its_new_alias(
    provider: SpaceProvider, ocis: OcisEmulator
) -> None:
    space_id, outs = created(provider)
    updated = provider.update(space_id, outs, renamed(purge=True))

    provider.delete(space_id, updated.outs)

    assert ocis.state.spaces == {}


def _tenant(**changes: Any) -> Tenant:
    return Tenant.model_validate(
        {
            "slug": "nordlicht", "name": "Nordlicht Design", "created": dt.date(2026, 3, 1), "plan": "business",
            "domains": {"primary": "nordlicht.de", "platform_subdomain": "nordlicht.dezky.eu"},
            "users": [{"email": "ida@nordlicht.de", "name": "Ida", "role": "admin"}],
            "files": {"spaces": [{"name": "Vertrieb & Marketing", "quota": "5GB", "renamed_from": "Marketing"},
                                 {"name": "Archiv", "quota": "1GB"}]},
            **changes,
        }
    )  # fmt: skip


def test_space_inputs_name_the_previous_alias_of_a_renamed_space_or_tenant() -> None:
    renamed_space = _tenant()
    renamed_tenant = _tenant(slug="nordlicht-design", renamed_from="nordlicht")

    assert [space_inputs(renamed_space, s)["renamed_from"] for s in renamed_space.files.spaces] == [
        "project/nordlicht.marketing",
        None,
    ]
    assert [space_inputs(renamed_tenant, s)["renamed_from"] for s in renamed_tenant.files.spaces] == [
        "project/nordlicht.marketing",
        "project/nordlicht.archiv",
    ]
