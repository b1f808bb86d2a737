"""Dead letters, by hand (``orbit dlq list|show|replay|discard <service>``).

A consumer parks an event it could not apply in its service's ``dead_letters`` table (and
on ``orbit.<service>.dlq``), and writes its inbox row so that a redelivery is not applied.
Once the cause is fixed (usually: a new version of the handler is deployed):

- :func:`replay` applies a parked event through the service's current handlers, in one
  transaction with its inbox row, as the consumer does: applied at most once (the inbox row
  the dead letter wrote is replaced by the one of the application; an event that is in the
  inbox for another reason is not applied again). It stays parked when it fails again.
- :func:`discard` marks it resolved without applying it.

Every action is logged (``orbit.dlq``) and kept on the row (``resolved_at``,
``resolution``: ``replayed``, ``discarded`` or ``duplicate``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError
from sqlalchemy import and_, delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.messaging.consumer import EventConsumer
from shared.messaging.envelope import CloudEvent
from shared.tables import dead_letters, inbox

log = logging.getLogger("orbit.dlq")

Outcome = Literal["replayed", "duplicate", "failed", "not_replayable", "discarded", "resolved"]


@dataclass(frozen=True)
class Result:
    id: int
    event_id: str | None
    outcome: Outcome
    detail: str = ""


async def parked(
    sessions: async_sessionmaker[AsyncSession], *, include_resolved: bool = False
) -> list[Any]:
    """The dead letters, oldest first (by default those still parked)."""
    query = select(dead_letters).order_by(dead_letters.c.id)
    if not include_resolved:
        query = query.where(dead_letters.c.resolved_at.is_(None))
    async with sessions() as session:
        return list((await session.execute(query)).all())


async def one(sessions: async_sessionmaker[AsyncSession], dead_letter_id: int) -> Any | None:
    async with sessions() as session:
        return (
            await session.execute(select(dead_letters).where(dead_letters.c.id == dead_letter_id))
        ).first()


async def _targets(sessions: async_sessionmaker[AsyncSession], ids: list[int] | None) -> list[Any]:
    rows = await parked(sessions, include_resolved=True)
    if ids is None:
        return [r for r in rows if r.resolved_at is None]
    by_id = {r.id: r for r in rows}
    return [by_id[i] for i in ids if i in by_id]


async def _resolve(session: AsyncSession, row_id: int, resolution: str, now: Any) -> None:
    await session.execute(
        update(dead_letters)
        .where(dead_letters.c.id == row_id)
        .values(resolved_at=now, resolution=resolution)
    )


async def replay(consumer: EventConsumer, ids: list[int] | None) -> list[Result]:
    """Apply the parked events ``ids`` (None: every parked one) with ``consumer``'s handlers."""
    sessions = consumer.uow_factory.sessions
    results = []
    for row in await _targets(sessions, ids):
        results.append(await _replay_one(consumer, row))
    return results


async def _replay_one(consumer: EventConsumer, row: Any) -> Result:
    if row.resolved_at is not None:
        return Result(row.id, row.event_id, "resolved", f"already {row.resolution}")
    try:
        envelope = CloudEvent.from_json(row.payload)
    except (ValidationError, ValueError) as exc:
        reason = " ".join(str(exc).split())[:300]
        return _logged(Result(row.id, None, "not_replayable", f"not a CloudEvent: {reason}"))
    handler = consumer.handlers.get(envelope.type)
    if handler is None:
        return _logged(
            Result(row.id, row.event_id, "not_replayable", f"no handler for {envelope.type}")
        )
    try:
        async with consumer.uow_factory() as uow:
            now = uow.clock.now()
            # The inbox row the dead letter wrote (processed_at = failed_at) is replaced by
            # the one of this application; any other inbox row means it was applied already.
            await uow.session.execute(
                delete(inbox).where(
                    and_(inbox.c.event_id == envelope.id, inbox.c.processed_at == row.failed_at)
                )
            )
            applied = await consumer.apply_in(uow, envelope, handler)
            await _resolve(uow.session, row.id, "replayed" if applied else "duplicate", now)
            await uow.commit()
    except Exception as exc:  # the handler fails again: it stays parked, unchanged
        return _logged(Result(row.id, row.event_id, "failed", repr(exc)))
    if applied:
        consumer.applied(uow, envelope)
    return _logged(Result(row.id, row.event_id, "replayed" if applied else "duplicate"))


async def discard(consumer: EventConsumer, ids: list[int] | None) -> list[Result]:
    """Mark the parked events ``ids`` (None: every parked one) resolved, unapplied."""
    results = []
    for row in await _targets(consumer.uow_factory.sessions, ids):
        if row.resolved_at is not None:
            results.append(Result(row.id, row.event_id, "resolved", f"already {row.resolution}"))
            continue
        async with consumer.uow_factory() as uow:
            await _resolve(uow.session, row.id, "discarded", uow.clock.now())
            await uow.commit()
        results.append(_logged(Result(row.id, row.event_id, "discarded")))
    return results


def _logged(result: Result) -> Result:
    level = logging.WARNING if result.outcome in ("failed", "not_replayable") else logging.INFO
    log.log(
        level,
        "dead letter %s (event %s): %s%s",
        result.id,
        result.event_id,
        result.outcome,
        f": {result.detail}" if result.detail else "",
    )
    return result
