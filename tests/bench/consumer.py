"""Consumer benchmark (issue 14): Orbit's Kafka consumer with its inbox against a raw one.

Both read the same ``EVENTS`` CloudEvents from one topic (3 partitions, a consumer group of
their own, ``read_committed``, offsets committed by hand after processing) into the same
``inbox`` table of a fresh database each:

- **Orbit**: ``KafkaBus.subscribe`` + ``EventConsumer`` (its ``process_batch``, batches of the
  default ``ORBIT_CONSUMER_BATCH_SIZE``) with a handler that does nothing: per event, the envelope
  parsed, its inbox row and the (empty) effect written; one commit per batch; offsets
  committed per poll batch.
- **raw** (the baseline): ``AIOKafkaConsumer.getmany`` and, per poll batch, one asyncpg
  transaction inserting the batch's inbox rows (``INSERT … SELECT unnest(…) ON CONFLICT DO
  NOTHING``), then the offsets committed.

The clock runs from the first inbox row to the last (a poll every 5 ms): the steady pace,
without the consumer's start (joining the group, fetching metadata).
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import ClassVar

from services.notifications.app import SPEC as NOTIFICATIONS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent, Event
from shared.messaging.kafka import KafkaBus
from shared.migrations import migrate
from shared.settings import OrbitSettings
from shared.uow import UnitOfWork, UnitOfWorkFactory

BATCH = 500  # the transport's getmany(max_records=…)


class BenchConsumedV1(Event):
    TYPE: ClassVar[str] = "orbit.bench.consumed.happened.v1"

    client_id: uuid.UUID
    n: int


async def _noop(uow: UnitOfWork, event: CloudEvent) -> None:
    return None


def _dsn(url: str) -> str:
    return url.replace("postgresql+asyncpg://", "postgresql://")


async def _produce(bootstrap: str, topic: str, events: int) -> None:
    bus = KafkaBus(bootstrap)
    await bus.ensure_topics([topic])
    clients = [uuid.uuid4() for _ in range(50)]
    now = datetime.now(UTC)
    messages = []
    for n in range(events):
        event = BenchConsumedV1(client_id=clients[n % 50], n=n)
        messages.append(Message(topic, event.key(), event.to_cloudevent(time=now).to_json()))
    for i in range(0, events, 2000):
        await bus.publish(messages[i : i + 2000])
    await bus.stop()


async def _wait_for_inbox(dsn: str, events: int, timeout: float = 600) -> float:
    """Seconds from the first inbox row seen to the last one (polled every 5 ms): the
    consumer's steady pace, without its start (joining the group, fetching metadata)."""
    import asyncpg

    conn = await asyncpg.connect(dsn)
    try:
        deadline = time.monotonic() + timeout
        first: float | None = None
        while True:
            count = await conn.fetchval("SELECT count(*) FROM inbox")
            if count and first is None:
                first = time.perf_counter()
            if count >= events:
                return time.perf_counter() - (first or time.perf_counter())
            if time.monotonic() > deadline:
                raise TimeoutError("the consumer did not catch up")
            await asyncio.sleep(0.005)
    finally:
        await conn.close()


async def orbit_consumer(url: str, bootstrap: str, topic: str, events: int) -> float:
    engine = create_engine(url)
    consumer = EventConsumer(
        "bench",
        UnitOfWorkFactory(session_factory(engine), SystemClock()),
        {BenchConsumedV1.TYPE: _noop},
    )
    bus = KafkaBus(bootstrap, consumer_batch_size=OrbitSettings().consumer_batch_size)
    worker = bus.subscribe(
        f"bench.orbit.{uuid.uuid4().hex[:8]}",
        [topic],
        consumer.process,
        process_batch=consumer.process_batch,
    )
    task = asyncio.create_task(worker.run())
    try:
        return await _wait_for_inbox(_dsn(url), events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await bus.stop()
        await engine.dispose()


async def raw_consumer(url: str, bootstrap: str, topic: str, events: int) -> float:
    task = asyncio.create_task(_raw_consume(url, bootstrap, topic, events))
    try:
        return await _wait_for_inbox(_dsn(url), events)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)


async def _raw_consume(url: str, bootstrap: str, topic: str, events: int) -> None:
    import asyncpg
    from aiokafka import AIOKafkaConsumer, TopicPartition

    pool = await asyncpg.create_pool(_dsn(url), min_size=1, max_size=2)
    consumer = AIOKafkaConsumer(
        topic,
        bootstrap_servers=bootstrap,
        group_id=f"bench.raw.{uuid.uuid4().hex[:8]}",
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    done = 0
    try:
        while done < events:
            batches = await consumer.getmany(timeout_ms=500, max_records=BATCH)
            for tp, records in batches.items():
                ids, types = [], []
                for record in records:
                    envelope = CloudEvent.from_json(record.value or b"")
                    ids.append(envelope.id)
                    types.append(envelope.type)
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute(
                        "INSERT INTO inbox (event_id, event_type, processed_at) "
                        "SELECT unnest($1::uuid[]), unnest($2::text[]), now() "
                        "ON CONFLICT DO NOTHING",
                        ids,
                        types,
                    )
                after = records[-1].offset + 1
                await consumer.commit({TopicPartition(tp.topic, tp.partition): after})
                done += len(records)
    finally:
        await consumer.stop()
        await pool.close()


async def consumer_vs_raw(
    make_pg_url: Callable[[], Awaitable[str]], bootstrap: str, events: int
) -> tuple[float, float]:
    """Seconds for Orbit's consumer and for the raw one to put ``events`` into the inbox."""
    topic = f"orbit.benchconsumer{uuid.uuid4().hex[:8]}"
    await _produce(bootstrap, topic, events)
    seconds = {}
    for name, run in (("raw", raw_consumer), ("orbit", orbit_consumer)):
        url = await make_pg_url()
        await migrate(NOTIFICATIONS.migrations, url)
        seconds[name] = await run(url, bootstrap, topic, events)
    return seconds["orbit"], seconds["raw"]
