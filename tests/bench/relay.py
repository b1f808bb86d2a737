"""Relay benchmarks: on SQLite + the in-process bus, batched against one row at a time; on
PostgreSQL + Kafka, the relay against raw aiokafka producing the same payloads with the same
producer settings. Run by ``python -m tests.bench``."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path
from typing import ClassVar

from services.clients.app import SPEC as CLIENTS
from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Bus
from shared.messaging.envelope import Event
from shared.messaging.inprocess import InProcessBus
from shared.messaging.outbox import OutboxRelay
from shared.migrations import migrate
from shared.settings import OrbitSettings
from shared.uow import UnitOfWorkFactory
from tests.bench import summary

EVENTS = 2000


class BenchTickV1(Event):
    TYPE: ClassVar[str] = "orbit.bench.tick.happened.v1"

    client_id: uuid.UUID
    n: int


async def fill(url: str, count: int) -> None:
    engine = create_engine(url)
    uow_factory = UnitOfWorkFactory(session_factory(engine), SystemClock())
    clients = [uuid.uuid4() for _ in range(20)]
    async with uow_factory() as uow:
        for n in range(count):
            await uow.emit(BenchTickV1(client_id=clients[n % 20], n=n))
        await uow.commit()
    await engine.dispose()


async def drain(url: str, bus: Bus, batch_size: int, batches_per_round: int = 1) -> float:
    engine = create_engine(url)
    relay = OutboxRelay(
        "bench",
        session_factory(engine),
        bus,
        batch_size=batch_size,
        batches_per_round=batches_per_round,
    )
    started = time.perf_counter()
    while await relay.run_once():
        pass
    elapsed = time.perf_counter() - started
    await engine.dispose()
    return elapsed


async def run_case(name: str, make_url, make_bus) -> list[str]:
    rows = []
    timings = {}
    for batch_size in (1, 200):
        url = await make_url()
        await migrate(CLIENTS.migrations, url)
        await fill(url, EVENTS)
        bus = make_bus()
        timings[batch_size] = await drain(url, bus, batch_size)
        await bus.stop()
    for batch_size, seconds in timings.items():
        rows.append(
            f"| {name} | {batch_size} | {EVENTS} | {seconds:.2f} | "
            f"{EVENTS / seconds:,.0f} | {timings[1] / seconds:.1f}x |"
        )
    return rows


async def sqlite_rows(tmp: Path) -> list[str]:
    """The relay on SQLite + the in-process bus: batch 200 against one row per round."""
    counter = iter(range(100))

    async def sqlite_url() -> str:
        return f"sqlite+aiosqlite:///{tmp / f'bench{next(counter)}.db'}"

    return await run_case("SQLite + in-process bus", sqlite_url, InProcessBus)


async def raw_aiokafka(
    bootstrap: str, rows: list[tuple[str, str, bytes]], batch: int | None
) -> float:
    """Seconds for a bare aiokafka producer, with the relay's settings (idempotent,
    acks=all, linger 5 ms), to publish ``rows``: all at once (``batch`` None), or in batches
    awaited in turn like the relay's."""
    from aiokafka import AIOKafkaProducer

    producer = AIOKafkaProducer(
        bootstrap_servers=bootstrap, enable_idempotence=True, acks="all", linger_ms=5
    )
    await producer.start()
    try:
        await producer.send_and_wait(rows[0][0], b"warm-up", key=b"warm-up")
        headers = [("content-type", b"application/cloudevents+json")]
        started = time.perf_counter()
        step = batch or len(rows)
        for i in range(0, len(rows), step):
            futures = [
                await producer.send(topic, value=value, key=key.encode(), headers=headers)
                for topic, key, value in rows[i : i + step]
            ]
            await asyncio.gather(*futures)
        return time.perf_counter() - started
    finally:
        await producer.stop()


