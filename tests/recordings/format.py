"""What a recording holds and how an exchange with a real server becomes one: secrets and ids scrubbed.

A recording is the sequence of calls one acceptance test made through the recording proxy, each with the
server's status and answer. Before it is written:
- every secret the test knew (the API credential, generated passwords and tokens) and every value under a
  key that names a secret becomes `<secret>`;
- every UUID becomes `<uuid-N>` (the same UUID the same N throughout the recording), so a re-recording of
  the same test differs only where the server's behaviour did;
- the server's own address becomes `<server>`.
Recorded answers keep their shape and every text the server wrote: the contract test compares them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.fixtures.counting_proxy import Exchange

HERE = Path(__file__).parent
SECRET = "<secret>"
SERVER = "<server>"
_UUID = re.compile(r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b")
_SECRET_KEY = re.compile(
    r"(password|secret|token|private|api_?key|credential|secret_?key|access_?key|key_data)", re.I
)
# keys whose names look secret but hold none (a public key, a token's expiry, identifiers)
_NOT_SECRET_KEYS = frozenset(
    {"publicKey", "public_key", "access_token_validity", "refresh_token_validity", "token_validity",
     "certificate_data", "signing_key", "encryption_key", "key_type", "tokenId", "credentialsId"}
)  # fmt: skip


@dataclass(frozen=True)
class RecordedCall:
    method: str
    target: str
    body: Any  # the JSON request body, or None
    status: int
    answer: Any  # the JSON answer, the text of a non-JSON one, or None when empty
    headers: dict[str, str] = field(default_factory=dict)  # request headers that carry meaning (OCIS `Purge`)

    def to_json(self) -> dict[str, Any]:
        request = {"method": self.method, "target": self.target, "body": self.body}
        return {
            "request": {**request, "headers": self.headers} if self.headers else request,
            "response": {"status": self.status, "body": self.answer},
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RecordedCall:
        request, response = data["request"], data["response"]
        return cls(
            request["method"],
            request["target"],
            request["body"],
            response["status"],
            response["body"],
            request.get("headers") or {},
        )


@dataclass(frozen=True)
class Recording:
    service: str
    server_version: str
    case: str
    calls: tuple[RecordedCall, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "service": self.service,
            "server_version": self.server_version,
            "case": self.case,
            "calls": [call.to_json() for call in self.calls],
        }

    @classmethod
    def load(cls, path: Path) -> Recording:
        data = json.loads(path.read_text())
        calls = tuple(RecordedCall.from_json(call) for call in data["calls"])
        return cls(data["service"], data["server_version"], data["case"], calls)


def recording_files(service: str | None = None) -> list[Path]:
    folders = [HERE / service] if service else sorted(p for p in HERE.iterdir() if p.is_dir())
    return sorted(path for folder in folders if folder.is_dir() for path in folder.glob("*.json"))


def write_recording(path: Path, recording: Recording) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(recording.to_json(), indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def scrubbed(
    service: str,
    server_version: str,
    case: str,
    exchanges: Iterable[Exchange],
    *,
    secrets: Iterable[str],
    server_url: str,
    kept: Iterable[str] = (),
    kept_headers: Iterable[str] = (),
) -> Recording:
    """The recording of `exchanges`, with no secret, UUID or address of the server left in it; the UUIDs in
    `kept` are constants of the API (role ids, say) and stay as they are."""
    ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
    scrubber = _Scrubber(ordered, server_url.rstrip("/"), {k.lower() for k in kept}, kept_headers)
    calls = tuple(scrubber.call(exchange) for exchange in exchanges)
    return Recording(service, server_version, case, calls)


class _Scrubber:
    def __init__(self, secrets: list[str], server_url: str, kept: set[str], headers: Iterable[str]) -> None:
        self.headers = {h.lower() for h in headers}
        self.secrets = secrets
        self.server_url = server_url
        self.kept = kept
        self.uuids: dict[str, str] = {}

    def call(self, exchange: Exchange) -> RecordedCall:
        return RecordedCall(
            method=exchange.method,
            target=self.text(unquote(exchange.target)),  # ids after a %-escape get scrubbed too
            body=self.value(_decoded(exchange.request_body)),
            status=exchange.status,
            answer=self.value(_decoded(exchange.response_body)),
            headers={k: self.text(v) for k, v in exchange.request_headers if k.lower() in self.headers},
        )

    def value(self, value: Any, key: str = "") -> Any:
        if isinstance(value, dict):
            return {k: self.value(v, k) for k, v in value.items()}
        if isinstance(value, list):
            return [self.value(v, key) for v in value]
        if isinstance(value, str):
            if value and _SECRET_KEY.search(key) and key not in _NOT_SECRET_KEYS and value != "****":
                return SECRET
            return self.text(value)
        return value

    def text(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, SECRET)
        if self.server_url:
            text = text.replace(self.server_url, SERVER)
        return _UUID.sub(self._uuid, text)

    def _uuid(self, match: re.Match[str]) -> str:
        found = match.group(0).lower()
        if found in self.kept:
            return match.group(0)
        return self.uuids.setdefault(found, f"<uuid-{len(self.uuids) + 1}>")


def _decoded(body: bytes) -> Any:
    if not body:
        return None
    text = body.decode("utf-8", errors="replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
