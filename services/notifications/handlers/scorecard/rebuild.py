"""``orbit reports rebuild``: the KPI projection rebuilt from Kafka, from the start of the
topics.

1. The projection tables (``PROJECTION_TABLES``, its inbox ``sc_applied`` included) are
   emptied, in one transaction.
2. The end offset of every partition of the topics is noted; every partition is assigned
   (no consumer group: nothing is committed, the service's own group ``orbit.notifications``
   is not touched) and read from its beginning up to that offset.
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

from aiokafka import AIOKafkaConsumer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient
from pydantic import ValidationError
from sqlalchemy import delete

from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
from services.notifications.store.scorecard.models import PROJECTION_TABLES
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.scorecard.rebuild")


def topics_of(handlers: Mapping[str, EventHandler] = SCORECARD_SUBSCRIBERS) -> list[str]:
    """The topics of the event types the projection reacts to (``orbit.<service>``)."""
    return sorted({"orbit." + t.split(".")[1] for t in handlers})


@dataclass
class RebuildResult:
    read: int = 0
    applied: int = 0
    failed: int = 0


async def truncate(uow_factory: UnitOfWorkFactory) -> None:
    async with uow_factory() as uow:
        for table in PROJECTION_TABLES:
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
    batch_size: int = 500,
) -> RebuildResult:
    """Empty the projection and apply every event of ``topics`` (default: those of the
    projection's event types) from the beginning up to their end offsets at the start."""
    result = RebuildResult()
    await truncate(uow_factory)
    consumer = AIOKafkaConsumer(
        bootstrap_servers=bootstrap,
        enable_auto_commit=False,
        auto_offset_reset="earliest",
        isolation_level="read_committed",
    )
    await consumer.start()
    try:
        partitions = await _partitions(bootstrap, topics or topics_of(handlers))
        if not partitions:
            return result
        consumer.assign(partitions)
        ends = await consumer.end_offsets(partitions)
        await consumer.seek_to_beginning(*partitions)
        pending = {tp for tp in partitions if ends[tp] > 0}
        while pending:
            batches = await consumer.getmany(*pending, timeout_ms=1000, max_records=batch_size)
            async with uow_factory() as uow:
                for tp, records in batches.items():
                    for record in records:
                        if record.offset >= ends[tp]:
                            continue
                        result.read += 1
                        await _record(uow, handlers, record.value or b"", result)
                await uow.commit()
            for tp in list(pending):
                if await consumer.position(tp) >= ends[tp]:
                    pending.discard(tp)
    finally:
        await consumer.stop()
    log.info(
        "projection rebuilt: %d records read, %d applied, %d failed",
        result.read,
        result.applied,
        result.failed,
    )
    return result


async def _partitions(bootstrap: str, topics: Sequence[str]) -> list[TopicPartition]:
    """Every partition of ``topics`` (a topic that does not exist has none)."""
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(list(topics))
    finally:
        await admin.close()
    return [
        TopicPartition(topic["topic"], p["partition"])
        for topic in described
        if not topic["error_code"]
        for p in sorted(topic["partitions"], key=lambda p: p["partition"])
    ]


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
