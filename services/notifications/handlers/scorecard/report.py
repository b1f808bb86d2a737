"""The scorecard use case: the KPIs of a period in the caller's scope, with the previous
period and the same period a year earlier side by side and the change.

Scope as everywhere: a manager sees themself, a head their team (who reports to them or
shares their department, and themself), an admin everyone (facts of clients without a
manager too), a ``service`` token nobody (an empty scorecard, like every report). A filter
outside the caller's scope is a 403. Periods are in the reader's
timezone (their staff record's; UTC for an admin without one).

Rows are long: one per scope level (manager, department, total), KPI and currency, so JSON,
CSV and Excel render the same rows.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.scorecard.kpis import MONEY_KPIS, Tally, change
from services.notifications.domain.scorecard.periods import (
    Period,
    Span,
    previous,
    span_of,
    utc_bounds,
    year_earlier,
)
from services.notifications.store.scorecard import queries
from services.notifications.store.scorecard.queries import Managers, StaffRow
from shared.auth import Caller, Role
from shared.errors import Forbidden

COLUMNS = [
    "level",
    "department",
    "manager_id",
    "manager",
    "kpi",
    "currency",
    "current",
    "previous",
    "year_ago",
    "change",
    "change_percent",
    "change_year",
    "change_year_percent",
]
TREND_PERIODS = 8
UNASSIGNED = "(unassigned)"


@dataclass
class Scorecard:
    period: Period
    timezone: str
    span: Span
    previous: Span
    year_ago: Span
    rows: list[dict[str, Any]]
    # for the charts: revenue per manager (current period) and SLA compliance per period
    revenue_by_manager: list[tuple[str, dict[str, Decimal]]] = field(default_factory=list)
    sla_trend: list[tuple[str, Decimal | None]] = field(default_factory=list)
    members: list[StaffRow] = field(default_factory=list)
    # the requests opened in the period and closed as not real ones, per close code
    closed: dict[str, int] = field(default_factory=dict)
    current_tallies: dict[uuid.UUID | None, Tally] = field(default_factory=dict)
    previous_tallies: dict[uuid.UUID | None, Tally] = field(default_factory=dict)

    @property
    def parameters(self) -> dict[str, Any]:
        return {
            "period": self.period,
            "timezone": self.timezone,
            "start": self.span.start.isoformat(),
            "end": self.span.last_day.isoformat(),
            "label": self.span.label,
            "previous": {
                "start": self.previous.start.isoformat(),
                "end": self.previous.last_day.isoformat(),
            },
            "year_ago": {
                "start": self.year_ago.start.isoformat(),
                "end": self.year_ago.last_day.isoformat(),
            },
        }


@dataclass(frozen=True)
class Audience:
    """Whose KPIs a reader gets: ``members`` (the staff rows shown) and ``managers`` (the
    account-manager filter of the facts; None: everything)."""

    members: list[StaffRow]
    managers: Managers
    timezone: str


async def audience(
    session: AsyncSession,
    caller: Caller,
    department: str | None = None,
    account_manager_id: uuid.UUID | None = None,
) -> Audience:
    staff = await queries.all_staff(session)
    me = next((s for s in staff if s.id == caller.id), None)
    timezone = me.timezone if me else "UTC"
    if caller.company_wide:  # an admin, an integration
        members = staff
    elif caller.role == Role.HEAD:
        members = queries.team_of(me or caller.id, staff)
        if department is not None and department != caller.department:
            raise Forbidden("a head sees the scorecard of their own department")
    elif caller.role == Role.MANAGER:
        members = [me] if me else []
        if department is not None and department != caller.department:
            raise Forbidden("a manager sees their own scorecard")
    else:  # a service token: a caller with no scope, an empty scorecard
        members = []
    in_scope = account_manager_id is None or account_manager_id in {m.id for m in members}
    if not in_scope and not caller.company_wide:
        raise Forbidden("that account manager is outside your scope")
    filtered = department is not None or account_manager_id is not None
    if department is not None:
        members = [m for m in members if m.department == department]
    if account_manager_id is not None:
        members = [m for m in members if m.id == account_manager_id]
    if caller.company_wide and not filtered:
        return Audience(members, None, timezone)
    managers: set[uuid.UUID | None] = {m.id for m in members}
    if account_manager_id is not None:
        managers = {account_manager_id}
    return Audience(members, managers, timezone)


async def _tallies(
    session: AsyncSession, who: Audience, span: Span
) -> dict[uuid.UUID | None, Tally]:
    start_at, end_at = utc_bounds(span, who.timezone)
    return await queries.tallies(
        session, who.managers, start=span.start, end=span.end, start_at=start_at, end_at=end_at
    )


def _total(tallies: dict[uuid.UUID | None, Tally], keys: Any = None) -> Tally:
    total = Tally()
    for key, tally in tallies.items():
        if keys is None or key in keys:
            total.add(tally)
    return total


def _rows(
    level: str,
    department: str | None,
    manager_id: uuid.UUID | None,
    manager: str | None,
    now: Tally,
    before: Tally,
    year: Tally,
) -> list[dict[str, Any]]:
    base = {"level": level, "department": department, "manager_id": manager_id, "manager": manager}
    current, prev, ago = now.values(), before.values(), year.values()
    rows: list[dict[str, Any]] = []
    for kpi, value in current.items():
        if kpi in MONEY_KPIS:
            money_now, money_prev, money_ago = value, prev[kpi], ago[kpi]
            assert isinstance(money_now, dict)
            assert isinstance(money_prev, dict) and isinstance(money_ago, dict)
            for currency in sorted(set(money_now) | set(money_prev) | set(money_ago)):
                a, b, c = (m.get(currency, Decimal(0)) for m in (money_now, money_prev, money_ago))
                rows.append(_row(base, kpi, currency, a, b, c))
            continue
        rows.append(_row(base, kpi, None, value, prev[kpi], ago[kpi]))
    return rows


def _row(
    base: dict[str, Any], kpi: str, currency: str | None, a: Any, b: Any, c: Any
) -> dict[str, Any]:
    to_prev, to_year = change(a, b), change(a, c)
    return {
        **base,
        "kpi": kpi,
        "currency": currency,
        "current": a,
        "previous": b,
        "year_ago": c,
        "change": to_prev["delta"],
        "change_percent": to_prev["percent"],
        "change_year": to_year["delta"],
        "change_year_percent": to_year["percent"],
    }


async def scorecard(
    session: AsyncSession,
    caller: Caller,
    period: Period,
    day: date | None,
    today: Any,
    *,
    department: str | None = None,
    account_manager_id: uuid.UUID | None = None,
) -> Scorecard:
    """The scorecard of the ``period`` holding ``day`` (default: today in the reader's
    timezone, ``today(timezone)``)."""
    who = await audience(session, caller, department, account_manager_id)
    return await scorecard_for(session, who, period, day or today(who.timezone))


async def scorecard_for(
    session: AsyncSession, who: Audience, period: Period, day: date
) -> Scorecard:
    span = span_of(period, day)
    spans = (span, previous(span), year_earlier(span))
    now, before, ago = [await _tallies(session, who, s) for s in spans]
    rows: list[dict[str, Any]] = []
    members = sorted(who.members, key=lambda m: (m.department or "", m.name))
    for member in members:
        rows += _rows(
            "manager",
            member.department,
            member.id,
            member.name,
            now.get(member.id, Tally()),
            before.get(member.id, Tally()),
            ago.get(member.id, Tally()),
        )
    if who.managers is None and any(None in t for t in (now, before, ago)):
        rows += _rows(
            "manager",
            None,
            None,
            UNASSIGNED,
            now.get(None, Tally()),
            before.get(None, Tally()),
            ago.get(None, Tally()),
        )
    departments = sorted({m.department for m in members if m.department})
    for dep in departments:
        ids = {m.id for m in members if m.department == dep}
        rows += _rows(
            "department", dep, None, None, _total(now, ids), _total(before, ids), _total(ago, ids)
        )
    keys = None if who.managers is None else who.managers
    rows += _rows(
        "total", None, None, None, _total(now, keys), _total(before, keys), _total(ago, keys)
    )

    revenue = [
        (m.name, now[m.id].money["revenue_invoiced"])
        for m in members
        if m.id in now and now[m.id].money["revenue_invoiced"]
    ]
    trend: list[tuple[str, Decimal | None]] = []
    point = span
    points = []
    for _ in range(TREND_PERIODS):
        points.append(point)
        point = previous(point)
    for point in reversed(points):
        if point == span:
            found = now
        else:
            start_at, end_at = utc_bounds(point, who.timezone)
            found = await queries.sla_tallies(session, who.managers, start_at, end_at)
        tally = _total(found, keys)
        value = tally.values()["sla_compliance"]
        trend.append((point.label, value if isinstance(value, Decimal) else None))
    start_at, end_at = utc_bounds(span, who.timezone)
    return Scorecard(
        period=period,
        timezone=who.timezone,
        span=span,
        previous=spans[1],
        year_ago=spans[2],
        rows=rows,
        revenue_by_manager=revenue,
        sla_trend=trend,
        members=members,
        closed=await queries.closed_requests(session, who.managers, start_at, end_at),
        current_tallies=now,
        previous_tallies=before,
    )
