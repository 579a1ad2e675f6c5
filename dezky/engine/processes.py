"""Stopping everything a run started: the CLI and the provider plugins, which run in process groups of their own.

An interrupted `dezky` command (Ctrl-C, SIGTERM from CI) must not leave a provider process behind that goes on
talking to a service; the Automation API stops only the CLI it started.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType


def children_of(pid: int) -> list[int]:
    """Every process below `pid`, read from /proc (deepest first)."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    found: list[int] = []
    pending = list(parents.get(pid, []))
    while pending:
        child = pending.pop()
        found.append(child)
        pending.extend(parents.get(child, []))
    return list(reversed(found))


def stop_children(spared: set[int] = frozenset(), grace: float = 5.0) -> list[int]:  # type: ignore[assignment]
    """SIGTERM every descendant of this process but the `spared` ones (started before the run, such as a
    test's servers), then SIGKILL what is left after `grace` seconds."""
    targets = [pid for pid in children_of(os.getpid()) if pid not in spared]
    for pid in targets:
        _signal(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(running(pid) for pid in targets):
        time.sleep(0.1)
    for pid in targets:
        if running(pid):
            _signal(pid, signal.SIGKILL)
    return targets


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def running(pid: int) -> bool:
    """The process exists and is not a zombie: a killed process whose parent died too stays a zombie until init
    reaps it, which some containers never do."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return False


@contextmanager
def children_stopped_on_interrupt() -> Iterator[None]:
    """While the block runs, SIGINT and SIGTERM first stop every process it started, then interrupt it.

    The stop must come first: once Python unwinds the Automation API's call it closes the CLI's pipes, the CLI
    dies of it, and its plugins are left to init, out of reach. Only the main thread can take signals.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    spared = set(children_of(os.getpid()))

    def stop_then_interrupt(signum: int, _frame: FrameType | None) -> None:
        stop_children(spared)
        raise KeyboardInterrupt(f"stopped by signal {signal.Signals(signum).name}")

    previous = {sig: signal.signal(sig, stop_then_interrupt) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
