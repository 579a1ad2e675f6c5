"""Equal meanings compare equal: what Authentik stores differently from how it was sent makes no diff."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from components.authentik import normalise, objects
from components.authentik.apps import OAuth2ProviderProvider
from tests.emulators.authentik import AuthentikEmulator

from .cases import ACME, PORTAL

UNITS = ("weeks", "days", "hours", "minutes", "seconds")


@given(st.dictionaries(st.sampled_from(UNITS), st.integers(min_value=0, max_value=500), min_size=1))
def test_a_duration_keeps_its_length_in_its_one_spelling(parts: dict[str, int]) -> None:
    text = ";".join(f"{unit}={count}" for unit, count in parts.items())

    canonical = normalise.duration(text)

    assert normalise.parse_duration(canonical) == dt.timedelta(**parts)
    assert normalise.duration(canonical) == canonical


def test_durations_spelled_differently_are_one() -> None:
    assert normalise.duration("minutes=60") == normalise.duration("hours=1") == "hours=1"
    assert normalise.duration("hours=1;minutes=90") == "hours=2;minutes=30"
    assert normalise.duration("seconds=0") == "seconds=0"


def test_redirect_uris_get_the_servers_default_type_and_one_order_but_keep_their_exact_url() -> None:
    sent = [
        {"matching_mode": "strict", "url": "https://b.example/cb/"},
        {"matching_mode": "strict", "url": "https://a.example/cb", "redirect_uri_type": "authorization"},
    ]

    assert normalise.redirect_uris(sent) == [
        {"matching_mode": "strict", "url": "https://a.example/cb", "redirect_uri_type": "authorization"},
        {"matching_mode": "strict", "url": "https://b.example/cb/", "redirect_uri_type": "authorization"},
    ]


def test_a_launch_url_without_a_path_is_the_root_page() -> None:
    assert normalise.launch_url("https://Portal.Acme.example") == "https://portal.acme.example/"
    assert normalise.launch_url("https://portal.acme.example/mail") == "https://portal.acme.example/mail"


def test_an_oauth2_provider_written_another_way_makes_no_diff_against_what_the_server_holds(
    configured, authentik: AuthentikEmulator
) -> None:
    provider = configured(OAuth2ProviderProvider())
    props = objects.oauth2_provider_props(ACME, PORTAL)
    created = provider.create(props)
    server = provider.read(created.id, created.outs)
    respelled = {
        **props,
        "redirect_uris": [
            {k: v for k, v in uri.items() if v != "authorization"} for uri in reversed(props["redirect_uris"])
        ],
        "property_mappings": list(reversed(props["property_mappings"])),
        "grant_types": list(reversed(props["grant_types"])),
        "access_token_validity": "minutes=60",
        "refresh_token_validity": "weeks=4;days=2",
    }

    assert provider.diff(server.id, server.outs, respelled).changes is False
