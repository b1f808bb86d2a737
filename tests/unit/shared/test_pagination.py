import base64
import json
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel
from sqlalchemy import MetaData, String, Uuid, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import UTCDateTime, create_engine, session_factory
from shared.errors import install_error_handlers
from shared.pagination import (
    DEFAULT_LIMIT,
    MAX_CURSOR_LENGTH,
    Cursor,
    Limit,
    Page,
    SortKey,
    Sorts,
    count_total,
    decode_cursor,
    encode_cursor,
    paginate,
    paginate_sorted,
)


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


def raw_cursor(values: Any) -> str:
    """A cursor holding any JSON, as a client tampering with one would make it."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


AT = "2026-01-02T03:04:05+00:00"
ID = "6f0c6c1e-3a6e-4d55-9d7f-0c2b9f1d2e3a"
MALFORMED = {
    "not base64": "zzz",
    "not json": base64.urlsafe_b64encode(b"{oops").decode(),
    "not utf-8": base64.urlsafe_b64encode(b"\xff\xfe[]").decode(),
    "not ascii": "\u00e9t\u00e9",
    "object": "e30",
    "too few values": encode_cursor([1]),
    "not a timestamp": encode_cursor(["x", "y"]),
    "timestamp without offset": raw_cursor(["2026-01-02T03:04:05", ID]),
    "timestamp a number": raw_cursor([1767323045, ID]),
    "id a number": raw_cursor([AT, 5]),
    "id true": raw_cursor([AT, True]),
    "id an object": raw_cursor([AT, {}]),
    "id a list": raw_cursor([AT, []]),
    "id not a uuid": raw_cursor([AT, "not-a-uuid"]),
    # well-formed, but no instant in UTC: before 0001-01-01 and after 9999-12-31
    "timestamp before year 1 in UTC": raw_cursor(["0001-01-01T00:00:00+14:00", ID]),
    "timestamp after year 9999 in UTC": raw_cursor(["9999-12-31T23:59:59-14:00", ID]),
    "nulls": raw_cursor([None, None]),
    "null id": raw_cursor([AT, None]),
    "too many values": raw_cursor([AT, ID, ID]),
    "deeply nested": base64.urlsafe_b64encode(b"[" * 600 + b"]" * 600).decode(),
}


@pytest.mark.parametrize("cursor", [*MALFORMED.values(), ""], ids=[*MALFORMED, "empty"])
def test_a_malformed_cursor_is_a_validation_error_of_the_cursor(cursor: str) -> None:
    with pytest.raises(RequestValidationError) as raised:
        decode_cursor(cursor, [datetime, uuid.UUID])
    assert [e["loc"] for e in raised.value.errors()] == [("query", "cursor")]


def test_a_well_formed_cursor_decodes_to_aware_values() -> None:
    at, ident = decode_cursor(raw_cursor([AT, ID]), [datetime, uuid.UUID])
    assert at == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC) and ident == uuid.UUID(ID)
    assert (
        decode_cursor(raw_cursor(["2026-01-02T04:04:05+01:00", ID]), [datetime, uuid.UUID])[0] == at
    )
    # normalised to UTC, the extremes that have an instant in UTC included
    for text, utc in [
        ("2026-01-02T04:04:05+01:00", at),
        ("0001-01-01T00:00:00-14:00", datetime(1, 1, 1, 14, tzinfo=UTC)),
        ("9999-12-31T23:59:59+14:00", datetime(9999, 12, 31, 9, 59, 59, tzinfo=UTC)),
    ]:
        moment = decode_cursor(raw_cursor([text, ID]), [datetime, uuid.UUID])[0]
        assert moment == utc and moment.tzinfo is UTC, text
    assert decode_cursor(raw_cursor([7, "x"]), [int, str]) == [7, "x"]
    with pytest.raises(RequestValidationError):
        decode_cursor(raw_cursor([True, "x"]), [int, str])


async def test_pages_are_stable_with_ties_and_inserts(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(engine)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    async with sessions() as s:
        # Pairs of items share a timestamp: the id breaks the tie.
        s.add_all(
            Item(id=uuid.uuid4(), name=f"i{n}", created_at=base + timedelta(seconds=n // 2))
            for n in range(25)
        )
        await s.commit()
    seen: list[str] = []
    cursor = None
    pages = 0
    while True:
        async with sessions() as s:
            items, cursor = await paginate(
                s, select(Item), [Item.created_at, Item.id], limit=10, cursor=cursor
            )
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
        newest, _ = await paginate(
            s, select(Item), [Item.created_at, Item.id], limit=1, cursor=None, desc=True
        )
    assert newest[0].created_at == base + timedelta(seconds=12)
    await engine.dispose()


# --- through HTTP: every bad cursor is the 422 problem a bad ?limit= is ----------------------


class ItemOut(BaseModel):
    name: str


@pytest.fixture
async def http(sqlite_url: str) -> AsyncIterator[httpx.AsyncClient]:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(engine)
    async with sessions() as s:
        s.add_all(
            Item(id=uuid.uuid4(), name=f"i{n}", created_at=datetime(2026, 1, 1, tzinfo=UTC))
            for n in range(3)
        )
        await s.commit()
    app = FastAPI()
    install_error_handlers(app)

    @app.get("/items")
    async def items(limit: Limit = DEFAULT_LIMIT, cursor: Cursor = None) -> Page[ItemOut]:
        async with sessions() as session:
            found, next_cursor = await paginate(
                session, select(Item), [Item.created_at, Item.id], limit=limit, cursor=cursor
            )
        return Page(items=[ItemOut(name=i.name) for i in found], next_cursor=next_cursor)

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client
    await engine.dispose()


def assert_query_problem(response: httpx.Response, name: str) -> None:
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == 422 and body["type"].endswith("/validation")
    assert [e["loc"] for e in body["errors"]] == [["query", name]], body


@pytest.mark.parametrize("cursor", MALFORMED.values(), ids=MALFORMED)
async def test_a_malformed_cursor_is_a_422_naming_the_cursor(
    http: httpx.AsyncClient, cursor: str
) -> None:
    assert_query_problem(await http.get("/items", params={"cursor": cursor}), "cursor")


async def test_cursor_and_limit_errors_have_one_shape(http: httpx.AsyncClient) -> None:
    limit = await http.get("/items", params={"limit": 0})
    cursor = await http.get("/items", params={"cursor": "zzz"})
    assert_query_problem(limit, "limit")
    assert_query_problem(cursor, "cursor")
    assert limit.json().keys() == cursor.json().keys()
    assert cursor.json()["detail"] == "invalid: query.cursor"
    too_long = await http.get("/items", params={"cursor": "a" * (MAX_CURSOR_LENGTH + 1)})
    assert_query_problem(too_long, "cursor")


async def test_a_good_cursor_pages_on(http: httpx.AsyncClient) -> None:
    first = (await http.get("/items", params={"limit": 2})).json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = (await http.get("/items", params={"cursor": first["next_cursor"]})).json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None


SORTS = Sorts(
    Item.id,
    "created_at",
    created_at=SortKey(Item.created_at),
    name=SortKey(Item.name, "text"),
)


def test_a_sort_is_a_declared_field_either_way_else_a_422_naming_sort() -> None:
    assert (SORTS.parse(None).name, SORTS.parse(None).desc) == ("created_at", False)
    assert (SORTS.parse("-name").name, SORTS.parse("-name").desc) == ("name", True)
    for bad in ("secret", "--name", "name-"):
        with pytest.raises(RequestValidationError) as caught:
            SORTS.parse(bad)
        assert caught.value.errors()[0]["loc"] == ("query", "sort")
    assert SORTS.pattern == "^-?(created_at|name)$"


def test_a_money_key_is_a_number_on_sqlite_and_the_column_on_postgresql() -> None:
    from sqlalchemy import Column, Table
    from sqlalchemy.dialects import postgresql, sqlite

    from shared.db import Money

    money = Table("m", MetaData(), Column("amount", Money)).c.amount
    key = SortKey(money, "money", null="-1").expression()
    assert str(key.compile(dialect=sqlite.dialect())) == "CAST(coalesce(m.amount, -1) AS REAL)"
    assert str(key.compile(dialect=postgresql.dialect())) == "coalesce(m.amount, -1)"


async def test_sorted_pages_are_stable_either_way_and_count_bounded(sqlite_url: str) -> None:
    engine = create_engine(sqlite_url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.create_all)
    sessions = session_factory(engine)
    base = datetime(2026, 1, 1, tzinfo=UTC)
    names = ["b", "A", "a", "C", "b", "Ä"]
    async with sessions() as s:
        s.add_all(Item(id=uuid.uuid4(), name=n, created_at=base) for n in names)
        await s.commit()
    for sort in ("name", "-name"):
        seen: list[str] = []
        cursor = None
        while True:
            async with sessions() as s:
                items, cursor = await paginate_sorted(
                    s, select(Item), SORTS, sort, limit=2, cursor=cursor
                )
            seen += [i.name for i in items]
            if cursor is None:
                break
        folded = sorted(names, key=str.lower, reverse=sort.startswith("-"))
        assert [n.lower() for n in seen] == [n.lower() for n in folded], sort
        with pytest.raises(RequestValidationError):  # a cursor of another sort
            async with sessions() as s:
                await paginate_sorted(
                    s,
                    select(Item),
                    SORTS,
                    "created_at",
                    limit=2,
                    cursor=cursor or encode_cursor(["name", "a", str(uuid.uuid4())]),
                )
    async with sessions() as s:
        assert await count_total(s, select(Item)) == (6, False)
