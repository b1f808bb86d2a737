"""Cursor (keyset) pagination: ``?limit=&cursor=`` -> ``{"items": [...], "next_cursor": ...}``.

The cursor is an opaque, URL-safe token holding the sort key of the last item returned; the
next page starts strictly after it, so pages stay stable while rows are inserted.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

from shared.errors import BadRequest

T = TypeVar("T")
DEFAULT_LIMIT = 50
MAX_LIMIT = 500

Limit = Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size (max 500)")]
Cursor = Annotated[str | None, Query(description="next_cursor of the previous page")]


class Page(BaseModel, Generic[T]):
    items: list[T]
    next_cursor: str | None = None


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    raw = json.dumps([_plain(v) for v in values], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str, types: Sequence[type]) -> list[Any]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list) or len(values) != len(types):
            raise ValueError("wrong shape")
        out: list[Any] = []
        for value, kind in zip(values, types, strict=True):
            if value is None:
                out.append(None)
            elif kind is datetime:
                out.append(datetime.fromisoformat(value))
            elif kind is uuid.UUID:
                out.append(uuid.UUID(value))
            else:
                out.append(kind(value))
        return out
    except (ValueError, TypeError, binascii.Error, json.JSONDecodeError) as exc:
        raise BadRequest("invalid cursor") from exc


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
