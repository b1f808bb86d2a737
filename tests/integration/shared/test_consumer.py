"""Consumers on the real Kafka: redelivery has one effect; a poison event is dead-lettered
(topic and table) and the events after it are still processed."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent, dlq_topic_for
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.metrics import EVENTS_DEAD_LETTERED, EVENTS_DUPLICATE, EVENTS_RETRIED
from shared.migrations import migrate
from shared.tables import dead_letters
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.kafka import events_of, read_topic, unique_service_name
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

effects_metadata = MetaData()
effects = Table(
    "effects", effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False),  # not unique: the inbox must dedupe
)


def envelope(producer: str, verb: str, client_id: uuid.UUID, **data: object) -> CloudEvent:
    return CloudEvent(
        id=uuid.uuid4(), source=f"orbit/{producer}", type=f"orbit.{producer}.thing.{verb}.v1",
        subject=str(client_id), time=SystemClock().now(),
        data={"client_id": str(client_id), **data},
    )


def message(producer: str, event: CloudEvent) -> Message:
    return Message(topic=f"orbit.{producer}", key=event.subject or "", value=event.to_json())


async def test_redelivery_poison_and_dead_letters(pg_url: str, kafka: str) -> None:
    await migrate(CLIENTS.migrations, pg_url)
    engine = create_engine(pg_url)
    async with engine.begin() as conn:
        await conn.run_sync(effects_metadata.create_all)
    sessions = session_factory(engine)
    uow_factory = UnitOfWorkFactory(sessions, SystemClock())
    producer, consumer_name = unique_service_name(), unique_service_name()

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))

    async def explode(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id="must-roll-back"))
        raise ValueError("cannot handle this one")

    consumer = EventConsumer(
        consumer_name, uow_factory,
        {f"orbit.{producer}.thing.done.v1": record, f"orbit.{producer}.thing.bad.v1": explode},
        max_attempts=3, backoff=0.01,
    )
    assert consumer.topics == [f"orbit.{producer}"]
    bus = KafkaBus(kafka)
    worker = bus.subscribe(consumer.group, consumer.topics, consumer.process)
    task = asyncio.create_task(worker.run())

    client = uuid.uuid4()
    first = envelope(producer, "done", client, n=1)
    poison = envelope(producer, "bad", client)
    after = [envelope(producer, "done", client, n=n) for n in (2, 3)]
    retried_before = EVENTS_RETRIED.labels(consumer_name)._value.get()
    await bus.publish([
        message(producer, first),
        message(producer, first),  # redelivered: same event id
        message(producer, poison),
        Message(topic=f"orbit.{producer}", key=str(client), value=b"{not json"),
        *(message(producer, e) for e in after),
    ])

    async def applied() -> list[str]:
        async with sessions() as s:
            rows = (await s.execute(select(effects.c.event_id).order_by(effects.c.id))).all()
        return [r.event_id for r in rows]

    expected = [str(first.id), *(str(e.id) for e in after)]
    assert await eventually(lambda: _equal(applied, expected), timeout=60, what="effects")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with sessions() as s:
        parked = (await s.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
        assert await s.scalar(select(func.count()).select_from(effects)) == 3
    assert [p.event_id for p in parked] == [str(poison.id), None]
    assert parked[0].attempts == 3 and "cannot handle this one" in parked[0].error
    assert parked[0].topic == f"orbit.{producer}" and parked[0].offset is not None
    assert EVENTS_RETRIED.labels(consumer_name)._value.get() - retried_before == 2
    assert EVENTS_DEAD_LETTERED.labels(consumer_name)._value.get() == 2
    assert EVENTS_DUPLICATE.labels(consumer_name)._value.get() == 1

    # The dead letters reach the DLQ topic through the consumer's own outbox.
    relay = OutboxRelay(consumer_name, sessions, bus)
    assert await relay.run_once() == 2
    records = await read_topic(kafka, dlq_topic_for(consumer_name), expect=2)
    assert events_of(records[:1])[0].id == poison.id
    assert records[1][1] == b"{not json"
    await bus.stop()
    await engine.dispose()


async def _equal(probe, expected):  # type: ignore[no-untyped-def]
    return (await probe()) == expected
