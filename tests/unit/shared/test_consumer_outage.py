"""An outage is not a poison event: while the database is unreachable the consumer waits and
tries again without counting attempts and without dead-lettering; other failures still count.
The scheduler tries a job again at its next round."""

from __future__ import annotations

import uuid

from sqlalchemy import Column, Integer, MetaData, String, Table, exc, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.clock import FixedClock, SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.metrics import EVENTS_RETRIED, EVENTS_WAITED_FOR_DATABASE
from shared.scheduler import Scheduler
from shared.tables import dead_letters, inbox, platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(100)),
)


def unreachable() -> exc.OperationalError:
    return exc.OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))


def message(kind: str) -> tuple[CloudEvent, Message]:
    event = CloudEvent(
        id=uuid.uuid4(),
        source="orbit/source",
        type=f"orbit.source.thing.{kind}.v1",
        time=SystemClock().now(),
    )
    return event, Message(topic="orbit.source", key="k", value=event.to_json())


async def _setup(url: str) -> tuple[AsyncEngine, UnitOfWorkFactory]:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    return engine, UnitOfWorkFactory(session_factory(engine), SystemClock())


async def test_an_outage_longer_than_the_attempts_is_waited_out_not_dead_lettered(
    sqlite_url: str,
) -> None:
    engine, uow = await _setup(sqlite_url)
    max_attempts, outage = 3, 12  # the database is "down" for 4x the attempts
    calls = 0

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        nonlocal calls
        calls += 1
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))
        if calls <= outage:
            raise unreachable()

    service = f"sink{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        service,
        uow,
        {"orbit.source.thing.done.v1": record},
        max_attempts=max_attempts,
        backoff=0,
        backoff_max=0.001,
    )
    event, msg = message("done")
    await consumer.process(msg)
    await consumer.process(msg)  # redelivered afterwards: the inbox skips it

    async with uow.sessions() as s:
        applied = (await s.execute(select(effects.c.event_id))).scalars().all()
        parked = (await s.execute(select(dead_letters))).all()
        seen = (await s.execute(select(inbox.c.event_id))).scalars().all()
    assert applied == [str(event.id)]
    assert parked == []
    assert [str(i) for i in seen] == [str(event.id)]
    assert calls == outage + 1
    assert EVENTS_WAITED_FOR_DATABASE.labels(service)._value.get() == outage
    assert EVENTS_RETRIED.labels(service)._value.get() == 0
    await engine.dispose()


async def test_only_other_failures_count_towards_the_dead_letter(sqlite_url: str) -> None:
    engine, uow = await _setup(sqlite_url)
    failures: list[Exception] = []

    async def flaky(uow: UnitOfWork, event: CloudEvent) -> None:
        # outage, bug, outage (wrapped by the handler), bug, outage, bug: three real failures
        n = len(failures)
        error: Exception
        if n % 2 == 0:
            error = RuntimeError("wrapped")
            error.__cause__ = unreachable()
            if n % 4 == 0:
                error = unreachable()
        else:
            error = ValueError(f"bug {n}")
        failures.append(error)
        raise error

    consumer = EventConsumer(
        f"sink{uuid.uuid4().hex[:6]}",
        uow,
        {"orbit.source.thing.bad.v1": flaky},
        max_attempts=3,
        backoff=0,
        backoff_max=0.001,
    )
    event, msg = message("bad")
    await consumer.process(msg)
    async with uow.sessions() as s:
        parked = (await s.execute(select(dead_letters))).all()
    assert len(failures) == 6  # three outages did not count
    assert [(p.event_id, p.attempts) for p in parked] == [(str(event.id), 3)]
    assert "bug 5" in parked[0].error
    await engine.dispose()


async def test_a_scheduled_job_hit_by_an_outage_runs_again_next_round(sqlite_url: str) -> None:
    engine, uow = await _setup(sqlite_url)
    runs = 0

    async def job(uow_factory: UnitOfWorkFactory, now: object) -> int:
        nonlocal runs
        runs += 1
        if runs == 1:
            raise unreachable()
        return 1

    scheduler = Scheduler(
        "sink", uow, {"scan": job}, interval=0.01, clock=FixedClock(SystemClock().now())
    )
    assert await scheduler.run_once() == {"scan": -1}
    assert await scheduler.run_once() == {"scan": 1}
    await engine.dispose()
