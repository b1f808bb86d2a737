"""The scorecard's reads: the staff (the service's staff replica and their locales), and
the tallies of each manager in a period (:func:`tallies`), from the projection tables.

Counts and sums are grouped in SQL; "as of" figures (clients by status, pipeline, overdue
balance) take each client's, opportunity's or invoice's last state before the period's end.
Portable SQL (PostgreSQL and the embedded SQLite).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import case, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.scorecard.kpis import CLIENT_STATUSES, OPEN_STAGES, Tally
from services.notifications.store.models import Locale
from services.notifications.store.scorecard.models import (
    sc_allocations,
    sc_cadence_lapses,
    sc_client_states,
    sc_closed_requests,
    sc_credit_notes,
    sc_feedback,
    sc_invoices,
    sc_meetings,
    sc_opportunity_states,
    sc_payments,
    sc_requests,
)
from shared.replicas import staff_replica


@dataclass(frozen=True)
class StaffRow:
    id: uuid.UUID
    name: str
    email: str
    role: str
    department: str | None
    head_id: uuid.UUID | None
    timezone: str
    locale: str | None
    active: bool


async def all_staff(session: AsyncSession) -> list[StaffRow]:
    """Every staff member of the service's staff replica, with their locale (the language of
    their report)."""
    st = staff_replica.c
    query = (
        select(
            st.id,
            st.name,
            st.email,
            st.role,
            st.department,
            st.head_id,
            st.timezone,
            Locale.locale,
            st.active,
        )
        .outerjoin(Locale, (Locale.subject_id == st.id) & (Locale.kind == "staff"))
        .order_by(st.name, st.id)
    )
    return [StaffRow(*row) for row in await session.execute(query)]


def team_of(head: StaffRow | uuid.UUID, staff: Iterable[StaffRow]) -> list[StaffRow]:
    """A head's team: themself, who reports to them, and who shares their department."""
    head_id = head if isinstance(head, uuid.UUID) else head.id
    department = None if isinstance(head, uuid.UUID) else head.department
    return [
        s
        for s in staff
        if s.id == head_id or s.head_id == head_id or (department and s.department == department)
    ]


Managers = set[uuid.UUID | None] | None  # None: everyone, unassigned facts included


def _scoped(query: Any, column: Any, managers: Managers) -> Any:
    if managers is None:
        return query
    ids = [m for m in managers if m is not None]
    return query.where(column.in_(ids))


def _tally(tallies: dict[uuid.UUID | None, Tally], manager: uuid.UUID | None) -> Tally:
    if manager not in tallies:
        tallies[manager] = Tally()
    return tallies[manager]


async def tallies(
    session: AsyncSession,
    managers: Managers,
    *,
    start: date,
    end: date,
    start_at: datetime,
    end_at: datetime,
) -> dict[uuid.UUID | None, Tally]:
    """Per account manager, the tally of the period: local dates ``[start, end)`` (invoice
    dates are the client's local dates) and instants ``[start_at, end_at)``."""
    out: dict[uuid.UUID | None, Tally] = {}

    # revenue invoiced (less the credit notes issued in the period) and collected, per
    # currency (a reversed payment is gone from the projection)
    inv, cn, pay = sc_invoices.c, sc_credit_notes.c, sc_payments.c
    in_dates = (inv.issue_date >= start, inv.issue_date < end, inv.status != "void")
    sums = (
        ("revenue_invoiced", inv.total, in_dates, 1),
        ("revenue_invoiced", cn.total, (cn.issued_at >= start_at, cn.issued_at < end_at), -1),
        (
            "revenue_collected",
            pay.amount,
            (pay.received_at >= start_at, pay.received_at < end_at),
            1,
        ),
    )
    for kpi, amount_column, where, sign in sums:
        table = amount_column.table.c
        query = (
            select(table.account_manager_id, table.currency, func.sum(amount_column))
            .where(*where)
            .group_by(table.account_manager_id, table.currency)
        )
        for manager, currency, amount in await session.execute(
            _scoped(query, table.account_manager_id, managers)
        ):
            _tally(out, manager).money_in(kpi, currency, sign * Decimal(amount))

    await _clients(session, managers, out, start_at, end_at)
    await _pipeline(session, managers, out, start_at, end_at)
    await _overdue(session, managers, out, end, end_at)

    # NPS and CSAT
    fb = sc_feedback.c
    query = select(fb.account_manager_id, fb.kind, fb.score).where(
        fb.received_at >= start_at, fb.received_at < end_at
    )
    for manager, kind, score in await session.execute(
        _scoped(query, fb.account_manager_id, managers)
    ):
        tally = _tally(out, manager)
        (tally.nps_scores if kind == "nps" else tally.csat_scores).append(score)

    await _requests(session, managers, out, start_at, end_at)

    # meetings and their reports
    mt = sc_meetings.c
    query = select(mt.account_manager_id, mt.report_on_time, mt.report_overdue).where(
        mt.occurred_at >= start_at, mt.occurred_at < end_at
    )
    for manager, on_time, overdue in await session.execute(
        _scoped(query, mt.account_manager_id, managers)
    ):
        tally = _tally(out, manager)
        tally.count("meetings")
        if on_time:
            tally.count("meeting_reports_on_time")
        if overdue or on_time is False:
            tally.count("meeting_reports_overdue")

    # contact-cadence lapses
    lp = sc_cadence_lapses.c
    query = (
        select(lp.account_manager_id, func.count())
        .where(lp.due_at >= start_at, lp.due_at < end_at)
        .group_by(lp.account_manager_id)
    )
    for manager, n in await session.execute(_scoped(query, lp.account_manager_id, managers)):
        _tally(out, manager).count("cadence_lapses", n)
    return out


