"""Queries of estimates, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import Estimate
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import one_or_404


def estimates(
    caller: Caller, *, client_id: uuid.UUID | None = None, status: str | None = None
) -> Select[Any]:
    """The estimates of the clients the caller may see, narrowed by the list's filters."""
    stmt = select(Estimate).where(scope(caller, Estimate.client_id))
    if client_id is not None:
        stmt = stmt.where(Estimate.client_id == client_id)
    if status is not None:
        stmt = stmt.where(Estimate.status == status)
    return stmt


async def estimates_page(
    session: AsyncSession,
    caller: Caller,
    *,
    client_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Estimate], str | None]:
    """One page of the caller's estimates, oldest first: created_at, id."""
    stmt = estimates(caller, client_id=client_id, status=status)
    return await paginate(
        session, stmt, [Estimate.created_at, Estimate.id], limit=limit, cursor=cursor
    )


async def get_estimate(
    session: AsyncSession, caller: Caller, estimate_id: uuid.UUID, *, for_update: bool = False
) -> Estimate:
    stmt = estimates(caller).where(Estimate.id == estimate_id)
    return await one_or_404(session, stmt, Estimate, "estimate", estimate_id, for_update=for_update)
