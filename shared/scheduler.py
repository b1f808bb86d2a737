"""Periodic scans against an injectable clock.

A job is ``async def job(uow_factory, now) -> int`` (how many alerts it emitted). Jobs emit
alerts with ``uow.emit_once(key, event)``: a deterministic key per rule, subject and due time,
so an alert is emitted once however often the scan runs and however many replicas run it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime

from shared.clock import Clock
from shared.db import is_database_unreachable
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.scheduler")

ScheduledJob = Callable[[UnitOfWorkFactory, datetime], Awaitable[int]]


class Scheduler:
    def __init__(
        self,
        service: str,
        uow_factory: UnitOfWorkFactory,
        jobs: Mapping[str, ScheduledJob],
        *,
        interval: float,
        clock: Clock,
    ) -> None:
        self.service = service
        self.uow_factory = uow_factory
        self.jobs = dict(jobs)
        self.interval = interval
        self.clock = clock

    async def run_once(self) -> dict[str, int]:
        """Run every job once at the clock's now; a failing job is logged, the others run.

        A job that fails because the database is unreachable is simply tried again at the
        next round (its alerts are keyed by due time, so none is lost or doubled)."""
        now = self.clock.now()
        results: dict[str, int] = {}
        for name, job in self.jobs.items():
            try:
                results[name] = await job(self.uow_factory, now)
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_database_unreachable(exc):
                    log.warning(
                        "scheduled job %s.%s: database unreachable, next try in %.0fs: %r",
                        self.service,
                        name,
                        self.interval,
                        exc,
                    )
                else:
                    log.exception("scheduled job %s.%s failed", self.service, name)
                results[name] = -1
        return results

    async def run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)
