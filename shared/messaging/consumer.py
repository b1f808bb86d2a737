"""Idempotent event consumption: inbox row and effect in one transaction, retries with
backoff, then the dead-letter topic ``orbit.<service>.dlq`` plus the ``dead_letters`` table.

An outage is not a poison event: while the service's own database is unreachable
(:func:`shared.db.is_database_unreachable`) the consumer waits and tries again, as long as it
takes, without counting the attempt and without dead-lettering; only other failures count
towards the dead letter.

The transport (Kafka consumer group or in-process bus) hands each message to
:meth:`EventConsumer.process`; offsets are committed by the transport after it returns.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from pydantic import ValidationError
from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite

from shared.db import insert_ignore, is_database_unreachable
from shared.logging import log_fields
from shared.messaging.bus import Message
from shared.messaging.envelope import CloudEvent, dlq_topic_for
from shared.metrics import (
    EVENTS_DEAD_LETTERED,
    EVENTS_DUPLICATE,
    EVENTS_PROCESSED,
    EVENTS_RETRIED,
    EVENTS_WAITED_FOR_DATABASE,
)
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
        max_attempts: int = 4,
        backoff: float = 0.2,
        backoff_max: float = 5.0,
        on_commit: Callable[[], None] | None = None,
        on_applied: Callable[[Sequence[CloudEvent]], None] | None = None,
        batch_size: int = 1,
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
        # process_many: events applied per transaction (1: each in its own)
        self.batch_size = max(1, batch_size)

    @property
    def topics(self) -> list[str]:
        return sorted({"orbit." + t.split(".")[1] for t in self.handlers})

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

    async def process_many(self, messages: Sequence[Message]) -> None:
        """Apply a run of messages of one partition, in order, ``batch_size`` per transaction.

        Each event's inbox row and effect are written as by :meth:`process`, and the batch is
        committed once. When an event of the batch fails (or is not a CloudEvent), the batch
        is rolled back, the events before it are applied again as a batch, and the failing
        one goes through :meth:`process` alone (its retries, the wait for the database, the
        dead letter): the order of the events is kept, and no event's effect is left half
        done. An event applied before is skipped by its inbox row, in a batch as alone.
        """
        pending = list(messages)
        while pending:
            batch = pending[: self.batch_size]
            if len(batch) == 1:
                await self.process(batch[0])
                pending = pending[1:]
                continue
            with log_fields(service=self.service):
                done = await self._apply_batch(batch)
                if done < len(batch):
                    # everything before it is committed: the failing one alone
                    await self.process(batch[done])
                    done += 1
            pending = pending[done:]

    async def _apply_batch(self, batch: Sequence[Message]) -> int:
        """Apply ``batch`` in one transaction; how many of its first messages are done
        (committed, or nothing to do). Fewer than all: the next one must go alone."""
        entries: list[tuple[Message, CloudEvent, EventHandler | None]] = []
        for message in batch:
            try:
                envelope = CloudEvent.from_json(message.value)
            except (ValidationError, ValueError):
                break  # dead-lettered by process(), alone
            entries.append((message, envelope, self.handlers.get(envelope.type)))
        while entries:
            failed = await self._apply_entries(entries)
            if failed is None:
                return len(entries)
            if failed == 0:
                return 0
            entries = entries[:failed]  # rolled back: those before it again, as a batch
        return 0

    async def _apply_entries(
        self, entries: Sequence[tuple[Message, CloudEvent, EventHandler | None]]
    ) -> int | None:
        """None when all of ``entries`` are committed; else the index of the first event
        that failed (the transaction rolled back). The inbox rows of the batch are claimed by
        one statement; each event claimed here is applied once, in order."""
        applied: list[CloudEvent] = []
        duplicates = 0
        try:
            async with self.uow_factory() as uow:
                claimed = await _claim_inbox(
                    uow, [envelope for _, envelope, handler in entries if handler is not None]
                )
                for index, (message, envelope, handler) in enumerate(entries):
                    if handler is None:
                        continue
                    if envelope.id not in claimed:
                        duplicates += 1  # counted once committed (a rollback redoes the batch)
                        continue
                    claimed.discard(envelope.id)  # the same event twice in a batch: once
                    try:
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
                            # the next handler reads the database as if alone: these
                            # changes written, nothing cached in the session (autoflush is off)
                            session = uow.session
                            if session.new or session.dirty or session.deleted:
                                await session.flush()
                            if session.identity_map:
                                session.expire_all()
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        return index
                if applied:
                    await uow.commit()
        except asyncio.CancelledError:
            raise
        except Exception:
            return 0  # the claim or the commit (or the database) failed: the first one alone
        if duplicates:
            EVENTS_DUPLICATE.labels(self.service).inc(duplicates)
        if not applied:
            return None
        for envelope in applied:
            EVENTS_PROCESSED.labels(self.service, envelope.type).inc()
        if uow.emitted and self.on_commit is not None:
            self.on_commit()
        if self.on_applied is not None:
            self.on_applied(applied)
        return None

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
        first_time = await insert_ignore(
            uow.session,
            inbox,
            {
                "event_id": envelope.id,
                "event_type": envelope.type,
                "processed_at": uow.clock.now(),
            },
        )
        if not first_time:
            EVENTS_DUPLICATE.labels(self.service).inc()
            return False
        await handler(uow, envelope)
        return True

    def applied(self, uow: UnitOfWork, envelope: CloudEvent) -> None:
        """After the commit of an applied event: count it, wake the relay, tell on_applied."""
        EVENTS_PROCESSED.labels(self.service, envelope.type).inc()
        if uow.emitted and self.on_commit is not None:
            self.on_commit()
        if self.on_applied is not None:
            self.on_applied([envelope])

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


async def _claim_inbox(uow: UnitOfWork, envelopes: Sequence[CloudEvent]) -> set[uuid.UUID]:
    """The inbox rows of ``envelopes`` in one statement; the ids not applied before."""
    if not envelopes:
        return set()
    now = uow.clock.now()
    dialect = uow.session.get_bind().dialect.name
    insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # executemany with RETURNING: compiled once, sent as multi-row INSERTs (insertmanyvalues)
    return set(
        (
            await uow.session.scalars(
                insert_of(inbox).on_conflict_do_nothing().returning(inbox.c.event_id),
                [
                    {"event_id": e.id, "event_type": e.type, "processed_at": now}
                    for e in {e.id: e for e in envelopes}.values()
                ],
            )
        ).all()
    )


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
