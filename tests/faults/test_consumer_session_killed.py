"""Scenario 6b: a service whose database session is killed (``pg_terminate_backend``) recovers
by itself — no lost, no doubled effect, nothing dead-lettered.

- The notifications consumer, fed over the real Kafka (topics and group unique to the test):
  its session is killed while it applies a batch (blocked on a lock the test holds on the
  feed table, so the kill lands inside its transaction), then every session of its database
  is killed while the next batch streams in. Every event has its feed entry once.
- The email worker: its session is killed while it records an email it has just sent (the
  row locked by the test, so the kill lands in the recording). The recording waits for the
  database; the email is not sent a second time when the claim would have expired."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AsyncExitStack
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from services.notifications.app import create_app
from services.notifications.store.models import Notification
from shared.clock import FixedClock
from shared.messaging.bus import Message
from shared.messaging.envelope import CloudEvent
from shared.metrics import EVENTS_WAITED_FOR_DATABASE
from shared.tables import dead_letters, inbox
from tests.faults.inproc import (
    Row,
    admin,
    connect,
    database_of,
    kill_all,
    kill_waiting,
    report,
    settled,
)
from tests.integration.clients.test_replicas_kafka import IsolatedKafkaBus, drop_topics
from tests.integration.notifications.helpers import (
    NOW,
    Notif,
    make_notif,
    sla_breached,
)
from tests.integration.notifications.test_email_smtp import SmtpServer
from tests.support.apps import running, runtime_of, test_settings
from tests.support.kafka import unique_service_name
from tests.support.net import free_port
from tests.support.waiting import eventually

pytestmark = pytest.mark.integration

BREACHED = "orbit.interactions.sla.breached.v1"
BATCH = 40


def event(event_type: str, data: dict[str, object]) -> Message:
    envelope = CloudEvent(
        id=uuid.uuid4(),
        source=f"orbit/{event_type.split('.')[1]}",
        type=event_type,
        subject=str(data["client_id"] if "client_id" in data else data["staff_id"]),
        time=NOW,
        data=data,
    )
    return Message(f"orbit.{event_type.split('.')[1]}", envelope.subject or "", envelope.to_json())


def waited_for_database() -> float:
    return sum(
        s.value
        for metric in EVENTS_WAITED_FOR_DATABASE.collect()
        for s in metric.samples
        if s.name.endswith("_total") and s.labels.get("service") == "notifications"
    )


async def test_consumer_session_killed_mid_batch(pg_url: str, kafka: str) -> None:
    prefix = unique_service_name()
    database = database_of(pg_url)
    async with AsyncExitStack() as stack:
        stack.push_async_callback(drop_topics, kafka, prefix)
        bus = IsolatedKafkaBus(kafka, prefix)
        settings = test_settings(database_url=pg_url, kafka_bootstrap=kafka)
        app = create_app(settings, bus=bus, clock=FixedClock(NOW), migrate_on_start=True)
        http = await stack.enter_async_context(running(app))
        runtime = runtime_of(app, "notifications")
        producer = IsolatedKafkaBus(kafka, prefix)
        await producer.start()
        stack.push_async_callback(producer.stop)
        killer = await admin()
        stack.push_async_callback(killer.close)

        # the manager and the client through the consumer directly; the alerts over Kafka
        notif = Notif(http, runtime, FixedClock(NOW))
        ida = await notif.staff("Ida")
        client = await notif.client("Initech", ida)

        alerts: list[Message] = []

        def breaches(n: int) -> list[Message]:
            batch = [event(BREACHED, sla_breached(client, ida)) for _ in range(n)]
            alerts.extend(batch)
            return batch

        async def count() -> int:
            async with runtime.sessions() as session:
                query = select(func.count()).select_from(Notification)
                return int(await session.scalar(query.where(Notification.type == BREACHED)) or 0)

        async def applied() -> int:
            return await settled(count)

        # 1. killed inside its transaction: the feed table is locked, the batch blocks on it
        waited = waited_for_database()
        holder = await connect(pg_url)
        stack.push_async_callback(holder.close)
        await holder.execute("BEGIN")
        await holder.execute("LOCK TABLE notifications IN SHARE ROW EXCLUSIVE MODE")
        await producer.publish(breaches(BATCH))
        killed = await kill_waiting(killer, database, "notifications")
        await holder.execute("COMMIT")
        await eventually(lambda: _at_least(applied, BATCH), timeout=60, what="the first batch")

        # 2. every session of the database killed while the next batch streams in
        await producer.publish(breaches(BATCH))
        await eventually(lambda: _at_least(applied, BATCH + 1), timeout=60, what="the stream")
        killed_all = await kill_all(killer, database)
        await eventually(lambda: _at_least(applied, 2 * BATCH), timeout=60, what="every event")

        async def outcome() -> tuple[Counter[uuid.UUID], int, int]:
            async with runtime.sessions() as session:
                feed = Counter(
                    await session.scalars(
                        select(Notification.event_id).where(Notification.type == BREACHED)
                    )
                )
                parked = await session.scalar(select(func.count()).select_from(dead_letters))
                inboxed = await session.scalar(select(func.count()).select_from(inbox))
            return feed, int(parked or 0), int(inboxed or 0)

        feed, parked, inboxed = await settled(outcome)
        sent = {uuid.UUID(CloudEvent.from_json(m.value).id.hex) for m in alerts}
        assert killed and killed_all >= 1
        assert waited_for_database() > waited, "the kill did not reach the consumer"
        assert parked == 0, "an outage was dead-lettered"
        assert set(feed) == sent and max(feed.values()) == 1
        assert inboxed == len(sent) + 2
        report(
            Row(
                "6b consumer session killed mid-batch (in its transaction, then all sessions)",
                len(sent),
                len(sent),
                len(feed),
                len(sent - set(feed)),
                sum(feed.values()) - len(feed),
            )
        )


async def _at_least(probe: Callable[[], Awaitable[int]], n: int) -> bool:
    return await probe() >= n


@pytest.fixture
async def mailing(pg_url: str) -> AsyncIterator[tuple[Notif, SmtpServer]]:
    smtp = SmtpServer(free_port())
    smtp.start()
    try:
        async for notif in make_notif(pg_url, smtp_url=f"smtp://127.0.0.1:{smtp.port}"):
            yield notif, smtp
    finally:
        smtp.stop()


async def test_worker_session_killed_while_recording_sends_once(
    mailing: tuple[Notif, SmtpServer], pg_url: str
) -> None:
    notif, smtp = mailing
    ida = await notif.staff("Ida")
    client = await notif.client("Initech", ida)
    writes = 3
    for _ in range(writes):
        await notif.deliver(BREACHED, sla_breached(client, ida))
    worker = notif.workers()["email"]
    killer = await admin()
    holder = await connect(pg_url)
    try:
        # run_once, step by step: claim, send (the emails go out), then record — with the
        # rows locked by the test, so the worker's session is killed inside the recording.
        claimed = await worker.claim()
        assert len(claimed) == writes
        outcomes = await worker.send(claimed)
        assert all(o.ok for o in outcomes.values()) and len(smtp.inbox.messages) == writes
        await holder.execute("BEGIN")
        await holder.execute("SELECT id FROM deliveries FOR UPDATE")

        async def record() -> None:
            for item in claimed:
                await worker.record(item, outcomes[item.id])

        recording = asyncio.create_task(record())
        killed = await kill_waiting(killer, database_of(pg_url), "deliveries")
        await holder.execute("COMMIT")
        await asyncio.wait_for(recording, 30)
    finally:
        await holder.close()
        await killer.close()

    notif.clock.advance(timedelta(hours=1))  # long past the claim: nothing is sent again
    assert await worker.run_once() == 0
    rows = await notif.deliveries(channel="email")
    assert [(d.status, d.attempts) for d in rows] == [("sent", 1)] * writes
    ids = Counter(str(m["Message-ID"]) for m in smtp.inbox.messages)
    assert killed and len(ids) == writes and max(ids.values()) == 1
    report(
        Row(
            "6b email worker session killed while recording a sent email",
            writes,
            writes,
            len(ids),
            writes - len(ids),
            sum(ids.values()) - len(ids),
        )
    )
