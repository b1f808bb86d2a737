"""The transactional outbox and its relay against the real PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from collections import defaultdict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, ClassVar

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.envelope import Event, topic_for
from shared.messaging.kafka import KafkaBus
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.uow import UnitOfWorkFactory
from tests.support.kafka import events_of, read_topic, unique_service_name
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration


def event_class(service: str) -> type[Event]:
    class NumberedV1(Event):
        TYPE: ClassVar[str] = f"orbit.{service}.thing.numbered.v1"

        client_id: uuid.UUID
        n: int

    return NumberedV1


@dataclass
class Outbox:
    """A migrated service database of a service named for this test, and its event type."""

    service: str
    numbered: type[Event]
    url: str
    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    uow: UnitOfWorkFactory


@pytest.fixture
async def db(pg_url: str) -> AsyncIterator[Outbox]:
    await migrate(CLIENTS.migrations, pg_url)
    service = unique_service_name()
    engine = create_engine(pg_url)
    try:
        sessions = session_factory(engine)
        yield Outbox(
            service,
            event_class(service),
            pg_url,
            engine,
            sessions,
            UnitOfWorkFactory(sessions, SystemClock()),
        )
    finally:
        await engine.dispose()  # also when the test failed


@pytest.fixture
async def buses(kafka: str) -> AsyncIterator[Callable[..., KafkaBus]]:
    """Makes Kafka buses (producers) that are stopped after the test, whatever happened."""
    made: list[KafkaBus] = []

    def make(**options: Any) -> KafkaBus:
        made.append(KafkaBus(kafka, **options))
        return made[-1]

    yield make
    for bus in made:
        await bus.stop()


async def test_rolled_back_transaction_publishes_nothing(
    db: Outbox, buses: Callable[..., KafkaBus], kafka: str
) -> None:
    client = uuid.uuid4()
    with pytest.raises(RuntimeError):
        async with db.uow() as uow:
            await uow.emit(db.numbered(client_id=client, n=1))
            raise RuntimeError("the use case failed")
    async with db.uow() as uow:
        await uow.emit(db.numbered(client_id=client, n=2))
        # leaving without commit: rolled back as well
    async with db.uow() as uow:
        kept = await uow.emit(db.numbered(client_id=client, n=3))
        await uow.commit()
    relay = OutboxRelay(db.service, db.sessions, buses())
    assert await relay.pending() == 1
    assert await relay.run_once() == 1
    assert await relay.pending() == 0
    records = await read_topic(kafka, topic_for(db.service), expect=1)
    assert [e.id for e in events_of(records)] == [kept.id]
    assert records[0][0] == str(client)


async def test_relay_publishes_in_key_order_in_batches(
    db: Outbox, buses: Callable[..., KafkaBus], kafka: str
) -> None:
    clients = [uuid.uuid4() for _ in range(5)]
    for n in range(60):
        async with db.uow() as uow:
            await uow.emit(db.numbered(client_id=clients[n % 5], n=n))
            await uow.commit()
    relay = OutboxRelay(
        db.service, db.sessions, buses(partitions=3), batch_size=7, batches_per_round=1
    )
    batches = []
    while (published := await relay.run_once()) > 0:
        batches.append(published)
    assert batches == [7] * 8 + [4]
    records = await read_topic(kafka, topic_for(db.service), expect=60)
    assert len(records) == 60
    by_key: dict[str, list[int]] = defaultdict(list)
    partitions: dict[str, set[int]] = defaultdict(set)
    for key, value, partition in records:
        by_key[key].append(events_of([(key, value, partition)])[0].data["n"])
        partitions[key].add(partition)
    for client in clients:
        numbers = by_key[str(client)]
        assert numbers == sorted(numbers) and len(numbers) == 12
        assert len(partitions[str(client)]) == 1  # one key, one partition: one order


async def test_two_relays_on_one_database_never_publish_a_row_twice(
    db: Outbox, buses: Callable[..., KafkaBus], kafka: str
) -> None:
    # Two relay "processes": separate engines, separate producers.
    engines = [create_engine(db.url), create_engine(db.url)]
    relays = [
        OutboxRelay(db.service, session_factory(e), buses(), batch_size=10, interval=0.01)
        for e in engines
    ]
    tasks = [asyncio.create_task(r.run()) for r in relays]
    try:
        clients = [uuid.uuid4() for _ in range(4)]
        emitted = []
        for n in range(200):
            async with db.uow() as uow:
                emitted.append((await uow.emit(db.numbered(client_id=clients[n % 4], n=n))).id)
                await uow.commit()
            if n % 20 == 0:
                await asyncio.sleep(0.01)

        async def drained() -> bool:
            return await relays[0].pending() == 0

        await eventually(drained, timeout=30, what="both relays to drain the outbox")
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for engine in engines:
            await engine.dispose()
    records = await read_topic(kafka, topic_for(db.service), expect=200)
    ids = [e.id for e in events_of(records)]
    assert len(ids) == 200, f"{len(ids)} records for 200 events"
    assert sorted(map(str, ids)) == sorted(map(str, emitted))
    by_key: dict[str, list[int]] = defaultdict(list)
    for event in events_of(records):
        by_key[event.subject or ""].append(event.data["n"])
    assert all(v == sorted(v) for v in by_key.values())


async def test_pipelined_rounds_keep_key_order(
    db: Outbox, buses: Callable[..., KafkaBus], kafka: str
) -> None:
    """Several batches per transaction (the next read and the last marked while one is in
    flight): every row once, one key's events in order."""
    clients = [uuid.uuid4() for _ in range(5)]
    async with db.uow() as uow:
        for n in range(60):
            await uow.emit(db.numbered(client_id=clients[n % 5], n=n))
        await uow.commit()
    relay = OutboxRelay(
        db.service, db.sessions, buses(partitions=3), batch_size=7, batches_per_round=4
    )
    rounds = []
    while (published := await relay.run_once()) > 0:
        rounds.append(published)
    assert rounds == [28, 28, 4]
    assert await relay.pending() == 0
    records = await read_topic(kafka, topic_for(db.service), expect=60)
    numbers: dict[str, list[int]] = defaultdict(list)
    for event in events_of(records):
        numbers[event.subject or ""].append(event.data["n"])
    assert sorted(n for v in numbers.values() for n in v) == list(range(60))
    assert all(v == sorted(v) for v in numbers.values())


class FailingOnce(KafkaBus):
    """Refuses its second publish (the broker went away), then works again."""

    calls = 0

    async def publish(self, messages: Any) -> None:
        self.calls += 1
        if self.calls == 2:
            raise ConnectionError("broker gone")
        await super().publish(messages)


async def test_a_failed_batch_mid_round_keeps_what_went_before_and_sends_the_rest_later(
    db: Outbox, kafka: str
) -> None:
    client = uuid.uuid4()
    async with db.uow() as uow:
        for n in range(10):
            await uow.emit(db.numbered(client_id=client, n=n))
        await uow.commit()
    bus = FailingOnce(kafka)
    try:
        relay = OutboxRelay(db.service, db.sessions, bus, batch_size=3, batches_per_round=4)
        with pytest.raises(ConnectionError):
            await relay.run_once()
        assert await relay.pending() == 7  # the first batch is marked sent, committed
        assert await relay.run_once() == 7  # the failed batch first, then the rest
    finally:
        await bus.stop()
    records = await read_topic(kafka, topic_for(db.service), expect=10)
    assert [e.data["n"] for e in events_of(records)] == list(range(10))
