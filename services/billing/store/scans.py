"""Queries of the scheduled scans (``workers.py``): the rows due, keyset-paged through their
partial index, re-read locked, and payment control's new states written in bulk."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import and_, or_, select, text, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.store.models import (
    ACTIVE_CONTRACT,
    OPEN_INVOICE,
    UNNOTICED_DRAFT_ESTIMATE,
    Contract,
    Estimate,
    Invoice,
)
from shared.store import locked


@dataclass(frozen=True)
class Due:
    """The rows a scan looks at: ``entity``'s open rows (``open_filter``, the partial index's
    own predicate as literal SQL, so the planner can match it) by their ``due`` column."""

    entity: Any
    due: Any
    open_filter: Any


CONTRACTS_DUE = Due(Contract, Contract.next_check_on, text(ACTIVE_CONTRACT))
INVOICES_DUE = Due(Invoice, Invoice.next_action_on, text(OPEN_INVOICE))
ESTIMATES_DUE = Due(Estimate, Estimate.valid_until, text(UNNOTICED_DRAFT_ESTIMATE))

# What payment control reads of an invoice: the event fields and the payment-control state.
SCANNED_COLUMNS: tuple[Any, ...] = (
    Invoice.id,
    Invoice.client_id,
    Invoice.number,
    Invoice.contract_id,
    Invoice.currency,
    Invoice.subtotal,
    Invoice.tax,
    Invoice.total,
    Invoice.amount_paid,
    Invoice.issue_date,
    Invoice.due_date,
    Invoice.status,
    Invoice.dunning_step,
    Invoice.overdue_sent,
    Invoice.promised_on,
    Invoice.promise_note,
    Invoice.promise_state,
    Invoice.next_action_on,
)


async def due_rows(
    session: AsyncSession,
    due: Due,
    bound: date,
    after: tuple[date, uuid.UUID] | None,
    limit: int,
) -> Sequence[Any]:
    """The next ``limit`` rows due by ``bound`` after the keyset ``after`` (due day, id),
    each ``(id, client_id, <due>)``."""
    entity, column = due.entity, due.due
    stmt = select(entity.id, entity.client_id, column).where(
        due.open_filter, column.is_not(None), column <= bound
    )
    if after is not None:
        stmt = stmt.where(or_(column > after[0], and_(column == after[0], entity.id > after[1])))
    return (await session.execute(stmt.order_by(column, entity.id).limit(limit))).all()


async def locked_open(session: AsyncSession, due: Due, ids: Sequence[uuid.UUID]) -> list[Any]:
    """The rows ``ids`` still open, locked, in id order."""
    entity = due.entity
    stmt = select(entity).where(entity.id.in_(list(ids)), due.open_filter).order_by(entity.id)
    return list((await session.scalars(locked(stmt, entity))).all())


async def locked_invoices_due(
    session: AsyncSession, ids: Sequence[uuid.UUID], bound: date
) -> Sequence[Any]:
    """The invoices ``ids`` still open and due by ``bound``, locked, in id order: the
    :data:`SCANNED_COLUMNS` only."""
    stmt = select(*SCANNED_COLUMNS).where(
        Invoice.id.in_(list(ids)), INVOICES_DUE.open_filter, Invoice.next_action_on <= bound
    )
    return (await session.execute(locked(stmt.order_by(Invoice.id), Invoice))).all()


async def set_invoice_states(
    session: AsyncSession, changes: Mapping[tuple[Any, ...], Sequence[uuid.UUID]], at: datetime
) -> None:
    """Each new payment-control state (its ``(column, value)`` items) on its invoices: one
    UPDATE per distinct state."""
    for state_items, ids in changes.items():
        await session.execute(
            update(Invoice)
            .where(Invoice.id.in_(list(ids)))
            .values(**dict(state_items), updated_at=at)
            .execution_options(synchronize_session=False)
        )


async def recheck_open_invoices(session: AsyncSession, on: date, at: datetime) -> None:
    """Every open invoice with a due date looked at again by payment control from ``on``
    (a policy changed its dunning terms; one UPDATE)."""
    await session.execute(
        update(Invoice)
        .where(
            INVOICES_DUE.open_filter,
            Invoice.due_date.is_not(None),
            or_(Invoice.next_action_on.is_(None), Invoice.next_action_on > on),
        )
        .values(next_action_on=on, updated_at=at)
        .execution_options(synchronize_session=False)
    )
