"""The live stream of a recipient's new notifications, pushed rather than polled.

Every process of the service keeps one :class:`FeedHub`: the open streams of that process wait
on it, each for its own recipient, and it wakes them when an entry of theirs commits:

- PostgreSQL: a trigger on ``notifications`` calls ``pg_notify('orbit_notifications',
  recipient_id)``, delivered at the inserting transaction's commit to every listening
  process; the hub keeps one connection per process doing ``LISTEN`` (opened with the first
  stream, closed after the last one). A lost connection is opened again (backing off to
  10 s) and then every stream reads again from its cursor, so what committed meanwhile is
  sent; a ``SELECT 1`` every 10 s notices a connection that died silently.
- SQLite (``orbit run``, one process): the hub watches the service's own engine: the
  recipients of the entries a transaction inserted are woken when its connection goes back
  to the pool, after the commit.

A woken stream reads what follows its cursor (``repository.stream_after``: by ``seq``, which
numbers a recipient's entries in commit order) and sends it.
``ORBIT_NOTIFICATIONS_STREAM_POLL_SECONDS`` (60 s by default) is a safety read of every
stream even when nothing woke it (a NOTIFY that never came: a bug, not a known path);
``ORBIT_NOTIFICATIONS_STREAM_PUSH=false`` turns the push off and polls at that period (the
measurement baseline of ``make bench``).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
import uuid
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.lifecycle import shutting_down

log = logging.getLogger("orbit.notifications.stream")

CHANNEL = "orbit_notifications"
# How many entries one read of a polled stream takes (a longer backlog: read again at once).
READ_BATCH = 500
# The hub reads for this many woken streams in one statement, at most PER_RECIPIENT entries
# of each (a longer backlog: that stream is read again at once).
STREAMS_PER_READ = 200
PER_RECIPIENT = 200
KEEPALIVE_SECONDS = 10.0
RECONNECT_MAX_SECONDS = 10.0
_PENDING = "orbit_feed_pending"
_COMMITTED = "orbit_feed_committed"


@dataclass(eq=False)
class Subscription:
    """One open stream: its recipient, its cursor (the last entry handed to it), the entries
    read for it and not sent yet, and the event that tells it there are some."""

    recipient_id: uuid.UUID
    cursor: repo.StreamCursor | None
    pending: deque[Notification] = field(default_factory=deque)
    woken: asyncio.Event = field(default_factory=asyncio.Event)


class FeedHub:
    """The open streams of one process, by recipient, and the one reader that serves them:
    a wake-up marks the recipient's streams, and one statement reads what follows the cursor
    of every marked stream (``repository.streams_after``), so a notification to a thousand
    people costs a few statements, not a thousand."""

    def __init__(
        self,
        engine: AsyncEngine,
        reads: async_sessionmaker[AsyncSession],
        *,
        poll_seconds: float,
    ) -> None:
        self._engine = engine
        self._reads = reads
        self._poll_seconds = poll_seconds
        self._streams: dict[uuid.UUID, set[Subscription]] = {}
        self._marked: dict[Subscription, None] = {}  # an ordered set
        self._reader: asyncio.Task[None] | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._open = 0
        self.listening = asyncio.Event()  # the LISTEN connection is up (PostgreSQL)
        self.postgres = engine.dialect.name == "postgresql"
        if not self.postgres:
            _watch_inserts(engine, self.wake)

    # ------------------------------------------------------------ streams

    @contextlib.contextmanager
    def subscribe(
        self, recipient_id: uuid.UUID, cursor: repo.StreamCursor | None
    ) -> Iterator[Subscription]:
        """A stream of ``recipient_id``'s entries after ``cursor`` while the block runs."""
        stream = Subscription(recipient_id, cursor)
        self._streams.setdefault(recipient_id, set()).add(stream)
        self._open += 1
        if not self._tasks:
            self._tasks.append(asyncio.create_task(self._safety(), name="feed.safety"))
            if self.postgres:
                self._tasks.append(asyncio.create_task(self._listen(), name="feed.listen"))
        self._mark([stream])
        try:
            yield stream
        finally:
            self._open -= 1
            self._marked.pop(stream, None)
            streams = self._streams.get(recipient_id)
            if streams is not None:
                streams.discard(stream)
                if not streams:
                    del self._streams[recipient_id]
            if self._open == 0:
                for task in self._tasks:
                    task.cancel()
                self._tasks.clear()
                self.listening.clear()

    def wake(self, recipient_ids: Iterable[uuid.UUID]) -> None:
        """Entries of these recipients may have committed: read for their streams."""
        for recipient_id in recipient_ids:
            self._mark(self._streams.get(recipient_id, ()))

    def wake_all(self) -> None:
        for streams in self._streams.values():
            self._mark(streams)

    @property
    def streams(self) -> int:
        return self._open

    def _mark(self, streams: Iterable[Subscription]) -> None:
        for stream in streams:
            self._marked[stream] = None
        if self._marked and self._reader is None:
            self._reader = asyncio.create_task(self._read(), name="feed.read")

    async def _read(self) -> None:
        """Read for the marked streams, a batch per statement, until none is marked."""
        try:
            while self._marked:
                batch = list(itertools.islice(self._marked, STREAMS_PER_READ))
                for stream in batch:
                    del self._marked[stream]
                cursors: dict[uuid.UUID, repo.StreamCursor | None] = {}
                for stream in batch:
                    cursors[stream.recipient_id] = _earliest(
                        cursors.get(stream.recipient_id, stream.cursor), stream.cursor
                    )
                try:
                    async with self._reads() as session:
                        rows = await repo.streams_after(session, cursors, limit=PER_RECIPIENT)
                except Exception as exc:
                    log.warning("reading the streams failed (%r); again in 1 s", exc)
                    await asyncio.sleep(1)
                    self._mark(batch)
                    continue
                self._hand_out(batch, rows)
        finally:
            self._reader = None

    def _hand_out(self, batch: list[Subscription], rows: list[Notification]) -> None:
        by_recipient: dict[uuid.UUID, list[Notification]] = {}
        for row in rows:
            by_recipient.setdefault(row.recipient_id, []).append(row)
        again = []
        for stream in batch:
            found = by_recipient.get(stream.recipient_id, [])
            fresh = [r for r in found if stream.cursor is None or (r.seq, r.id) > stream.cursor]
            if fresh:
                stream.pending.extend(fresh)
                stream.cursor = (fresh[-1].seq, fresh[-1].id)
                stream.woken.set()
            if len(found) >= PER_RECIPIENT:
                again.append(stream)  # more than one read takes
        self._mark(again)

    async def _safety(self) -> None:
        """Every stream read now and then even when nothing woke it; and a stop of the
        server (checked twice a second, once for the process) wakes every stream, which
        then ends."""
        waited = 0.0
        while True:
            await asyncio.sleep(0.5)
            waited += 0.5
            if shutting_down():
                for streams in self._streams.values():
                    for stream in streams:
                        stream.woken.set()
                return
            if waited >= self._poll_seconds:
                waited = 0.0
                self.wake_all()

    # ------------------------------------------------------------ PostgreSQL

    def _notified(self, _connection: Any, _pid: int, _channel: str, payload: str) -> None:
        try:
            recipient_id = uuid.UUID(payload)
        except ValueError:
            return
        self.wake((recipient_id,))

    async def _listen(self) -> None:
        delay = 0.5
        while True:
            connection: Any = None
            try:
                connection = await self._connect()
                lost = asyncio.Event()
                connection.add_termination_listener(_setter(lost))
                await connection.add_listener(CHANNEL, self._notified)
                self.listening.set()
                # What committed while no connection listened is read now.
                self.wake_all()
                delay = 0.5
                while not lost.is_set():
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(lost.wait(), KEEPALIVE_SECONDS)
                        break
                    await asyncio.wait_for(connection.fetchval("SELECT 1"), KEEPALIVE_SECONDS)
                log.warning("the LISTEN connection was lost; opening it again")
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("LISTEN %s failed (%r); retrying in %.1fs", CHANNEL, exc, delay)
            finally:
                self.listening.clear()
                if connection is not None:
                    with contextlib.suppress(Exception):
                        connection.terminate()
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_SECONDS)

    async def _connect(self) -> Any:
        """A connection of its own (not one of the pool's), made as the engine makes them."""
        import asyncpg

        url = self._engine.url.set(drivername="postgresql")
        return await asyncpg.connect(
            url.render_as_string(hide_password=False),
            server_settings={"application_name": "orbit-notifications-listen"},
        )


