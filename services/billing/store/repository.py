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
import zoneinfo
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import (
    ColumnElement,
    Numeric,
    Select,
    String,
    Table,
    Text,
    and_,
    func,
    insert,
    literal,
    not_,
    or_,
    select,
    true,
    update,
)
from sqlalchemy import cast as sa_cast
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.invoices import (
    ISSUED,
    NUMBER_DIGITS,
    OPEN,
    OVERDUE,
    PARTIALLY_PAID,
    VOID,
)
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
from shared.clock import local_date
from shared.db import insert_ignore
from shared.errors import NotFound
from shared.readthrough import refresh_staff
from shared.replicas import (
    ClientView,
    client_scope,
    client_select,
    client_views,
    one_client,
    staff_replica,
)
from shared.tables import outbox

T = TypeVar("T")


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


def _client_select(caller: Caller, client_id: Any, for_update: bool) -> Select[Any]:
    """``shared.replicas.client_select``: a service token (a bank import) sees any client."""
    return client_select(
        None if caller.role == Role.SERVICE else caller, client_id, lock=for_update
    )


async def get_client(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, *, for_update: bool = False
) -> ClientView:
    """The client if the caller may see it (a service token: any client), else 404 (read
    through to the clients service first: a client created a moment ago is found)."""
    stmt = _client_select(caller, client_id, for_update)
    return await one_client(session, stmt, f"client {client_id} not found", read_through=client_id)


async def lock_client_of(
    session: AsyncSession, caller: Caller, entity: Any, object_id: uuid.UUID, what: str
) -> ClientView:
    """The client of ``entity`` ``object_id``, locked, if the caller may see it; else 404
    naming the object (its client found by a subquery, so the client row is locked first)."""
    owner = select(entity.client_id).where(entity.id == object_id).scalar_subquery()
    return await one_client(
        session, _client_select(caller, owner, True), f"{what} {object_id} not found"
    )


async def lock_clients(
    session: AsyncSession, client_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ClientView]:
    """Lock the clients' rows in id order (the scans: no deadlock between two of them, nor
    with a use case), with their teams."""
    return await client_views(session, client_ids, lock=True)


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


@lru_cache(maxsize=1)
def _zones() -> tuple[tuple[str, zoneinfo.ZoneInfo], ...]:
    return tuple((name, zoneinfo.ZoneInfo(name)) for name in sorted(zoneinfo.available_timezones()))


@lru_cache(maxsize=8)
def _zones_off_utc(minute: datetime) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The timezones whose date at ``minute`` (UTC) is a day behind UTC's, and a day ahead.
    Offsets are whole minutes, so the answer holds for the whole minute."""
    utc = minute.date()
    behind, ahead = [], []
    for name, zone in _zones():
        local = local_date(minute, zone)
        if local < utc:
            behind.append(name)
        elif local > utc:
            ahead.append(name)
    return tuple(behind), tuple(ahead)


def past_due(now: datetime) -> ColumnElement[bool]:
    """SQL: the invoice's due date is before its client's today at ``now`` (the replica's
    timezone, UTC when unknown, as :func:`today_in`). A client's today is UTC's date, a day
    before or a day after: a due date two days before UTC's is past everywhere, UTC's
    yesterday is past unless the client is still a day behind, UTC's today only where it is
    tomorrow already."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    behind, ahead = _zones_off_utc(minute)
    utc = minute.date()
    zone = func.coalesce(Invoice.client_timezone, "UTC")
    due = Invoice.due_date
    yesterday = utc - timedelta(days=1)
    cases = [due < yesterday, and_(due == yesterday, zone.not_in(behind) if behind else true())]
    if ahead:
        cases.append(and_(due == utc, zone.in_(ahead)))
    return and_(due.is_not(None), or_(*cases))


