"""An outage of the consumer's own PostgreSQL database is waited out, not dead-lettered.

The test's own database is made unreachable from an admin connection (``ALLOW_CONNECTIONS
false`` and its sessions terminated) while the consumer applies an event, for longer than
the consumer's attempts would last; once connections are allowed again the event is applied
once and nothing is parked. The shared server is never stopped."""

from __future__ import annotations

import asyncio
import uuid

import asyncpg
import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, insert, select
from sqlalchemy.engine import make_url

from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.metrics import EVENTS_WAITED_FOR_DATABASE
from shared.tables import dead_letters, platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.servers import postgres_admin_url
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False),
)


async def _admin() -> asyncpg.Connection:
    dsn = make_url(postgres_admin_url()).set(drivername="postgresql")
    return await asyncpg.connect(dsn.render_as_string(hide_password=False))


async def _cut(admin: asyncpg.Connection, name: str) -> None:
    await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS false')
    await admin.execute(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
        " WHERE datname = $1 AND pid <> pg_backend_pid()",
        name,
    )


async def test_the_consumer_waits_out_its_database_outage(pg_url: str) -> None:
    name = make_url(pg_url).database
    assert name
    engine = create_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    sessions = session_factory(engine)
    service = f"sink{uuid.uuid4().hex[:6]}"

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))

    consumer = EventConsumer(
        service,
        UnitOfWorkFactory(sessions, SystemClock()),
        {"orbit.source.thing.done.v1": record},
        max_attempts=2,
        backoff=0.05,
        backoff_max=0.2,
    )
    event = CloudEvent(
        id=uuid.uuid4(),
        source="orbit/source",
        type="orbit.source.thing.done.v1",
        time=SystemClock().now(),
    )
    admin = await _admin()
    task: asyncio.Task[None] | None = None
    try:
        async with sessions() as s:  # a pooled connection, killed by the outage
            await s.execute(select(1))
        await _cut(admin, name)
        waits = EVENTS_WAITED_FOR_DATABASE.labels(service)
        task = asyncio.create_task(
            consumer.process(Message(topic="orbit.source", key="k", value=event.to_json()))
        )
        # Far more failures than max_attempts (2 attempts would take 0.05 s).
        await eventually(lambda: _ge(waits._value.get(), 8), timeout=30, what="waits")
        assert not task.done()
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await asyncio.wait_for(task, 30)
    finally:
        await admin.execute(f'ALTER DATABASE "{name}" ALLOW_CONNECTIONS true')
        await admin.close()
        if task is not None and not task.done():
            task.cancel()
    async with sessions() as s:
        applied = (await s.execute(select(effects.c.event_id))).scalars().all()
        parked = (await s.execute(select(dead_letters))).all()
    assert applied == [str(event.id)]
    assert parked == []
    await engine.dispose()


async def _ge(value: float, minimum: float) -> bool:
    return value >= minimum
