"""The account manager a client-facing email comes from, from the staff replica."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.senders import Sender
from shared.replicas import staff_replica


async def manager_of(session: AsyncSession, manager_id: Any) -> Sender | None:
    """The active member of staff ``manager_id`` (an id, or its text) as a sender, else None."""
    try:
        staff_id = uuid.UUID(str(manager_id)) if manager_id else None
    except ValueError:
        return None
    if staff_id is None:
        return None
    row = (
        await session.execute(
            select(staff_replica.c.name, staff_replica.c.title, staff_replica.c.email).where(
                staff_replica.c.id == staff_id, staff_replica.c.active.is_(True)
            )
        )
    ).first()
    return None if row is None else Sender(row.name, row.title or None, row.email)
