"""Cursor (keyset) pagination: ``?limit=&cursor=`` -> ``{"items": [...], "next_cursor": ...}``.

The cursor is an opaque, URL-safe token holding the sort key of the last item returned; the
next page starts strictly after it, so pages stay stable while rows are inserted. A cursor
that is not one this module made (truncated, tampered with, from another list) is a 422 naming
``["query", "cursor"]``, the same problem FastAPI's own validation gives for a bad ``limit``.

Sorting (CONTRACT.md "Lists"): a list declares its :class:`Sorts`, the fields a table sorts
by, and takes ``?sort=field`` (ascending) or ``?sort=-field`` (descending); an unknown field
is a 422 naming ``["query", "sort"]`` (the OpenAPI document lists the fields as the
parameter's pattern). :func:`paginate_sorted` pages by ``(sort key, id)``: the cursor holds
both and names the sort, so a cursor of another sort is a 422 too and pages stay stable
under any sort. A key is the column as it is, except:

- text (``kind="text"``) sorts case-insensitively: ``lower(column)`` (SQLite's ``lower()``
  is replaced by a Unicode one, ``shared.db``), in the database's collation;
- money (``kind="money"``) sorts as a number (SQLite keeps it as text: ``CAST(... AS REAL)``
  there);
- a nullable column sorts with its ``null`` value (e.g. ``'9999-12-31'``: a draft without
  a due date last ascending), so the keyset never compares NULL.

Each key is an expression an index is built on (the service's migration), so a sorted page
reads the index from the cursor on. ``?total=true`` adds the count of the whole filtered
list (:func:`count_total`), bounded: at most :data:`MAX_TOTAL` rows are counted and
``total_capped`` says when there are more.
"""

from __future__ import annotations

import base64
import collections
import functools
import json
import re
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Annotated, Any, Generic, Literal, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import (
    ColumnElement,
    Float,
    Index,
    Select,
    and_,
    func,
    literal_column,
    or_,
    select,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Mapper
from sqlalchemy.sql.expression import FunctionElement

T = TypeVar("T")
# The page size of every list when ?limit= is absent (routes: ``limit: Limit = DEFAULT_LIMIT``).
DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 1000

Limit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description=f"page size (default {DEFAULT_LIMIT}, max 500)")
]
Cursor = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="next_cursor of the previous page"),
]