def _watch_inserts(engine: AsyncEngine, wake: Callable[[Iterable[uuid.UUID]], None]) -> None:
    """Call ``wake`` with the recipients of the entries a transaction on ``engine`` inserted,
    once it has committed (its connection back in the pool); a rollback forgets them."""
    sync = engine.sync_engine
    table = Notification.__tablename__

    def inserted(
        conn: Any, _cursor: Any, _sql: Any, _params: Any, context: Any, _many: Any
    ) -> None:
        compiled = getattr(context, "compiled", None)
        if not getattr(context, "isinsert", False) or compiled is None:
            return
        if getattr(getattr(compiled.statement, "table", None), "name", None) != table:
            return
        pending = conn.info.setdefault(_PENDING, set())
        for params in context.compiled_parameters:
            if params.get("recipient_id") is not None:
                pending.add(params["recipient_id"])

    def committed(conn: Any) -> None:
        pending = conn.info.pop(_PENDING, None)
        if pending:
            conn.info.setdefault(_COMMITTED, set()).update(pending)

    def rolled_back(conn: Any) -> None:
        conn.info.pop(_PENDING, None)

    def returned(_dbapi: Any, record: Any) -> None:
        done = record.info.pop(_COMMITTED, None)
        if done:
            wake(done)

    event.listen(sync, "after_cursor_execute", inserted)
    event.listen(sync, "commit", committed)
    event.listen(sync, "rollback", rolled_back)
    event.listen(sync.pool, "checkin", returned)


