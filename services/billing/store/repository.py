"""Queries of the billing service, with the caller's access scope in every one of them.

A manager sees the billing of their own clients, a head their department's, an admin all
(``shared.replicas.client_scope`` on the replica of the clients service): an object out of
scope is simply not found (404). A ``service`` token (a bank import) may only book payments:
:func:`get_client` gives it any client for that.

Locks: a use case that emits a client's events locks that client's replica row first (so
the outbox order matches the commit order per client), then the rows it changes, then the
invoice counter; every use case and scan takes them in that order.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar, cast

from sqlalchemy import ColumnElement, Select, Table, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.invoices import OPEN, VOID
from services.billing.store.models import (
    Allocation,
    Contract,
    CreditEntry,
    Estimate,
    Invoice,
    InvoiceCounter,
    Opportunity,
    Payment,
)
from shared.auth import Caller, Role
from shared.db import insert_ignore
from shared.errors import NotFound
from shared.replicas import client_replica, client_scope, staff_replica

T = TypeVar("T")


@dataclass(frozen=True)
class ClientInfo:
    """The replica's view of a client, and the head responsible for escalations."""

    id: uuid.UUID
    name: str
    timezone: str
    account_manager_id: uuid.UUID | None
    head_id: uuid.UUID | None
    contacts: list[dict[str, Any]]

    def team(self) -> dict[str, Any]:
        """The fields every billing event carries about the client (``events.ClientTeam``)."""
        return {
            "client_id": self.id,
            "client_name": self.name,
            "account_manager_id": self.account_manager_id,
            "head_id": self.head_id,
        }

    def billing_contacts(self) -> list[dict[str, Any]]:
        return [
            {"contact_id": c["id"], "name": c.get("name") or "", "email": c.get("email")}
            for c in self.contacts
            if "billing" in (c.get("roles") or [])
        ]


def scope(caller: Caller, client_id: Any) -> ColumnElement[bool]:
    return client_scope(caller, client_id)


def locked(stmt: Select[Any], entity: Any) -> Select[Any]:
    """FOR NO KEY UPDATE of ``entity``'s rows, read afresh (as the clients repository)."""
    return stmt.with_for_update(of=entity, key_share=True).execution_options(populate_existing=True)


async def _one(
    session: AsyncSession,
    stmt: Select[Any],
    entity: type[T],
    what: str,
    object_id: uuid.UUID,
    for_update: bool,
) -> T:
    found = await session.scalar(locked(stmt, entity) if for_update else stmt)
    if found is None:
        raise NotFound(f"{what} {object_id} not found")
    return cast(T, found)


# ---------------------------------------------------------------- clients (the replica)


async def responsible_head(session: AsyncSession, manager_id: uuid.UUID | None) -> uuid.UUID | None:
    """The manager's head; a head without a head above: themself (as the clients events)."""
    if manager_id is None:
        return None
    row = (
        await session.execute(
            select(staff_replica.c.role, staff_replica.c.head_id).where(
                staff_replica.c.id == manager_id
            )
        )
    ).first()
    if row is None:
        return None
    if row.head_id is None and row.role == "head":
        return manager_id
    return cast(uuid.UUID | None, row.head_id)


async def _client_info(
    session: AsyncSession, stmt: Select[Any], client_id: object, what: str = "client"
) -> ClientInfo:
    row = (await session.execute(stmt)).first()
    if row is None:
        raise NotFound(f"{what} {client_id} not found")
    return ClientInfo(
        id=row.id,
        name=row.name,
        timezone=row.timezone or "UTC",
        account_manager_id=row.account_manager_id,
        head_id=await responsible_head(session, row.account_manager_id),
        contacts=list(row.contacts or []),
    )


def _client_select(caller: Caller, client_id: Any, for_update: bool) -> Select[Any]:
    stmt = select(client_replica).where(client_replica.c.id == client_id)
    if caller.role != Role.SERVICE:
        stmt = stmt.where(scope(caller, client_replica.c.id))
    if for_update:
        stmt = stmt.with_for_update(of=client_replica, key_share=True)
    return stmt


async def get_client(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, *, for_update: bool = False
) -> ClientInfo:
    """The client if the caller may see it (a service token: any client), else 404."""
    return await _client_info(session, _client_select(caller, client_id, for_update), client_id)


async def lock_client_of(
    session: AsyncSession, caller: Caller, entity: Any, object_id: uuid.UUID, what: str
) -> ClientInfo:
    """The client of ``entity`` ``object_id``, locked, if the caller may see it; else 404
    naming the object (its client found by a subquery, so the client row is locked first)."""
    owner = select(entity.client_id).where(entity.id == object_id).scalar_subquery()
    return await _client_info(session, _client_select(caller, owner, True), object_id, what)


