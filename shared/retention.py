"""Retention: rows that have done their work are deleted after a configurable age, in small
batches, so tables and their indexes stay small after months of traffic (and the relay's
scan of the unsent outbox rows stays as fast as on a fresh table).

A :class:`RetentionRule` names a table, its timestamp column and an age: rows whose
timestamp is older (a NULL timestamp is never old: an unsent outbox row stays) are deleted
``batch_size`` at a time, each batch in its own short transaction, by the oldest first
through the column's index. Every service has the platform rules (:func:`platform_rules`:
sent outbox rows, inbox rows); a service adds its own in its spec (``ServiceSpec.retention``,
e.g. the notifications' delivery rows). :class:`RetentionJob` runs them every
``ORBIT_RETENTION_INTERVAL_SECONDS`` in each service process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Column, ColumnElement, Table, delete, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock
from shared.metrics import RETENTION_DELETED
from shared.settings import OrbitSettings
from shared.tables import inbox, outbox

log = logging.getLogger("orbit.retention")


@dataclass(frozen=True)
class RetentionRule:
    table: Table
    column: Column[Any]  # a timestamp column, indexed
    max_age: timedelta
    # Only rows that also match this (e.g. deliveries no longer pending), or every old row.
    where: ColumnElement[bool] | None = None

    def __post_init__(self) -> None:
        if len(self.table.primary_key.columns) != 1:
            raise ValueError(f"retention of {self.table.name} needs a one-column primary key")


def platform_rules(settings: OrbitSettings) -> list[RetentionRule]:
    """Sent outbox rows after ``ORBIT_RETENTION_OUTBOX_DAYS``, inbox rows after
    ``ORBIT_RETENTION_INBOX_DAYS`` (keep it longer than the topics' retention on Kafka: an
    event redelivered after its inbox row is gone would be applied again)."""
    return [
        RetentionRule(outbox, outbox.c.sent_at, timedelta(days=settings.retention_outbox_days)),
        RetentionRule(inbox, inbox.c.processed_at, timedelta(days=settings.retention_inbox_days)),
    ]


async def prune(
    sessions: async_sessionmaker[AsyncSession],
    rule: RetentionRule,
    now: datetime,
    *,
    batch_size: int,
    max_batches: int = 1000,
) -> int:
    """Delete ``rule``'s old rows, ``batch_size`` per transaction; returns how many."""
    (key,) = rule.table.primary_key.columns
    cutoff = now - rule.max_age
    deleted = 0
    for _ in range(max_batches):
        async with sessions() as session, session.begin():
            keys = (
                await session.scalars(
                    select(key)
                    .where(
                        rule.column.is_not(None),
                        rule.column < cutoff,
                        *([rule.where] if rule.where is not None else []),
                    )
                    .order_by(rule.column)
                    .limit(batch_size)
                )
            ).all()
            if keys:
                await session.execute(delete(rule.table).where(key.in_(keys)))
        deleted += len(keys)
        if len(keys) < batch_size:
            break
        await asyncio.sleep(0)  # let the service's other work in between batches
    return deleted


class RetentionJob:
    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        rules: Sequence[RetentionRule],
        *,
        clock: Clock,
        batch_size: int,
        interval: float,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.rules = list(rules)
        self.clock = clock
        self.batch_size = batch_size
        self.interval = interval

    async def run_once(self) -> dict[str, int]:
        """Prune every rule once; returns the rows deleted per table."""
        now = self.clock.now()
        counts: dict[str, int] = {}
        for rule in self.rules:
            name = rule.table.name
            try:
                counts[name] = await prune(self.sessions, rule, now, batch_size=self.batch_size)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("retention of %s.%s failed", self.service, name)
                continue
            RETENTION_DELETED.labels(self.service, name).inc(counts[name])
            if counts[name]:
                log.info("retention: deleted %d rows of %s", counts[name], name)
        return counts

    async def run(self) -> None:
        while True:
            await self.run_once()
            await asyncio.sleep(self.interval)
