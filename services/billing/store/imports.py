"""The imported contracts and invoices by their ``external_id`` (``handlers/imports.py``)."""

from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.models import Contract, Invoice

Imported = TypeVar("Imported", Contract, Invoice)


async def by_external_id(
    session: AsyncSession, entity: type[Imported], external_id: str
) -> Imported | None:
    """The contract or invoice imported with ``external_id`` (any client: the caller's scope
    is checked on the row's client first)."""
    found: Imported | None = await session.scalar(
        select(entity).where(entity.external_id == external_id)
    )
    return found
