"""Queries of opportunities, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import Opportunity
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import one_or_404


def opportunities(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    stage: str | None = None,
    owner_id: uuid.UUID | None = None,
) -> Select[Any]:
    """The opportunities of the clients the caller may see, narrowed by the list's filters."""
    stmt = select(Opportunity).where(scope(caller, Opportunity.client_id))
    if client_id is not None:
        stmt = stmt.where(Opportunity.client_id == client_id)
    if stage is not None:
        stmt = stmt.where(Opportunity.stage == stage)
    if owner_id is not None:
        stmt = stmt.where(Opportunity.owner_id == owner_id)
    return stmt


async def opportunities_page(
    session: AsyncSession,
    caller: Caller,
    *,
    client_id: uuid.UUID | None,
    stage: str | None,
    owner_id: uuid.UUID | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Opportunity], str | None]:
    """One page of the caller's opportunities, oldest first: created_at, id."""
    stmt = opportunities(caller, client_id=client_id, stage=stage, owner_id=owner_id)
    return await paginate(
        session, stmt, [Opportunity.created_at, Opportunity.id], limit=limit, cursor=cursor
    )


async def get_opportunity(
    session: AsyncSession, caller: Caller, opportunity_id: uuid.UUID, *, for_update: bool = False
) -> Opportunity:
    stmt = opportunities(caller).where(Opportunity.id == opportunity_id)
    return await one_or_404(
        session, stmt, Opportunity, "opportunity", opportunity_id, for_update=for_update
    )
