"""Queries of contracts, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import Contract
from shared.auth import Caller
from shared.pagination import paginate
from shared.store import one_or_404


def contracts(
    caller: Caller, *, client_id: uuid.UUID | None = None, status: str | None = None
) -> Select[Any]:
    """The contracts of the clients the caller may see, narrowed by the list's filters."""
    stmt = select(Contract).where(scope(caller, Contract.client_id))
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    if status is not None:
        stmt = stmt.where(Contract.status == status)
    return stmt


async def contracts_page(
    session: AsyncSession,
    caller: Caller,
    *,
    client_id: uuid.UUID | None,
    status: str | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Contract], str | None]:
    """One page of the caller's contracts, oldest first: created_at, id."""
    stmt = contracts(caller, client_id=client_id, status=status)
    return await paginate(
        session, stmt, [Contract.created_at, Contract.id], limit=limit, cursor=cursor
    )


async def get_contract(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID, *, for_update: bool = False
) -> Contract:
    stmt = contracts(caller).where(Contract.id == contract_id)
    return await one_or_404(session, stmt, Contract, "contract", contract_id, for_update=for_update)


async def contract_by_number(
    session: AsyncSession, client_id: uuid.UUID, number: str
) -> Contract | None:
    return await session.scalar(
        select(Contract).where(Contract.client_id == client_id, Contract.number == number)
    )
