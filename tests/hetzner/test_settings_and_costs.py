"""`dezky:estate` read into typed settings, and the monthly cost computed from the one price table."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from hetzner.costs import MONTHLY_PRICES_EUR, UnknownProduct, monthly_cost_eur
from hetzner.settings import EstateConfigInvalid, estate_settings, parse_estate_settings

MINIMAL = {
    "robotServerNumber": 2345678,
    "ipv4": "203.0.113.10",
    "ipv6": "2001:db8:4:2::2",
    "ptr": "Mail.Dezky.EU.",
    "adminNetworks": ["198.51.100.0/24"],
}


class FakeConfig:
    def __init__(self, estate: Any) -> None:
        self.estate = estate

    def get_object(self, key: str) -> Any:
        return self.estate if key == "estate" else None


def test_default_estate_costs_server_object_storage_and_two_bx11() -> None:
    cost = parse_estate_settings(MINIMAL).monthly_cost_eur

    assert cost == Decimal("39") + Decimal("5") + Decimal("3.20") + Decimal("3.20") == Decimal("50.40")
    table = MONTHLY_PRICES_EUR
    assert cost == table["ax41-nvme"] + table["object-storage"] + 2 * table["bx11"]


def test_default_estate_is_the_production_estate() -> None:
    settings = parse_estate_settings(MINIMAL)

    assert [(b.name, b.location, b.type, b.subaccounts) for b in settings.storage_boxes] == [
        ("dezky-backups", "fsn1", "bx11", ("backups",)),
        ("dezky-dr", "hel1", "bx11", ("dr",)),
    ]
    assert (settings.bucket.name, settings.bucket.region) == ("dezky-ocis", "fsn1")
    assert settings.ptr == "mail.dezky.eu" and settings.protect


def test_every_key_can_be_set_in_camel_case() -> None:
    settings = parse_estate_settings(
        {
            **MINIMAL,
            "protect": False,
            "storageBoxes": [{"name": "only", "location": "nbg1", "sshKeys": ["ssh-ed25519 AAAA x"]}],
            "bucket": {
                "name": "b-1",
                "region": "hel1",
                "endpoint": "http://127.0.0.1:9000",
                "abortIncompleteUploadsDays": None,
            },
        }
    )

    assert settings.storage_boxes[0].ssh_keys == ("ssh-ed25519 AAAA x",)
    assert settings.bucket.abort_incomplete_uploads_days is None
    assert settings.monthly_cost_eur == Decimal("47.20")


def test_stack_without_an_estate_has_no_settings() -> None:
    assert estate_settings(FakeConfig(None)) is None


def test_every_bad_key_is_named_with_its_path() -> None:
    bad = {**MINIMAL, "ipv4": "x", "storageBoxes": [{"name": "a", "location": "ams1"}], "extra": 1}

    with pytest.raises(EstateConfigInvalid) as caught:
        estate_settings(FakeConfig(bad))

    text = str(caught.value)
    for path in ("dezky:estate.ipv4:", "dezky:estate.storageBoxes[0].location:", "dezky:estate.extra:"):
        assert path in text


def test_two_boxes_of_one_name_are_refused() -> None:
    box = {"name": "twin", "location": "fsn1"}

    with pytest.raises(EstateConfigInvalid, match="distinct"):
        parse_estate_settings({**MINIMAL, "storageBoxes": [box, box]})


def test_a_product_without_a_price_is_an_error_not_zero() -> None:
    with pytest.raises(UnknownProduct, match="bx99"):
        monthly_cost_eur(["bx99"])
