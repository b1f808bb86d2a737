"""Unit of work: one session, one transaction, the outbox written in that same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from types import TracebackType
from typing import Any

from sqlalchemy import insert
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from shared.clock import Clock, SystemClock
from shared.db import insert_ignore
from shared.messaging.envelope import CloudEvent, Event, topic_for
from shared.tables import outbox, scheduled_alerts
from shared.tracing import current_traceparent

# Built once, the values given as parameters: a statement built anew per event (``.values()``)
# has its cache key computed anew each time, which costs more than SQLite's insert.
_INSERT_OUTBOX = insert(outbox)


def outbox_row(event: Event, envelope: CloudEvent, created_at: datetime) -> dict[str, Any]:
    """The outbox row publishing ``event`` (as ``envelope``), written ``created_at``."""
    return {
        "event_id": envelope.id,
        "topic": topic_for(event.service()),
        "key": event.key(),
        "event_type": envelope.type,
        "payload": envelope.to_json().decode(),
        "created_at": created_at,
        "traceparent": current_traceparent(),
    }


# Called after a commit that wrote events, with those events.
CommitHook = Callable[[Sequence[CloudEvent]], None]


class UnitOfWork:
    """``async with uow_factory() as uow: ...; uow.emit(event); await uow.commit()``.

    Leaving the block without ``commit()`` rolls everything back, events included.
    """

    def __init__(
        self,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_commit: CommitHook | None = None,
    ) -> None:
        self._sessions = sessions
        self.clock = clock
        self._on_commit = on_commit
        self._session: AsyncSession | None = None
        self.emitted: list[CloudEvent] = []

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside 'async with'")
        return self._session

    async def __aenter__(self) -> UnitOfWork:
        self._session = self._sessions()
        self.emitted = []
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        try:
            await session.rollback()
        finally:
            await session.close()
            self._session = None

    async def commit(self) -> None:
        await self.session.commit()
        if self.emitted and self._on_commit is not None:
            self._on_commit(self.emitted)

    async def emit(
        self, event: Event, *, event_id: uuid.UUID | None = None, time: datetime | None = None
    ) -> CloudEvent:
        """Write ``event`` to the outbox in this transaction; the relay publishes it later."""
        envelope = event.to_cloudevent(event_id=event_id, time=time or self.clock.now())
        await self.session.execute(_INSERT_OUTBOX, outbox_row(event, envelope, self.clock.now()))
        self.emitted.append(envelope)
        return envelope

    async def emit_all(self, events: Sequence[Event]) -> None:
        """:meth:`emit` of each event, in order, as one INSERT (an import's thousands of
        events: one statement, not one per event)."""
        if not events:
            return
        now = self.clock.now()
        rows = []
        for event in events:
            envelope = event.to_cloudevent(time=now)
            rows.append(outbox_row(event, envelope, now))
            self.emitted.append(envelope)
        await self.session.execute(insert(outbox), rows)

    async def emit_once(self, alert_key: str, event: Event) -> CloudEvent | None:
        """Emit a scheduled alert at most once per ``alert_key``, across scans and replicas.

        The event id is derived from the key (uuid5), and a unique row guards the emission in
        this same transaction; a second call with the same key emits nothing.
        """
        event_id = uuid.uuid5(uuid.NAMESPACE_URL, f"orbit:{alert_key}")
        inserted = await insert_ignore(
            self.session,
            scheduled_alerts,
            {"alert_key": alert_key, "event_id": event_id, "emitted_at": self.clock.now()},
        )
        if not inserted:
            return None
        return await self.emit(event, event_id=event_id)

    async def emit_once_many(self, alerts: Sequence[tuple[str, Event]]) -> int:
        """:meth:`emit_once` for a batch of ``(alert_key, event)``: one statement claims the
        keys (those claimed before are skipped), one writes the events of the others to the
        outbox, in the given order. Returns how many were emitted."""
        if not alerts:
            return 0
        now = self.clock.now()
        ids = {key: uuid.uuid5(uuid.NAMESPACE_URL, f"orbit:{key}") for key, _ in alerts}
        dialect = self.session.get_bind().dialect.name
        insert_of = postgresql.insert if dialect == "postgresql" else sqlite.insert
        # executemany with RETURNING: SQLAlchemy's "insertmanyvalues" compiles the statement
        # once and sends it as multi-row INSERTs (a literal multi-row .values() would be
        # compiled anew for every batch, which costs more than the database's work)
        claimed = set(
            (
                await self.session.scalars(
                    insert_of(scheduled_alerts)
                    .on_conflict_do_nothing()
                    .returning(scheduled_alerts.c.alert_key),
                    [
                        {"alert_key": key, "event_id": ids[key], "emitted_at": now}
                        for key in dict.fromkeys(key for key, _ in alerts)
                    ],
                )
            ).all()
        )
        rows = []
        for key, event in alerts:
            if key not in claimed:
                continue
            claimed.discard(key)  # a key given twice is emitted once
            envelope = event.to_cloudevent(event_id=ids[key], time=now)
            rows.append(outbox_row(event, envelope, now))
            self.emitted.append(envelope)
        if rows:
            await self.session.execute(insert(outbox), rows)
        return len(rows)


class UnitOfWorkFactory:
    def __init__(
        self, sessions: async_sessionmaker[AsyncSession], clock: Clock | None = None
    ) -> None:
        self.sessions = sessions
        self.clock: Clock = clock or SystemClock()
        # Called with the events after a commit that wrote some (the relay's wake-up, the
        # staff cache's invalidation), set at wiring time.
        self.on_commit: CommitHook | None = None

    def __call__(self) -> UnitOfWork:
        return UnitOfWork(self.sessions, self.clock, self.on_commit)
