"""``orbit reports rebuild``: the KPI projection rebuilt from Kafka, from the start of the
topics (``orbit timeline rebuild``: the client-at-a-glance projection, the same way with its
subscribers and tables, ``handlers.timeline``).

1. The projection tables (``PROJECTION_TABLES``, its inbox ``sc_applied`` included) are
   emptied, in one transaction.
2. The topics are read from their beginning up to their end offsets at the start, through
   the bus's Kafka adapter (``shared.messaging.kafka.read_from_start``: no consumer group,
   nothing committed, the service's own group ``orbit.notifications`` is not touched); the
   topics are those of the projection's event types (``topics_of``, the topic rule).
3. Each event the projection reacts to is applied as the live consumer applies it, guarded
   by ``sc_applied``; a batch of records is one transaction.

It may run while the service runs: an event the service applies meanwhile is in
``sc_applied`` and skipped by the rebuild (and the other way round); events published after
step 2 are the live consumer's. An event a reaction fails on is logged and skipped (counted).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from pydantic import ValidationError
from sqlalchemy import Table, delete

from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
from services.notifications.store.scorecard.models import PROJECTION_TABLES
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent, topics_of
from shared.messaging.kafka import read_from_start
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.scorecard.rebuild")


@dataclass
class RebuildResult:
    read: int = 0
    applied: int = 0
    failed: int = 0


async def truncate(
    uow_factory: UnitOfWorkFactory, tables: Sequence[Table] = PROJECTION_TABLES
) -> None:
    async with uow_factory() as uow:
        for table in tables:
            await uow.session.execute(delete(table))
        await uow.commit()


async def _apply(uow: UnitOfWork, handler: EventHandler, event: CloudEvent) -> None:
    async with uow.session.begin_nested():
        await handler(uow, event)


async def rebuild(
    uow_factory: UnitOfWorkFactory,
    bootstrap: str,
    *,
    topics: Sequence[str] | None = None,
    handlers: Mapping[str, EventHandler] = SCORECARD_SUBSCRIBERS,
    tables: Sequence[Table] = PROJECTION_TABLES,
    batch_size: int = 500,
) -> RebuildResult:
    """Empty the projection (``tables``) and apply every event of ``topics`` (default: those
    of the projection's event types, ``handlers``) from the beginning up to their end
    offsets at the start. ``handlers`` and ``tables``: the scorecard's by default, or another
    projection of the service (the timeline's, search's documents)."""
    result = RebuildResult()
    await truncate(uow_factory, tables)
    chosen = topics or topics_of(handlers)
    async for batch in read_from_start(bootstrap, chosen, batch_size=batch_size):
        async with uow_factory() as uow:
            for message in batch:
                result.read += 1
                await _record(uow, handlers, message.value, result)
            await uow.commit()
    log.info(
        "projection rebuilt: %d records read, %d applied, %d failed",
        result.read,
        result.applied,
        result.failed,
    )
    return result


async def _record(
    uow: UnitOfWork, handlers: Mapping[str, EventHandler], value: bytes, result: RebuildResult
) -> None:
    try:
        event = CloudEvent.from_json(value)
    except (ValidationError, ValueError):
        return  # not an event (the live consumer dead-letters it)
    handler = handlers.get(event.type)
    if handler is None:
        return
    try:
        await _apply(uow, handler, event)
        result.applied += 1
    except Exception as exc:
        result.failed += 1
        log.error("rebuild: event %s %s skipped: %r", event.type, event.id, exc)
