"""Running work on a migration's connection in tests (an Alembic command, an inspection)."""

from __future__ import annotations

from typing import Any

from shared.migrations import migration_engine


async def on_migration_connection(url: str, work: Any) -> Any:
    """``work(connection)`` (a sync function) in one transaction on the database of ``url``,
    on the engine migrations run on (SQLite: foreign keys off, as ``orbit migrate``)."""
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(work)
    finally:
        await engine.dispose()
