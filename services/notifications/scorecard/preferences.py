"""A staff member's scheduled reports: each of the daily, weekly and monthly report can be
turned off (``PUT /api/v1/reports/scorecard/subscriptions``); all are on by default.

Kept beside the scorecard until the notifications preferences take the report kinds over."""

from __future__ import annotations

import uuid
from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.scorecard.store.models import sc_report_preferences
from shared.auth import Caller
from shared.errors import Forbidden
from shared.uow import UnitOfWork

REPORTS = ("day", "week", "month")


async def subscriptions(session: AsyncSession, staff_id: uuid.UUID) -> dict[str, bool]:
    """Which scheduled reports ``staff_id`` gets (True unless turned off)."""
    rows = await session.execute(
        select(sc_report_preferences.c.period, sc_report_preferences.c.enabled).where(
            sc_report_preferences.c.staff_id == staff_id
        )
    )
    chosen = {period: enabled for period, enabled in rows}
    return {period: bool(chosen.get(period, True)) for period in REPORTS}


async def subscriptions_of(
    session: AsyncSession, caller: Caller, staff_id: uuid.UUID
) -> dict[str, bool]:
    """:func:`subscriptions` of the caller, or of anyone for an admin (else 403)."""
    if staff_id != caller.id and caller.role != "admin":
        raise Forbidden("only an admin sees another person's scheduled reports")
    return await subscriptions(session, staff_id)


async def set_subscriptions(
    uow: UnitOfWork, caller: Caller, changes: Mapping[str, bool | None]
) -> dict[str, bool]:
    """Turn the caller's reports on or off (a report not named keeps its choice)."""
    if caller.role not in ("head", "admin"):
        raise Forbidden("scheduled reports go to heads and admins")
    for period, enabled in changes.items():
        if enabled is None:
            continue
        dialect = uow.session.get_bind().dialect.name
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        stmt = insert(sc_report_preferences).values(
            staff_id=caller.id, period=period, enabled=enabled, updated_at=uow.clock.now()
        )
        await uow.session.execute(
            stmt.on_conflict_do_update(
                index_elements=["staff_id", "period"],
                set_={"enabled": stmt.excluded.enabled, "updated_at": stmt.excluded.updated_at},
            )
        )
    return await subscriptions(uow.session, caller.id)
