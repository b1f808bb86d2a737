"""Idempotent event consumption: inbox row and effect in one transaction, retries with
backoff, then the dead-letter topic ``orbit.<service>.dlq`` plus the ``dead_letters`` table.

An outage is not a poison event: while the service's own database is unreachable
(:func:`shared.db.is_database_unreachable`) the consumer waits and tries again, as long as it
takes, without counting the attempt and without dead-lettering; only other failures count
towards the dead letter.

The transport (Kafka consumer group or in-process bus) hands each message to
:meth:`EventConsumer.process`; offsets are committed by the transport after it returns. Both
hand several at once to :meth:`EventConsumer.process_batch` when they have them (Kafka: a
partition's backlog in one fetch; the in-process bus: a relay batch): their inbox rows and
effects in one transaction, or, when any of them fails, each on its own as above.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert

from shared.db import insert_ignore, insert_ignore_many, is_database_unreachable
from shared.logging import log_fields
from shared.messaging.bus import Message
from shared.messaging.envelope import CloudEvent, dlq_topic_for, topics_of
from shared.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_PROCESSED,
    EVENTS_RETRIED,
    EVENTS_WAITED_FOR_DATABASE,
)
from shared.settings import default_of
from shared.tables import dead_letters, inbox, outbox
from shared.tracing import consumer_span
from shared.uow import UnitOfWork, UnitOfWorkFactory

log = logging.getLogger("orbit.consumer")

EventHandler = Callable[[UnitOfWork, CloudEvent], Awaitable[None]]


class EventConsumer:
    def __init__(
        self,
        service: str,
        uow_factory: UnitOfWorkFactory,
        handlers: Mapping[str, EventHandler],
        *,
        max_attempts: int = default_of("consumer_max_attempts"),
        backoff: float = default_of("consumer_backoff_seconds"),
        backoff_max: float = default_of("consumer_backoff_max_seconds"),
        on_commit: Callable[[], None] | None = None,
        on_applied: Callable[[Sequence[CloudEvent]], None] | None = None,
    ) -> None:
        self.service = service
        self.group = f"orbit.{service}"
        self.uow_factory = uow_factory
        self.handlers = dict(handlers)
        self.max_attempts = max_attempts
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.on_commit = on_commit  # after a commit that wrote to the outbox (relay wake-up)
        # Called with the event once its effect is committed (e.g. the staff cache's
        # invalidation); the events a handler emits wake the relay through the unit of work.
        self.on_applied = on_applied

    @property
    def topics(self) -> list[str]:
        return topics_of(self.handlers)

    async def process(self, message: Message) -> None:
        with log_fields(service=self.service):
            try:
                envelope = CloudEvent.from_json(message.value)
            except (ValidationError, ValueError) as exc:
                log.error(
                    "dead-lettering a message that is not a CloudEvent (%s[%s]@%s): %s",
                    message.topic,
                    message.partition,
                    message.offset,
                    exc,
                )
                await self._dead_letter_when_reachable(
                    message, None, f"not a CloudEvent: {exc}", attempts=1
                )
                return
            handler = self.handlers.get(envelope.type)
            if handler is None:
                return  # an event type this service does not care about
            # Every line logged while applying the event (the handler's too) names it; with
            # tracing on, it runs in a span continuing the trace of the request that caused it.
            with (
                log_fields(event_id=envelope.id, event_type=envelope.type),
                consumer_span(
                    self.service, envelope.type, str(envelope.id), message.topic, message.headers
                ),
            ):
                await self._process(message, envelope, handler)

    async def process_batch(self, messages: Sequence[Message]) -> bool:
        """Apply ``messages`` (consecutive records of one partition, a backlog) in one
        transaction: their inbox rows and effects, in order, committed together — one commit
        (one WAL flush) and one offset commit for all instead of one each. True when done;
        False when nothing was committed because one of them is not a CloudEvent or failed
        (the transport then gives them to :meth:`process` one by one, with its retries, waits
        and dead letters, in the same order)."""
        work: list[tuple[Message, CloudEvent, EventHandler]] = []
        for message in messages:
            try:
                envelope = CloudEvent.from_json(message.value)
            except (ValidationError, ValueError):
                return False
            handler = self.handlers.get(envelope.type)
            if handler is not None:
                work.append((message, envelope, handler))
        if not work:
            return True
        applied: list[CloudEvent] = []
        duplicates = 0
        with log_fields(service=self.service):
            try:
                async with self.uow_factory() as uow:
                    # The inbox rows of the whole batch in one statement: the handlers run for
                    # the events applied for the first time, each once, in order.
                    now = uow.clock.now()
                    first_time = await insert_ignore_many(
                        uow.session,
                        inbox,
                        [
                            {"event_id": e.id, "event_type": e.type, "processed_at": now}
                            for _m, e, _h in work
                        ],
                        "event_id",
                    )
                    for message, envelope, handler in work:
                        if envelope.id not in first_time:
                            duplicates += 1
                            continue
                        first_time.discard(envelope.id)  # an event given twice: applied once
                        with (
                            log_fields(event_id=envelope.id, event_type=envelope.type),
                            consumer_span(
                                self.service,
                                envelope.type,
                                str(envelope.id),
                                message.topic,
                                message.headers,
                            ),
                        ):
                            await handler(uow, envelope)
                        applied.append(envelope)
                        # What the handler left pending is written before the next event
                        # reads (the sessions do not autoflush); requests run in between, as
                        # between events applied one by one (on SQLite a handler may not
                        # yield at all: shared/sqlite_inline.py).
                        await uow.session.flush()
                        await asyncio.sleep(0)
                    await uow.commit()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if is_database_unreachable(exc):
                    # an outage, not the batch's fault: wait once as process() would, then
                    # one by one, where process() waits for as long as it lasts
                    await self._wait_for_database(None, 1, exc)
                log.info(
                    "a batch of %d events failed (%r): applying them one by one", len(work), exc
                )
                return False
        EVENTS_DUPLICATE.labels(self.service).inc(duplicates)
        self.applied_many(uow, applied)
        return True

    async def _process(self, message: Message, envelope: CloudEvent, handler: EventHandler) -> None:
        attempt = 1
        outages = 0
        while True:
            try:
                await self._apply(envelope, handler)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if _is_outage(exc):
                    outages += 1
                    await self._wait_for_database(envelope, outages, exc)
                    continue
                outages = 0
                if attempt >= self.max_attempts:
                    log.error(
                        "dead-lettering %s %s after %d attempts: %r",
                        envelope.type,
                        envelope.id,
                        attempt,
                        exc,
                    )
                    await self._dead_letter_when_reachable(
                        message, envelope, repr(exc), attempts=attempt
                    )
                    return
                EVENTS_RETRIED.labels(self.service).inc()
                delay = min(self.backoff * 2 ** (attempt - 1), self.backoff_max)
                log.warning(
                    "event %s %s failed (attempt %d), retrying in %.2fs: %r",
                    envelope.type,
                    envelope.id,
                    attempt,
                    delay,
                    exc,
                )
                await asyncio.sleep(delay)
                attempt += 1

    async def _wait_for_database(
        self, envelope: CloudEvent | None, outages: int, exc: BaseException
    ) -> None:
        """Sleep before trying again while the database is unreachable: the backoff doubling
        up to ``backoff_max`` (the first wait is at least 50 ms, so a zero backoff does not
        spin against a server that is down)."""
        EVENTS_WAITED_FOR_DATABASE.labels(self.service).inc()
        delay = min(max(self.backoff, 0.05) * 2 ** min(outages - 1, 30), self.backoff_max)
        log_at = log.warning if outages == 1 or outages % 20 == 0 else log.debug
        log_at(
            "database unreachable while applying %s %s (wait %d, not counted as an attempt), "
            "trying again in %.2fs: %r",
            envelope.type if envelope else "a message",
            envelope.id if envelope else "",
            outages,
            delay,
            exc,
        )
        await asyncio.sleep(delay)

    async def _dead_letter_when_reachable(
        self, message: Message, envelope: CloudEvent | None, error: str, *, attempts: int
    ) -> None:
        """Park the message, waiting for the database if it went away meanwhile."""
        outages = 0
        while True:
            try:
                await self._dead_letter(message, envelope, error, attempts=attempts)
                return
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if not _is_outage(exc):
                    raise
                outages += 1
                await self._wait_for_database(envelope, outages, exc)

    async def _apply(self, envelope: CloudEvent, handler: EventHandler) -> None:
        async with self.uow_factory() as uow:
            if not await self.apply_in(uow, envelope, handler):
                return
            await uow.commit()
        self.applied(uow, envelope)

    async def apply_in(self, uow: UnitOfWork, envelope: CloudEvent, handler: EventHandler) -> bool:
        """The inbox row and the handler's effect in ``uow`` (not committed); False when the
        event was applied before (a duplicate)."""
        if await self._apply_first_time(uow, envelope, handler):
            return True
        EVENTS_DUPLICATE.labels(self.service).inc()
        return False

    async def _apply_first_time(
        self, uow: UnitOfWork, envelope: CloudEvent, handler: EventHandler
    ) -> bool:
        first_time = await insert_ignore(
            uow.session,
            inbox,
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "processed_at": uow.clock.now(),
            },
        )
        if first_time:
            await handler(uow, envelope)
        return first_time

    def applied(self, uow: UnitOfWork, envelope: CloudEvent) -> None:
        """After the commit of an applied event: count it, wake the relay, tell on_applied."""
        self.applied_many(uow, [envelope])

    def applied_many(self, uow: UnitOfWork, envelopes: Sequence[CloudEvent]) -> None:
        """After the commit of applied events: count them, wake the relay, tell on_applied."""
        if not envelopes:
            return
        for envelope in envelopes:
            EVENTS_PROCESSED.labels(self.service, envelope.type).inc()
        if uow.emitted and self.on_commit is not None:
            self.on_commit()
        if self.on_applied is not None:
            self.on_applied(list(envelopes))

    async def _dead_letter(
        self, message: Message, envelope: CloudEvent | None, error: str, *, attempts: int
    ) -> None:
        """Park the message: a row in ``dead_letters`` and, through the outbox, the DLQ topic.

        The inbox row is written too, so a redelivery of a parked event is not applied later.
        """
        async with self.uow_factory() as uow:
            now = uow.clock.now()
            values: dict[str, Any] = {
                "event_id": str(envelope.id) if envelope else None,
                "event_type": envelope.type if envelope else None,
                "topic": message.topic,
                "partition": message.partition,
                "offset": message.offset,
                "payload": message.value.decode(errors="replace"),
                "error": error[:4000],
                "attempts": attempts,
                "failed_at": now,
            }
            await uow.session.execute(insert(dead_letters).values(**values))
            if envelope is not None:
                await insert_ignore(
                    uow.session,
                    inbox,
                    {"event_id": envelope.id, "event_type": envelope.type, "processed_at": now},
                )
            await uow.session.execute(
                insert(outbox).values(
                    event_id=uuid.uuid4(),
                    topic=dlq_topic_for(self.service),
                    key=message.key,
                    event_type=envelope.type if envelope else "unparseable",
                    payload=values["payload"],
                    created_at=now,
                )
            )
            await uow.commit()
        EVENTS_DEAD_LETTERED.labels(self.service).inc()
        if self.on_commit is not None:
            self.on_commit()


def _is_outage(exc: BaseException) -> bool:
    """The database unreachable, said by ``exc`` or by an exception it was raised from (a
    handler that wraps the driver's error)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if is_database_unreachable(seen):
            return True
        seen = seen.__cause__
    return False
