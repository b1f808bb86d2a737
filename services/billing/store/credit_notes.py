"""Queries of credit notes, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import CreditNote
from shared.auth import Caller
from shared.pagination import paginate


async def credit_notes_page(
    session: AsyncSession, caller: Caller, invoice_id: uuid.UUID, *, limit: int, cursor: str | None
) -> tuple[list[CreditNote], str | None]:
    """One page of the invoice's credit notes in their series' order: number (unique)."""
    stmt = select(CreditNote).where(
        scope(caller, CreditNote.client_id), CreditNote.invoice_id == invoice_id
    )
    return await paginate(session, stmt, [CreditNote.number], limit=limit, cursor=cursor)