class Page(BaseModel, Generic[T]):
    """A page of a list; ``Page[ClientOut]`` is ``ClientPage`` in the OpenAPI documents
    (``shared.app.readable_component_names``). ``next_cursor`` is always there (null on the
    last page): required in the response schema."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    items: list[T]
    next_cursor: str | None = None
    total: int | None = Field(
        default=None, description="with ?total=true: how many items the whole list has"
    )
    total_capped: bool | None = Field(
        default=None,
        description="with ?total=true: true when there are more than 10,000 (total is then 10,000)",
    )


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, uuid.UUID | Decimal):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid_cursor(msg: str, cursor: object = None) -> RequestValidationError:
    """The 422 of a bad ``?cursor=``: FastAPI's own validation error, so one handler (and one
    problem+json shape) covers every bad query parameter."""
    return RequestValidationError(
        [{"type": "value_error", "loc": ("query", "cursor"), "msg": msg, "input": cursor}]
    )


def _value(value: Any, kind: type) -> Any:
    """One sort-key value of a cursor as ``kind``; ValueError when it is not one."""
    if kind is datetime:
        if not isinstance(value, str):
            raise ValueError("a timestamp must be a string")
        moment = datetime.fromisoformat(value)
        if moment.tzinfo is None:
            raise ValueError("a timestamp needs an offset")
        # In UTC, as the columns hold it; OverflowError when that is before year 1 or after
        # 9999 (0001-01-01T00:00+14:00), which no cursor of ours holds.
        return moment.astimezone(UTC)
    if kind is uuid.UUID:
        if not isinstance(value, str):
            raise ValueError("an id must be a string")
        return uuid.UUID(value)
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool):
            raise ValueError("a whole number is needed")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError("a string is needed")
        return value
    if kind is date:
        if not isinstance(value, str):
            raise ValueError("a date must be a string")
        return date.fromisoformat(value)
    if kind is Decimal:
        if not isinstance(value, str):
            raise ValueError("an amount must be a string")
        amount = Decimal(value)
        if not amount.is_finite():
            raise ValueError("not a finite amount")
        return amount
    if isinstance(value, (dict, list, bool)) or value is None:
        raise ValueError(f"not a {kind.__name__}")
    return kind(value)


def decode_cursor(cursor: str, types: Sequence[type]) -> list[Any]:
    """The sort key in ``cursor``, one value of each of ``types``; a malformed cursor raises
    the 422 of :func:`invalid_cursor`."""
    try:
        if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
            raise ValueError("empty or too long")
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode("ascii")))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        # Sort keys are never null: a NULL in a keyset comparison would match nothing.
        return [_value(value, kind) for value, kind in zip(values, types, strict=True)]
    except (ValueError, TypeError, ArithmeticError, RecursionError) as exc:
        # binascii.Error, UnicodeError and json.JSONDecodeError are ValueErrors.
        raise invalid_cursor("not a cursor of this list", cursor) from exc


def _after(columns: Sequence[ColumnElement[Any]], values: Sequence[Any], desc: bool) -> Any:
    """(c1, c2, ...) > (v1, v2, ...) spelled portably (no row-value comparison needed)."""
    clauses = []
    for i, column in enumerate(columns):
        equal = [columns[j] == values[j] for j in range(i)]
        beyond = column < values[i] if desc else column > values[i]
        clauses.append(and_(*equal, beyond))
    return or_(*clauses)


async def paginate(
    session: AsyncSession,
    stmt: Select[Any],
    order_by: Sequence[Any],
    *,
    limit: int,
    cursor: str | None,
    desc: bool = False,
) -> tuple[list[Any], str | None]:
    """Run an ORM ``select(Entity)`` ordered by ``order_by`` (mapped attributes; the last one
    must be unique, e.g. the id) and return one page of entities and the next cursor."""
    if cursor:
        types = [c.type.python_type for c in order_by]
        stmt = stmt.where(_after(order_by, decode_cursor(cursor, types), desc))
    ordering = [c.desc() if desc else c.asc() for c in order_by]
    items = list((await session.scalars(stmt.order_by(*ordering).limit(limit + 1))).all())
    next_cursor = None
    if len(items) > limit:
        items = items[:limit]
        next_cursor = encode_cursor([getattr(items[-1], c.key) for c in order_by])
    return items, next_cursor


# ---------------------------------------------------------------- sorting

MAX_TOTAL = 10_000
Kind = Literal["plain", "text", "money"]


class money_key(FunctionElement[Any]):
    """A money column as a number to sort by: itself on PostgreSQL (NUMERIC), ``CAST(...
    AS REAL)`` on SQLite (where it is text)."""

    name = "money_key"
    inherit_cache = True
    type = Float()


@compiles(money_key)
def _money_key(element: money_key, compiler: Any, **kw: Any) -> str:
    return str(compiler.process(element.clauses, **kw))


@compiles(money_key, "sqlite")
def _money_key_sqlite(element: money_key, compiler: Any, **kw: Any) -> str:
    return f"CAST({compiler.process(element.clauses, **kw)} AS REAL)"


@dataclass(frozen=True)
class SortKey:
    """A field a list sorts by: ``column`` (a mapped attribute), its ``kind``, and for a
    nullable column the literal SQL its NULL sorts as (``"'9999-12-31'"``, ``"''"``)."""

    column: Any
    kind: Kind = "plain"
    null: str | None = None

    def expression(self) -> Any:
        key: Any = self.column
        if self.null is not None:
            key = func.coalesce(key, literal_column(self.null))
        if self.kind == "text":
            return func.lower(key)
        if self.kind == "money":
            return money_key(key)
        return key

    def python_type(self) -> type:
        if self.kind == "money":
            return Decimal
        kind = self.column.type.python_type
        return date if kind is date else kind


@dataclass(frozen=True)
class Sort:
    """A sort asked for: its field's name, key, and direction."""

    name: str
    key: SortKey
    desc: bool


