"""Queries of invoices, in the caller's scope (``store.clients.scope``): the status shown
in SQL, the open invoices a payment settles, the year's gap-free number."""

from __future__ import annotations

import uuid
import zoneinfo
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, cast

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
from services.billing.store.clients import scope
from services.billing.store.models import INVOICE_SORTS, CreditNoteCounter, Invoice, InvoiceCounter
from shared.auth import Caller
from shared.clock import local_date
from shared.db import insert_ignore
from shared.store import locked, one_or_404
from shared.tables import outbox

# The fields the list sorts by (``?sort=``), each backed by an index.
SORTS = INVOICE_SORTS


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
    """SQL: the invoice's due date is before its client's today at ``now``
    (:func:`before_client_today`)."""
    return before_client_today(Invoice.due_date, Invoice.client_timezone, now)


def before_client_today(due: Any, timezone: Any, now: datetime) -> ColumnElement[bool]:
    """SQL: the date ``due`` is before the client's today at ``now`` (the replica's
    ``timezone``, UTC when unknown, as ``domain.dates.today_in``). A client's today is UTC's
    date, a day before or a day after: a date two days before UTC's is past everywhere, UTC's
    yesterday is past unless the client is still a day behind, UTC's today only where it is
    tomorrow already."""
    minute = now.astimezone(UTC).replace(second=0, microsecond=0)
    behind, ahead = _zones_off_utc(minute)
    utc = minute.date()
    zone = func.coalesce(timezone, "UTC")
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


def invoices(
    caller: Caller,
    *,
    client_id: uuid.UUID | None = None,
    contract_id: uuid.UUID | None = None,
    status: str | None = None,
    now: datetime | None = None,
    due_from: date | None = None,
    due_to: date | None = None,
    number: str | None = None,
) -> Select[Any]:
    """The invoices of the clients the caller may see, narrowed by the list's filters:
    ``status`` is the one shown at ``now`` (:func:`invoice_status_is`), the due date within
    ``due_from``..``due_to`` (both included), the ``number`` exactly."""
    stmt = select(Invoice).where(scope(caller, Invoice.client_id, Invoice.account_manager_id))
    if due_from is not None:
        stmt = stmt.where(Invoice.due_date >= due_from)
    if due_to is not None:
        stmt = stmt.where(Invoice.due_date <= due_to)
    if number is not None:
        stmt = stmt.where(Invoice.number == number)
    if client_id is not None:
        stmt = stmt.where(Invoice.client_id == client_id)
    if contract_id is not None:
        stmt = stmt.where(Invoice.contract_id == contract_id)
    if status is not None:
        assert now is not None, "a status is the one shown at a moment"
        stmt = stmt.where(invoice_status_is(status, now))
    return stmt


async def get_invoice(
    session: AsyncSession, caller: Caller, invoice_id: uuid.UUID, *, for_update: bool = False
) -> Invoice:
    stmt = invoices(caller).where(Invoice.id == invoice_id)
    return await one_or_404(session, stmt, Invoice, "invoice", invoice_id, for_update=for_update)


async def open_invoices(session: AsyncSession, client_id: uuid.UUID) -> list[Invoice]:
    """The client's issued invoices with a balance, locked (under the client's lock)."""
    stmt = (
        select(Invoice)
        .where(Invoice.client_id == client_id, Invoice.status.in_(OPEN))
        .order_by(Invoice.issue_date, Invoice.number, Invoice.id)
    )
    return list((await session.scalars(locked(stmt, Invoice))).all())


async def locked_invoices(
    session: AsyncSession, invoice_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Invoice]:
    """The invoices by id, locked (under their client's lock), in id order."""
    if not invoice_ids:
        return {}
    stmt = select(Invoice).where(Invoice.id.in_(set(invoice_ids))).order_by(Invoice.id)
    return {i.id: i for i in (await session.scalars(locked(stmt, Invoice))).all()}


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


Counter = type[InvoiceCounter] | type[CreditNoteCounter]


async def next_invoice_number(
    session: AsyncSession, year: int, counter: Counter = InvoiceCounter, *, count: int = 1
) -> int:
    """The next number of ``year`` in ``counter``'s series (invoices, credit notes): one
    UPDATE ... RETURNING that locks the counter row until the transaction ends, so
    concurrent issuers queue and a rolled-back issue gives its number back (no gap). The
    year's row is created on its first issue. ``count``: that many numbers at once (an
    import's), the last returned (the first is ``last - count + 1``)."""
    bump = (
        update(counter)
        .where(counter.year == year)
        .values(last_number=counter.last_number + count)
        .returning(counter.last_number)
    )
    number = await session.scalar(bump)
    if number is None:
        await create_counter(session, year, counter)
        number = await session.scalar(bump)
    assert number is not None
    return int(number)


async def create_counter(
    session: AsyncSession, year: int, counter: Counter = InvoiceCounter
) -> None:
    """``year``'s counter row at 0, unless a concurrent first issue of the year made it."""
    await insert_ignore(session, cast(Table, counter.__table__), {"year": year, "last_number": 0})


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
