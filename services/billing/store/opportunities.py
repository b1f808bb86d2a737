"""Queries of opportunities, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import OPPORTUNITY_SORTS, Opportunity
from shared.auth import Caller
from shared.store import one_or_404

# The fields the list sorts by (``?sort=``), each backed by an index.
SORTS = OPPORTUNITY_SORTS


def opportunities(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    stage: str | None = None,
    owner_id: uuid.UUID | None = None,
    close_from: date | None = None,
    close_to: date | None = None,
) -> Select[Any]:
    """The opportunities of the clients the caller may see, narrowed by the list's filters
    (the expected close within ``close_from``..``close_to``, both included)."""
    stmt = select(Opportunity).where(scope(caller, Opportunity.client_id))
    if close_from is not None:
        stmt = stmt.where(Opportunity.expected_close >= close_from)
    if close_to is not None:
        stmt = stmt.where(Opportunity.expected_close <= close_to)
    if client_id is not None:
        stmt = stmt.where(Opportunity.client_id == client_id)
    if stage is not None:
        stmt = stmt.where(Opportunity.stage == stage)
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    return stmt


async def get_opportunity(
    session: AsyncSession, caller: Caller, opportunity_id: uuid.UUID, *, for_update: bool = False
) -> Opportunity:
    stmt = opportunities(caller).where(Opportunity.id == opportunity_id)
    return await one_or_404(
        session, stmt, Opportunity, "opportunity", opportunity_id, for_update=for_update
    )