async def lock_clients(
    session: AsyncSession, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClientInfo]:
    """Lock the clients' rows in id order (the scans: no deadlock between two of them)."""
    found: dict[uuid.UUID, ClientInfo] = {}
    for client_id in sorted(set(client_ids)):
        stmt = (
            select(client_replica)
            .where(client_replica.c.id == client_id)
            .with_for_update(of=client_replica, key_share=True)
        )
        try:
            found[client_id] = await _client_info(session, stmt, client_id)
        except NotFound:
            continue
    return found


# ---------------------------------------------------------------- contracts


def contracts(caller: Caller) -> Select[Any]:
    return select(Contract).where(scope(caller, Contract.client_id))


async def get_contract(
    session: AsyncSession, caller: Caller, contract_id: uuid.UUID, *, for_update: bool = False
) -> Contract:
    stmt = contracts(caller).where(Contract.id == contract_id)
    return await _one(session, stmt, Contract, "contract", contract_id, for_update)


async def contract_by_number(
    session: AsyncSession, client_id: uuid.UUID, number: str
) -> Contract | None:
    return await session.scalar(
        select(Contract).where(Contract.client_id == client_id, Contract.number == number)
    )


async def invoiced_against(session: AsyncSession, contract_id: uuid.UUID, currency: str) -> Decimal:
    """The total of the contract's issued invoices (void ones excluded) in ``currency``."""
    total = await session.scalar(
        select(func.coalesce(func.sum(Invoice.total), 0)).where(
            Invoice.contract_id == contract_id,
            Invoice.currency == currency,
            Invoice.status.notin_(("draft", VOID)),
        )
    )
    return Decimal(str(total or 0))


# ---------------------------------------------------------------- invoices


def invoices(caller: Caller) -> Select[Any]:
    return select(Invoice).where(scope(caller, Invoice.client_id))


async def get_invoice(
    session: AsyncSession, caller: Caller, invoice_id: uuid.UUID, *, for_update: bool = False
) -> Invoice:
    stmt = invoices(caller).where(Invoice.id == invoice_id)
    return await _one(session, stmt, Invoice, "invoice", invoice_id, for_update)


async def open_invoices(session: AsyncSession, client_id: uuid.UUID) -> list[Invoice]:
    """The client's issued invoices with a balance, locked (under the client's lock)."""
    stmt = (
        select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.status.in_(OPEN))
        .order_by(Invoice.issue_date, Invoice.number, Invoice.id)
    )
    return list((await session.scalars(locked(stmt, Invoice))).all())


async def next_invoice_number(session: AsyncSession, year: int) -> int:
    """The next number of ``year``: one UPDATE ... RETURNING that locks the counter row until
    the transaction ends, so concurrent issuers queue and a rolled-back issue gives its number
    back (no gap). The year's row is created on its first issue."""
    bump = (
        update(InvoiceCounter)
        .where(InvoiceCounter.year == year)
        .values(last_number=InvoiceCounter.last_number + 1)
        .returning(InvoiceCounter.last_number)
    )
    number = await session.scalar(bump)
    if number is None:
        counters = cast(Table, InvoiceCounter.__table__)
        await insert_ignore(session, counters, {"year": year, "last_number": 0})
        number = await session.scalar(bump)
    assert number is not None
    return int(number)


# ---------------------------------------------------------------- payments and credit


def payments(caller: Caller) -> Select[Any]:
    return select(Payment).where(scope(caller, Payment.client_id))


async def get_payment(session: AsyncSession, caller: Caller, payment_id: uuid.UUID) -> Payment:
    stmt = payments(caller).where(Payment.id == payment_id)
    return await _one(session, stmt, Payment, "payment", payment_id, False)


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


# ---------------------------------------------------------------- estimates, opportunities


def estimates(caller: Caller) -> Select[Any]:
    return select(Estimate).where(scope(caller, Estimate.client_id))


async def get_estimate(
    session: AsyncSession, caller: Caller, estimate_id: uuid.UUID, *, for_update: bool = False
) -> Estimate:
    stmt = estimates(caller).where(Estimate.id == estimate_id)
    return await _one(session, stmt, Estimate, "estimate", estimate_id, for_update)


def opportunities(caller: Caller) -> Select[Any]:
    return select(Opportunity).where(scope(caller, Opportunity.client_id))


async def get_opportunity(
    session: AsyncSession, caller: Caller, opportunity_id: uuid.UUID, *, for_update: bool = False
) -> Opportunity:
    stmt = opportunities(caller).where(Opportunity.id == opportunity_id)
    return await _one(session, stmt, Opportunity, "opportunity", opportunity_id, for_update)


async def is_active_staff(session: AsyncSession, staff_id: uuid.UUID) -> bool:
    active = await session.scalar(
        select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    )
    return bool(active)


def today_in(timezone: str | None, now: Any) -> date:
    """``now`` as a date in the client's timezone (UTC when unknown)."""
    import zoneinfo

    try:
        zone = zoneinfo.ZoneInfo(timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo("UTC")
    return cast(date, now.astimezone(zone).date())
