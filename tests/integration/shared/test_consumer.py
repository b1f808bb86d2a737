"""Consumers on the real Kafka: redelivery has one effect; a poison event is dead-lettered
(topic and table) and the events after it are still processed; a restarted consumer resumes
after its committed offsets; a backlog is applied in batches (one transaction for many), each
event once, in order, and a failure in a batch makes them go one by one."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
from aiokafka import AIOKafkaProducer
from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent, dlq_topic_for
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_PROCESSED,
    EVENTS_RETRIED,
)
from shared.migrations import migrate
from shared.tables import dead_letters, inbox
from shared.uow import UnitOfWork, UnitOfWorkFactory
from tests.support.kafka import (
    committed_offsets,
    create_topics,
    events_of,
    read_topic,
    unique_service_name,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("event_id", String(100), nullable=False),  # not unique: the inbox must dedupe
)


def envelope(producer: str, verb: str, client_id: uuid.UUID, **data: object) -> CloudEvent:
    return CloudEvent(
        id=uuid.uuid4(),
        source=f"orbit/{producer}",
        type=f"orbit.{producer}.thing.{verb}.v1",
        subject=str(client_id),
        time=SystemClock().now(),
        data={"client_id": str(client_id), **data},
    )


def message(producer: str, event: CloudEvent) -> Message:
    return Message(topic=f"orbit.{producer}", key=event.subject or "", value=event.to_json())


async def record(uow: UnitOfWork, event: CloudEvent) -> None:
    await uow.session.execute(insert(effects).values(event_id=str(event.id)))


@dataclass
class Effects:
    """A migrated service database with the ``effects`` table the handlers write to."""

    sessions: async_sessionmaker[AsyncSession]
    uow: UnitOfWorkFactory

    async def applied(self) -> list[str]:
        """The event ids the handlers applied, in order."""
        async with self.sessions() as s:
            return list((await s.scalars(select(effects.c.event_id).order_by(effects.c.id))).all())


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Effects]:
    await migrate(CLIENTS.migrations, pg_url)
    engine = create_engine(pg_url)
    try:
        async with engine.begin() as conn:
            await conn.run_sync(effects_metadata.create_all)
        sessions = session_factory(engine)
        yield Effects(sessions, UnitOfWorkFactory(sessions, SystemClock()))
    finally:
        await engine.dispose()  # also when the test failed


@pytest.mark.parametrize("batch_size", [1, 50], ids=["one-per-transaction", "batches"])
async def test_redelivery_poison_and_dead_letters(db: Effects, kafka: str, batch_size: int) -> None:
    """Alone or in batches of a partition's backlog (``process_batch``), the same effects."""
    producer, consumer_name = unique_service_name(), unique_service_name()

    async def explode(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id="must-roll-back"))
        raise ValueError("cannot handle this one")

    consumer = EventConsumer(
        consumer_name,
        db.uow,
        {f"orbit.{producer}.thing.done.v1": record, f"orbit.{producer}.thing.bad.v1": explode},
        max_attempts=3,
        backoff=0.01,
    )
    assert consumer.topics == [f"orbit.{producer}"]
    bus = KafkaBus(kafka, consumer_batch_size=batch_size)
    worker = bus.subscribe(
        consumer.group, consumer.topics, consumer.process, process_batch=consumer.process_batch
    )
    task = asyncio.create_task(worker.run())

    client = uuid.uuid4()
    first = envelope(producer, "done", client, n=1)
    poison = envelope(producer, "bad", client)
    after = [envelope(producer, "done", client, n=n) for n in (2, 3)]
    retried_before = EVENTS_RETRIED.labels(consumer_name)._value.get()
    await bus.publish(
        [
            message(producer, first),
            message(producer, first),  # redelivered: same event id
            message(producer, poison),
            Message(topic=f"orbit.{producer}", key=str(client), value=b"{not json"),
            *(message(producer, e) for e in after),
        ]
    )

    expected = [str(first.id), *(str(e.id) for e in after)]
    assert await eventually(lambda: _equal(db.applied, expected), timeout=60, what="effects")
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)

    async with db.sessions() as s:
        parked = (await s.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
        assert await s.scalar(select(func.count()).select_from(effects)) == 3
    assert [p.event_id for p in parked] == [str(poison.id), None]
    assert parked[0].attempts == 3 and "cannot handle this one" in parked[0].error
    assert parked[0].topic == f"orbit.{producer}" and parked[0].offset is not None
    assert EVENTS_RETRIED.labels(consumer_name)._value.get() - retried_before == 2
    assert EVENTS_DEAD_LETTERED.labels(consumer_name)._value.get() == 2
    assert EVENTS_DUPLICATE.labels(consumer_name)._value.get() == 1

    # The dead letters reach the DLQ topic through the consumer's own outbox.
    relay = OutboxRelay(consumer_name, db.sessions, bus)
    assert await relay.run_once() == 2
    records = await read_topic(kafka, dlq_topic_for(consumer_name), expect=2)
    assert events_of(records[:1])[0].id == poison.id
    assert records[1][1] == b"{not json"
    await bus.stop()


async def _equal(probe, expected):  # type: ignore[no-untyped-def]
    return (await probe()) == expected


async def test_a_restarted_consumer_resumes_after_its_committed_offsets(
    db: Effects, kafka: str
) -> None:
    """Stopped and started again in the same group, a consumer reprocesses nothing it had
    processed (its committed offsets moved past them), and processes once what was
    published while it was down."""
    producer_name, consumer_name = unique_service_name(), unique_service_name()
    topic = f"orbit.{producer_name}"
    event_type = f"orbit.{producer_name}.thing.done.v1"
    consumer = EventConsumer(consumer_name, db.uow, {event_type: record})
    # Two partitions, and events on both before and after the restart: a partition replayed
    # from the start would be reprocessed before its new events are reached.
    await create_topics(kafka, [topic], partitions=2)
    raw = AIOKafkaProducer(bootstrap_servers=kafka, enable_idempotence=True, acks="all")
    await raw.start()

    async def publish(partition: int, count: int) -> list[str]:
        ids = []
        for n in range(count):
            event = envelope(producer_name, "done", uuid.uuid4(), n=n)
            await raw.send_and_wait(
                topic, event.to_json(), key=str(event.subject).encode(), partition=partition
            )
            ids.append(str(event.id))
        return ids

    async def inbox_rows() -> int:
        async with db.sessions() as s:
            return int(await s.scalar(select(func.count()).select_from(inbox)) or 0)

    def offsets_reach(expected: dict[int, int]):  # type: ignore[no-untyped-def]
        async def probe() -> bool:
            committed = await committed_offsets(kafka, consumer.group)
            return {tp.partition: o for tp, o in committed.items() if tp.topic == topic} == (
                expected
            )

        return probe

    async def run_consumer(expected: list[str], offsets: dict[int, int]) -> None:
        bus = KafkaBus(kafka)  # a fresh bus and group member, as after a process restart
        task = asyncio.create_task(
            bus.subscribe(consumer.group, consumer.topics, consumer.process).run()
        )
        try:
            await eventually(lambda: _equal_sets(db.applied, expected), timeout=60, what="effects")
            await eventually(offsets_reach(offsets), timeout=30, what=f"offsets {offsets}")
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)
            await bus.stop()

    try:
        before = await publish(0, 3) + await publish(1, 2)
        await run_consumer(before, {0: 3, 1: 2})
        assert await inbox_rows() == 5

        after = await publish(0, 2) + await publish(1, 1)  # while the consumer is down
        assert sorted(await db.applied()) == sorted(before) and await inbox_rows() == 5
        await run_consumer(before + after, {0: 5, 1: 3})

        assert sorted(await db.applied()) == sorted(before + after)  # each effect once
        assert await inbox_rows() == 8
        assert EVENTS_DUPLICATE.labels(consumer_name)._value.get() == 0  # nothing redelivered
        assert EVENTS_PROCESSED.labels(consumer_name, event_type)._value.get() == 8
    finally:
        await raw.stop()


