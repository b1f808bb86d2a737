"""The contact cadence of a client (one row per client, ``handlers/cadence.py``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.store.models import ContactCadence
from shared.store import locked


async def cadence_row(session: AsyncSession, client_id: uuid.UUID) -> ContactCadence | None:
    """The client's cadence row, locked (``shared.store.locked``) until the transaction ends."""
    stmt = select(ContactCadence).where(ContactCadence.client_id == client_id)
    return await session.scalar(locked(stmt, ContactCadence))
