"""`dezky sandbox up | down | status`: the dev stack's services on loopback, to try the platform locally.

`up` reads the stack's service URLs and credentials from its config (the dev passphrase is public) and starts,
in one background process (its own session, pid file in `.state/sandbox/`):

- PowerDNS: the real `pdns_server` (Debian's package, `scripts/install-system-packages`) with its sqlite
  database, HTTP API on `dezky:powerdnsUrl` with `dezky:powerdnsApiKey`, DNS on a free loopback port;
- Stalwart, Authentik and OCIS: the test suite's emulators (`tests/emulators/`), each on its URL's port and
  accepting exactly the stack's credential (`dezky:stalwartToken`, `dezky:authentikToken`, Basic
  `dezky:ocisUser`:`dezky:ocisToken`).

What the services hold survives `down` and `up` (PowerDNS's database; the emulators' objects are saved on a
clean stop), so the stack's state keeps matching them; `up --fresh` starts empty. `down` stops the whole
process tree. The sandbox needs the test extras (`pip install -e '.[test]'`, as `make sandbox` does).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import pickle
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from dezky.engine.processes import running
from dezky.engine.workspace import ROOT
from dezky.timestamps import utc_text

SANDBOX_DIR = ROOT / ".state" / "sandbox"
PID_FILE = "sandbox.pid"
READY_FILE = "ready.json"
LOG_FILE = "sandbox.log"
SAVED_FILE = "emulators.pickle"
START_SECONDS = 180.0  # loading the three services' API descriptions takes ~10 s of CPU
STOP_SECONDS = 15.0
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})


class SandboxError(RuntimeError):
    """The sandbox cannot start or stop as asked; the message says why and what to do."""


@dataclass(frozen=True)
class Services:
    """Where the stack expects its services and the credentials it sends them."""

    powerdns_url: str
    powerdns_api_key: str
    stalwart_url: str
    stalwart_token: str
    authentik_url: str
    authentik_token: str
    ocis_url: str
    ocis_user: str
    ocis_token: str

    def urls(self) -> dict[str, str]:
        return {
            "powerdns": self.powerdns_url,
            "stalwart": self.stalwart_url,
            "authentik": self.authentik_url,
            "ocis": self.ocis_url,
        }


_KEYS = {
    "powerdns_url": "dezky:powerdnsUrl",
    "powerdns_api_key": "dezky:powerdnsApiKey",
    "stalwart_url": "dezky:stalwartUrl",
    "stalwart_token": "dezky:stalwartToken",
    "authentik_url": "dezky:authentikUrl",
    "authentik_token": "dezky:authentikToken",
    "ocis_url": "dezky:ocisUrl",
    "ocis_user": "dezky:ocisUser",
    "ocis_token": "dezky:ocisToken",
}


def services_from_config(config: dict[str, str]) -> Services:
    missing = [key for key in _KEYS.values() if not config.get(key)]
    if missing:
        raise SandboxError(f"the stack's config lacks {', '.join(missing)}")
    if config.get("dezky:dnsBackend", "powerdns") != "powerdns":
        raise SandboxError("the sandbox serves PowerDNS; this stack's dezky:dnsBackend is not powerdns")
    services = Services(**{field: config[key] for field, key in _KEYS.items()})
    for name, url in services.urls().items():
        parts = urlsplit(url)
        if parts.scheme != "http" or parts.hostname not in LOOPBACK or parts.port is None:
            raise SandboxError(
                f"{name} is at {url}: the sandbox serves plain http on a loopback address with an explicit "
                "port (the providers verify TLS against the public CA bundle, so a self-signed https "
                "endpoint would need SSL_CERT_FILE in every engine run)"
            )
    return services


def read_services(stack: str = "dev", work_dir: Path = ROOT, state_dir: Path | None = None) -> Services:
    """The stack's service settings, secrets decrypted, through the Automation API."""
    from pulumi import automation as auto

    from dezky.engine import runner

    options = runner.EngineOptions(work_dir=work_dir, state_dir=state_dir, on_output=None)
    try:
        opened = runner.open_stack(stack, options)
        config = {key: value.value for key, value in opened.get_all_config().items()}
    except auto.CommandError as exc:
        raise SandboxError(f"could not read the config of stack {stack}: {exc}") from None
    return services_from_config(config)


