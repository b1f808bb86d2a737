"""Retention (shared/retention.py) on SQLite and PostgreSQL: sent outbox rows and inbox rows
older than their age go, in batches; unsent outbox rows and young rows stay; a service's own
rule (a table, its timestamp column, an age) works the same; the job counts what it deleted."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Integer, MetaData, String, Table, func, insert, select, update

from services.clients.app import SPEC as CLIENTS
from shared.clock import FixedClock
from shared.db import UTCDateTime, create_engine, session_factory
from shared.metrics import RETENTION_DELETED
from shared.migrations import migrate
from shared.retention import RetentionJob, RetentionRule, platform_rules, prune
from shared.tables import inbox, outbox
from tests.support.apps import test_settings

metadata = MetaData()
deliveries = Table(
    "retention_deliveries",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("finished_at", UTCDateTime, nullable=True),
    Column("status", String(20), nullable=False, server_default="sent"),
)


async def count(sessions, table, *where) -> int:  # type: ignore[no-untyped-def]
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table).where(*where)))


async def test_old_rows_are_pruned_in_batches_and_the_rest_stays(any_db_url: str) -> None:
    await migrate(CLIENTS.migrations, any_db_url)
    engine = create_engine(any_db_url)
    async with engine.begin() as conn:
        await conn.run_sync(metadata.create_all)
    sessions = session_factory(engine)
    clock = FixedClock(datetime(2026, 11, 30, 12, tzinfo=UTC))
    now = clock.now()
    old, young = now - timedelta(days=40), now - timedelta(days=1)
    async with sessions() as session, session.begin():
        for n in range(7):
            await session.execute(
                insert(outbox).values(
                    event_id=uuid.uuid4(),
                    topic="orbit.t",
                    key="k",
                    event_type="orbit.t.x.y.v1",
                    payload="{}",
                    created_at=old,
                    # 5 sent long ago, 1 sent yesterday, 1 never sent (stays, however old)
                    sent_at=old if n < 5 else (young if n == 5 else None),
                )
            )
        for when in (old, old, old, young):
            await session.execute(
                insert(inbox).values(event_id=uuid.uuid4(), event_type="t", processed_at=when)
            )
        for when in (old, young, None):
            await session.execute(insert(deliveries).values(finished_at=when))
        await session.execute(insert(deliveries).values(finished_at=old, status="pending"))

    settings = test_settings(retention_outbox_days=7, retention_inbox_days=30)
    rules = [
        *platform_rules(settings),
        RetentionRule(
            deliveries,
            deliveries.c.finished_at,
            timedelta(days=30),
            where=deliveries.c.status != "pending",
        ),
    ]
    assert await prune(sessions, rules[0], now, batch_size=2) == 5  # three batches
    service = f"ret{uuid.uuid4().hex[:6]}"
    job = RetentionJob(service, sessions, rules, clock=clock, batch_size=2, interval=60)
    assert await job.run_once() == {"outbox": 0, "inbox": 3, "retention_deliveries": 1}
    assert await count(sessions, outbox) == 2
    assert await count(sessions, outbox, outbox.c.sent_at.is_(None)) == 1
    assert await count(sessions, inbox) == 1
    assert await count(sessions, deliveries) == 3  # the young, the unfinished, the pending
    assert RETENTION_DELETED.labels(service, "inbox")._value.get() == 3

    # A row that grows old later goes on a later run.
    async with sessions() as session, session.begin():
        await session.execute(
            update(outbox).where(outbox.c.sent_at.is_not(None)).values(sent_at=old)
        )
    assert (await job.run_once())["outbox"] == 1
    await engine.dispose()