# ---------------------------------------------------------------- one stream


def feed_hub(runtime: Any) -> FeedHub:
    """The process's hub of the service's runtime (made with its first stream)."""
    hub: FeedHub | None = getattr(runtime, "feed_hub", None)
    if hub is None:
        poll = runtime.settings.notifications_stream_poll_seconds
        hub = runtime.feed_hub = FeedHub(runtime.engine, runtime.reads, poll_seconds=poll)
    return hub


def _earliest(a: repo.StreamCursor | None, b: repo.StreamCursor | None) -> repo.StreamCursor | None:
    if a is None or b is None:
        return None
    return min(a, b)


async def stream_start(
    reads: async_sessionmaker[AsyncSession],
    recipient_id: uuid.UUID,
    last_event_id: str | None,
) -> repo.StreamCursor | None:
    """Where a stream starts: after ``last_event_id`` when it names an entry of the
    recipient's, else after their newest (only what comes from now on)."""
    resume: uuid.UUID | None = None
    if last_event_id:
        with contextlib.suppress(ValueError):
            resume = uuid.UUID(last_event_id.strip())
    async with reads() as session:
        if resume is not None:
            cursor = await repo.stream_cursor(session, recipient_id, resume)
            if cursor is not None:
                return cursor
        return await repo.stream_cursor(session, recipient_id, None)


async def stream_entries(
    reads: async_sessionmaker[AsyncSession],
    hub: FeedHub | None,
    recipient_id: uuid.UUID,
    cursor: repo.StreamCursor | None,
    *,
    poll_seconds: float,
    heartbeat_seconds: float,
    heartbeat: Any,
) -> AsyncIterator[Notification | Any]:
    """The recipient's entries after ``cursor`` as they commit, with ``heartbeat`` yielded
    after ``heartbeat_seconds`` of silence; until the server stops. ``hub`` None: no push,
    the stream reads every ``poll_seconds`` itself."""
    if hub is None:
        async for entry in _polled(reads, recipient_id, cursor, poll_seconds, heartbeat_seconds):
            yield heartbeat if entry is None else entry
        return
    with hub.subscribe(recipient_id, cursor) as stream:
        last_sent = time.monotonic()
        while not shutting_down():
            stream.woken.clear()
            if stream.pending:
                while stream.pending:
                    yield stream.pending.popleft()
                last_sent = time.monotonic()
                continue
            silent = time.monotonic() - last_sent
            if silent >= heartbeat_seconds:
                yield heartbeat
                last_sent = time.monotonic()
                continue
            await _wait(stream.woken, heartbeat_seconds - silent)


async def _polled(
    reads: async_sessionmaker[AsyncSession],
    recipient_id: uuid.UUID,
    cursor: repo.StreamCursor | None,
    poll_seconds: float,
    heartbeat_seconds: float,
) -> AsyncIterator[Notification | None]:
    """A stream without the push: a read every ``poll_seconds``; None: time for a
    heartbeat."""
    last_sent = time.monotonic()
    while not shutting_down():
        async with reads() as session:
            rows = await repo.stream_after(session, recipient_id, cursor, limit=READ_BATCH)
        for row in rows:
            cursor = (row.seq, row.id)
            yield row
        if len(rows) == READ_BATCH:
            continue
        if rows:
            last_sent = time.monotonic()
        elif time.monotonic() - last_sent >= heartbeat_seconds:
            last_sent = time.monotonic()
            yield None
        await _wait(None, min(poll_seconds, heartbeat_seconds))


async def _wait(woken: asyncio.Event | None, seconds: float) -> None:
    """Until ``woken`` is set (the hub also sets it when the server stops) or ``seconds``
    pass. Without a hub, a stop is noticed within half a second."""
    if woken is not None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(woken.wait(), max(seconds, 0))
        return
    deadline = time.monotonic() + seconds
    for _ in range(int(seconds / 0.5) + 1):
        left = deadline - time.monotonic()
        if shutting_down() or left <= 0:
            return
        await asyncio.sleep(min(left, 0.5))


def _setter(flag: asyncio.Event) -> Callable[[Any], None]:
    return lambda _connection: flag.set()
