"""The lists as a UI uses them (CONTRACT.md "Lists"), in every service: ``?sort=`` on the
fields each list declares (``shared.pagination.Sorts``, in its service's store), cursors
stable under the sort, ``?total=true`` (a bounded count), and ``?format=csv|xlsx``: the whole
filtered list in the sort asked for, streamed (``shared.exports.list_export``), one row per
item with its scalar fields (a money field as an exact amount in its currency; a list of
plain values as one text, ``"a, b"``; other nested lists and mappings left out,
``{amount, currency}`` fields as two columns).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Annotated, Any, Literal, TypeVar
from uuid import UUID

from fastapi import Depends, Query, Response
from pydantic import BaseModel
from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from shared.deps import query_params
from shared.exports import Amount, list_export
from shared.money import minor_unit
from shared.pagination import (
    DEFAULT_LIMIT,
    Cursor,
    Limit,
    Page,
    Sorts,
    Total,
    count_total,
    paginate_sorted,
)
from shared.runtime import ServiceRuntime

E = TypeVar("E")
T = TypeVar("T", bound=BaseModel)
ExportFormat = Literal["csv", "xlsx"]
# Present a page's entities (with what they need read in the same session).
Present = Callable[[AsyncSession, list[E]], Awaitable[list[T]]]


def each(present: Callable[[E], T]) -> Present[E, T]:
    """A :data:`Present` of a presenter of one entity that needs nothing more."""

    async def page(_session: AsyncSession, items: list[E]) -> list[T]:
        return [present(item) for item in items]

    return page


FORMAT = Query(description="csv or xlsx: the whole list (sorted, filtered) as a file")


@dataclass
class ListQuery:
    """The query parameters every list takes besides its filters and ``sort``."""

    limit: Limit = DEFAULT_LIMIT
    cursor: Cursor = None
    total: Total = False
    format: Annotated[ExportFormat | None, FORMAT] = None


ListDep = Annotated[ListQuery, Depends(query_params(ListQuery))]
EXPORT_PAGE = 500


def _flat(model: BaseModel, money: frozenset[str]) -> dict[str, Any]:
    """The model's scalar fields (a nested ``{amount, currency}`` as two, a list of plain
    values as one text), money as exact amounts in the row's currency."""
    row: dict[str, Any] = {}
    currency = getattr(model, "currency", None)
    for name, value in model:
        if isinstance(value, BaseModel):
            for inner, inner_value in value:
                row[f"{name}_{inner}"] = inner_value
            amount, of = getattr(value, "amount", None), getattr(value, "currency", None)
            if isinstance(amount, str) and of:
                row[f"{name}_amount"] = Amount(Decimal(amount), minor_unit(of))
        elif isinstance(value, list) and all(isinstance(v, str | int | UUID) for v in value):
            row[name] = ", ".join(str(v) for v in value)
        elif isinstance(value, list | dict):
            continue
        elif name in money and isinstance(value, str) and currency:
            row[name] = Amount(Decimal(value), minor_unit(currency))
        else:
            row[name] = value
    return row


async def sorted_list(
    runtime: ServiceRuntime,
    stmt: Select[Any],
    sorts: Sorts,
    sort: str | None,
    present: Present[E, T],
    query: ListQuery,
    *,
    filename: str,
    header: Sequence[str],
    money: Sequence[str] = (),
) -> Page[T] | Response:
    """One page of ``stmt`` in the ``sort`` asked for (with its total when asked), or with
    ``format`` the whole list as ``<filename>.csv|xlsx`` with the columns ``header``."""
    sorts.parse(sort)  # an unknown field is a 422 before anything is read
    limit, cursor, total, format = query.limit, query.cursor, query.total, query.format
    if format is not None:
        rows = _rows(runtime, stmt, sorts, sort, present, header, frozenset(money))
        return await list_export(format, filename, header, rows)
    async with runtime.reads() as session:
        items, next_cursor = await paginate_sorted(
            session, stmt, sorts, sort, limit=limit, cursor=cursor
        )
        counted = await count_total(session, stmt) if total else None
        page: Page[T] = Page(items=await present(session, items), next_cursor=next_cursor)
    if counted is not None:
        page.total, page.total_capped = counted
    return page


async def _rows(
    runtime: ServiceRuntime,
    stmt: Select[Any],
    sorts: Sorts,
    sort: str | None,
    present: Present[E, T],
    header: Sequence[str],
    money: frozenset[str],
) -> AsyncIterator[list[Any]]:
    """The list's rows, read a page at a time (a short read transaction each)."""
    cursor: str | None = None
    while True:
        async with runtime.reads() as session:
            items, cursor = await paginate_sorted(
                session, stmt, sorts, sort, limit=EXPORT_PAGE, cursor=cursor
            )
            presented = await present(session, items)
        for model in presented:
            row = _flat(model, money)
            yield [row.get(name) for name in header]
        if cursor is None:
            return
