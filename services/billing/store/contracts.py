"""Queries of contracts, in the caller's scope (``store.clients.scope``)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import CONTRACT_SORTS, Contract
from shared.auth import Caller
from shared.store import one_or_404

# The fields the list sorts by (``?sort=``), each backed by an index.
SORTS = CONTRACT_SORTS


def contracts(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    status: str | None = None,
    ends_before: date | None = None,
) -> Select[Any]:
    """The contracts of the clients the caller may see, narrowed by the list's filters
    (``ends_before``: ending on or before that day)."""
    stmt = select(Contract).where(scope(caller, Contract.client_id))
    if ends_before is not None:
        stmt = stmt.where(Contract.ends_on <= ends_before)
    if client_id is not None:
        stmt = stmt.where(Contract.client_id == client_id)
    if status is not None:
        stmt = stmt.where(Contract.status == status)
    return stmt


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
