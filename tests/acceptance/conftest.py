"""What every acceptance test shares: the real server it is pointed at and the proxy that counts and records.

The tier is opt-in, like Terraform providers' `TF_ACC`: `tests/conftest.py` does not even collect this folder
unless `DEZKY_ACCEPTANCE=1`. Each server is named by environment variables (see `RealServer.from_env`); a
server that is not named skips its tests with the reason. `DEZKY_RECORD=1` writes each test's exchanges,
scrubbed, to `tests/recordings/<service>/<module>__<test>.json` for the contract test to replay.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from tests.contract.adapters import ADAPTERS
from tests.fixtures.counting_proxy import CountingProxy, counting_proxy
from tests.recordings.format import HERE as RECORDINGS
from tests.recordings.format import scrubbed, write_recording

RECORD = os.environ.get("DEZKY_RECORD") == "1"


@dataclass(frozen=True)
class RealServer:
    """A real server on loopback: `DEZKY_ACC_<SERVICE>_URL`, `_TOKEN`, optional `_USER` and `_VERSION`."""

    service: str
    url: str
    token: str = field(repr=False)
    user: str = ""
    version: str = "unknown"

    @classmethod
    def from_env(cls, service: str) -> RealServer:
        prefix = f"DEZKY_ACC_{service.upper()}_"
        url, token = os.environ.get(prefix + "URL"), os.environ.get(prefix + "TOKEN")
        if not url or not token:
            pytest.skip(f"{service}: set {prefix}URL and {prefix}TOKEN to run its acceptance tests")
        return cls(
            service,
            url.rstrip("/"),
            token,
            os.environ.get(prefix + "USER", ""),
            os.environ.get(prefix + "VERSION", "unknown"),
        )


@dataclass
class Recorder:
    """The proxy of one test in front of one real server, and the secrets to scrub from its recording."""

    server: RealServer
    proxy: CountingProxy
    secrets: set[str] = field(default_factory=set)

    @property
    def url(self) -> str:
        return self.proxy.url

    @property
    def writes(self) -> int:
        return self.proxy.counter.writes

    @property
    def reads(self) -> int:
        return self.proxy.counter.reads

    def reset_counts(self) -> None:
        self.proxy.counter.reset()

    def secret(self, value: str) -> str:
        """Remember a secret the test made (a password, a token), so no recording keeps it; returns it."""
        self.secrets.add(value)
        return value


@pytest.fixture
def recorded(request: pytest.FixtureRequest) -> Iterator[Callable[[RealServer], Recorder]]:
    """`recorded(server)`: a counting, recording proxy in front of `server` for this test."""
    recorders: list[Recorder] = []
    with _ProxyStack() as stack:

        def start(server: RealServer) -> Recorder:
            proxy = stack.enter(server)
            recorder = Recorder(server, proxy, {server.token})
            recorders.append(recorder)
            return recorder

        yield start
        if RECORD and request.node.rep_call_passed:  # type: ignore[attr-defined]
            for recorder in recorders:
                _write(request, recorder)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> object:
    report = yield
    if report.when == "call":
        item.rep_call_passed = report.passed  # type: ignore[attr-defined]
    return report


class _ProxyStack:
    def __enter__(self) -> _ProxyStack:
        self._contexts: list[object] = []
        return self

    def enter(self, server: RealServer) -> CountingProxy:
        context = counting_proxy(server.url, record=True, verify_tls=False)
        self._contexts.append(context)
        return context.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        for context in reversed(self._contexts):
            context.__exit__(None, None, None)  # type: ignore[attr-defined]


def _write(request: pytest.FixtureRequest, recorder: Recorder) -> None:
    if not recorder.proxy.counter.exchanges:
        return  # a test that went straight to the server left nothing to replay
    service = recorder.server.service
    module = request.node.module.__name__.rsplit(".", 1)[-1]
    case = f"{module}__{request.node.name}"
    recording = scrubbed(
        service,
        recorder.server.version,
        case,
        recorder.proxy.counter.exchanges,
        secrets=recorder.secrets,
        server_url=recorder.server.url,
        kept=ADAPTERS[service].kept_values,
        kept_headers=ADAPTERS[service].kept_headers,
    )
    safe = "".join(c if c.isalnum() or c in "._-" else "_" for c in case)
    write_recording(RECORDINGS / service / f"{safe}.json", recording)
