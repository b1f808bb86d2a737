"""A session keeps the objects it loaded (shared/db.py): a use case that checks an object and
drops it does not read it again on the next ``session.get``."""

from __future__ import annotations

import gc
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import create_engine, session_factory


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str]


async def test_a_dropped_object_is_not_read_again(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
        await conn.execute(text("INSERT INTO things (id, name) VALUES (1, 'one')"))
    statements: list[str] = []

    def count(*args: Any) -> None:
        statements.append(args[2])

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        async with session_factory(engine)() as session:
            assert (await session.get(Thing, 1)) is not None  # checked, then let go
            gc.collect()
            thing = await session.get(Thing, 1)
            assert thing is not None and thing.name == "one"
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 1
    finally:
        await engine.dispose()
