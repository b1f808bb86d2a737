import uuid
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import MetaData, String, Uuid, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, create_engine, session_factory
from shared.errors import BadRequest
from shared.pagination import decode_cursor, encode_cursor, paginate


class Base(DeclarativeBase):
    metadata = MetaData()


class Item(Base):
    __tablename__ = "items"
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def test_cursor_round_trip() -> None:
    at, ident = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC), uuid.uuid4()
    cursor = encode_cursor([at, ident])
    assert "=" not in cursor
    assert decode_cursor(cursor, [datetime, uuid.UUID]) == [at, ident]


@pytest.mark.parametrize(
    "cursor", ["zzz", "", "e30", encode_cursor([1]), encode_cursor(["x", "y"])]
)
def test_invalid_cursor_is_a_bad_request(cursor: str) -> None:
    with pytest.raises(BadRequest):
        decode_cursor(cursor, [datetime, uuid.UUID])


async def test_pages_are_stable_with_ties_and_inserts(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(engine)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    async with sessions() as s:
        # Pairs of items share a timestamp: the id breaks the tie.
        s.add_all(Item(id=uuid.uuid4(), name=f"i{n}", created_at=base + timedelta(seconds=n // 2))
                  for n in range(25))
        await s.commit()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        async with sessions() as s:
            items, cursor = await paginate(s, select(Item), [Item.created_at, Item.id],
                                           limit=10, cursor=cursor)
            if pages == 0:  # a row inserted before the cursor position does not shift pages
                s.add(Item(id=uuid.uuid4(), name="early", created_at=base - timedelta(days=1)))
                await s.commit()
        seen += [i.name for i in items]
        pages += 1
        if cursor is None:
            break
    assert pages == 3
    assert len(seen) == 25 and len(set(seen)) == 25 and "early" not in seen
    async with sessions() as s:
        newest, _ = await paginate(s, select(Item), [Item.created_at, Item.id], limit=1,
                                   cursor=None, desc=True)
    assert newest[0].created_at == base + timedelta(seconds=12)
    await engine.dispose()
