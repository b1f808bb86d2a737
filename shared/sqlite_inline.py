"""SQLite for the async engine without a thread hop per call.

aiosqlite runs every call of a connection (cursor, execute, fetch, close...) in a thread of
its own and wakes the event loop for each result: about 300 µs of CPU per statement through
SQLAlchemy, where the statement itself takes a few µs. :class:`InlineConnection` offers the
same interface to SQLAlchemy's aiosqlite dialect but calls :mod:`sqlite3` directly on the
event loop's thread.

A call could then block the loop while another connection holds SQLite's write lock, so the
connection's busy timeout is 0: a call that finds the database locked fails at once with
SQLITE_BUSY, having done nothing, and is run again in a worker thread that waits up to the
real busy timeout (:meth:`InlineConnection._run`). In Orbit's engines that is rare — each
database has one write connection (``shared.db.create_engine``) and WAL readers never wait
for it — so nearly every call stays inline.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

T = TypeVar("T")

log = logging.getLogger("orbit.db")

# A checkpoint after this many commits that changed rows (a write transaction of the services
# touches a few pages: about SQLite's default of one per 1,000 WAL pages).
CHECKPOINT_EVERY_COMMITS = 200

# What SQLite answers when another connection holds the lock it needs.
_BUSY_MESSAGES = ("database is locked", "database table is locked")


def _busy(exc: sqlite3.OperationalError) -> bool:
    return any(m in str(exc) for m in _BUSY_MESSAGES)


class _RunNow:
    """Stands in for aiosqlite's request queue (``_tx``), which SQLAlchemy's isolation-level
    setter feeds ``(future, function)`` directly: runs the function at once."""

    def put_nowait(self, item: tuple[asyncio.Future[Any], Callable[[], Any]]) -> None:
        future, function = item
        try:
            result = function()
        except BaseException as exc:
            future.set_exception(exc)
        else:
            future.set_result(result)


class InlineCursor:
    def __init__(self, owner: InlineConnection, cursor: sqlite3.Cursor) -> None:
        self._owner = owner
        self._cursor = cursor

    async def __aenter__(self) -> InlineCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        self._cursor.close()

    async def execute(self, sql: str, parameters: Any = None) -> InlineCursor:
        await self._owner._run(self._cursor.execute, sql, () if parameters is None else parameters)
        return self

    async def executemany(self, sql: str, parameters: Iterable[Any]) -> InlineCursor:
        await self._owner._run(self._cursor.executemany, sql, list(parameters))
        return self

    async def fetchone(self) -> Any:
        return await self._owner._run(self._cursor.fetchone)

    async def fetchmany(self, size: int | None = None) -> list[Any]:
        if size is None:
            return await self._owner._run(self._cursor.fetchmany)
        return await self._owner._run(self._cursor.fetchmany, size)

    async def fetchall(self) -> list[Any]:
        return await self._owner._run(self._cursor.fetchall)

    async def close(self) -> None:
        self._cursor.close()

    def __aiter__(self) -> InlineCursor:
        return self

    async def __anext__(self) -> Any:
        row = await self.fetchone()
        if row is None:
            raise StopAsyncIteration
        return row

    @property
    def description(self) -> Any:
        return self._cursor.description

    @property
    def rowcount(self) -> int:
        return self._cursor.rowcount

    @property
    def lastrowid(self) -> int | None:
        return self._cursor.lastrowid

    @property
    def arraysize(self) -> int:
        return self._cursor.arraysize

    @arraysize.setter
    def arraysize(self, value: int) -> None:
        self._cursor.arraysize = value


class _Checkpointer:
    """The WAL checkpoints of one database file, run in a worker thread, one at a time."""

    _of: dict[str, _Checkpointer] = {}

    def __init__(self, database: str) -> None:
        self.database = database
        self.commits = 0
        self.running = False
        self.done = 0  # checkpoints run (tests)

    @classmethod
    def of(cls, database: str) -> _Checkpointer:
        found = cls._of.get(database)
        if found is None:
            found = cls._of[database] = cls(database)
        return found

    def committed(self) -> None:
        """Count a commit that changed rows; start a checkpoint when one is due."""
        self.commits += 1
        if self.commits < CHECKPOINT_EVERY_COMMITS or self.running:
            return
        self.commits = 0
        self.running = True
        future = asyncio.get_running_loop().run_in_executor(None, self._checkpoint)
        future.add_done_callback(self._finished)

    def _checkpoint(self) -> None:
        conn = sqlite3.connect(self.database, timeout=0, check_same_thread=False)
        try:
            # PASSIVE: copies what no reader still needs, never waits for a lock (like the
            # automatic checkpoint); a writer restarts the WAL once all of it is copied.
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        finally:
            conn.close()

    def _finished(self, future: asyncio.Future[None]) -> None:
        self.running = False
        self.done += 1
        if not future.cancelled() and future.exception() is not None:
            log.warning("WAL checkpoint of %s failed: %r", self.database, future.exception())


class InlineConnection:
    """The part of ``aiosqlite.Connection`` SQLAlchemy's aiosqlite dialect uses."""

    def __init__(
        self, conn: sqlite3.Connection, busy_timeout_ms: int, database: str = ":memory:"
    ) -> None:
        self._conn = conn
        self._connection: sqlite3.Connection | None = conn  # None once closed
        self._tx = _RunNow()
        self.busy_timeout_ms = busy_timeout_ms
        self._waits = asyncio.Lock()
        self._checkpoints = None if database == ":memory:" else _Checkpointer.of(database)
        self._changes = conn.total_changes

    async def _run(self, function: Callable[..., T], *args: Any) -> T:
        """``function(*args)`` on the loop's thread; when the database is locked by another
        connection, again in a worker thread that waits for the lock (the busy timeout)."""
        try:
            return function(*args)
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                raise
        async with self._waits:
            return await asyncio.to_thread(self._waiting, function, *args)

    def _waiting(self, function: Callable[..., T], *args: Any) -> T:
        self._conn.execute(f"PRAGMA busy_timeout={int(self.busy_timeout_ms)}")
        try:
            return function(*args)
        finally:
            self._conn.execute("PRAGMA busy_timeout=0")

    def cursor(self) -> InlineCursor:
        return InlineCursor(self, self._conn.cursor())

    @property
    def isolation_level(self) -> str | None:
        return self._conn.isolation_level

    async def create_function(self, *args: Any, **kwargs: Any) -> None:
        self._conn.create_function(*args, **kwargs)

    def create_aggregate(self, *args: Any, **kwargs: Any) -> None:
        """sqlite3's (SQLAlchemy's adapted connection passes ``create_function`` only)."""
        self._conn.create_aggregate(*args, **kwargs)

    async def commit(self) -> None:
        await self._run(self._conn.commit)
        if self._checkpoints is not None and self._conn.total_changes != self._changes:
            self._changes = self._conn.total_changes
            self._checkpoints.committed()

    async def rollback(self) -> None:
        await self._run(self._conn.rollback)

    async def close(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()

    def stop(self) -> None:
        if self._connection is not None:
            self._connection = None
            self._conn.close()


def inline_creator(database: str, busy_timeout_seconds: float) -> Callable[[], Any]:
    """An ``async_creator`` for ``create_async_engine`` (dialect ``sqlite+aiosqlite``)."""

    async def connect() -> InlineConnection:
        conn = sqlite3.connect(database, timeout=0, check_same_thread=False, isolation_level=None)
        return InlineConnection(conn, int(busy_timeout_seconds * 1000), database)

    return connect


def is_inline(dbapi_connection: Any) -> bool:
    """True for a connection (as SQLAlchemy's ``connect`` event sees it) made by
    :func:`inline_creator`."""
    return isinstance(getattr(dbapi_connection, "_connection", None), InlineConnection)