async def relay_vs_raw(make_pg_url, bootstrap: str, events: int, batch: int) -> list[str]:
    """The relay draining ``events`` committed rows into Kafka against raw aiokafka producing
    the same payloads with the same settings."""
    from sqlalchemy import select

    from shared.messaging.kafka import KafkaBus
    from shared.tables import outbox

    url = await make_pg_url()
    await migrate(CLIENTS.migrations, url)
    await fill(url, events)
    engine = create_engine(url)
    async with session_factory(engine)() as session:
        rows = [
            (r.topic, r.key, r.payload.encode())
            for r in (
                await session.execute(
                    select(outbox.c.topic, outbox.c.key, outbox.c.payload).order_by(outbox.c.seq)
                )
            ).all()
        ]
    await engine.dispose()
    topics = sorted({r[0] for r in rows})
    setup = KafkaBus(bootstrap)
    await setup.ensure_topics(topics)
    await setup.stop()
    streamed = await raw_aiokafka(bootstrap, rows, None)
    batched = await raw_aiokafka(bootstrap, rows, batch)
    bus = KafkaBus(bootstrap)
    await bus.ensure_topics(topics)
    rounds = OrbitSettings().relay_batches_per_round
    relay_seconds = await drain(url, bus, batch, rounds)
    await bus.stop()
    summary.at_least(
        f"outbox relay, {events:,} events, vs raw aiokafka produce (same settings)",
        events / relay_seconds,
        events / streamed,
        "events/s",
        0.3,
    )
    return [
        f"| raw aiokafka, all sends then one wait | {events} | {streamed:.2f} | "
        f"{events / streamed:,.0f} | {streamed / relay_seconds:.2f}x |",
        f"| raw aiokafka, batches of {batch} awaited in turn | {events} | {batched:.2f} | "
        f"{events / batched:,.0f} | {batched / relay_seconds:.2f}x |",
        f"| **Orbit relay**, batch {batch}, {rounds} pipelined per transaction | {events} | "
        f"{relay_seconds:.2f} | {events / relay_seconds:,.0f} | — |",
    ]


CHURN_ROWS = 200_000


async def relay_after_churn(make_pg_url, events: int, batch: int) -> list[str]:
    """The relay draining ``events`` on PostgreSQL (in-process bus: the database side only)
    on a fresh outbox, on one holding ``CHURN_ROWS`` sent rows of past traffic, and on that
    one after the retention job pruned them (and autovacuum's work done by hand)."""
    from sqlalchemy import text

    from shared.retention import RetentionJob, platform_rules
    from shared.tables import outbox

    url = await make_pg_url()
    await migrate(CLIENTS.migrations, url)
    engine = create_engine(url)
    sessions = session_factory(engine)
    rounds = OrbitSettings().relay_batches_per_round

    async def timed() -> float:
        await fill(url, events)
        return await drain(url, InProcessBus(), batch, rounds)

    fresh = await timed()
    async with engine.begin() as conn:
        # Months of traffic: sent rows, 30 days old (one statement, server-side).
        await conn.execute(
            text(
                "INSERT INTO outbox (event_id, topic, key, event_type, payload, created_at, "
                "sent_at, attempts) SELECT gen_random_uuid(), 'orbit.bench', (g % 50)::text, "
                "'orbit.bench.tick.happened.v1', repeat('x', 600), now() - interval '30 days', "
                "now() - interval '30 days', 0 FROM generate_series(1, :n) g"
            ),
            {"n": CHURN_ROWS},
        )
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("ANALYZE outbox"))
    churned = await timed()
    job = RetentionJob(
        "bench",
        sessions,
        platform_rules(OrbitSettings()),
        clock=SystemClock(),
        batch_size=OrbitSettings().retention_batch_size,
        interval=3600,
    )
    started = time.perf_counter()
    deleted = (await job.run_once())[outbox.name]
    prune_seconds = time.perf_counter() - started
    async with engine.connect() as conn:
        await conn.execution_options(isolation_level="AUTOCOMMIT")
        await conn.execute(text("VACUUM ANALYZE outbox"))
    pruned = await timed()
    await engine.dispose()
    return [
        f"| fresh outbox | {events} | {fresh:.2f} | {events / fresh:,.0f} |",
        f"| after {CHURN_ROWS:,} sent rows of churn | {events} | {churned:.2f} | "
        f"{events / churned:,.0f} |",
        f"| after retention deleted {deleted:,} rows ({prune_seconds:.1f} s, batches of "
        f"{OrbitSettings().retention_batch_size}) | {events} | {pruned:.2f} | "
        f"{events / pruned:,.0f} |",
    ]
