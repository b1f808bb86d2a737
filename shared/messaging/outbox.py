"""The outbox relay: publishes committed outbox rows to the bus, in order, in batches.

- Rows are read in ``seq`` order, so one key's events keep their order.
- A row is marked sent only after the bus acknowledged it (Kafka: ``acks=all``); while the
  bus is down rows wait and the relay retries with backoff.
- On PostgreSQL, a transaction-scoped advisory lock makes one relay the publisher at a time,
  so two relay processes on one database never publish a row twice.
- A wake-up after a commit lingers a few milliseconds when the previous round was busy
  (more than one row: commits are coming concurrently), so their events go out in one batch
  (one transaction, one Kafka round trip); at a low rate (one row a round) it publishes at
  once, the linger would only add to every event's latency.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import zlib
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import BigInteger, ColumnElement, bindparam, func, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock, SystemClock
from shared.db import advisory_xact_lock
from shared.messaging.bus import Bus, Message
from shared.messaging.envelope import CONTENT_TYPE
from shared.metrics import (
    OUTBOX_OLDEST_UNSENT_AGE,
    OUTBOX_PENDING,
    OUTBOX_PUBLISH_FAILURES,
    OUTBOX_PUBLISHED,
)
from shared.settings import default_of
from shared.tables import outbox
from shared.tracing import TRACEPARENT

log = logging.getLogger("orbit.outbox")


def _seq_in(session: AsyncSession, seqs: list[int]) -> ColumnElement[Any]:
    """``seq IN (...)``: one array parameter on PostgreSQL (not one bind per row)."""
    if session.get_bind().dialect.name == "postgresql":
        return outbox.c.seq == func.any(bindparam("seqs", seqs, type_=ARRAY(BigInteger)))
    return outbox.c.seq.in_(seqs)


def _aware(moment: datetime) -> datetime:
    """A timestamp read back in UTC (func.min bypasses the column type on SQLite)."""
    if isinstance(moment, str):
        moment = datetime.fromisoformat(moment)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


_CONTENT_TYPE = (("content-type", CONTENT_TYPE.encode()),)


def _headers(traceparent: str | None) -> tuple[tuple[str, bytes], ...]:
    """A record's headers: CloudEvents structured mode, and the emitting span's trace."""
    if traceparent:
        return (*_CONTENT_TYPE, (TRACEPARENT, traceparent.encode()))
    return _CONTENT_TYPE


class OutboxRelay:
    def __init__(
        self,
        service: str,
        sessions: async_sessionmaker[AsyncSession],
        bus: Bus,
        *,
        reads: async_sessionmaker[AsyncSession] | None = None,
        batch_size: int = default_of("relay_batch_size"),
        batches_per_round: int = default_of("relay_batches_per_round"),
        interval: float = default_of("relay_interval_seconds"),
        linger: float = default_of("relay_linger_seconds"),
        clock: Clock | None = None,
    ) -> None:
        self.service = service
        self.sessions = sessions
        self.reads = reads or sessions  # reads of the batch (SQLite)
        self.bus = bus
        self.batch_size = batch_size
        # PostgreSQL: batches published in one transaction, pipelined (see _pipeline).
        self.batches_per_round = max(1, batches_per_round)
        self.interval = interval
        # After a wake-up, wait this long before reading the outbox, so the events of commits
        # made meanwhile go out in the same batch (one transaction and one Kafka round trip
        # for many commits under load, instead of one each): only when the previous round
        # published more than one row (commits are concurrent); one row a round is a low rate,
        # where waiting would only delay each event.
        self.linger = linger
        self._backlog: int | None = None  # unsent rows, as last counted or estimated
        self._backlog_counted = 0.0
        self.clock: Clock = clock or SystemClock()
        self._wake = asyncio.Event()
        self._stopping = False
        self._local = asyncio.Lock()
        self._lock_id = zlib.crc32(f"orbit.outbox.{service}".encode())

    def wake(self) -> None:
        """Ask for a publish round now (called after a commit that wrote events)."""
        self._wake.set()

    async def run_once(self) -> int:
        """Publish a round (one batch; on PostgreSQL up to ``batches_per_round``, pipelined);
        returns how many rows were published (0: none, or another relay is the publisher)."""
        async with self._local:
            if self._dialect() == "postgresql":
                # One transaction: the advisory lock makes this relay the only publisher of
                # the service until its batches are marked sent.
                async with self.sessions() as session, session.begin():
                    if not await advisory_xact_lock(session, self._lock_id, wait=False):
                        return 0  # another relay of this service publishes this round
                    published, error = await self._pipeline(session)
            else:
                # SQLite (the embedded mode: one process owns the file, ``_local`` makes one
                # round at a time): the batch is read without the write lock and marked in a
                # short transaction after the bus took it, so the service's writes are not
                # held up while an in-process bus delivers to the consumers.
                async with self.reads() as session:
                    rows = await self._batch(session)
                error = await self._publish(rows)
                if rows:
                    async with self.sessions() as session, session.begin():
                        await self._mark(session, rows, error)
                published = 0 if error is not None else len(rows)
        OUTBOX_PUBLISHED.labels(self.service).inc(published)
        if error is not None:
            OUTBOX_PUBLISH_FAILURES.labels(self.service).inc()
            raise error
        return published

    async def _pipeline(self, session: AsyncSession) -> tuple[int, Exception | None]:
        """Up to ``batches_per_round`` batches in this transaction, the database work of one
        overlapping the Kafka round trip of another: while batch k is being published, batch
        k-1 is marked sent and batch k+1 is read. Batch k+1 is published only once k is
        acknowledged, so there is never more than one batch in flight (order per key holds
        even when a publish fails). Returns the rows published and the publish error."""
        rows = await self._batch(session)
        if not rows:
            await self._mark(session, rows, None)
            return 0, None
        published = 0
        acknowledged: list[Any] = []
        for round_ in range(self.batches_per_round):
            sending = asyncio.ensure_future(self._publish(rows))
            try:
                if acknowledged:
                    await self._mark(session, acknowledged, None)
                    acknowledged = []
                more = len(rows) == self.batch_size and round_ + 1 < self.batches_per_round
                following = await self._batch(session, after=rows[-1].seq) if more else []
            except BaseException:
                sending.cancel()
                raise
            error = await sending
            if error is not None:
                await self._mark(session, rows, error)
                return published, error
            published += len(rows)
            acknowledged, rows = rows, following
            if not rows:
                break
        await self._mark(session, acknowledged, None)
        return published, None

    def _dialect(self) -> str:
        bind = self.sessions.kw.get("bind")
        return bind.dialect.name if bind is not None else ""

    async def _batch(self, session: AsyncSession, after: int | None = None) -> list[Any]:
        stmt = select(
            outbox.c.seq, outbox.c.topic, outbox.c.key, outbox.c.payload, outbox.c.traceparent
        ).where(outbox.c.sent_at.is_(None))
        if after is not None:
            stmt = stmt.where(outbox.c.seq > after)
        return list(
            (await session.execute(stmt.order_by(outbox.c.seq).limit(self.batch_size))).all()
        )

    async def _publish(self, rows: list[Any]) -> Exception | None:
        if not rows:
            return None
        try:
            await self.bus.publish(
                [
                    Message(
                        topic=r.topic,
                        key=r.key,
                        value=r.payload.encode(),
                        headers=_headers(r.traceparent),
                    )
                    for r in rows
                ]
            )
        except Exception as exc:
            return exc
        return None

    async def _mark(self, session: AsyncSession, rows: list[Any], error: Exception | None) -> None:
        """Mark the batch sent (or count a failed attempt), and update the backlog gauge."""
        if not rows:
            self._backlog = 0
            OUTBOX_PENDING.labels(self.service).set(0)
            OUTBOX_OLDEST_UNSENT_AGE.labels(self.service).set(0)
            return
        seqs = [r.seq for r in rows]
        if error is not None:
            await session.execute(
                update(outbox)
                .where(_seq_in(session, seqs))
                .values(attempts=outbox.c.attempts + 1, last_error=repr(error)[:2000])
            )
        else:
            await session.execute(
                update(outbox).where(_seq_in(session, seqs)).values(sent_at=self.clock.now())
            )
        # The backlog: none after a short batch; else counted (a query over the unsent rows)
        # at most once a second while the relay drains it, and in between the last count
        # less what was published since.
        if error is None and len(rows) < self.batch_size:
            self._backlog = 0
            OUTBOX_OLDEST_UNSENT_AGE.labels(self.service).set(0)
        elif self._backlog is None or time.monotonic() - self._backlog_counted >= 1.0:
            self._backlog_counted = time.monotonic()
            count, oldest = (
                await session.execute(
                    select(func.count(), func.min(outbox.c.created_at)).where(
                        outbox.c.sent_at.is_(None)
                    )
                )
            ).one()
            self._backlog = int(count or 0)
            age = (self.clock.now() - _aware(oldest)).total_seconds() if oldest else 0.0
            OUTBOX_OLDEST_UNSENT_AGE.labels(self.service).set(max(age, 0.0))
        elif error is None:
            self._backlog = max(self._backlog - len(rows), 0)
        OUTBOX_PENDING.labels(self.service).set(self._backlog)

    async def pending(self) -> int:
        async with self.sessions() as session:
            count = await session.scalar(
                select(func.count()).select_from(outbox).where(outbox.c.sent_at.is_(None))
            )
        return int(count or 0)

    def stop(self) -> None:
        """Finish the round in progress (so no batch is left half-sent), then leave ``run``."""
        self._stopping = True
        self._wake.set()

    def lingers_after(self, published: int) -> bool:
        """Whether a wake-up following a round that published ``published`` rows waits
        ``linger`` first: only after a busy round (more than one row)."""
        return self.linger > 0 and published > 1

    async def run(self) -> None:
        backoff = self.interval
        published = 0
        while not self._stopping:
            # Cleared before the round reads the outbox: a commit that wakes the relay while
            # the round is under way (its row not read) makes the next round start at once,
            # instead of waiting for the interval.
            self._wake.clear()
            try:
                published = await self.run_once()
                backoff = self.interval
                if published >= self.batch_size and not self._stopping:
                    continue
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("outbox relay of %s cannot publish yet: %r", self.service, exc)
                backoff = min(max(backoff * 2, 0.5), 10.0)
            if self._stopping:
                break
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), backoff)
                if self.lingers_after(published) and not self._stopping:
                    await asyncio.sleep(self.linger)