async def _equal_sets(probe, expected):  # type: ignore[no-untyped-def]
    return sorted(await probe()) == sorted(expected)


async def _run_batching(
    consumer: EventConsumer, bus: KafkaBus, expected: list[str], db: Effects
) -> None:
    worker = bus.subscribe(
        consumer.group, consumer.topics, consumer.process, process_batch=consumer.process_batch
    )
    task = asyncio.create_task(worker.run())
    try:

        async def done() -> bool:
            return await db.applied() == expected

        assert await eventually(done, timeout=60, what="every event applied once, in order")
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def test_a_backlog_is_applied_in_few_transactions_each_event_once_in_order(
    db: Effects, kafka: str
) -> None:
    producer = unique_service_name()
    transactions: list[int] = []

    async def record_in_transaction(uow: UnitOfWork, event: CloudEvent) -> None:
        transactions.append(int(await uow.session.scalar(select(func.txid_current())) or 0))
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))

    consumer = EventConsumer(
        unique_service_name(), db.uow, {f"orbit.{producer}.thing.done.v1": record_in_transaction}
    )
    client = uuid.uuid4()
    events = [envelope(producer, "done", client, n=n) for n in range(30)]
    bus = KafkaBus(kafka)
    # Published before the consumer starts: its first fetch brings the whole backlog.
    await bus.publish([message(producer, e) for e in [*events[:10], events[3], *events[10:]]])
    try:
        await _run_batching(consumer, bus, [str(e.id) for e in events], db)
    finally:
        await bus.stop()
    assert len(set(transactions)) < len(events) / 2  # batched: not one transaction each


async def test_a_failure_in_a_batch_keeps_nothing_of_it_and_applies_them_one_by_one(
    db: Effects, kafka: str
) -> None:
    producer = unique_service_name()
    client = uuid.uuid4()
    events = [envelope(producer, "done", client, n=n) for n in range(10)]
    failures: list[str] = []

    async def fail_once_on_the_fifth(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))
        if event.id == events[4].id and not failures:
            failures.append(str(event.id))
            raise ValueError("a transient failure")

    consumer = EventConsumer(
        unique_service_name(),
        db.uow,
        {f"orbit.{producer}.thing.done.v1": fail_once_on_the_fifth},
        backoff=0.01,
    )
    bus = KafkaBus(kafka)
    await bus.publish([message(producer, e) for e in events])
    try:
        await _run_batching(consumer, bus, [str(e.id) for e in events], db)
    finally:
        await bus.stop()
    assert failures == [str(events[4].id)]