# -- the parent side: up, down, status --------------------------------------------------------------------


def pid_of(directory: Path = SANDBOX_DIR) -> int | None:
    """The running sandbox's pid, or None; a pid file left by a dead sandbox is removed."""
    path = directory / PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if running(pid) and _is_sandbox(pid):
        return pid
    path.unlink(missing_ok=True)
    (directory / READY_FILE).unlink(missing_ok=True)
    return None


def status(directory: Path = SANDBOX_DIR) -> dict[str, Any] | None:
    """What the running sandbox serves (pid, each service's URL, PowerDNS's DNS port), or None."""
    pid = pid_of(directory)
    if pid is None:
        return None
    try:
        ready = json.loads((directory / READY_FILE).read_text())
    except (OSError, ValueError):
        return {"pid": pid, "starting": True}
    return ready


def up(
    services: Services, directory: Path = SANDBOX_DIR, *, fresh: bool = False, timeout: float = START_SECONDS
) -> dict[str, Any]:
    """Start the sandbox in the background and wait until every service answers; what `status` says."""
    running = pid_of(directory)
    if running is not None:
        raise SandboxError(f"the sandbox is already running (pid {running}); `dezky sandbox down` stops it")
    down(directory)  # what a killed sandbox left behind (its PowerDNS) would hold the ports
    _require_free_ports(services)
    directory.mkdir(parents=True, exist_ok=True)
    if fresh:
        _wipe(directory)
    (directory / READY_FILE).unlink(missing_ok=True)
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    with (directory / LOG_FILE).open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "dezky.sandbox", str(directory)],
            stdin=subprocess.PIPE,
            stdout=log,
            stderr=subprocess.STDOUT,
            cwd=ROOT,
            env=env,
            start_new_session=True,  # its own session and process group: `down` stops exactly this tree
        )
    assert process.stdin is not None
    process.stdin.write(json.dumps(asdict(services)).encode())  # not on the command line: ps shows that
    process.stdin.close()
    (directory / PID_FILE).write_text(f"{process.pid}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            down(directory)  # PowerDNS may have started before the sandbox failed
            raise SandboxError(
                f"the sandbox exited with {process.returncode}:\n{_tail(directory / LOG_FILE)}"
            )
        with contextlib.suppress(OSError, ValueError):
            ready = json.loads((directory / READY_FILE).read_text())
            if ready.get("pid") == process.pid:
                return ready
        time.sleep(0.2)
    down(directory)
    raise SandboxError(f"the sandbox did not start within {timeout:.0f}s:\n{_tail(directory / LOG_FILE)}")


def down(directory: Path = SANDBOX_DIR, timeout: float = STOP_SECONDS) -> int | None:
    """Stop the sandbox and every process it started; the pid it had, or None when none ran."""
    path = directory / PID_FILE
    try:
        pid = int(path.read_text().strip())
    except (OSError, ValueError):
        return None
    if running(pid) and not _is_sandbox(pid):
        pid_of(directory)  # the pid was reused by another program: only drop our files
        return None
    # SIGTERM to the sandbox alone: it stops PowerDNS and saves the emulators' objects, then exits. A
    # sandbox that was killed may have left PowerDNS running in its session: that is ended too.
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    if not _wait_until_gone(pid, timeout if running(pid) else 0.0):
        for signum, wait in ((signal.SIGTERM, 5.0), (signal.SIGKILL, 5.0)):
            for member in session_members(pid):
                with contextlib.suppress(ProcessLookupError):
                    os.kill(member, signum)
            if _wait_until_gone(pid, wait):
                break
    path.unlink(missing_ok=True)
    (directory / READY_FILE).unlink(missing_ok=True)
    remaining = session_members(pid)
    if remaining:
        raise SandboxError(f"processes {remaining} of the sandbox (session {pid}) did not stop")
    return pid


def session_members(session: int) -> list[int]:
    """Live processes of a session (the sandbox's and its children's); zombies do not count."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, ValueError, IndexError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            if int(fields[3]) == session and fields[0] != "Z":
                members.append(int(stat.parent.name))
    return members


def _wait_until_gone(session: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not session_members(session):
            return True
        time.sleep(0.1)
    return not session_members(session)


def _is_sandbox(pid: int) -> bool:
    """Whether the pid is still a sandbox (not a pid reused by another program since)."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return True  # no /proc to ask: trust the pid file
    return not cmdline or b"dezky.sandbox" in cmdline


def _require_free_ports(services: Services) -> None:
    for name, url in services.urls().items():
        parts = urlsplit(url)
        with socket.socket(socket.AF_INET6 if ":" in (parts.hostname or "") else socket.AF_INET) as sock:
            # As the servers bind: connections of a stopped sandbox in TIME_WAIT do not hold the port,
            # a listener does (Linux refuses SO_REUSEADDR binds to a listening port).
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                sock.bind((_bind_host(parts.hostname), parts.port or 0))
                sock.listen()
            except OSError:
                raise SandboxError(
                    f"port {parts.port} ({name}, {url}) is in use: stop what listens there "
                    f"(`ss -ltnp 'sport = :{parts.port}'` names it)"
                ) from None


def _wipe(directory: Path) -> None:
    (directory / SAVED_FILE).unlink(missing_ok=True)
    for path in sorted((directory / "powerdns").glob("*"), reverse=True):
        path.unlink(missing_ok=True)


def _tail(path: Path, lines: int = 25) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    return ""


def _bind_host(hostname: str | None) -> str:
    return "127.0.0.1" if hostname in (None, "localhost") else hostname


# -- the sandbox process ----------------------------------------------------------------------------------


def serve(directory: Path, services: Services) -> None:
    """Run every service until SIGTERM or SIGINT; then stop PowerDNS and save the emulators' objects."""
    stopping = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
        signal.signal(signum, lambda *_: stopping.set())
    emulators = _emulators(services)
    _restore(directory, emulators)
    with contextlib.ExitStack() as stack:
        dns_port = stack.enter_context(_powerdns(directory / "powerdns", services))
        for name, emulator in emulators.items():
            stack.enter_context(_served(emulator, services.urls()[name]))
        ready = {
            "pid": os.getpid(),
            "services": services.urls(),
            "dns": f"127.0.0.1:{dns_port}",
            "log": str(directory / LOG_FILE),
        }
        written = directory / f"{READY_FILE}.tmp"
        written.write_text(json.dumps(ready, indent=2) + "\n")
        written.replace(directory / READY_FILE)  # whole or not at all: `up` reads it as soon as it is there
        _log(f"ready: {json.dumps(ready)}")
        while not stopping.wait(5.0):
            _report_problems(emulators)
        _log("stopping")
        _report_problems(emulators)
    _save(directory, emulators)
    _log("stopped")


def _emulators(services: Services) -> dict[str, Any]:
    """The emulators, each accepting the stack's credential (the test suite's own constants are swapped)."""
    try:
        from tests.emulators import authentik, ocis, stalwart
    except ImportError as exc:
        raise SystemExit(
            f"the sandbox needs the test extras: .venv/bin/pip install -e '.[test]' ({exc})"
        ) from None
    stalwart.TOKEN = services.stalwart_token
    authentik.TOKEN = services.authentik_token
    ocis._ACCEPTED = frozenset({ocis.basic(services.ocis_user, services.ocis_token)})
    made = {
        "stalwart": stalwart.StalwartEmulator(stalwart.registry_schema()),
        "authentik": authentik.AuthentikEmulator(authentik.authentik_openapi()),
        "ocis": ocis.OcisEmulator(ocis.ocis_openapi()),
    }
    for name, emulator in made.items():
        emulator.url = services.urls()[name]
    return made


# What each emulator keeps its service's objects in (the rest is its call log).
_STATE_ATTRIBUTE = {"stalwart": "state", "authentik": "instance", "ocis": "state"}


def _save(directory: Path, emulators: dict[str, Any]) -> None:
    saved = {name: getattr(emulators[name], attribute) for name, attribute in _STATE_ATTRIBUTE.items()}
    try:
        data = pickle.dumps(saved)
    except Exception as exc:  # an emulator that holds something unpicklable: start empty next time
        _log(f"could not save the emulators' objects: {exc}")
        return
    temporary = directory / f"{SAVED_FILE}.tmp"
    temporary.write_bytes(data)
    temporary.replace(directory / SAVED_FILE)


def _restore(directory: Path, emulators: dict[str, Any]) -> None:
    path = directory / SAVED_FILE
    if not path.exists():
        return
    try:
        saved = pickle.loads(path.read_bytes())  # written by this sandbox, in a folder only its user reads
    except Exception as exc:
        _log(f"could not restore the emulators' objects, starting empty: {exc}")
        return
    for name, attribute in _STATE_ATTRIBUTE.items():
        if name in saved:
            setattr(emulators[name], attribute, saved[name])
    if hasattr(saved.get("stalwart"), "registry"):
        saved["stalwart"].registry = emulators["stalwart"].registry
    _log(f"restored the emulators' objects from {path}")


def _report_problems(emulators: dict[str, Any]) -> None:
    """The emulators' own mistakes and requests the real service would refuse, into the log."""
    for name, emulator in emulators.items():
        with emulator._lock:
            bugs, emulator.bugs = emulator.bugs, []
            invalid, emulator.invalid_requests = emulator.invalid_requests, []
            del emulator.calls[:]  # the call log is for tests; a long-running sandbox must not grow
            if isinstance(getattr(emulator, "method_calls", None), list):
                del emulator.method_calls[:]
        for bug in bugs:
            _log(f"{name} emulator bug: {bug}")
        for request in invalid:
            _log(f"{name} refused: {request}")


@contextlib.contextmanager
def _served(emulator: Any, url: str) -> Iterator[ThreadingHTTPServer]:
    from tests.emulators import loopback

    parts = urlsplit(url)

    class Server(loopback.LoopbackServer):
        """The suite's loopback server, on the port the stack names instead of a free one."""

        address_family = socket.AF_INET6 if ":" in (parts.hostname or "") else socket.AF_INET

        def __init__(self) -> None:
            ThreadingHTTPServer.__init__(
                self, (_bind_host(parts.hostname), parts.port or 0), loopback._Handler
            )
            self.emulator = emulator
            self.stopping = threading.Event()
            self._thread = threading.Thread(
                target=self.serve_forever, name=type(emulator).__name__, daemon=True
            )

    with Server() as server:
        _log(f"{type(emulator).__name__} at {url}")
        yield server


@contextlib.contextmanager
def _powerdns(workdir: Path, services: Services) -> Iterator[int]:
    """The real pdns_server on the stack's API port and key; yields the DNS port."""
    from tests.fixtures import powerdns

    binary = powerdns.pdns_server_binary()
    if binary is None:
        raise SystemExit("pdns_server is not installed: run scripts/install-system-packages")
    workdir.mkdir(parents=True, exist_ok=True)
    database = workdir / "pdns.sqlite3"
    if not database.exists():
        powerdns.create_database(database)
    server = powerdns.PowerDnsServer(
        api_url=services.powerdns_url.rstrip("/"),
        api_key=services.powerdns_api_key,
        dns_address="127.0.0.1",
        dns_port=powerdns.free_dns_port(),
        database=database,
    )
    process = powerdns.start(binary, workdir, server, log_mode="ab")  # the log survives restarts
    try:
        _log(f"PowerDNS at {server.api_url}, DNS at 127.0.0.1:{server.dns_port} (pid {process.pid})")
        yield server.dns_port
    finally:
        powerdns.stop(process)


def _log(message: str) -> None:
    print(f"{utc_text(dt.datetime.now(dt.UTC))} {message}", flush=True)


def main(argv: list[str]) -> None:
    """`python -m dezky.sandbox DIRECTORY`, the services' settings as JSON on stdin (from `up`)."""
    directory = Path(argv[0])
    services = Services(**json.loads(sys.stdin.read()))
    sys.stdin.close()
    try:
        serve(directory, services)
    except Exception as exc:
        _log(f"failed: {type(exc).__name__}: {exc}")
        raise


if __name__ == "__main__":
    main(sys.argv[1:])