class Sorts:
    """The fields a list sorts by (``?sort=``) and its default sort (e.g. ``"created_at"``);
    ``id`` is the tie-breaker of every sort (the last column of the keyset)."""

    def __init__(
        self,
        id_column: Any,
        default: str,
        *,
        indexed: tuple[str, ...] = (),
        manager: Any = None,
        manager_include: tuple[str, ...] = (),
        **fields: SortKey,
    ) -> None:
        assert default.lstrip("-") in fields
        self.id_column, self.default, self.fields = id_column, default, fields
        # the fields whose (key, id) index the table had before (not ``ix_<table>_sort_...``)
        self.indexed = frozenset(indexed)
        # the table's copy of its client's account manager (``shared.replica_store``'s
        # manager copies), if it keeps one: a manager's list is then read in order from an
        # index on (manager, key, id) per field, ``ix_<table>_manager_<field>``; the default
        # sort's carries ``manager_include`` on PostgreSQL (what the reports over a scope
        # count, read from that index alone)
        self.manager, self.manager_include = manager, list(manager_include)
        self._orders: dict[tuple[str, bool], _Order] = {}

    @property
    def pattern(self) -> str:
        return "^-?(" + "|".join(re.escape(name) for name in self.fields) + ")$"

    def param(self) -> Any:
        """The ``Query`` of a list's ``?sort=`` (``sort: Annotated[str | None,
        SORTS.param()] = None``): the fields as its pattern and description."""
        names = ", ".join(self.fields)
        return Query(
            pattern=self.pattern,
            max_length=50,
            description=f"sort by one of: {names} (ascending; -field: descending; "
            f"default {self.default}); text case-insensitively",
        )

    def parse(self, sort: str | None) -> Sort:
        wanted = sort or self.default
        name = wanted.lstrip("-")
        if name not in self.fields or wanted.count("-") > 1:
            raise RequestValidationError(
                [
                    {
                        "type": "value_error",
                        "loc": ("query", "sort"),
                        "msg": f"sort by one of {', '.join(self.fields)} (-field: descending)",
                        "input": sort,
                    }
                ]
            )
        return Sort(name, self.fields[name], wanted.startswith("-"))

    def order(self, chosen: Sort) -> _Order:
        """The SQL of a sort, built once per field and direction (statements are immutable)."""
        found = self._orders.get((chosen.name, chosen.desc))
        if found is None:
            columns = (chosen.key.expression(), self.id_column)
            found = self._orders[(chosen.name, chosen.desc)] = _Order(
                key=chosen.key.expression().label("sort_key"),
                columns=columns,
                ordering=tuple(c.desc() if chosen.desc else c.asc() for c in columns),
            )
        return found


@dataclass(frozen=True)
class _Order:
    key: Any  # the sort key, labelled, added to the page's columns (its cursor's value)
    columns: tuple[Any, ...]  # the keyset: the key and the id
    ordering: tuple[Any, ...]


def sort_indexes(*lists: Sorts) -> list[Index]:
    """An index on (key, id) for each field of each of ``lists``, named
    ``ix_<table>_sort_<field>``, on the key's own expression (declared beside the tables; the
    service's migration creates the same ones). A field whose (key, id) index the table had
    already (``Sorts(..., indexed=...)``, e.g. ``ix_requests_opened``) is left to it. A table
    keeping its client's manager (``Sorts(..., manager=...)``) has one on (manager, key, id)
    per field too, ``ix_<table>_manager_<field>``: a manager's page is its first rows."""
    made = []
    for sorts in lists:
        table = sorts.id_column.class_.__tablename__
        for name, key in sorts.fields.items():
            if name not in sorts.indexed:
                made.append(Index(f"ix_{table}_sort_{name}", key.expression(), sorts.id_column))
            if sorts.manager is not None:
                default = name == sorts.default.lstrip("-")
                made.append(
                    Index(
                        f"ix_{table}_manager_{name}",
                        sorts.manager,
                        key.expression(),
                        sorts.id_column,
                        postgresql_include=sorts.manager_include if default else [],
                    )
                )
    return made


