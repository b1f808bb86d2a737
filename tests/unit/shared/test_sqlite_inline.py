"""SQLite connections without aiosqlite's thread (shared/sqlite_inline.py): statements run on
the event loop's thread, and a statement that finds the database locked by another connection
waits for it in a worker thread, without blocking the loop."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from shared.db import create_engine, session_factory
from shared.sqlite_inline import InlineConnection


async def test_a_locked_database_is_waited_for_off_the_loop(sqlite_url: str) -> None:
    first, second = create_engine(sqlite_url), create_engine(sqlite_url)  # two "processes"
    async with first.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
    try:
        async with session_factory(first)() as holder:
            await holder.execute(text("INSERT INTO t VALUES (1)"))  # holds the write lock

            async def write() -> None:
                async with session_factory(second)() as waiter:
                    await waiter.execute(text("INSERT INTO t VALUES (2)"))
                    await waiter.commit()

            waiting = asyncio.create_task(write())
            ticks = 0
            for _ in range(20):  # the loop keeps running while the second writer waits
                await asyncio.sleep(0.01)
                ticks += 1
            assert ticks == 20 and not waiting.done()
            await holder.commit()
        await asyncio.wait_for(waiting, 10)
        async with session_factory(first)() as reader:
            assert await reader.scalar(text("SELECT count(*) FROM t")) == 2
    finally:
        await first.dispose()
        await second.dispose()


async def test_engines_use_the_inline_connection(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    try:
        async with engine.connect() as conn:
            raw = await conn.get_raw_connection()
            assert isinstance(raw.driver_connection, InlineConnection)
            assert await conn.scalar(text("PRAGMA busy_timeout")) == 0
            assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
            assert await conn.scalar(text("SELECT lower('ÄRGER')")) == "ärger"
    finally:
        await engine.dispose()