async def _requests(
    session: AsyncSession,
    managers: Managers,
    out: dict[uuid.UUID | None, Tally],
    start_at: datetime,
    end_at: datetime,
    *,
    minutes: bool = True,
) -> None:
    """Requests opened in the period: answered on time, breached (counted in SQL) and, with
    ``minutes``, the first-response minutes (for the median). A request closed as not one
    counts in none of them, whatever order its events came in."""
    rq, cl = sc_requests.c, sc_closed_requests.c
    not_closed = ~exists().where(cl.request_id == rq.request_id)
    in_period = (rq.opened_at >= start_at) & (rq.opened_at < end_at) & not_closed
    on_time = (~rq.breached) & rq.answered_at.is_not(None) & (rq.answered_at <= rq.due_at)
    query = (
        select(
            rq.account_manager_id,
            func.count(),
            func.sum(case((rq.breached, 1), else_=0)),
            func.sum(case((on_time, 1), else_=0)),
        )
        .where(in_period)
        .group_by(rq.account_manager_id)
    )
    for manager, requests, breached, answered in await session.execute(
        _scoped(query, rq.account_manager_id, managers)
    ):
        tally = _tally(out, manager)
        tally.count("requests", requests)
        tally.count("breached", int(breached or 0))
        tally.count("answered_on_time", int(answered or 0))
    if not minutes:
        return
    query = select(rq.account_manager_id, rq.response_minutes).where(
        in_period, rq.response_minutes.is_not(None)
    )
    for manager, value in await session.execute(_scoped(query, rq.account_manager_id, managers)):
        _tally(out, manager).response_minutes.append(value)


async def sla_tallies(
    session: AsyncSession, managers: Managers, start_at: datetime, end_at: datetime
) -> dict[uuid.UUID | None, Tally]:
    """Only the requests' part of :func:`tallies` (the SLA compliance trend)."""
    out: dict[uuid.UUID | None, Tally] = {}
    await _requests(session, managers, out, start_at, end_at, minutes=False)
    return out


async def closed_requests(
    session: AsyncSession, managers: Managers, start_at: datetime, end_at: datetime
) -> dict[str, int]:
    """The requests opened in the period and closed as not real ones, per close code (as
    interactions' ``/reports/sla`` ``closed``)."""
    cl = sc_closed_requests.c
    query = (
        select(cl.code, func.count())
        .where(cl.opened_at >= start_at, cl.opened_at < end_at)
        .group_by(cl.code)
    )
    rows = await session.execute(_scoped(query, cl.account_manager_id, managers))
    return {code: int(n) for code, n in sorted(rows.tuples())}


def _last_states(rows: Iterable[Any], key: str) -> dict[Any, Any]:
    """The last row per ``key`` (rows ordered by time, then event id for a tie)."""
    last: dict[Any, Any] = {}
    for row in rows:
        last[row[key]] = row
    return last


