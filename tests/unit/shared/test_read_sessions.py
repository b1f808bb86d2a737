"""Read sessions (``shared.db.read_engine``) on SQLite: they take no write lock, so a GET is
never queued behind a write transaction in the embedded mode."""

from __future__ import annotations

import asyncio

from sqlalchemy import text

from shared.db import create_engine, read_engine, session_factory


async def test_a_read_does_not_wait_for_a_writer(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.execute(text("CREATE TABLE t (x INTEGER)"))
        await conn.execute(text("INSERT INTO t VALUES (1)"))
    writes, reads = session_factory(engine), session_factory(read_engine(engine))
    async with writes() as writer:
        await writer.execute(text("INSERT INTO t VALUES (2)"))  # holds the write lock
        async with reads() as reader:
            # The committed state, at once (a write-intent BEGIN would wait 30 s for the lock).
            count = await asyncio.wait_for(reader.scalar(text("SELECT count(*) FROM t")), 2)
        assert count == 1
        await writer.commit()
    async with reads() as reader:
        assert await reader.scalar(text("SELECT count(*) FROM t")) == 2
    await engine.dispose()
