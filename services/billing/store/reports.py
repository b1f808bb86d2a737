"""The billing reports: one query function each, returning rows (plain dicts, amounts as
``Decimal``) within the caller's scope; ``api/exports.py`` renders the same rows as JSON,
CSV or Excel. Amounts of different currencies are never added: every money row is per
currency."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.billing.domain.dates import today_in
from services.billing.domain.invoices import DRAFT, OPEN, VOID
from services.billing.domain.opportunities import OPEN_STAGES
from services.billing.domain.reports import (
    BUCKETS,
    PaidInvoice,
    ReportName,
    aging_bucket,
    discipline,
    dso,
)
from services.billing.store.clients import scope
from services.billing.store.models import Allocation, CreditNote, Invoice, Opportunity, Payment
from shared.auth import Caller
from shared.replicas import client_replica, staff_replica

Row = dict[str, Any]
DSO_DAYS = 90


@dataclass
class Report:
    """A report's rows and the names and kinds of its columns (``money`` columns hold
    ``Decimal`` amounts in the row's ``currency``)."""

    name: ReportName
    columns: list[str]
    money: list[str]
    rows: list[Row]
    parameters: dict[str, Any] = field(default_factory=dict)


async def _clients(
    session: AsyncSession,
    caller: Caller,
    account_manager_id: uuid.UUID | None = None,
    client_id: uuid.UUID | None = None,
) -> dict[uuid.UUID, Any]:
    stmt = select(
        client_replica.c.id,
        client_replica.c.name,
        client_replica.c.account_manager_id,
        client_replica.c.timezone,
    ).where(scope(caller, client_replica.c.id))
    if account_manager_id is not None:
        stmt = stmt.where(client_replica.c.account_manager_id == account_manager_id)
    if client_id is not None:
        stmt = stmt.where(client_replica.c.id == client_id)
    return {row.id: row for row in (await session.execute(stmt)).all()}


async def _invoices(
    session: AsyncSession, client_ids: list[uuid.UUID], *conditions: Any
) -> list[Invoice]:
    if not client_ids:
        return []
    stmt = select(Invoice).where(
        Invoice.client_id.in_(client_ids), Invoice.status.notin_((DRAFT, VOID)), *conditions
    )
    return list((await session.scalars(stmt.order_by(Invoice.issue_date, Invoice.id))).all())


def _start_of(day: date) -> datetime:
    """The instant a day starts (UTC)."""
    return datetime.combine(day, time(0), tzinfo=UTC)


def _end_of(day: date) -> datetime:
    """The instant a day ends (UTC); the calendar's last day ends at its last instant."""
    if day >= date.max:
        return datetime.max.replace(tzinfo=UTC)
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC)


def client_today(client: Any, now: datetime) -> date:
    """The client's today at ``now``: the date in its timezone (the one its invoices' dates
    are in), UTC when unknown."""
    return today_in(client.timezone, now)