def shows_overdue(now: datetime) -> ColumnElement[bool]:
    """SQL of :func:`~services.billing.domain.invoices.effective_status`: an issued or
    partly paid invoice with a balance past its due date shows as overdue before the scan
    marks it (money compared as numbers: SQLite keeps it as text)."""
    return and_(
        Invoice.status.in_((ISSUED, PARTIALLY_PAID)),
        sa_cast(Invoice.total, Numeric) > sa_cast(Invoice.amount_paid, Numeric),
        past_due(now),
    )


def invoice_status_is(status: str, now: datetime) -> ColumnElement[bool]:
    """SQL: the invoice's status as the API shows it at ``now`` is ``status`` (so a list
    filtered by status pages in SQL: full pages, exact cursors)."""
    if status == OVERDUE:
        return or_(Invoice.status == OVERDUE, shows_overdue(now))
    if status in (ISSUED, PARTIALLY_PAID):
        return and_(Invoice.status == status, not_(shows_overdue(now)))
    return Invoice.status == status


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
        await create_counter(session, year)
        number = await session.scalar(bump)
    assert number is not None
    return int(number)


async def create_counter(session: AsyncSession, year: int) -> None:
    """``year``'s counter row at 0, unless a concurrent first issue of the year made it."""
    await insert_ignore(
        session, cast(Table, InvoiceCounter.__table__), {"year": year, "last_number": 0}
    )


def number_and_publish(
    invoice_id: uuid.UUID,
    year: int,
    values: dict[str, Any],
    outbox_row: dict[str, Any],
    placeholder: str,
) -> Select[Any]:
    """PostgreSQL, one statement: bump ``year``'s counter (its row stays locked until the
    transaction ends), give the invoice its number and the other ``values``, and write the
    outbox row whose payload holds ``placeholder`` where the number goes; returns the number
    (no row: the year has no counter row yet). The counter lock is taken by the last
    statement before the commit, so concurrent issuers queue behind one statement and a
    commit, nothing more.

    ``WITH bumped AS (UPDATE invoice_counters ... RETURNING last_number), numbered AS
    (UPDATE invoices SET number = '2026-' || lpad((SELECT last_number FROM bumped)...)
    WHERE id = ... AND EXISTS (SELECT FROM bumped) RETURNING number),
    sent AS (INSERT INTO outbox ... SELECT ..., replace(payload, placeholder, number) FROM
    numbered) SELECT number FROM numbered``."""
    counters = cast(Table, InvoiceCounter.__table__)
    invoices_ = cast(Table, Invoice.__table__)
    bumped = (
        update(counters)
        .where(counters.c.year == year)
        .values(last_number=counters.c.last_number + 1)
        .returning(counters.c.last_number)
        .cte("bumped")
    )
    digits = sa_cast(select(bumped.c.last_number).scalar_subquery(), String)
    numbered = (
        update(invoices_)
        .where(invoices_.c.id == invoice_id, select(bumped.c.last_number).exists())
        .values(
            **values,
            number=literal(f"{year}-", String)
            + func.lpad(digits, func.greatest(NUMBER_DIGITS, func.length(digits)), "0"),
        )
        .returning(invoices_.c.number)
        .cte("numbered")
    )
    columns = [name for name in outbox_row if name != "payload"]
    sent = insert(outbox).from_select(
        [*columns, "payload"],
        select(
            *(literal(outbox_row[name], outbox.c[name].type) for name in columns),
            func.replace(
                literal(outbox_row["payload"], Text), literal(placeholder, Text), numbered.c.number
            ),
        ),
    )
    return select(numbered.c.number).add_cte(sent.cte("sent"))


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
    """An active member of staff (one the replica does not have yet: read through)."""
    query = select(staff_replica.c.active).where(staff_replica.c.id == staff_id)
    active = await session.scalar(query)
    if active is None and await refresh_staff(session, staff_id):
        active = await session.scalar(query)
    return bool(active)


def today_in(timezone: str | None, now: Any) -> date:
    """``now`` as a date in the client's timezone (UTC when unknown)."""
    try:
        return local_date(now, timezone or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return local_date(now, "UTC")
