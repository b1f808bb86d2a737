"""Cursor (keyset) pagination: ``?limit=&cursor=`` -> ``{"items": [...], "next_cursor": ...}``.

The cursor is an opaque, URL-safe token holding the sort key of the last item returned; the
next page starts strictly after it, so pages stay stable while rows are inserted. A cursor
that is not one this module made (truncated, tampered with, from another list) is a 422 naming
``["query", "cursor"]``, the same problem FastAPI's own validation gives for a bad ``limit``.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Generic, TypeVar

from fastapi import Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Select, and_, or_
from sqlalchemy.ext.asyncio import AsyncSession

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


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
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


E = TypeVar("E")


def page_of(items: Sequence[E], next_cursor: str | None, present: Callable[[E], T]) -> Page[T]:
    """The response page of ``items`` (entities, as a repository's ``..._page`` returns them),
    each presented by ``present``.

    The one paging convention: a repository's ``<things>_page(session, ..., limit=, cursor=)``
    owns the sort key (the index it pages through) and returns ``(items, next_cursor)`` from
    :func:`paginate`; the route presents them with :func:`page_of`."""
    return Page(items=[present(item) for item in items], next_cursor=next_cursor)
