"""Reading the lists as a UI does (``shared.lists``): every item page by page through the
cursors, a list exported as CSV or Excel, and the proof that each sort reads its index."""

from __future__ import annotations

import csv
import io
import uuid
from typing import Any

import httpx
import openpyxl
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.pagination import Sorts
from tests.support.apps import ADMIN


async def all_items(
    http: httpx.AsyncClient, path: str, headers: dict[str, str] = ADMIN, **params: Any
) -> list[dict[str, Any]]:
    """Every item of a list, two at a time (so the cursors are used)."""
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        response = await http.get(path, params=query, headers=headers)
        assert response.status_code == 200, response.text
        page = response.json()
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


async def exported(
    http: httpx.AsyncClient, path: str, format: str, headers: dict[str, str] = ADMIN, **params: Any
) -> list[dict[str, Any]]:
    """The rows of a list exported as ``format`` (csv or xlsx), each as a mapping of its
    header's names (a CSV field as its text, an Excel cell as its value)."""
    response = await http.get(path, params={**params, "format": format}, headers=headers)
    assert response.status_code == 200, response.text
    if format == "csv":
        assert response.headers["content-type"].startswith("text/csv")
        return list(csv.DictReader(io.StringIO(response.text)))
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    assert sheet is not None
    rows = list(sheet.iter_rows(values_only=True))
    return [dict(zip(rows[0], row, strict=True)) for row in rows[1:]]


async def sorts_read_their_indexes(session: AsyncSession, sorts: Sorts) -> None:
    """PostgreSQL orders each sort of ``sorts`` (both ways) by an index of (key, id): with
    sorting and sequential scans priced out, the plan reads an index and sorts nothing (a
    key that did not match its index's expression would need a Sort). A table keeping its
    client's manager (``Sorts(..., manager=...)``): a manager's page of each sort too, from
    its (manager, key, id) index."""
    table = sorts.id_column.class_
    await session.execute(text("SET LOCAL enable_seqscan = off"))
    await session.execute(text("SET LOCAL enable_sort = off"))
    for name, key in sorts.fields.items():
        for desc in (False, True):
            columns = [key.expression(), sorts.id_column]
            ordering = [c.desc() if desc else c.asc() for c in columns]
            query = select(table).order_by(*ordering).limit(50)
            expected = (
                f"ix_{table.__tablename__}_sort_{name}" if name not in sorts.indexed else "Index"
            )
            await _reads_index(session, query, expected, name, desc)
            if sorts.manager is not None:
                mine = query.where(sorts.manager == uuid.uuid4())
                expected = f"ix_{table.__tablename__}_manager_{name}"
                await _reads_index(session, mine, expected, name, desc)


async def _reads_index(
    session: AsyncSession, query: Any, index: str, name: str, desc: bool
) -> None:
    """``query`` (the sort ``name``) reads ``index`` (a name, or "Index": any) and sorts
    nothing."""
    compiled = query.compile(session.get_bind(), compile_kwargs={"literal_binds": True})
    plan = "\n".join((await session.execute(text(f"EXPLAIN {compiled}"))).scalars())
    assert index in plan and "Sort" not in plan, (name, desc, plan)
