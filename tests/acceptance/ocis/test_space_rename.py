"""A renamed space (`renamed_from`), through the project's `SpaceProvider`, against the real OCIS: the same
space, its files and members, under the new name and alias."""

from __future__ import annotations

from typing import Any

from components.ocis.client import OcisClient
from components.ocis.provider import SpaceProvider, space_alias
from tests.acceptance.conftest import RealServer, Recorder

from .conftest import space_props
from .test_spaces import created, drives_under, webdav


def renamed(tenant: str) -> dict[str, Any]:
    return space_props(tenant, name="Vertrieb und Marketing", renamed_from=space_alias(tenant, "Marketing"))


def test_a_renamed_space_keeps_its_files_under_the_new_name_and_alias(
    provider: SpaceProvider, tenant: str, rec: Recorder, ocis_server: RealServer
) -> None:
    space_id, outs = created(provider, space_props(tenant))
    with webdav(ocis_server) as dav:
        assert dav.put(f"{outs['drive_id']}/angebot.txt", content=b"Messe 2027").status_code == 201

        diff = provider.diff(space_id, outs, renamed(tenant))
        updated = provider.update(space_id, outs, renamed(tenant)).outs
        rec.reset_counts()
        read = provider.read(space_id, updated).outs

        assert diff.replaces == [] and updated["drive_id"] == outs["drive_id"]
        assert (read["name"], read["alias"]) == (
            "Vertrieb und Marketing",
            f"project/{tenant}.vertrieb-und-marketing",
        )
        assert read["members"] == outs["members"]
        assert not provider.diff(space_id, read, renamed(tenant)).changes and rec.writes == 0
        assert dav.get(f"{outs['drive_id']}/angebot.txt").content == b"Messe 2027"


def test_a_create_with_renamed_from_renames_the_existing_space(
    provider: SpaceProvider, tenant: str, client: OcisClient
) -> None:
    _, outs = created(provider, space_props(tenant))

    result = provider.create(provider.check({}, renamed(tenant)).inputs)

    assert result.outs["drive_id"] == outs["drive_id"]
    assert drives_under(client, space_alias(tenant, "Marketing")) == []
    assert [d["id"] for d in drives_under(client, result.id)] == [outs["drive_id"]]
