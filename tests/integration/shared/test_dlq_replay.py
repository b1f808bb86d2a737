"""Dead letters replayed (real Kafka and PostgreSQL): a poison event the consumer's handler
cannot apply is parked; a new version of the handler is deployed; ``orbit dlq replay``
(shared.messaging.dlq.replay) applies it once — a second replay and a redelivery of the
record on Kafka change nothing."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging import dlq
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.messaging.kafka import KafkaBus
from shared.migrations import migrate
from shared.tables import dead_letters, inbox
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.kafka import unique_service_name
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

metadata = MetaData()
effects = Table(
    "dlq_effects",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False),
    Column("amount", Integer, nullable=False),
)


@pytest.fixture
async def uow(pg_url: str) -> AsyncIterator[UnitOfWorkFactory]:
    await migrate(CLIENTS.migrations, pg_url)
    engine = create_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    try:
        yield UnitOfWorkFactory(session_factory(engine), SystemClock())
    finally:
        await engine.dispose()


async def test_a_poison_event_fixed_by_a_new_handler_and_replayed_is_applied_once(
    uow: UnitOfWorkFactory, kafka: str
) -> None:
    producer, service = unique_service_name(), unique_service_name()
    event_type = f"orbit.{producer}.payment.received.v1"

    # Version 1 of the handler reads the amount as an int: "12.50" is poison to it.
    async def handler_v1(work: UnitOfWork, event: CloudEvent) -> None:
        amount = int(event.data["amount"])
        await work.session.execute(insert(effects).values(event_id=str(event.id), amount=amount))

    # Version 2 (the fix) reads it in cents.
    async def handler_v2(work: UnitOfWork, event: CloudEvent) -> None:
        cents = round(float(event.data["amount"]) * 100)
        await work.session.execute(insert(effects).values(event_id=str(event.id), amount=cents))

    good = CloudEvent(
        id=uuid.uuid4(),
        source=f"orbit/{producer}",
        type=event_type,
        subject="c1",
        time=SystemClock().now(),
        data={"amount": "7"},
    )
    poison = good.model_copy(update={"id": uuid.uuid4(), "data": {"amount": "12.50"}})
    records = [
        Message(topic=f"orbit.{producer}", key="c1", value=e.to_json()) for e in (poison, good)
    ]

    async def rows() -> list[tuple[str, int]]:
        async with uow.sessions() as session:
            result = await session.execute(
                select(effects.c.event_id, effects.c.amount).order_by(effects.c.id)
            )
            return [(r.event_id, r.amount) for r in result]

    bus = KafkaBus(kafka)
    v1 = EventConsumer(service, uow, {event_type: handler_v1}, max_attempts=2, backoff=0.01)
    worker = bus.subscribe(v1.group, v1.topics, v1.process)
    task = asyncio.create_task(worker.run())
    try:
        await bus.publish(records)

        async def parked_and_applied() -> bool:
            return len(await dlq.parked(uow.sessions)) == 1 and len(await rows()) == 1

        await eventually(parked_and_applied, timeout=60, what="one parked, one applied")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()

    # The consumer measured its lag on the partitions it was given.
    lag = [
        sample
        for metric in REGISTRY.collect()
        if metric.name == "orbit_consumer_lag"
        for sample in metric.samples
        if sample.labels["group"] == v1.group
    ]
    assert lag and all(s.labels["topic"] == f"orbit.{producer}" for s in lag)

    (letter,) = await dlq.parked(uow.sessions)
    assert letter.event_id == str(poison.id) and "ValueError" in letter.error

    # Replaying with version 1 still fails: the event stays parked, nothing applied.
    (failed,) = await dlq.replay(v1, [letter.id])
    assert failed.outcome == "failed" and "ValueError" in failed.detail
    assert len(await dlq.parked(uow.sessions)) == 1

    # Version 2 deployed: replay applies it, once.
    v2 = EventConsumer(service, uow, {event_type: handler_v2}, max_attempts=2, backoff=0.01)
    (replayed,) = await dlq.replay(v2, None)
    assert replayed.outcome == "replayed"
    assert await rows() == [(str(good.id), 7), (str(poison.id), 1250)]
    assert await dlq.parked(uow.sessions) == []
    (resolved,) = await dlq.parked(uow.sessions, include_resolved=True)
    assert resolved.resolution == "replayed" and resolved.resolved_at is not None

    # Again: nothing to replay; by id: already resolved; the record redelivered by Kafka
    # (a new consumer group reading from the start) is a duplicate.
    assert await dlq.replay(v2, None) == []
    (again,) = await dlq.replay(v2, [letter.id])
    assert again.outcome == "resolved"
    for record in records:
        await v2.process(record)
    assert await rows() == [(str(good.id), 7), (str(poison.id), 1250)]
    async with uow.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(inbox)) == 2
        assert await session.scalar(select(func.count()).select_from(dead_letters)) == 1
