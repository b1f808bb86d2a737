"""SQLite connections without aiosqlite's thread (shared/sqlite_inline.py): statements run on
the event loop's thread, and a statement that finds the database locked by another connection
waits for it in a worker thread, without blocking the loop."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import text
from sqlalchemy.engine import make_url

from shared import sqlite_inline
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


async def test_checkpoints_run_in_a_worker_thread_not_in_the_commit(
    sqlite_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SQLite's automatic checkpoint (an fsync inside a commit on the loop) is off; every
    CHECKPOINT_EVERY_COMMITS writing commits start one in a worker thread instead."""
    monkeypatch.setattr(sqlite_inline, "CHECKPOINT_EVERY_COMMITS", 5)
    engine = create_engine(sqlite_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (x INTEGER)"))
            assert await conn.scalar(text("PRAGMA wal_autocheckpoint")) == 0
        database = make_url(sqlite_url).database
        assert database
        checkpoints = sqlite_inline._Checkpointer.of(database)
        threads: list[int] = []
        original = checkpoints._checkpoint

        def checkpoint() -> None:
            threads.append(threading.get_ident())
            original()

        monkeypatch.setattr(checkpoints, "_checkpoint", checkpoint)
        for i in range(5):
            async with session_factory(engine)() as session:
                await session.execute(text("INSERT INTO t VALUES (:x)"), {"x": i})
                await session.commit()
            await asyncio.sleep(0)
        deadline = asyncio.get_running_loop().time() + 10
        while checkpoints.done < 1 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        assert checkpoints.done == 1 and len(threads) == 1
        assert threading.get_ident() not in threads
    finally:
        await engine.dispose()
