"""The end-of-program wait drains outputs as the SDK's does: all of them, new ones too, failures raised,
failed registrations ignored. (Its cost is measured by benchmarks/output_drain.py, not here.)"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

import pytest
from pulumi import Output
from pulumi.runtime.settings import SETTINGS
from pulumi.runtime.stack import ResourceRegistrationFailed

from dezky.engine.output_drain import drain_outputs


def run(scenario: Callable[[], Coroutine[Any, Any, None]]) -> None:
    """Run on a loop of its own, leaving the thread's current loop as it was (Pulumi's mocks use it)."""
    SETTINGS.outputs.clear()
    loop = asyncio.new_event_loop()
    try:
        loop.run_until_complete(scenario())
    finally:
        loop.close()
        SETTINGS.outputs.clear()


async def later(value: Any, delay: float = 0.01) -> Any:
    await asyncio.sleep(delay)
    return value


def test_every_output_is_awaited_including_those_created_while_waiting():
    seen: list[int] = []

    async def scenario() -> None:
        def spawn(n: int) -> int:
            seen.append(n)
            if n % 50 != 49:
                Output.from_input(later(n + 1)).apply(spawn)  # created during the drain
            return n

        for start in range(0, 1000, 50):
            Output.from_input(later(start)).apply(spawn)
        await drain_outputs()

    run(scenario)

    assert sorted(seen) == list(range(1000))


def test_a_failed_output_is_raised():
    async def scenario() -> None:
        Output.from_input(later(1)).apply(lambda _: 1 / 0)
        Output.from_input(later(2, delay=5))  # still pending when the failure comes
        await drain_outputs()

    with pytest.raises(ZeroDivisionError):
        run(scenario)


def test_a_failed_registration_does_not_tear_the_program_down():
    async def scenario() -> None:
        async def failed_registration() -> Any:
            raise ResourceRegistrationFailed("engine said no")

        Output.from_input(failed_registration())
        done = Output.from_input(later("ok")).apply(str.upper)
        await drain_outputs()
        assert await done.future() == "OK"

    run(scenario)


def test_the_sdk_uses_this_wait_once_installed():
    import pulumi.runtime.stack as sdk_stack

    from dezky.engine import output_drain

    output_drain.install()

    assert sdk_stack.wait_for_rpcs is output_drain.wait_for_rpcs
