"""Two scheduler replicas on one PostgreSQL database emit an alert once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.clients.app import SPEC as CLIENTS
from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.migrations import migrate
from shared.scheduler import Scheduler
from shared.tables import outbox, scheduled_alerts
from shared.uow import UnitOfWorkFactory
from tests.unit.shared.test_scheduler import DUE, due_job

pytestmark = pytest.mark.integration


async def test_replicas_racing_emit_once(pg_url: str) -> None:
    await migrate(CLIENTS.migrations, pg_url)
    clock = FixedClock(DUE + timedelta(minutes=1))
    engines = [create_engine(pg_url) for _ in range(3)]
    schedulers = [
        Scheduler(
            "schedtest",
            UnitOfWorkFactory(session_factory(e), clock),
            {"due": due_job},
            interval=1,
            clock=clock,
        )
        for e in engines
    ]
    for _ in range(5):
        results = await asyncio.gather(*(s.run_once() for s in schedulers))
        assert all(r["due"] in (0, 1) for r in results)
    async with session_factory(engines[0])() as s:
        assert await s.scalar(select(func.count()).select_from(outbox)) == 1
        assert await s.scalar(select(func.count()).select_from(scheduled_alerts)) == 1
    for engine in engines:
        await engine.dispose()