async def _clients(
    session: AsyncSession,
    managers: Managers,
    out: dict[uuid.UUID | None, Tally],
    start_at: datetime,
    end_at: datetime,
) -> None:
    cs = sc_client_states.c
    query = (
        select(
            cs.client_id,
            cs.name,
            cs.status,
            cs.old_status,
            cs.at,
            cs.created_at,
            cs.account_manager_id,
        )
        .where(cs.at < end_at)
        .order_by(cs.at, cs.event_id)
    )
    rows = list((await session.execute(query)).mappings())
    for row in _last_states(rows, "client_id").values():
        if managers is not None and row["account_manager_id"] not in managers:
            continue
        if row["status"] in CLIENT_STATUSES:
            _tally(out, row["account_manager_id"]).count(f"clients_{row['status']}")
        if start_at <= row["created_at"] < end_at:
            _tally(out, row["account_manager_id"]).count("new_clients")
    for row in rows:
        churned = row["status"] == "churned" and row["old_status"] not in (None, "churned")
        if (
            churned
            and row["at"] >= start_at
            and (managers is None or row["account_manager_id"] in managers)
        ):
            _tally(out, row["account_manager_id"]).count("churned_clients")


async def churned_clients(
    session: AsyncSession, managers: Managers, start_at: datetime, end_at: datetime
) -> list[str]:
    """Names of the clients churned in the period (for the scheduled report)."""
    cs = sc_client_states.c
    query = (
        select(cs.name)
        .where(
            cs.status == "churned", cs.old_status != "churned", cs.at >= start_at, cs.at < end_at
        )
        .order_by(cs.name)
    )
    return list(await session.scalars(_scoped(query, cs.account_manager_id, managers)))


async def _pipeline(
    session: AsyncSession,
    managers: Managers,
    out: dict[uuid.UUID | None, Tally],
    start_at: datetime,
    end_at: datetime,
) -> None:
    op = sc_opportunity_states.c
    query = (
        select(op.opportunity_id, op.stage, op.amount, op.currency, op.at, op.account_manager_id)
        .where(op.at < end_at)
        .order_by(op.at, op.event_id)
    )
    rows = list((await session.execute(_scoped(query, op.account_manager_id, managers))).mappings())
    for row in _last_states(rows, "opportunity_id").values():
        tally = _tally(out, row["account_manager_id"])
        if row["stage"] in OPEN_STAGES:
            tally.count(f"pipeline_{row['stage']}")
            if row["amount"] is not None and row["currency"]:
                tally.money_in(f"pipeline_{row['stage']}_value", row["currency"], row["amount"])
        elif row["stage"] == "won" and row["at"] >= start_at:
            tally.count("deals_won")


async def overdue_balances(
    session: AsyncSession, managers: Managers, end: date, end_at: datetime
) -> list[dict[str, Any]]:
    """Invoices due before ``end`` with a balance left at ``end_at``."""
    inv, al = sc_invoices.c, sc_allocations.c
    # Only invoices that can have a balance then: one left now, or paid (in part) since.
    candidates = _scoped(
        select(inv.invoice_id).where(
            inv.issue_date < end,
            inv.due_date < end,
            inv.status.notin_(("void", "draft")),
            (inv.balance > 0)
            | inv.invoice_id.in_(select(al.invoice_id).where(al.received_at >= end_at)),
        ),
        inv.account_manager_id,
        managers,
    )
    query = select(
        inv.invoice_id,
        inv.client_id,
        inv.client_name,
        inv.account_manager_id,
        inv.currency,
        inv.total,
        inv.balance,
    ).where(inv.invoice_id.in_(candidates))
    invoices = list((await session.execute(query)).mappings())
    if not invoices:
        return []
    due = candidates
    before: dict[uuid.UUID, Decimal] = {}
    after: dict[uuid.UUID, Decimal] = {}
    query_al = select(al.invoice_id, al.received_at, al.amount).where(al.invoice_id.in_(due))
    for invoice_id, received_at, amount in await session.execute(query_al):
        side = before if received_at < end_at else after
        side[invoice_id] = side.get(invoice_id, Decimal(0)) + amount
    result = []
    for row in invoices:
        # Two upper bounds of the balance then: what the payments before left of the total
        # (credit applied is not a payment), and the balance last seen plus what payments
        # since settled (an invoice event is not sent for every partial payment).
        left = row["total"] - before.get(row["invoice_id"], Decimal(0))
        seen = row["balance"] + after.get(row["invoice_id"], Decimal(0))
        balance = max(Decimal(0), min(left, seen))
        if balance > 0:
            result.append({**row, "balance": balance})
    return result


async def _overdue(
    session: AsyncSession,
    managers: Managers,
    out: dict[uuid.UUID | None, Tally],
    end: date,
    end_at: datetime,
) -> None:
    for row in await overdue_balances(session, managers, end, end_at):
        _tally(out, row["account_manager_id"]).money_in(
            "overdue_balance", row["currency"], row["balance"]
        )
