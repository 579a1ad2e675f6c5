"""The last line of the data guard: a provider whose objects hold data deletes one only when its state is
marked `purge: true`, whatever sent the delete (a targeted run, a plain destroy, a bug upstream)."""

from __future__ import annotations

import pytest

from components.authentik.provider import UserProvider
from components.common.provider import ObjectProvider, PurgeRefused
from components.dns.provider import DnsSettings, RRsetProvider, ZoneProvider
from components.stalwart.provider import MailingListProvider
from dezky.lifecycle import DATA_BEARING_TYPES
from dezky.policy.rules import TENANT_TYPES

HOLDING_DATA = [ZoneProvider, UserProvider]


def test_every_data_bearing_type_has_a_provider_that_guards_its_deletes() -> None:
    guarded = {kind for kind, provider in TENANT_TYPES.items() if provider.holds_data}
    own_guard = {"stalwart:Domain", "stalwart:Account", "ocis:Space"}  # checked inside their remove()
    assert guarded | own_guard >= DATA_BEARING_TYPES


@pytest.mark.parametrize("provider_class", HOLDING_DATA, ids=lambda c: c.__name__)
def test_a_delete_of_unmarked_data_is_refused_before_any_call(provider_class: type[ObjectProvider]) -> None:
    provider = provider_class()
    # nothing listens there: a call to the service would fail with another error than the refusal
    provider.settings = DnsSettings("powerdns", "http://127.0.0.1:9", "unused")

    with pytest.raises(PurgeRefused, match="not marked `purge: true`"):
        provider.delete("acme-werkzeuge.de", {"zone": "acme-werkzeuge.de", "username": "a@b.de"})


@pytest.mark.parametrize("provider_class", [RRsetProvider, MailingListProvider], ids=lambda c: c.__name__)
def test_objects_without_data_need_no_mark(provider_class: type[ObjectProvider]) -> None:
    assert not provider_class.holds_data


def test_only_the_purge_mark_changing_is_recorded_without_a_write() -> None:
    class Recording(ZoneProvider):
        writes: list[dict] = []

        def write(self, props, existing):  # type: ignore[no-untyped-def]
            self.writes.append(props)
            return {"zone": props["zone"], "created_by_program": True}

    provider = Recording()
    olds = {"zone": "acme-werkzeuge.de", "purge": False, "created_by_program": True}
    news = {"zone": "acme-werkzeuge.de", "purge": True}

    diff = provider.diff("acme-werkzeuge.de", olds, news)
    updated = provider.update("acme-werkzeuge.de", olds, news)

    assert diff.changes and not diff.replaces
    assert updated.outs == {"zone": "acme-werkzeuge.de", "purge": True, "created_by_program": True}
    assert Recording.writes == []