async def paginate_sorted(
    session: AsyncSession,
    stmt: Select[Any],
    sorts: Sorts,
    sort: str | None,
    *,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    """One page of an ORM ``select(Entity)`` in the order ``sort`` asks (:meth:`Sorts.parse`),
    keyset-paged on (the sort key, the id); the cursor names the sort it was made for.

    The items are the entity's rows read as plain named tuples (its mapped columns by
    attribute name, then ``sort_key``), not ORM instances: a page is presented, never changed,
    and building 50 instances (their state, the identity map, the load events) was ~40 % of
    reading and presenting a page. A presenter reads their attributes as it would an
    instance's (not its relationships or methods)."""
    chosen = sorts.parse(sort)
    order = sorts.order(chosen)
    if cursor:
        name, value, last_id = decode_cursor(cursor, [str, chosen.key.python_type(), uuid.UUID])
        if name != ("-" if chosen.desc else "") + chosen.name:
            raise invalid_cursor("a cursor of another sort", cursor)
        stmt = stmt.where(_after(order.columns, [value, last_id], chosen.desc))
    columns = _columns_of(stmt.column_descriptions[0]["entity"])
    page = stmt.with_only_columns(*columns, order.key).order_by(*order.ordering).limit(limit + 1)
    result = await session.execute(page)
    record = _record_of(tuple(result.keys()))
    rows = [record._make(row) for row in result]
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        value = last[-1]
        name = ("-" if chosen.desc else "") + chosen.name
        if isinstance(value, float):  # SQLite's REAL of a money key: back to its decimal
            value = Decimal(repr(value))
        next_cursor = encode_cursor([name, value, getattr(last, sorts.id_column.key)])
    return rows, next_cursor


@functools.cache
def _record_of(keys: tuple[str, ...]) -> Any:
    """A named tuple of a page's columns: a presenter reads its fields faster than an
    SQLAlchemy ``Row``'s (looked up by name on each read); presenting 50 contracts took
    0.31 ms from rows, 0.10 ms from these (and 0.015 ms to make them)."""
    return collections.namedtuple("Record", keys)


@functools.cache
def _columns_of(entity: type) -> tuple[Any, ...]:
    """An entity's mapped columns as attributes (a row of them has the entity's names); not
    the deferred ones, which a query of the entity does not read either."""
    mapper: Mapper[Any] = sa_inspect(entity)
    return tuple(getattr(entity, a.key) for a in mapper.column_attrs if not a.deferred)


async def count_total(session: AsyncSession, stmt: Select[Any]) -> tuple[int, bool]:
    """How many rows ``stmt`` (a list's filtered select) has, counting at most
    :data:`MAX_TOTAL` + 1 (the cost is bounded); and whether there are more than
    :data:`MAX_TOTAL` (then the count is :data:`MAX_TOTAL`)."""
    bounded = stmt.order_by(None).limit(MAX_TOTAL + 1).subquery()
    found = int(await session.scalar(select(func.count()).select_from(bounded)) or 0)
    return min(found, MAX_TOTAL), found > MAX_TOTAL


Total = Annotated[
    bool,
    Query(
        description=f"add the count of the whole list (total; at most {MAX_TOTAL}: "
        "total_capped says when there are more)"
    ),
]


E = TypeVar("E")


def page_of(items: Sequence[E], next_cursor: str | None, present: Callable[[E], T]) -> Page[T]:
    """The response page of ``items`` (entities, as a repository's ``..._page`` returns them),
    each presented by ``present``.

    The one paging convention: a repository's ``<things>_page(session, ..., limit=, cursor=)``
    owns the sort key (the index it pages through) and returns ``(items, next_cursor)`` from
    :func:`paginate`; the route presents them with :func:`page_of`."""
    return Page(items=[present(item) for item in items], next_cursor=next_cursor)
