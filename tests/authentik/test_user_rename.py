"""A user whose address changed (`renamed_from`): the same Authentik login under the new username and email."""

from __future__ import annotations

from typing import Any

from components.authentik.client import AuthentikClient
from components.authentik.provider import UserProvider
from tests.emulators.authentik import AuthentikEmulator

from .cases import ADMINS, MEMBERS, make_groups, user_props

OLD = "anna@acme-werkzeuge.de"
NEW = "anna.berg@acme-werkzeuge.de"


def renamed(**changes: Any) -> dict[str, Any]:
    return {**user_props(), "username": NEW, "email": NEW, "renamed_from": OLD, **changes}


def groups_of(client: AuthentikClient, username: str) -> set[str]:
    user = client.find_user(username)
    assert user is not None, username
    return {group["name"] for group in user.get("groups_obj") or ()}


def test_a_renamed_user_is_an_update_of_the_same_login_not_a_replacement(
    client: AuthentikClient, configured, authentik: AuthentikEmulator
) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())

    diff = provider.diff(created.id, created.outs, renamed())
    updated = provider.update(created.id, created.outs, renamed())

    assert diff.changes and diff.replaces == []
    user = client.find_user(NEW)
    assert user is not None and user["pk"] == created.outs["pk"] and user["email"] == NEW
    assert client.find_user(OLD) is None
    assert groups_of(client, NEW) == {MEMBERS, ADMINS}
    assert updated.outs["created_by_program"] is True  # still the program's own user, deleted with its purge


def test_after_the_rename_read_finds_it_under_the_new_name_and_nothing_is_left_to_do(
    client: AuthentikClient, configured, authentik: AuthentikEmulator
) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())
    updated = provider.update(created.id, created.outs, renamed())
    writes = authentik.writes

    # Pulumi keeps the id the user was created with (the old username); the state names the new one.
    read = provider.read(created.id, updated.outs)

    assert read.id == created.id and read.outs["username"] == NEW
    assert provider.diff(created.id, read.outs, renamed()).changes is False
    assert authentik.writes == writes


def test_without_renamed_from_a_changed_username_is_a_replacement(
    client: AuthentikClient, configured
) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())

    diff = provider.diff(created.id, created.outs, renamed(renamed_from=None))

    assert diff.replaces == ["username"]


def test_renamed_from_another_name_than_the_recorded_one_is_still_a_replacement(
    client: AuthentikClient, configured
) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())

    diff = provider.diff(created.id, created.outs, renamed(renamed_from="someone@acme-werkzeuge.de"))

    assert diff.replaces == ["username"]


def test_a_create_with_renamed_from_renames_the_existing_login_instead_of_making_a_second(
    client: AuthentikClient, configured
) -> None:
    """The state was lost (or the rename is applied to a fresh stack): the login is under its old name."""
    make_groups(client)
    provider = configured(UserProvider())
    first = provider.create(user_props())

    created = provider.create(renamed())

    assert created.id == NEW and created.outs["pk"] == first.outs["pk"]
    assert client.find_user(OLD) is None and groups_of(client, NEW) == {MEMBERS, ADMINS}


def test_a_rename_done_by_hand_already_is_finished_by_the_update(client: AuthentikClient, configured) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())
    client.update_user(created.outs["pk"], {"username": NEW})  # type: ignore[typeddict-item]

    provider.update(created.id, created.outs, renamed())

    user = client.find_user(NEW)
    assert user is not None and user["email"] == NEW and user["pk"] == created.outs["pk"]


def test_a_renamed_user_marked_for_purge_is_deleted_under_its_new_name(
    client: AuthentikClient, configured
) -> None:
    make_groups(client)
    provider = configured(UserProvider())
    created = provider.create(user_props())
    updated = provider.update(created.id, created.outs, renamed(purge=True))

    provider.delete(created.id, updated.outs)

    assert client.find_user(NEW) is None
