"""Queries of the settings documents (``/api/v1/settings``): the versions in force, a scope's
history, and the lock that serialises the changes of one scope."""

from __future__ import annotations

import functools
import zlib
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.clients.store.models import SettingsVersion, Staff
from shared.db import advisory_xact_lock
from shared.pagination import paginate


@functools.cache
def _current_versions() -> Select[SettingsVersion]:
    """Built once (a statement is immutable): every request presenting a client reads it."""
    latest = (
        select(SettingsVersion.department, func.max(SettingsVersion.version).label("version"))
        .group_by(SettingsVersion.department)
        .subquery()
    )
    return select(SettingsVersion).join(
        latest,
        (SettingsVersion.department == latest.c.department)
        & (SettingsVersion.version == latest.c.version),
    )


async def current_versions(session: AsyncSession) -> list[SettingsVersion]:
    """The version in force of every scope (the global one: department ``""``)."""
    return list((await session.scalars(_current_versions())).all())


async def lock_scope(session: AsyncSession, department: str) -> None:
    """Serialise the changes of one scope's settings until the transaction ends."""
    await advisory_xact_lock(session, zlib.crc32(f"orbit.clients.settings:{department}".encode()))


async def history_page(
    session: AsyncSession, department: str, *, limit: int, cursor: str | None
) -> tuple[list[SettingsVersion], str | None]:
    """A scope's versions, newest first."""
    stmt = select(SettingsVersion).where(SettingsVersion.department == department)
    return await paginate(
        session, stmt, [SettingsVersion.version], limit=limit, cursor=cursor, desc=True
    )


async def departments_of(session: AsyncSession, manager_ids: set[Any]) -> dict[Any, str | None]:
    """The department of each of these members of staff."""
    if not manager_ids:
        return {}
    rows = await session.execute(
        select(Staff.id, Staff.department).where(Staff.id.in_(manager_ids))
    )
    return {staff_id: department for staff_id, department in rows}
