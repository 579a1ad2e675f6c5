"""The replay and the scrubbing behind the contract test: they find what differs and keep no secret."""

from __future__ import annotations

import json
from typing import Any

from tests.contract.replay import REPLAYED_SECRET, Adapter, Replay
from tests.emulators.loopback import Reply
from tests.fixtures.counting_proxy import Exchange
from tests.recordings.format import RecordedCall, Recording, scrubbed


class FakeEmulator:
    """Answers from a script and keeps what it was sent."""

    def __init__(self, answers: list[Reply]) -> None:
        self.answers = answers
        self.sent: list[tuple[str, str, Any]] = []

    def handle(self, method: str, target: str, headers: Any, body: bytes) -> Reply:
        self.sent.append((method, target, json.loads(body) if body else None))
        return self.answers[len(self.sent) - 1]


def adapter(emulator: FakeEmulator, **changes: Any) -> Adapter:
    settings: dict[str, Any] = {
        "service": "fake",
        "make_emulator": lambda: emulator,
        "auth_headers": dict,
        "error_text": lambda status, body: (body or {}).get("detail"),
        "id_keys": frozenset({"pk"}),
        **changes,
    }
    return Adapter(**settings)


def recording(*calls: RecordedCall) -> Recording:
    return Recording("fake", "1.0", "case", calls)


def test_a_different_status_is_a_mismatch() -> None:
    emulator = FakeEmulator([Reply(404, {"detail": "Not found."})])
    mismatches = Replay(adapter(emulator)).run(recording(RecordedCall("GET", "/x/", None, 200, {"pk": 1})))
    assert mismatches == ["call 1 GET /x/: status 404, the real server answered 200"]


def test_other_error_words_are_a_mismatch() -> None:
    emulator = FakeEmulator([Reply(400, {"detail": "bad"})])
    call = RecordedCall("POST", "/x/", {}, 400, {"detail": "This field must be unique."})
    assert Replay(adapter(emulator)).run(recording(call)) == [
        "call 1 POST /x/: error text 'bad', the real server said 'This field must be unique.'"
    ]


def test_invented_missing_and_mistyped_keys_are_mismatches_unless_unmodelled() -> None:
    real = {"pk": 1, "name": "a", "meta": {"x": 1}, "ignored": True}
    emulated = {"pk": 2, "name": 3, "extra": "?", "meta": {"x": 1}}
    emulator = FakeEmulator([Reply(200, emulated)])
    mismatches = Replay(adapter(emulator, unmodelled=frozenset({"ignored"}))).run(
        recording(RecordedCall("GET", "/x/", None, 200, real))
    )
    assert sorted(mismatches) == [
        "call 1 GET /x/: $.extra is sent by the emulator only",
        "call 1 GET /x/: $.name is number, the real server sends string",
    ]


def test_literal_keys_must_carry_the_same_value() -> None:
    emulator = FakeEmulator([Reply(200, {"type": "invalidArguments"})])
    mismatches = Replay(adapter(emulator, literal_keys=frozenset({"type"}))).run(
        recording(RecordedCall("POST", "/jmap", None, 200, {"type": "notRequest"}))
    )
    assert mismatches == [
        "call 1 POST /jmap: $.type is 'invalidArguments', the real server sends 'notRequest'"
    ]


def test_ids_learned_from_answers_are_sent_in_later_requests() -> None:
    emulator = FakeEmulator([Reply(201, {"pk": 7}), Reply(200, {"pk": 7, "user": 7})])
    calls = (
        RecordedCall("POST", "/users/", {"password": "<secret>"}, 201, {"pk": 41}),
        RecordedCall("PATCH", "/users/41/", {"user": 41, "order": 41}, 200, {"pk": 41, "user": 41}),
    )
    mismatches = Replay(adapter(emulator, reference_keys=frozenset({"user"}))).run(recording(*calls))
    assert mismatches == []
    assert emulator.sent == [
        ("POST", "/users/", {"password": REPLAYED_SECRET}),
        ("PATCH", "/users/7/", {"user": 7, "order": 41}),
    ]


def test_a_recording_keeps_no_secret_and_numbers_uuids_consistently() -> None:
    role = "a8d5fe5e-96e3-418d-825b-534dbdf22b99"
    space = "0f6a2b8e-1111-4222-8333-944455556666"
    exchange = Exchange(
        method="POST",
        target=f"/graph/v1.0/drives/{space}/root/invite",
        request_body=json.dumps({"roles": [role], "password": "hunter2-generated"}).encode(),
        request_content_type="application/json",
        status=200,
        response_body=json.dumps(
            {"id": space, "webUrl": "https://127.0.0.1:9200/f/x", "note": "token tok-123 used"}
        ).encode(),
        response_content_type="application/json",
    )
    [call] = scrubbed(
        "ocis",
        "8.2",
        "case",
        [exchange],
        secrets=["tok-123"],
        server_url="https://127.0.0.1:9200",
        kept=[role],
    ).calls
    assert call.target == "/graph/v1.0/drives/<uuid-1>/root/invite"
    assert call.body == {"roles": [role], "password": "<secret>"}
    assert call.answer == {"id": "<uuid-1>", "webUrl": "<server>/f/x", "note": "token <secret> used"}
