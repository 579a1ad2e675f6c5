"""The Pulumi Python SDK's end-of-program wait, with the tracked outputs drained in O(1) per completion.

At the end of a program the SDK (3.260, `pulumi/runtime/stack.py`, `wait_for_rpcs`) waits for its RPCs, then
for every `Output` still computing. For the outputs it calls `asyncio.wait(pending, FIRST_COMPLETED)` on all
of them at every wake-up: each call registers a callback on every pending output and removes it again, so
draining n outputs costs O(n^2). A stack of 50 tenants has ~31,000 pending outputs at that point, and the wait
was 67% of the program's CPU (issue 14). Here each output gets one callback, and each completion costs O(1)
(`asyncio.as_completed`). What it waits for, and what it raises, are unchanged:
- every RPC first, re-raising a failed one with the RPC manager's cause;
- then every tracked output, including those created while it waits, raising the first failure as soon as it
  completes, except `ResourceRegistrationFailed` (the engine reported the registration failed; the program
  must not be torn down for it).
`patches/pulumi-sdk-3.260-wait-for-rpcs.patch` is the same change against the SDK, to send upstream.
"""

from __future__ import annotations

import asyncio
import contextlib

import pulumi.runtime.stack as sdk_stack
from pulumi import log
from pulumi.runtime.settings import SETTINGS, _get_rpc_manager


async def wait_for_rpcs(await_all_outstanding_tasks: bool = True) -> None:
    rpc_manager = _get_rpc_manager()
    while True:
        await _drain_rpcs(rpc_manager)
        if rpc_manager.unhandled_exception is not None:
            raise rpc_manager.unhandled_exception.with_traceback(rpc_manager.exception_traceback)
        if await_all_outstanding_tasks:
            await drain_outputs()
        if len(rpc_manager.rpcs) == 0:
            break


async def _drain_rpcs(rpc_manager: object) -> None:
    rpcs: list[asyncio.Future[object]] = rpc_manager.rpcs  # type: ignore[attr-defined]
    while rpcs:
        await asyncio.sleep(0)  # let the RPCs just queued run
        try:
            await rpcs.pop()
        except Exception as exn:
            unhandled = rpc_manager.unhandled_exception  # type: ignore[attr-defined]
            if unhandled is not None:
                traceback = rpc_manager.exception_traceback  # type: ignore[attr-defined]
                raise exn from unhandled.with_traceback(traceback)
            raise


async def drain_outputs() -> None:
    """Await every tracked output once, those created meanwhile too; one callback per output."""
    while True:
        with SETTINGS.lock:
            if not SETTINGS.outputs:
                break
            batch = list(SETTINGS.outputs)
            SETTINGS.outputs.clear()
        for completed in asyncio.as_completed(batch):
            # a failed registration is consumed through Output.recover, or left on purpose (continue-on-error)
            with contextlib.suppress(sdk_stack.ResourceRegistrationFailed):
                await completed
    log.debug("All outstanding outputs completed.")


def install() -> None:
    """Use this wait in place of the SDK's for programs run in this process (the inline program)."""
    sdk_stack.wait_for_rpcs = wait_for_rpcs
