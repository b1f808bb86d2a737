"""Queries of payments, their allocations and the clients' credit, in the caller's scope
(``store.clients.scope``)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.clients import scope
from services.billing.store.models import PAYMENT_SORTS, Allocation, CreditEntry, Payment
from shared.auth import Caller
from shared.store import one_or_404

# The fields the list sorts by (``?sort=``), each backed by an index.
SORTS = PAYMENT_SORTS


def payments(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    received_from: date | None = None,
    received_to: date | None = None,
) -> Select[Any]:
    """The payments of the clients the caller may see (of one client when given; received
    within the UTC days ``received_from``..``received_to``, both included)."""
    stmt = select(Payment).where(scope(caller, Payment.client_id))
    if received_from is not None:
        stmt = stmt.where(Payment.received_at >= datetime.combine(received_from, time(0), UTC))
    if received_to is not None:
        end = received_to + timedelta(days=1)
        stmt = stmt.where(Payment.received_at < datetime.combine(end, time(0), UTC))
    if client_id is not None:
        stmt = stmt.where(Payment.client_id == client_id)
    return stmt


async def get_payment(
    session: AsyncSession, caller: Caller, payment_id: uuid.UUID, *, for_update: bool = False
) -> Payment:
    stmt = payments(caller).where(Payment.id == payment_id)
    return await one_or_404(session, stmt, Payment, "payment", payment_id, for_update=for_update)


async def payment_by_reference(
    session: AsyncSession, client_id: uuid.UUID, reference: str
) -> Payment | None:
    return await session.scalar(
        select(Payment).where(Payment.client_id == client_id, Payment.reference == reference)
    )


async def allocations_of(
    session: AsyncSession, payment_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Allocation]]:
    """Each payment's allocations, oldest first."""
    found: dict[uuid.UUID, list[Allocation]] = {p: [] for p in payment_ids}
    if not payment_ids:
        return found
    rows = (
        await session.scalars(
            select(Allocation)
            .where(Allocation.payment_id.in_(list(payment_ids)))
            .order_by(Allocation.created_at, Allocation.position, Allocation.id)
        )
    ).all()
    for row in rows:
        if row.payment_id is not None:
            found[row.payment_id].append(row)
    return found


async def credit_balances(session: AsyncSession, client_id: uuid.UUID) -> dict[str, Decimal]:
    rows = (
        await session.execute(
            select(CreditEntry.currency, CreditEntry.amount).where(
                CreditEntry.client_id == client_id
            )
        )
    ).all()
    balances: dict[str, Decimal] = {}
    for currency, amount in rows:  # summed in Python: SQLite keeps Money as text
        balances[currency] = balances.get(currency, Decimal(0)) + amount
    return {c: a for c, a in sorted(balances.items()) if a != 0}
