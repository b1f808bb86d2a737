"""Alembic, one migration history per service database, run programmatically.

``orbit migrate <service>`` calls :func:`migrate`; each service's ``migrations/env.py`` calls
:func:`run_env`. Migrations run on an async engine through ``connection.run_sync``, so they
work from a running event loop (tests, the embedded server) as from the CLI.

On SQLite, migrations run with foreign keys not enforced and are checked before they commit
(``PRAGMA foreign_key_check``): SQLite alters most of a table by rebuilding it (Alembic's batch
mode: copy, drop the old table, rename the copy), and dropping a table that others reference
while foreign keys are enforced deletes their rows first (``ON DELETE CASCADE``). This is the
procedure SQLite documents for such changes; the pragma has no effect inside a transaction,
so it is set when the migration's connection opens.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.config import Config
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from shared.db import create_engine


def alembic_config(script_location: Path, url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.set_main_option("file_template", "%%(year)d_%%(month).2d_%%(day).2d_%%(rev)s_%%(slug)s")
    return config


def migration_engine(url: str) -> AsyncEngine:
    """The engine migrations run on: on SQLite, without foreign key enforcement (see above)."""
    engine = create_engine(url, pool_size=1)
    if engine.dialect.name == "sqlite":
        # Registered after create_engine's own "connect" listener, which turns them on.
        @event.listens_for(engine.sync_engine, "connect")
        def _foreign_keys_off(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=OFF")
            cursor.close()

    return engine


async def migrate(script_location: Path, url: str, revision: str = "head") -> None:
    """Upgrade the database at ``url`` to ``revision`` (from zero if it is empty)."""
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade, alembic_config(script_location, url), revision)
    finally:
        await engine.dispose()


def _upgrade(connection: Connection, config: Config, revision: str) -> None:
    config.attributes["connection"] = connection
    command.upgrade(config, revision)


# Full-text objects the models cannot express (PostgreSQL tsvector columns and GIN/trigram
# indexes, SQLite FTS5 virtual tables and their shadow tables) are named ``fts_...``:
# autogenerate (and the models-match-migrations check) leaves them to their migrations.
FTS_PREFIX = "fts_"


def include_name(name: str | None, type_: str, parent_names: Any) -> bool:
    """Alembic's ``include_name`` hook: every object but the ``fts_`` ones."""
    return not (name or "").startswith(FTS_PREFIX)


def run_env(target_metadata: Sequence[MetaData]) -> None:
    """The body of every service's ``env.py``."""
    connection: Connection | None = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection, target_metadata)
        return
    if context.is_offline_mode():
        context.configure(
            url=context.config.get_main_option("sqlalchemy.url"),
            target_metadata=list(target_metadata),
            literal_binds=True,
            include_name=include_name,
        )
        with context.begin_transaction():
            context.run_migrations()
        return
    url = context.config.get_main_option("sqlalchemy.url") or ""
    asyncio.run(_run_async(url, target_metadata))


async def _run_async(url: str, target_metadata: Sequence[MetaData]) -> None:
    engine = migration_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_run, target_metadata)
    finally:
        await engine.dispose()


def _run(connection: Connection, target_metadata: Sequence[MetaData]) -> None:
    kwargs: dict[str, Any] = {
        "render_as_batch": connection.dialect.name == "sqlite",
        "include_name": include_name,
    }
    context.configure(connection=connection, target_metadata=list(target_metadata), **kwargs)
    with context.begin_transaction():
        context.run_migrations()
        if connection.dialect.name == "sqlite":
            broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
            if broken:
                raise RuntimeError(
                    f"migrations broke foreign keys (table, rowid, parent, fk): {broken[:10]}"
                )
