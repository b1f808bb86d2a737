"""The audit trail: an append-only row per changed field — who (``actor_id``), what
(``entity``, ``entity_id``, ``field``), ``old`` -> ``new``, the request id and the time —
written in the same unit of work as the change, so a change and its audit rows commit or roll
back together.

A service with an audit trail creates the table in a migration
(``shared.migration_ops.create_audit_log_v1``), calls :func:`record` from its use cases, keeps
the rows ``ORBIT_RETENTION_AUDIT_DAYS`` (:func:`retention_rule`, years by default, where the
outbox keeps its rows days) and answers ``GET /api/v1/audit`` for the entities it owns
(:func:`trail_page`; the service checks the caller's scope on the entity first).
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from pydantic import BaseModel
from pydantic_core import to_jsonable_python
from sqlalchemy import Index, MetaData, String, Table, insert, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import Uuid

from shared.auth import Caller
from shared.db import BigIntPK, JSONType, UTCDateTime
from shared.logging import request_id_var
from shared.pagination import Page, page_of, paginate
from shared.retention import RetentionRule
from shared.settings import OrbitSettings
from shared.uow import UnitOfWork


class AuditBase(DeclarativeBase):
    metadata = MetaData()


class AuditRow(AuditBase):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_entity", "entity", "entity_id", "id"),
        Index("ix_audit_log_at", "at"),
    )

    id: Mapped[int] = mapped_column(BigIntPK, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    entity: Mapped[str] = mapped_column(String(50))
    entity_id: Mapped[str] = mapped_column(String(200))
    field: Mapped[str] = mapped_column(String(100))
    old: Mapped[Any] = mapped_column(JSONType, nullable=True)
    new: Mapped[Any] = mapped_column(JSONType, nullable=True)
    request_id: Mapped[str | None] = mapped_column(String(100))


audit_log = cast(Table, AuditRow.__table__)
# Of the table, not the ORM class: an ORM-enabled insert goes through the bulk-persistence
# machinery, several times the cost of the statement (a third of an imported client's time).
_INSERT = insert(audit_log)

Change = tuple[Any, Any]  # (old, new)


def diff(
    before: Mapping[str, Any], after: Mapping[str, Any], fields: Iterable[str] | None = None
) -> dict[str, Change]:
    """The fields whose value differs between two states, ``{field: (old, new)}``."""
    names = fields if fields is not None else sorted(set(before) | set(after))
    return {n: (before.get(n), after.get(n)) for n in names if before.get(n) != after.get(n)}


# One entity's changes: (entity, its id, {field: (old, new)}).
EntityChanges = tuple[str, object, Mapping[str, Change]]


async def record(
    uow: UnitOfWork,
    actor_id: uuid.UUID | None,
    entity: str,
    entity_id: object,
    changes: Mapping[str, Change],
) -> None:
    """Append one row per changed field to ``audit_log`` in ``uow``'s transaction (values
    stored as JSON: ids and times as strings)."""
    await record_many(uow, actor_id, [(entity, entity_id, changes)])


async def record_many(
    uow: UnitOfWork, actor_id: uuid.UUID | None, changes: Iterable[EntityChanges]
) -> None:
    """:func:`record` for many entities in one INSERT (its rows as one executemany): what a
    scheduled scan changed in a batch, ``actor_id`` None (the system)."""
    at = uow.clock.now()
    request_id = request_id_var.get()
    rows = [
        {
            "at": at,
            "actor_id": actor_id,
            "entity": entity,
            "entity_id": str(entity_id),
            "field": field,
            "old": to_jsonable_python(old),
            "new": to_jsonable_python(new),
            "request_id": request_id,
        }
        for entity, entity_id, fields in changes
        for field, (old, new) in fields.items()
    ]
    if rows:
        await uow.session.execute(_INSERT, rows)


def _plain(value: Any) -> Any:
    """A decimal as stored (``240.00`` and the ``240`` read back are one value: ``240``)."""
    if isinstance(value, Decimal):
        return Decimal(format(value.normalize(), "f"))
    return copy.deepcopy(value)


def state(entity: Any, fields: Sequence[str]) -> dict[str, Any]:
    """The audited fields' values now (copies: a later change does not alter them)."""
    return {name: _plain(getattr(entity, name)) for name in fields}


async def changed(
    uow: UnitOfWork,
    caller: Caller,
    kind: str,
    entity: Any,
    before: Mapping[str, Any],
    fields: Sequence[str],
) -> None:
    """One audit row per field of ``entity`` that differs from ``before`` (taken by
    :func:`state` before the change)."""
    await record(uow, caller.id, kind, entity.id, diff(before, state(entity, fields), fields))


async def created(
    uow: UnitOfWork, caller: Caller, kind: str, entity: Any, fields: Sequence[str]
) -> None:
    """A new entity: a row per field it was created with (old: null)."""
    await changed(uow, caller, kind, entity, dict.fromkeys(fields), fields)


async def deleted(
    uow: UnitOfWork, caller: Caller, kind: str, entity: Any, fields: Sequence[str]
) -> None:
    """A deleted entity: a row per field it had (new: null)."""
    before = state(entity, fields)
    await record(uow, caller.id, kind, entity.id, diff(before, dict.fromkeys(fields), fields))


async def trail_page(
    session: Any, entity: str, entity_id: object, *, limit: int, cursor: str | None
) -> tuple[list[AuditRow], str | None]:
    """One page of an entity's audit rows, oldest first (the ``ix_audit_log_entity`` index)."""
    stmt = select(AuditRow).where(AuditRow.entity == entity, AuditRow.entity_id == str(entity_id))
    return await paginate(session, stmt, [AuditRow.id], limit=limit, cursor=cursor)


class AuditOut(BaseModel):
    """One changed field: who changed it (``actor_id``), when, from what to what, in which
    request."""

    id: int
    at: datetime
    actor_id: uuid.UUID | None
    entity: str
    entity_id: str
    field: str
    old: Any
    new: Any
    request_id: str | None


def audit_out(row: AuditRow) -> AuditOut:
    return AuditOut.model_validate(row, from_attributes=True)


async def trail(
    session: Any, entity: str, entity_id: object, *, limit: int, cursor: str | None
) -> Page[AuditOut]:
    """One page of an entity's trail as served (the caller's scope on it checked before)."""
    items, next_cursor = await trail_page(session, entity, entity_id, limit=limit, cursor=cursor)
    return page_of(items, next_cursor, audit_out)


def retention_rule(settings: OrbitSettings) -> RetentionRule:
    """Audit rows are deleted after ``ORBIT_RETENTION_AUDIT_DAYS`` (default ten years)."""
    return RetentionRule(audit_log, audit_log.c.at, timedelta(days=settings.retention_audit_days))
