"""Every Authentik object kind, through its provider, against a real Authentik: the provider protocol end to end.

Parametrised over `cases.CASES` (brand, group, user, OAuth2 provider, application, policy binding).
"""

from __future__ import annotations

import pytest

from components.common.provider import ConflictError, PurgeRefused

from .cases import CASES, Case, as_held
from .conftest import Tier

pytestmark = pytest.mark.parametrize("case", CASES, ids=str)


def test_create_reads_back_as_declared(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    declared = case.props(t)

    created = provider.create(declared)
    read = provider.read(created.id, created.outs)

    assert read.id == created.id == provider.object_id(declared)
    wanted = as_held(provider.normalise(declared), read.outs)
    assert {key: read.outs[key] for key in wanted} == wanted


def test_second_apply_makes_no_write_calls(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    created = provider.create(case.props(t))
    mark = tier.mark()

    read = provider.read(created.id, created.outs)  # `up --refresh`: read, then diff against the file
    diff = provider.diff(created.id, read.outs, case.props(t))

    assert not diff.changes, diff
    assert tier.writes(mark) == []


def test_refresh_shows_no_drift(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    created = provider.create(case.props(t))

    first = provider.read(created.id, created.outs)
    second = provider.read(created.id, first.outs)

    assert first.outs == created.outs
    assert second.outs == first.outs


def test_a_change_made_by_hand_is_detected_and_repaired(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    created = provider.create(case.props(t))
    with tier.client() as client:
        case.tamper(client, t)

    drifted = provider.read(created.id, created.outs)
    assert drifted.outs[case.drift] != created.outs[case.drift]
    diff = provider.diff(created.id, drifted.outs, case.props(t))
    assert diff.changes and not diff.replaces
    mark = tier.mark()
    provider.update(created.id, drifted.outs, case.props(t))

    assert len(tier.writes(mark)) == 1, tier.writes(mark)
    assert provider.read(created.id, created.outs).outs == created.outs


def test_an_identical_existing_object_is_adopted_without_a_write(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    made = tier.provider(case.provider).create(case.props(t))  # as by hand, or by a lost state
    mark = tier.mark()

    adopted = tier.provider(case.provider).create(case.props(t))

    assert tier.writes(mark) == []
    assert adopted.id == made.id
    assert {k: v for k, v in adopted.outs.items() if k != "created_by_program"} == {
        k: v for k, v in made.outs.items() if k != "created_by_program"
    }


def test_import_reads_the_object_from_its_id_alone(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    created = provider.create(case.props(t))
    if case.name == "user":
        pytest.skip("a user is read against the tenant's groups: its import needs `managed_groups`")

    imported = provider.read(created.id, {})

    assert imported.id == created.id
    wanted = as_held(provider.normalise(case.props(t)), imported.outs)
    assert {key: imported.outs[key] for key in wanted} == wanted


def test_a_foreign_object_is_refused(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    with tier.client() as client:
        case.squat(client, t)
    mark = tier.mark()

    with pytest.raises(ConflictError, match="already exists with different content"):
        tier.provider(case.provider).create(case.props(t))

    assert tier.writes(mark) == []


def test_a_lost_reply_on_create_leaves_no_duplicate(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    tier.rec.proxy.lose_reply("POST", case.create_path, times=2)

    created = provider.create(case.props(t))

    with tier.direct() as direct:
        assert case.count(direct, t) == 1
    assert provider.read(created.id, created.outs).outs == created.outs


def test_delete_removes_it_and_a_second_delete_is_no_error(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    created = provider.create(case.props(t))
    outs = {**created.outs, "purge": True} if provider.holds_data else created.outs

    provider.delete(created.id, outs)
    provider.delete(created.id, outs)

    assert provider.read(created.id, created.outs).id is None
    with tier.direct() as direct:
        assert case.count(direct, t) == 0


def test_the_delete_guard_refuses_a_login_not_marked_for_purge(tier: Tier, case: Case) -> None:
    t = tier.tenant()
    case.setup(tier, t)
    provider = tier.provider(case.provider)
    if not provider.holds_data:
        pytest.skip(f"a {case.name} holds no customer data: its delete is not guarded")
    created = provider.create(case.props(t))
    mark = tier.mark()

    with pytest.raises(PurgeRefused):
        provider.delete(created.id, {**created.outs, "purge": False})

    assert tier.writes(mark) == []
    with tier.direct() as direct:
        assert case.count(direct, t) == 1
