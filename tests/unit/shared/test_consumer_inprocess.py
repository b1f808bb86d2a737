"""The consumer through the in-process bus on SQLite (the embedded mode's path)."""

from __future__ import annotations

import json
import logging
import uuid

import pytest
from sqlalchemy import Column, Integer, MetaData, String, Table, event, insert, select

from shared.clock import SystemClock
from shared.db import create_engine, session_factory
from shared.logging import JsonFormatter
from shared.messaging.bus import Message
from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.messaging.inprocess import DELIVERY_BATCH, InProcessBus
from shared.tables import dead_letters, outbox, platform_metadata
from shared.uow import UnitOfWork, UnitOfWorkFactory

effects_metadata = MetaData()
effects = Table(
    "effects",
    effects_metadata,
    Column("id", Integer, primary_key=True),
    Column("event_id", String(100)),
)


@pytest.mark.parametrize("batches", [False, True], ids=["one-by-one", "batches"])
async def test_inprocess_delivery_is_idempotent_and_parks_poison(
    sqlite_url: str, batches: bool
) -> None:
    """Batches too: the poison event fails its batch, which is then applied one by one."""
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    sessions = session_factory(engine)

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))

    async def explode(uow: UnitOfWork, event: CloudEvent) -> None:
        raise RuntimeError("boom")

    consumer = EventConsumer(
        "sink",
        UnitOfWorkFactory(sessions, SystemClock()),
        {"orbit.source.thing.done.v1": record, "orbit.source.thing.bad.v1": explode},
        max_attempts=2,
        backoff=0,
    )
    bus = InProcessBus()
    bus.subscribe(
        consumer.group,
        consumer.topics,
        consumer.process,
        process_batch=consumer.process_batch if batches else None,
    )

    def msg(kind: str, event_id: uuid.UUID) -> Message:
        event = CloudEvent(
            id=event_id,
            source="orbit/source",
            type=f"orbit.source.thing.{kind}.v1",
            time=SystemClock().now(),
        )
        return Message(topic="orbit.source", key="k", value=event.to_json())

    one, bad, two = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    await bus.publish(
        [
            msg("done", one),
            msg("done", one),
            msg("bad", bad),
            msg("done", two),
            msg("ignored", uuid.uuid4()),
        ]
    )
    await bus.publish([msg("bad", bad)])  # a parked event delivered again stays parked
    async with sessions() as s:
        applied = (await s.execute(select(effects.c.event_id).order_by(effects.c.id))).all()
        parked = (await s.execute(select(dead_letters))).all()
        dlq = (await s.execute(select(outbox.c.topic))).all()
    assert [a.event_id for a in applied] == [str(one), str(two)]
    assert [(p.event_id, p.attempts) for p in parked] == [(str(bad), 2)]
    assert [d.topic for d in dlq] == ["orbit.sink.dlq"]
    await engine.dispose()


async def test_a_batch_is_applied_in_order_in_one_transaction(sqlite_url: str) -> None:
    """The in-process bus hands a consumer up to DELIVERY_BATCH events at once: one commit for
    their inbox rows and effects, in order; a duplicate inside a batch or delivered again
    later is applied once; on_applied hears of each applied event."""
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
        await conn.run_sync(effects_metadata.create_all)
    sessions = session_factory(engine)
    commits: list[object] = []
    event.listen(engine.sync_engine, "commit", commits.append)

    async def record(uow: UnitOfWork, event: CloudEvent) -> None:
        await uow.session.execute(insert(effects).values(event_id=str(event.id)))

    told: list[uuid.UUID] = []
    consumer = EventConsumer(
        "sink",
        UnitOfWorkFactory(sessions, SystemClock()),
        {"orbit.source.thing.done.v1": record},
        on_applied=lambda events: told.extend(e.id for e in events),
    )
    bus = InProcessBus()
    bus.subscribe(
        consumer.group, consumer.topics, consumer.process, process_batch=consumer.process_batch
    )
    ids = [uuid.uuid4() for _ in range(2 * DELIVERY_BATCH + 3)]
    messages = [
        Message(
            topic="orbit.source",
            key="k",
            value=CloudEvent(
                id=i,
                source="orbit/source",
                type="orbit.source.thing.done.v1",
                time=SystemClock().now(),
            ).to_json(),
        )
        for i in ids
    ]
    messages.insert(1, messages[0])  # a duplicate in the first batch
    await bus.publish(messages)
    assert len(commits) == 3  # ceil((2 * 16 + 4) / 16)
    await bus.publish(messages[:5])  # delivered again: nothing applied twice
    async with sessions() as s:
        applied = (await s.scalars(select(effects.c.event_id).order_by(effects.c.id))).all()
    assert applied == [str(i) for i in ids]
    assert told == ids
    await engine.dispose()


async def test_log_lines_about_an_event_name_it_and_the_service(
    sqlite_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(platform_metadata.create_all)
    lines: list[dict[str, str]] = []

    class Capture(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(json.loads(JsonFormatter().format(record)))

    async def flaky(uow: UnitOfWork, event: CloudEvent) -> None:
        logging.getLogger("orbit.handler").info("applying")
        raise RuntimeError("not yet")

    consumer = EventConsumer(
        "sink",
        UnitOfWorkFactory(session_factory(engine), SystemClock()),
        {"orbit.source.thing.bad.v1": flaky},
        max_attempts=2,
        backoff=0,
    )
    event = CloudEvent(
        id=uuid.uuid4(),
        source="orbit/source",
        type="orbit.source.thing.bad.v1",
        time=SystemClock().now(),
    )
    root, handler = logging.getLogger(), Capture()
    root.addHandler(handler)
    try:
        with caplog.at_level(logging.INFO):
            await consumer.process(Message(topic="orbit.source", key="k", value=event.to_json()))
            await consumer.process(Message(topic="orbit.source", key="k", value=b"{oops"))
    finally:
        root.removeHandler(handler)
        await engine.dispose()
    about = [line for line in lines if line["logger"] in ("orbit.handler", "orbit.consumer")]
    assert [line["msg"].split()[0] for line in about] == [
        "applying",
        "event",
        "applying",
        "dead-lettering",
        "dead-lettering",
    ]
    for line in about[:-1]:  # the handler's own lines too
        assert line["event_id"] == str(event.id), line
        assert line["event_type"] == "orbit.source.thing.bad.v1" and line["service"] == "sink"
    assert about[-1]["service"] == "sink" and "event_id" not in about[-1]
