"""`GeneratedSecret`: a value made once by the program, kept until its rotation input changes."""

from __future__ import annotations

import string

from components.common.generated import GeneratedSecretProvider

PROVIDER = GeneratedSecretProvider()


def inputs(**changes: object) -> dict[str, object]:
    return {
        "purpose": "Authentik bootstrap token",
        "length": 40.0,
        "alphabet": "alphanumeric",
        "rotation": "",
    } | changes


def test_create_draws_a_fresh_value_of_the_asked_length_and_alphabet() -> None:
    first = PROVIDER.create(inputs()).outs["value"]
    second = PROVIDER.create(inputs()).outs["value"]
    hexadecimal = PROVIDER.create(inputs(alphabet="hex", length=32)).outs["value"]

    assert len(first) == 40 and set(first) <= set(string.ascii_letters + string.digits)
    assert first != second
    assert len(hexadecimal) == 32 and set(hexadecimal) <= set("0123456789abcdef")


def test_a_uuid_secret_is_a_version_4_uuid() -> None:
    value = PROVIDER.create(inputs(alphabet="uuid", length=36)).outs["value"]

    assert len(value) == 36 and value[14] == "4"


def test_check_refuses_a_short_or_fractional_length_and_an_unknown_alphabet() -> None:
    failures = PROVIDER.check({}, inputs(length=8.0, alphabet="emoji")).failures
    fractional = PROVIDER.check({}, inputs(length=20.5)).failures

    assert [(f.property, f.reason) for f in failures] == [
        ("length", "a generated secret has at least 16 characters"),
        ("alphabet", "one of ['alphanumeric', 'hex', 'uuid']"),
    ]
    assert [f.property for f in fractional] == ["length"]


def test_a_new_rotation_replaces_the_value_and_a_new_purpose_keeps_it() -> None:
    made = PROVIDER.create(inputs()).outs

    rotated = PROVIDER.diff("id", made, inputs(rotation="2027-01"))
    renamed = PROVIDER.diff("id", made, inputs(purpose="Authentik API token"))
    kept = PROVIDER.update("id", made, inputs(purpose="Authentik API token")).outs

    assert (rotated.changes, rotated.replaces) == (True, ["rotation"])
    assert (renamed.changes, renamed.replaces) == (True, [])
    assert kept["value"] == made["value"] and kept["purpose"] == "Authentik API token"


def test_nothing_changed_is_no_change_and_read_keeps_the_state() -> None:
    made = PROVIDER.create(inputs()).outs

    assert PROVIDER.diff("id", made, inputs()).changes is False
    assert PROVIDER.read("id", made).outs == made
