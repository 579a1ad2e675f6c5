"""Replays a recording of a real server against its emulator and lists every way the emulator answers otherwise.

The emulator is driven in process (`handle(method, target, headers, body)`), fresh for each recording. Ids
differ between the two servers, so the replay learns them as it goes: wherever a recorded answer holds an id
(a key the service's adapter names), the emulator's answer at the same place gives the emulator's id, and
later requests carry that one instead. A `<uuid-N>` no answer has given yet (one the test made itself) is
replaced by a fresh UUID, the same one each time it appears.

What must agree, call by call:
- the status;
- for an error, the server's own words (`adapter.error_text`);
- the shape of a JSON answer: the emulator invents no key the real server does not send, answers every key
  the real server sends unless the adapter lists it as one the project never reads (`unmodelled`), gives
  each value the same JSON type, and the same value for the keys the adapter names as literal (error types,
  variant tags).
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from werkzeug.datastructures import Headers

from tests.emulators.loopback import Drop, Hang, Reply
from tests.recordings.format import SECRET, RecordedCall, Recording

# what a `<secret>` is sent as: a password strong enough for every server's rules
REPLAYED_SECRET = "Replayed-Secret-7c1f-Xq9!"


@dataclass(frozen=True)
class Adapter:
    """What the replay needs to know of one service."""

    service: str
    make_emulator: Callable[[], Any]
    auth_headers: Callable[[], dict[str, str]]
    error_text: Callable[[int, Any], str | None]
    id_keys: frozenset[str]
    reference_keys: frozenset[str] = frozenset()  # keys whose integer values are ids of other objects
    unmodelled: frozenset[str] = frozenset()
    literal_keys: frozenset[str] = frozenset()
    kept_values: frozenset[str] = frozenset()  # UUIDs that are constants of the API, never scrubbed
    kept_headers: frozenset[str] = (
        frozenset()
    )  # request headers the recording keeps (OCIS `Purge`, `Restore`)


@dataclass
class Replay:
    adapter: Adapter
    ids: dict[Any, Any] = field(default_factory=dict)
    mismatches: list[str] = field(default_factory=list)

    def run(self, recording: Recording) -> list[str]:
        emulator = self.adapter.make_emulator()
        for index, call in enumerate(recording.calls):
            status, answer = self._send(emulator, call)
            where = f"call {index + 1} {call.method} {call.target}"
            self._compare(where, call, status, answer)
            if status == call.status:
                self._learn_ids(call.answer, answer)
        return self.mismatches

    def _send(self, emulator: Any, call: RecordedCall) -> tuple[int | None, Any]:
        body = self._substituted(call.body)
        content = b"" if body is None else json.dumps(body).encode()
        headers = Headers({**call.headers, **self.adapter.auth_headers(), "Content-Type": "application/json"})
        outcome = emulator.handle(call.method, self._substituted_target(call.target), headers, content)
        if isinstance(outcome, Hang | Drop):
            return None, None
        assert isinstance(outcome, Reply)
        return outcome.status, outcome.body if outcome.body not in ({}, b"", "") else None

    def _compare(self, where: str, call: RecordedCall, status: int | None, answer: Any) -> None:
        if status != call.status:
            self.mismatches.append(f"{where}: status {status}, the real server answered {call.status}")
            return
        if status is not None and status >= 400:
            real, emulated = (self.adapter.error_text(status, a) for a in (call.answer, answer))
            emulated = self._unsubstituted(emulated)
            if real != emulated:
                self.mismatches.append(f"{where}: error text {emulated!r}, the real server said {real!r}")
            return
        self.mismatches.extend(f"{where}: {m}" for m in self._shape(call.answer, answer, "$"))

    def _shape(self, real: Any, emulated: Any, path: str) -> Iterator[str]:
        if real is None or emulated is None:
            return
        if isinstance(real, dict) and isinstance(emulated, dict):
            yield from self._dict_shape(real, emulated, path)
        elif isinstance(real, list) and isinstance(emulated, list):
            yield from self._list_shape(real, emulated, path)
        elif _json_type(real) != _json_type(emulated):
            yield f"{path} is {_json_type(emulated)}, the real server sends {_json_type(real)}"

    def _dict_shape(self, real: dict[str, Any], emulated: dict[str, Any], path: str) -> Iterator[str]:
        # objects keyed by id (JMAP sets); a key the emulator also uses as is ("0" of a list) stays
        real = {(str(self.ids[k]) if k in self.ids and k not in emulated else k): v for k, v in real.items()}
        for key in emulated.keys() - real.keys():
            if not _is_placeholder(key):
                yield f"{path}.{key} is sent by the emulator only"
        for key in real.keys() - emulated.keys() - self.adapter.unmodelled:
            if not _is_placeholder(key):
                yield f"{path}.{key} is missing from the emulator's answer"
        for key in real.keys() & emulated.keys():
            if key in self.adapter.literal_keys and real[key] != emulated[key]:
                yield f"{path}.{key} is {emulated[key]!r}, the real server sends {real[key]!r}"
            else:
                yield from self._shape(real[key], emulated[key], f"{path}.{key}")

    def _list_shape(self, real: list[Any], emulated: list[Any], path: str) -> Iterator[str]:
        if not real or not emulated:
            return
        if len(real) != len(emulated):
            for index, e in enumerate(emulated):
                yield from self._shape(real[0], e, f"{path}[{index}]")
            return
        # Servers list some collections in no fixed order (OCIS's grants): each emulated element is held to a
        # real one of the same shape if there is one, else to the real element at its place.
        unmatched = list(range(len(real)))
        for index, e in enumerate(emulated):
            fits = next((i for i in unmatched if not list(self._shape(real[i], e, ""))), None)
            chosen = fits if fits is not None else (index if index in unmatched else unmatched[0])
            unmatched.remove(chosen)
            yield from self._shape(real[chosen], e, f"{path}[{index}]")

    def _learn_ids(self, real: Any, emulated: Any, key: str = "") -> None:
        if isinstance(real, dict) and isinstance(emulated, dict):
            for k in real.keys() & emulated.keys():
                self._learn_ids(real[k], emulated[k], k)
            # JMAP answers key created objects by the client's creation id, which is the same in both
        elif isinstance(real, list) and isinstance(emulated, list) and len(real) == len(emulated):
            for r, e in zip(real, emulated, strict=True):
                self._learn_ids(r, e, key)
        elif key in self.adapter.id_keys and _is_id(real) and real != emulated and emulated is not None:
            self.ids.setdefault(real, emulated)

    def _substituted(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {self._substituted_text(k): self._substituted(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self._substituted(v, key) for v in value]
        if isinstance(value, str):
            return self._substituted_text(value)
        ints_are_ids = key in self.adapter.id_keys | self.adapter.reference_keys
        if isinstance(value, int) and not isinstance(value, bool) and ints_are_ids:
            return self.ids.get(value, value)
        return value

    def _unsubstituted(self, text: str | None) -> str | None:
        """An emulator's words with the emulator's ids put back to the recording's, to compare with the real."""
        if text is None:
            return None
        for real, emulated in sorted(self.ids.items(), key=lambda item: -len(str(item[1]))):
            if len(str(emulated)) > 3:
                text = text.replace(str(emulated), str(real))
        return text

    def _substituted_target(self, target: str) -> str:
        """The target with every path segment and query value that is a learned id (numbers too) replaced."""
        by_text = {str(real): str(emulated) for real, emulated in self.ids.items()}
        target = _SEGMENT.sub(lambda m: by_text.get(m.group(0), m.group(0)), target)
        return self._substituted_text(target)

    def _substituted_text(self, text: str) -> str:
        if text == SECRET:
            return REPLAYED_SECRET
        if text in self.ids:
            return str(self.ids[text])
        for real, emulated in sorted(self.ids.items(), key=lambda item: -len(str(item[0]))):
            if isinstance(real, str) and len(real) > 3 and real in text:
                text = text.replace(real, str(emulated))
        for segment in _placeholders(text):
            self.ids.setdefault(segment, str(uuid.uuid4()))
            text = text.replace(segment, self.ids[segment])
        return text.replace(SECRET, REPLAYED_SECRET)


_SEGMENT = re.compile(r"[^/?&=]+")


def _placeholders(text: str) -> list[str]:
    found, start = [], text.find("<uuid-")
    while start != -1:
        end = text.find(">", start)
        if end == -1:
            break
        found.append(text[start : end + 1])
        start = text.find("<uuid-", end)
    return found


def _is_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


def _is_placeholder(key: str) -> bool:
    return key.startswith("<uuid-")


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    return {str: "string", dict: "object", list: "array"}.get(type(value), type(value).__name__)
