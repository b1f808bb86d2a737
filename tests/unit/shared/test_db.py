"""shared/db.py on SQLite: the engines Orbit creates."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, literal, null, select

from shared.db import create_engine


async def test_sqlite_lower_is_unicode_aware_like_postgresql(tmp_path: Path) -> None:
    # SQLite's built-in lower() folds ASCII only: it gave "Ärger" for "ÄRGER".
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'lower.db'}")
    try:
        async with engine.connect() as conn:
            row = (
                await conn.execute(
                    select(
                        func.lower(literal("ÄRGER Élan ΣΟΦΙΑ")),
                        func.lower(null()),
                        func.lower(literal("plain")),
                    )
                )
            ).one()
    finally:
        await engine.dispose()
    assert tuple(row) == ("ärger élan σοφια", None, "plain")
