"""The consumer's batches (``process_batch``, what the Kafka transport calls with a partition's
backlog and the in-process bus with a relay batch), on SQLite: the same effects as one event at
a time — each event once, in order, each handler seeing what the events before it wrote, a
poison event and a message that is not a CloudEvent dead-lettered alone with the events around
them applied (the batch declined, then one by one, as the transports do), a redelivered event
skipped — and a clean batch in one transaction."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.metrics import EVENTS_DUPLICATE, EVENTS_PROCESSED
from shared.tables import dead_letters, inbox, platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(100)),
    Column("seen_before", Integer),  # effects already written when the handler ran
)

DONE, BAD = "orbit.source.thing.done.v1", "orbit.source.thing.bad.v1"


@dataclass
class Db:
    """A SQLite database with the platform tables and ``effects``; counts its commits."""

    engine: AsyncEngine
    sessions: async_sessionmaker[AsyncSession]
    commits: int = 0

    @classmethod
    async def create(cls, url: str) -> Db:
        engine = create_engine(url)
        async with engine.begin() as conn:
            await conn.run_sync(platform_metadata.create_all)
            await conn.run_sync(effects_metadata.create_all)
        db = cls(engine, session_factory(engine))

        @event.listens_for(engine.sync_engine, "commit")
        def count(conn: object) -> None:
            db.commits += 1

        return db


async def deliver(consumer: EventConsumer, messages: list[Message]) -> None:
    """What a transport does with a batch: ``process_batch``, else each on its own."""
    if not await consumer.process_batch(messages):
        for message in messages:
            await consumer.process(message)


def msg(kind: str, event_id: uuid.UUID) -> Message:
    event = CloudEvent(id=event_id, source="orbit/source", type=kind, time=SystemClock().now())
    return Message(topic="orbit.source", key="k", value=event.to_json())


async def test_a_batch_applies_each_event_once_in_order_and_parks_the_poison_alone(
    sqlite_url: str,
) -> None:
    db = await Db.create(sqlite_url)
    sessions = db.sessions

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        # each handler sees what the events before it in the batch wrote
        seen = len((await uow.session.execute(select(effects.c.id))).all())
        await uow.session.execute(insert(effects).values(event_id=str(event.id), seen_before=seen))

    async def explode(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id="must-roll-back"))
        raise RuntimeError("boom")

    service = f"sink{uuid.uuid4().hex[:6]}"
    consumer = EventConsumer(
        service,
        UnitOfWorkFactory(sessions, SystemClock()),
        {DONE: record, BAD: explode},
        max_attempts=2,
        backoff=0,
    )
    ids = [uuid.uuid4() for _ in range(6)]
    bad = uuid.uuid4()
    await deliver(
        consumer,
        [
            msg(DONE, ids[0]),
            msg(DONE, ids[1]),
            msg(DONE, ids[0]),  # redelivered within the batch
            msg(BAD, bad),
            msg(DONE, ids[2]),
            Message(topic="orbit.source", key="k", value=b"{not json"),
            msg(DONE, ids[3]),
            msg("orbit.source.thing.ignored.v1", uuid.uuid4()),
            msg(DONE, ids[4]),
        ],
    )
    commits = db.commits
    await deliver(consumer, [msg(DONE, ids[1]), msg(DONE, ids[5])])  # one seen before
    assert db.commits == commits + 1  # a clean batch: one transaction

    async with sessions() as s:
        applied = (await s.execute(select(effects).order_by(effects.c.id))).all()
        parked = (await s.execute(select(dead_letters).order_by(dead_letters.c.id))).all()
        inbox_ids = set((await s.scalars(select(inbox.c.event_id))).all())
    assert [(a.event_id, a.seen_before) for a in applied] == [
        (str(i), n) for n, i in enumerate(ids)
    ]
    assert [(p.event_id, p.attempts) for p in parked] == [(str(bad), 2), (None, 1)]
    assert inbox_ids == {*ids, bad}
    assert EVENTS_DUPLICATE.labels(service)._value.get() == 2
    assert EVENTS_PROCESSED.labels(service, DONE)._value.get() == 6
    await db.engine.dispose()
