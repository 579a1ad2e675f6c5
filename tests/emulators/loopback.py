"""A threaded HTTP server on a free loopback port for emulators, and the faults a test can order from one.

An emulator is any object with `handle(method, target, headers, body) -> Outcome`; the server only turns HTTP
into that call and the outcome back into HTTP, including the two answers that are not HTTP at all: hanging
past the client's timeout and dropping the connection.
"""

from __future__ import annotations

import fnmatch
import json
import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal, Protocol

from werkzeug.datastructures import Headers

FaultKind = Literal["429", "503", "hang", "drop"]


@dataclass
class Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Hang:
    """Say nothing for `seconds` (or until the server stops), then close the connection."""

    seconds: float


@dataclass(frozen=True)
class Drop:
    """Close the connection without answering."""


Outcome = Reply | Hang | Drop


class Emulator(Protocol):
    def handle(self, method: str, target: str, headers: Headers, body: bytes) -> Outcome: ...


@dataclass
class Fault:
    method: str
    path_pattern: str
    kind: FaultKind
    remaining: int


class Faults:
    """Faults ordered by a test, each for the next N calls of a method to paths matching a glob."""

    def __init__(self) -> None:
        self._pending: list[Fault] = []
        self._lock = threading.Lock()

    def add(self, method: str, path_pattern: str, kind: FaultKind, times: int = 1) -> None:
        with self._lock:
            self._pending.append(Fault(method.upper(), path_pattern, kind, times))

    def take(self, method: str, path: str) -> FaultKind | None:
        """The fault this call must suffer, if any; each call uses up one of a fault's `times`."""
        with self._lock:
            for fault in self._pending:
                if (
                    fault.remaining
                    and fault.method == method
                    and fnmatch.fnmatchcase(path, fault.path_pattern)
                ):
                    fault.remaining -= 1
                    return fault.kind
        return None

    def clear(self) -> None:
        with self._lock:
            self._pending.clear()


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real APIs and httpx's connection pool use it
    disable_nagle_algorithm = True  # else headers and body, written apart, wait ~40 ms on delayed ACKs
    timeout = 30
    server: LoopbackServer

    def do_GET(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        outcome = self.server.emulator.handle(
            self.command, self.path, Headers(list(self.headers.items())), body
        )
        if isinstance(outcome, Reply):
            self._reply(outcome)
            return
        if isinstance(outcome, Hang):
            self.server.stopping.wait(outcome.seconds)
        self.close_connection = True
        self.connection.shutdown(socket.SHUT_RDWR)

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def _reply(self, reply: Reply) -> None:
        if reply.status == 204:
            # No body after a 204: on a kept-alive connection it would be read as the next response.
            self.send_response(204)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            self.end_headers()
            return
        data = json.dumps(reply.body).encode()
        self.send_response(reply.status)
        for name, value in {**reply.headers, "Content-Type": "application/json"}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: each emulator keeps the call log its tests read."""


class LoopbackServer(ThreadingHTTPServer):
    """Serves one emulator on 127.0.0.1 and a free port, in a background thread."""

    daemon_threads = True

    def __init__(self, emulator: Emulator) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.emulator = emulator
        self.stopping = threading.Event()
        self._thread = threading.Thread(target=self.serve_forever, name=type(emulator).__name__, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stopping.set()
        self.shutdown()
        self.server_close()