async def aging(
    session: AsyncSession,
    caller: Caller,
    as_of: date | None,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per client and currency: what was open on ``as_of`` (issued by then, less what was
    paid by then), by days past the due date; then the totals per currency. Without
    ``as_of``, each client's own today at ``now`` (its timezone's date) and what was paid
    until ``now``: an invoice issued today east of UTC is in at once."""
    clients = await _clients(session, caller, account_manager_id)
    day = {cid: as_of or client_today(c, now) for cid, c in clients.items()}
    latest = max(day.values(), default=as_of or now.date())
    invoices = [
        i
        for i in await _invoices(session, list(clients), Invoice.issue_date <= latest)
        if i.issue_date is not None and i.issue_date <= day[i.client_id]
    ]
    paid: dict[uuid.UUID, Decimal] = defaultdict(Decimal)
    if invoices:
        allocations = (
            await session.execute(
                select(Allocation.invoice_id, Allocation.amount).where(
                    Allocation.invoice_id.in_([i.id for i in invoices]),
                    Allocation.created_at < _end_of(as_of)
                    if as_of
                    else Allocation.created_at <= now,
                )
            )
        ).all()
        for invoice_id, amount in allocations:
            paid[invoice_id] += amount
    per: dict[tuple[uuid.UUID, str], Row] = {}
    totals: dict[str, Row] = {}
    for invoice in invoices:
        open_amount = invoice.total - paid[invoice.id]
        if open_amount <= 0 or invoice.due_date is None:
            continue
        bucket = aging_bucket(invoice.due_date, day[invoice.client_id])
        client = clients[invoice.client_id]
        client_row = per.setdefault(
            (client.id, invoice.currency),
            _aging_row(client.id, client.name, client.account_manager_id, invoice.currency),
        )
        total_row = totals.setdefault(
            invoice.currency, _aging_row(None, "TOTAL", None, invoice.currency)
        )
        for row in (client_row, total_row):
            row[bucket] += open_amount
            row["total"] += open_amount
    rows = sorted(per.values(), key=lambda r: (r["client_name"], r["currency"]))
    rows += [totals[c] for c in sorted(totals)]
    return Report(
        "aging",
        ["client_id", "client_name", "account_manager_id", "currency", *BUCKETS, "total"],
        [*BUCKETS, "total"],
        rows,
        {"as_of": as_of, "account_manager_id": account_manager_id},
    )


def _aging_row(
    client_id: uuid.UUID | None, name: str, manager: uuid.UUID | None, currency: str
) -> Row:
    return {
        "client_id": client_id,
        "client_name": name,
        "account_manager_id": manager,
        "currency": currency,
        **{b: Decimal(0) for b in BUCKETS},
        "total": Decimal(0),
    }


async def _manager_names(session: AsyncSession) -> dict[uuid.UUID, str]:
    rows = (await session.execute(select(staff_replica.c.id, staff_replica.c.name))).all()
    return {r.id: r.name for r in rows}


async def revenue(
    session: AsyncSession,
    caller: Caller,
    start: date | None,
    end: date | None,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per account manager and currency: invoiced (invoices issued in the period, less the
    credit notes issued in it) and collected (payments received in it, a reversed one not).
    Without ``start``/``end``, each client's current month so far: from the first of its
    month to its today (its timezone's), payments until ``now``."""
    clients = await _clients(session, caller, account_manager_id)
    today = {cid: client_today(c, now) for cid, c in clients.items()}
    first = {cid: start or day.replace(day=1) for cid, day in today.items()}
    last = {cid: end or day for cid, day in today.items()}
    names = await _manager_names(session)
    rows: dict[tuple[Any, str], Row] = {}

    def row(client_id: uuid.UUID, currency: str) -> Row:
        manager = clients[client_id].account_manager_id
        return rows.setdefault(
            (manager, currency),
            {
                "account_manager_id": manager,
                "account_manager_name": names.get(manager),
                "currency": currency,
                "invoices": 0,
                "invoiced": Decimal(0),
                "collected": Decimal(0),
            },
        )

    for invoice in await _invoices(
        session,
        list(clients),
        Invoice.issue_date >= min(first.values(), default=date.max),
        Invoice.issue_date <= max(last.values(), default=date.min),
    ):
        cid = invoice.client_id
        if invoice.issue_date is None or not first[cid] <= invoice.issue_date <= last[cid]:
            continue
        target = row(cid, invoice.currency)
        target["invoices"] += 1
        target["invoiced"] += invoice.total
    if clients:
        notes = await session.scalars(
            select(CreditNote).where(
                CreditNote.client_id.in_(list(clients)),
                CreditNote.issue_date >= min(first.values()),
                CreditNote.issue_date <= max(last.values()),
            )
        )
        for note in notes:
            if first[note.client_id] <= note.issue_date <= last[note.client_id]:
                row(note.client_id, note.currency)["invoiced"] -= note.total
    if clients:
        payments = (
            await session.scalars(
                select(Payment).where(
                    Payment.client_id.in_(list(clients)),
                    Payment.reversed_at.is_(None),
                    Payment.received_at >= _start_of(min(first.values())),
                    Payment.received_at < _end_of(end) if end else Payment.received_at <= now,
                )
            )
        ).all()
        for payment in payments:
            if payment.received_at < _start_of(first[payment.client_id]):
                continue
            row(payment.client_id, payment.currency)["collected"] += payment.amount
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r["account_manager_name"] or "",
            str(r["account_manager_id"]),
            r["currency"],
        ),
    )
    return Report(
        "revenue",
        [
            "account_manager_id",
            "account_manager_name",
            "currency",
            "invoices",
            "invoiced",
            "collected",
        ],
        ["invoiced", "collected"],
        ordered,
        {"from": start, "to": end, "account_manager_id": account_manager_id},
    )


async def ltv(session: AsyncSession, caller: Caller, client_id: uuid.UUID | None = None) -> Report:
    """Per client and currency, over the whole relationship: invoiced (less credit notes),
    collected (reversed payments not), open."""
    clients = await _clients(session, caller, client_id=client_id)
    rows: dict[tuple[uuid.UUID, str], Row] = {}

    def row(cid: uuid.UUID, currency: str) -> Row:
        return rows.setdefault(
            (cid, currency),
            {
                "client_id": cid,
                "client_name": clients[cid].name,
                "currency": currency,
                "invoices": 0,
                "first_invoice": None,
                "last_invoice": None,
                "invoiced": Decimal(0),
                "collected": Decimal(0),
                "open": Decimal(0),
            },
        )

    for invoice in await _invoices(session, list(clients)):
        target = row(invoice.client_id, invoice.currency)
        target["invoices"] += 1
        target["invoiced"] += invoice.total - invoice.credited
        target["open"] += invoice.total - invoice.amount_paid
        target["first_invoice"] = target["first_invoice"] or invoice.issue_date
        target["last_invoice"] = invoice.issue_date
    if clients:
        for payment in (
            await session.scalars(
                select(Payment).where(
                    Payment.client_id.in_(list(clients)), Payment.reversed_at.is_(None)
                )
            )
        ).all():
            row(payment.client_id, payment.currency)["collected"] += payment.amount
    ordered = sorted(rows.values(), key=lambda r: (r["client_name"], r["currency"]))
    return Report(
        "ltv",
        [
            "client_id",
            "client_name",
            "currency",
            "invoices",
            "first_invoice",
            "last_invoice",
            "invoiced",
            "collected",
            "open",
        ],
        ["invoiced", "collected", "open"],
        ordered,
        {"client_id": client_id},
    )


