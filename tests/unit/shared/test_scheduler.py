"""Scheduled scans emit each alert once, with an injectable clock."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import ClassVar

from sqlalchemy import select

from shared.clock import FixedClock
from shared.db import create_engine, session_factory
from shared.messaging.envelope import Event
from shared.scheduler import Scheduler
from shared.tables import outbox, platform_metadata
from shared.uow import UnitOfWorkFactory


class DueV1(Event):
    TYPE: ClassVar[str] = "orbit.schedtest.thing.due.v1"

    client_id: uuid.UUID
    due_at: datetime


CLIENT = uuid.uuid4()
DUE = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)


async def due_job(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
    """Alert when the due time has passed; the key names rule, subject and due time."""
    if now < DUE:
        return 0
    async with uow_factory() as uow:
        emitted = await uow.emit_once(
            f"due:{CLIENT}:{DUE.isoformat()}", DueV1(client_id=CLIENT, due_at=DUE)
        )
        await uow.commit()
    return 1 if emitted else 0


async def test_alert_is_emitted_once_however_often_the_scan_runs(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
    clock = FixedClock(DUE - timedelta(minutes=5))
    scheduler = Scheduler(
        "schedtest",
        UnitOfWorkFactory(session_factory(engine), clock),
        {"due": due_job},
        interval=1,
        clock=clock,
    )
    assert await scheduler.run_once() == {"due": 0}
    clock.advance(timedelta(minutes=10))
    results = [await scheduler.run_once() for _ in range(5)]
    assert results == [{"due": 1}] + [{"due": 0}] * 4
    async with session_factory(engine)() as s:
        rows = (await s.execute(select(outbox.c.event_id, outbox.c.event_type))).all()
    assert len(rows) == 1
    key = f"orbit:due:{CLIENT}:{DUE.isoformat()}"
    assert rows[0].event_id == uuid.uuid5(uuid.NAMESPACE_URL, key)
    await engine.dispose()


async def test_a_failing_job_does_not_stop_the_others(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
    clock = FixedClock(DUE)

    async def broken(uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        raise RuntimeError("bad rule")

    scheduler = Scheduler(
        "schedtest",
        UnitOfWorkFactory(session_factory(engine), clock),
        {"broken": broken, "due": due_job},
        interval=1,
        clock=clock,
    )
    assert await scheduler.run_once() == {"broken": -1, "due": 1}
    await engine.dispose()
