"""The end-of-program output drain: the SDK's own wait against dezky.engine.output_drain, on n pending outputs.

Each output completes after the one before it (a chain of futures resolved one per event-loop turn), the
shape a big stack has at exit: thousands of outputs pending, finishing one by one. Prints seconds per drain.

    .venv/bin/python benchmarks/output_drain.py [n ...]
"""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import pulumi.runtime.stack as sdk_stack
from pulumi import Output
from pulumi.runtime.settings import SETTINGS

from dezky.engine import output_drain

STOCK = sdk_stack.wait_for_rpcs
_OPENERS: set[asyncio.Task[None]] = set()


async def pending_outputs(n: int) -> None:
    loop = asyncio.get_running_loop()
    gates = [loop.create_future() for _ in range(n)]
    for gate in gates:
        Output.from_input(gate).apply(lambda v: v)

    async def open_one_by_one() -> None:
        for i, gate in enumerate(gates):
            gate.set_result(i)
            await asyncio.sleep(0)

    opener = loop.create_task(open_one_by_one())
    _OPENERS.add(opener)
    opener.add_done_callback(_OPENERS.discard)


def timed(wait: Callable[[], Awaitable[None]], n: int) -> float:
    async def scenario() -> float:
        await pending_outputs(n)
        started = time.perf_counter()
        await wait()
        return time.perf_counter() - started

    SETTINGS.outputs.clear()
    return asyncio.run(scenario())


#: above this the SDK's own wait takes minutes (it grows with the square of the outputs, and worse)
STOCK_LIMIT = 4000


def main(sizes: list[int]) -> None:
    print(f"{'outputs':>8} {'SDK 3.260 wait':>16} {'output_drain':>14}")
    for n in sizes:
        stock = f"{timed(STOCK, n):>15.2f}s" if n <= STOCK_LIMIT else f"{'(not run)':>16}"
        ours = timed(output_drain.wait_for_rpcs, n)
        print(f"{n:>8} {stock} {ours:>13.2f}s", flush=True)


if __name__ == "__main__":
    main([int(a) for a in sys.argv[1:]] or [1000, 2000, 4000, 31000])
