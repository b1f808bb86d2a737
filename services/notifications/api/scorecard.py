"""``GET /api/v1/reports/scorecard``: the KPIs of a period (day, week, month, quarter) with
the previous period and the same period a year earlier, as JSON (default), CSV or an Excel
workbook with charts (``?format=csv|xlsx`` or the ``Accept`` header)."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Header, Query, Response
from pydantic import BaseModel, Field

from services.notifications.api.deps import OTHERS_READS, CallerDep, RuntimeDep
from services.notifications.domain.scorecard.periods import Period
from services.notifications.handlers import preferences
from services.notifications.handlers.scorecard import report
from services.notifications.handlers.scorecard.workbook import plain_rows, text_rows, write_workbook
from shared.clock import local_date
from shared.commands import run_command
from shared.errors import Invalid
from shared.exports import EXPORT_RESPONSES, Format, report_response
from shared.inputs import In

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])

EARLIEST, LATEST = date(1901, 1, 1), date(2999, 12, 31)


class ScorecardOut(BaseModel):
    """The scorecard: its parameters (period, bounds, timezone), columns and rows (one per
    scope level, KPI and currency; amounts and ratios as decimal strings)."""

    report: Literal["scorecard"]
    parameters: dict[str, Any]
    columns: list[str]
    rows: list[dict[str, Any]]
    closed: dict[str, int] = Field(
        description="the requests of the scope opened in the period and closed as not real "
        "ones (left out of every request KPI), per close code, as /reports/sla has them",
    )


@router.get(
    "/scorecard",
    response_model=ScorecardOut,
    operation_id="scorecardReport",
    dependencies=[OTHERS_READS],
    responses=EXPORT_RESPONSES,
)
async def scorecard(
    caller: CallerDep,
    runtime: RuntimeDep,
    period: Period = "week",
    date_: Annotated[date | None, Query(alias="date")] = None,
    department: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    account_manager_id: uuid.UUID | None = None,
    format: Annotated[Format | None, Query(description="json (default), csv or xlsx")] = None,
    accept: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Response:
    """Per manager in the caller's scope, per department and in total: revenue invoiced (less
    credit notes) and collected (per currency), clients by status, new and churned clients,
    open pipeline by stage, NPS, CSAT, requests answered on time and breached, median first
    response, meetings and their reports, contact-cadence lapses, overdue balance. The period
    holding ``date`` (default today, in the reader's timezone). Corrections count no more: a
    retracted interaction, a request closed as not one (counted apart in ``closed`` per close
    code, JSON only), withdrawn feedback, a reversed payment."""
    if date_ is not None and not EARLIEST <= date_ <= LATEST:
        raise Invalid(
            "date is out of range",
            [{"loc": ["query", "date"], "msg": "must be between 1901-01-01 and 2999-12-31"}],
        )
    now = runtime.clock.now()

    def today(timezone: str) -> date:
        return local_date(now, timezone)

    async with runtime.sessions() as session:
        card = await report.scorecard(
            session,
            caller,
            period,
            date_,
            today,
            department=department,
            account_manager_id=account_manager_id,
        )
    return await report_response(
        format,
        accept,
        body=lambda: ScorecardOut(
            report="scorecard",
            parameters=card.parameters,
            columns=report.COLUMNS,
            rows=plain_rows(card),
            closed=card.closed,
        ),
        filename=f"scorecard-{card.period}-{card.span.label}",
        header=report.COLUMNS,
        rows=text_rows(card),
        workbook=lambda book: write_workbook(book, card),
    )


class SubscriptionsIn(In):
    """Which scheduled reports to get: a report not named keeps its choice."""

    day: bool | None = None
    week: bool | None = None
    month: bool | None = None


class SubscriptionsOut(BaseModel):
    day: bool
    week: bool
    month: bool


@router.get(
    "/scorecard/subscriptions",
    response_model=SubscriptionsOut,
    operation_id="scorecardSubscriptions",
)
async def get_subscriptions(
    caller: CallerDep, runtime: RuntimeDep, staff_id: uuid.UUID | None = None
) -> SubscriptionsOut:
    """The scheduled reports (daily, weekly, monthly) of the caller, or of ``staff_id`` for
    an admin: on unless turned off."""
    async with runtime.sessions() as session:
        chosen = await preferences.report_subscriptions_of(session, caller, staff_id or caller.id)
    return SubscriptionsOut(**chosen)


@router.put(
    "/scorecard/subscriptions",
    response_model=SubscriptionsOut,
    operation_id="setScorecardSubscriptions",
)
async def put_subscriptions(
    body: SubscriptionsIn, caller: CallerDep, runtime: RuntimeDep
) -> Response:
    """Turn the caller's daily, weekly or monthly report on or off (heads and admins)."""
    return await run_command(
        runtime.uow,
        lambda uow: preferences.set_report_subscriptions(uow, caller, body.model_dump()),
        lambda chosen: SubscriptionsOut(**chosen),
        caller_id=caller.id,
    )
