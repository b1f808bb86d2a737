"""The delivery worker stops when cancelled, even when a round swallows the cancellation (a
database driver closing its connection does): a process must be able to shut down."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from services.notifications.delivery.worker import DeliveryWorker
from shared.clock import SystemClock


class Swallowing(DeliveryWorker):
    """Its rounds swallow a cancellation, as a driver cleaning up may."""

    def __init__(self) -> None:
        super().__init__(
            "email",
            None,  # type: ignore[arg-type]
            SystemClock(),
            self._never,
            batch_size=10,
            poll_seconds=3600,
            claim_seconds=60,
        )
        self.rounds = 0
        self.in_round = asyncio.Event()
        self.release = asyncio.Event()

    async def _never(self, claimed: Any) -> dict[Any, Any]:
        raise AssertionError("nothing is claimed here")

    async def run_once(self) -> int:
        self.rounds += 1
        self.in_round.set()
        with contextlib.suppress(asyncio.CancelledError):  # swallowed
            await self.release.wait()
        return 0


async def test_a_swallowed_cancellation_still_stops_the_worker() -> None:
    worker = Swallowing()
    task = asyncio.create_task(worker.run())
    await worker.in_round.wait()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done == {task} and task.cancelled()
    assert worker.rounds == 1


async def test_a_wake_up_ends_the_idle_wait_and_a_cancel_ends_the_worker() -> None:
    worker = Swallowing()
    worker.release.set()
    task = asyncio.create_task(worker.run())
    await worker.in_round.wait()
    worker.in_round.clear()
    worker.wake()  # the next round at once, not after poll_seconds (an hour)
    await worker.in_round.wait()
    assert worker.rounds >= 2
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=10)
    assert done == {task} and task.cancelled()
