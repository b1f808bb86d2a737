"""/api/v1/reports: ageing, revenue, LTV, payment discipline, pipeline; each as JSON, CSV
or Excel (``?format=csv|xlsx`` or the ``Accept`` header)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Header, Query, Response

from services.billing.api.deps import RuntimeDep, StaffDep
from services.billing.api.exports import ReportOut, render, written_json
from services.billing.domain.dates import today_in
from services.billing.store import reports
from shared.errors import Invalid
from shared.exports import EXPORT_RESPONSES, Format, negotiate

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

FormatQuery = Annotated[Format | None, Query(description="json (default), csv or xlsx")]
AcceptHeader = Annotated[str | None, Header(include_in_schema=False)]


def _today(runtime: RuntimeDep) -> date:
    """UTC's date: only the name of an exported file (``aging-2026-11-23.csv``)."""
    return today_in("UTC", runtime.clock.now())


@router.get(
    "/aging", response_model=ReportOut, responses=EXPORT_RESPONSES, operation_id="agingReport"
)
async def aging(
    caller: StaffDep,
    runtime: RuntimeDep,
    as_of: date | None = None,
    account_manager_id: uuid.UUID | None = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Per client and currency (then totals per currency): open amounts on ``as_of`` by days
    overdue: current, 1-30, 31-60, 61-90, 90+. Without ``as_of``, each client's own today:
    the date in the client's timezone (the one its invoices' dates are in), so an invoice
    issued today is in at once, east of UTC too (at 23:30 UTC it is already tomorrow in
    Berlin and Tokyo); ``parameters.as_of`` is then null."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        if as_of is None and negotiate(format, accept) == "json":
            rows = await reports.aging_json(session, caller, now, account_manager_id)
            if rows is not None:
                parameters = {"as_of": None, "account_manager_id": account_manager_id}
                return written_json("aging", parameters, reports.AGING_COLUMNS, rows)
        report = await reports.aging(session, caller, as_of, now, account_manager_id)
    return await render(report, format, accept, _today(runtime))


@router.get(
    "/revenue", response_model=ReportOut, responses=EXPORT_RESPONSES, operation_id="revenueReport"
)
async def revenue(
    caller: StaffDep,
    runtime: RuntimeDep,
    from_: Annotated[date | None, Query(alias="from")] = None,
    to: date | None = None,
    account_manager_id: uuid.UUID | None = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Invoiced and collected per account manager and currency, ``from`` to ``to``. Without
    them, each client's current month so far: from the first of the month to today, both
    in the client's timezone (``parameters.from``/``to`` are then null)."""
    if from_ is not None and to is not None and to < from_:
        raise Invalid(
            "to is before from", [{"loc": ["query", "to"], "msg": "must not be before from"}]
        )
    async with runtime.sessions() as session:
        report = await reports.revenue(
            session, caller, from_, to, runtime.clock.now(), account_manager_id
        )
    return await render(report, format, accept, _today(runtime))


@router.get("/ltv", response_model=ReportOut, responses=EXPORT_RESPONSES, operation_id="ltvReport")
async def ltv(
    caller: StaffDep,
    runtime: RuntimeDep,
    client_id: uuid.UUID | None = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Lifetime value per client and currency: invoiced, collected, open."""
    async with runtime.sessions() as session:
        report = await reports.ltv(session, caller, client_id)
    return await render(report, format, accept, _today(runtime))


@router.get(
    "/payment-discipline",
    response_model=ReportOut,
    responses=EXPORT_RESPONSES,
    operation_id="paymentDisciplineReport",
)
async def payment_discipline(
    caller: StaffDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Per client and currency: invoices paid, share paid on time, average days late, DSO,
    overdue balance; overdue on each client's today (the date in its timezone) at
    ``parameters.at``."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        if negotiate(format, accept) == "json":
            rows = await reports.payment_discipline_json(session, caller, now, account_manager_id)
            if rows is not None:
                parameters = {"at": now, "account_manager_id": account_manager_id}
                return written_json(
                    "payment-discipline", parameters, reports.DISCIPLINE_COLUMNS, rows
                )
        report = await reports.payment_discipline(session, caller, now, account_manager_id)
    return await render(report, format, accept, _today(runtime))


@router.get(
    "/pipeline", response_model=ReportOut, responses=EXPORT_RESPONSES, operation_id="pipelineReport"
)
async def pipeline(
    caller: StaffDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    format: FormatQuery = None,
    accept: AcceptHeader = None,
) -> Response:
    """Open opportunities by account manager, stage and currency."""
    async with runtime.sessions() as session:
        report = await reports.pipeline(session, caller, account_manager_id)
    return await render(report, format, accept, _today(runtime))