async def payment_discipline(
    session: AsyncSession,
    caller: Caller,
    now: datetime,
    account_manager_id: uuid.UUID | None = None,
) -> Report:
    """Per client and currency: invoices paid, the share paid on time, average days late
    (of the late ones), DSO (open receivables / invoiced over the last 90 days x 90) and the
    overdue balance; "today" is each client's own (its timezone's date at ``now``)."""
    clients = await _clients(session, caller, account_manager_id)
    per: dict[tuple[uuid.UUID, str], list[Invoice]] = defaultdict(list)
    for invoice in await _invoices(session, list(clients)):
        per[(invoice.client_id, invoice.currency)].append(invoice)
    rows = []
    for (cid, currency), invoices in per.items():
        today = client_today(clients[cid], now)
        since = today - timedelta(days=DSO_DAYS)
        paid = [
            PaidInvoice(i.due_date, i.paid_on)
            for i in invoices
            if i.paid_on is not None and i.due_date is not None
        ]
        result = discipline(paid)
        receivables = sum(
            (i.total - i.amount_paid for i in invoices if i.status in OPEN), Decimal(0)
        )
        overdue = sum(
            (
                i.total - i.amount_paid
                for i in invoices
                if i.status in OPEN and i.due_date is not None and i.due_date < today
            ),
            Decimal(0),
        )
        recent = sum(
            (i.total for i in invoices if i.issue_date is not None and i.issue_date > since),
            Decimal(0),
        )
        rows.append(
            {
                "client_id": cid,
                "client_name": clients[cid].name,
                "account_manager_id": clients[cid].account_manager_id,
                "currency": currency,
                "invoices_paid": result.invoices_paid,
                "on_time_share": result.on_time_share,
                "average_days_late": result.average_days_late,
                "dso": dso(receivables, recent, DSO_DAYS),
                "overdue_balance": overdue,
            }
        )
    rows.sort(key=lambda r: (r["client_name"], r["currency"]))
    return Report(
        "payment-discipline",
        [
            "client_id",
            "client_name",
            "account_manager_id",
            "currency",
            "invoices_paid",
            "on_time_share",
            "average_days_late",
            "dso",
            "overdue_balance",
        ],
        ["overdue_balance"],
        rows,
        {"at": now, "account_manager_id": account_manager_id},
    )


async def pipeline(
    session: AsyncSession, caller: Caller, account_manager_id: uuid.UUID | None = None
) -> Report:
    """Open opportunities by the client's account manager, stage and currency."""
    clients = await _clients(session, caller, account_manager_id)
    names = await _manager_names(session)
    rows: dict[tuple[Any, str, str | None], Row] = {}
    if clients:
        found = (
            await session.scalars(
                select(Opportunity).where(
                    Opportunity.client_id.in_(list(clients)), Opportunity.stage.in_(OPEN_STAGES)
                )
            )
        ).all()
        for opportunity in found:
            manager = clients[opportunity.client_id].account_manager_id
            key = (manager, opportunity.stage, opportunity.value_currency)
            row = rows.setdefault(
                key,
                {
                    "account_manager_id": manager,
                    "account_manager_name": names.get(manager),
                    "stage": opportunity.stage,
                    "currency": opportunity.value_currency,
                    "opportunities": 0,
                    "value": Decimal(0),
                },
            )
            row["opportunities"] += 1
            row["value"] += opportunity.value_amount or Decimal(0)
    order = {s: i for i, s in enumerate(OPEN_STAGES)}
    ordered = sorted(
        rows.values(),
        key=lambda r: (
            r["account_manager_name"] or "",
            str(r["account_manager_id"]),
            order[r["stage"]],
            r["currency"] or "",
        ),
    )
    return Report(
        "pipeline",
        [
            "account_manager_id",
            "account_manager_name",
            "stage",
            "currency",
            "opportunities",
            "value",
        ],
        ["value"],
        ordered,
        {"account_manager_id": account_manager_id},
    )
