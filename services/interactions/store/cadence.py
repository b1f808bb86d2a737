"""The contact cadence of a client (one row per client, ``handlers/cadence.py``)."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import cast

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.interactions.domain.cadence import CONTACT_TYPES
from services.interactions.store.models import ContactCadence, Interaction
from shared.store import locked


async def cadence_row(session: AsyncSession, client_id: uuid.UUID) -> ContactCadence | None:
    """The client's cadence row, locked (``shared.store.locked``) until the transaction ends."""
    stmt = select(ContactCadence).where(ContactCadence.client_id == client_id)
    return await session.scalar(locked(stmt, ContactCadence))


async def last_contact_at(session: AsyncSession, client_id: uuid.UUID) -> datetime | None:
    """The last contact with the client that counts (``cadence.is_contact``, in SQL): an
    outbound call, email, message or meeting, or any meeting; not missed, not retracted."""
    found = await session.scalar(
        select(func.max(Interaction.occurred_at)).where(
            Interaction.client_id == client_id,
            Interaction.type.in_(sorted(CONTACT_TYPES)),
            ~Interaction.missed,
            or_(Interaction.direction == "outbound", Interaction.type == "meeting"),
            Interaction.retracted_at.is_(None),
        )
    )
    return cast(datetime | None, found)
