"""The imports table: one import read in the caller's scope, the next one to run claimed."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.domain.imports import STALE_AFTER_SECONDS
from services.clients.store.models import Import
from shared.auth import Caller, Role
from shared.errors import NotFound


async def get_import(session: AsyncSession, caller: Caller, import_id: uuid.UUID) -> Import:
    """An admin reads any import, anyone else their own; else 404."""
    stmt = select(Import).where(Import.id == import_id)
    if caller.role != Role.ADMIN:
        stmt = stmt.where(Import.caller_id == caller.id)
    found = await session.scalar(stmt)
    if found is None:
        raise NotFound(f"import {import_id} not found")
    return found


async def claim_next(session: AsyncSession, now: datetime) -> Import | None:
    """The oldest queued import (or one left running by a process that died), marked
    running. Replicas skip each other's claims (SKIP LOCKED on PostgreSQL; SQLite has one
    writer)."""
    stale = now - timedelta(seconds=STALE_AFTER_SECONDS)
    stmt = (
        select(Import)
        .where(
            or_(
                Import.status == "queued",
                (Import.status == "running") & (Import.started_at < stale),
            )
        )
        .order_by(Import.created_at, Import.id)
        .limit(1)
        .with_for_update(skip_locked=True)
    )
    found = await session.scalar(stmt)
    if found is not None:
        found.status = "running"
        found.started_at = now
        found.processed = 0
        await session.flush()
    return found


async def set_processed(session: AsyncSession, import_id: uuid.UUID, processed: int) -> None:
    await session.execute(update(Import).where(Import.id == import_id).values(processed=processed))
