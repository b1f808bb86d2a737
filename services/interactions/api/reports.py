"""/api/v1/reports: SLA compliance, contact cadence, feedback and activity, each as JSON, CSV
or Excel (``?format=csv|xlsx`` or ``Accept``), within the caller's scope."""

from __future__ import annotations

import uuid
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from pydantic_core import to_json

from services.interactions.api.deps import CallerDep, RuntimeDep
from services.interactions.api.exports import Column, render
from services.interactions.api.params import FromParam, ToParam, lower_bound, upper_bound
from services.interactions.api.schemas import (
    ActivityReportOut,
    CadenceReportOut,
    FeedbackReportOut,
    SlaReportOut,
)
from services.interactions.domain.interactions import TYPES
from services.interactions.store import reports
from shared.exports import EXPORT_RESPONSES, Format, json_around, negotiate

router = APIRouter(prefix="/api/v1/reports", tags=["reports"])


def _get(key: str, *path: str) -> Any:
    def get(row: dict[str, Any]) -> Any:
        value: Any = row.get(key)
        for part in path:
            value = (value or {}).get(part)
        return value

    return get


SLA_FIGURES: list[Column] = [
    (name, _get(name))
    for name in ("requests", "answered", "answered_on_time", "breached", "open", "compliance_pct")
] + [
    ("first_response_minutes_median", _get("first_response_minutes", "median")),
    ("first_response_minutes_p90", _get("first_response_minutes", "p90")),
    ("missed_calls", _get("missed_calls")),
    ("callback_minutes_median", _get("callback_minutes", "median")),
    ("callback_minutes_p90", _get("callback_minutes", "p90")),
]


@router.get(
    "/sla", response_model=SlaReportOut, operation_id="slaReport", responses=EXPORT_RESPONSES
)
async def sla_report(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    since: FromParam = None,
    until: ToParam = None,
    format: Format | None = None,
) -> Response:
    """Requests opened in the period: answered, on time, breached, open, compliance and the
    median and p90 first-response business minutes, the missed calls and their callback
    minutes (clock time, median and p90), overall and per account manager; the requests
    closed as not real ones (left out of the figures) per close code. CSV and Excel: one
    line per manager, then the overall line."""
    async with runtime.sessions() as session:
        data = await reports.sla_report(
            session,
            caller,
            runtime.clock.now(),
            account_manager_id=account_manager_id,
            since=lower_bound(since),
            until=upper_bound(until),
        )
    rows = [*data["managers"], {**data, "account_manager_id": None, "name": "(all)"}]
    columns: list[Column] = [
        ("account_manager_id", _get("account_manager_id")),
        ("name", _get("name")),
        *SLA_FIGURES,
    ]
    return await render(
        request,
        format,
        name="sla",
        body=SlaReportOut.model_validate(data),
        columns=columns,
        rows=rows,
    )


@router.get(
    "/contact-cadence",
    response_model=CadenceReportOut,
    operation_id="contactCadenceReport",
    responses=EXPORT_RESPONSES,
)
async def contact_cadence(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    overdue: bool = False,
    format: Format | None = None,
) -> Response:
    """Per client: the last outbound contact, the cadence, when the next contact is due and
    the days overdue, soonest due first (``overdue=true``: only the clients overdue)."""
    now = runtime.clock.now()
    async with runtime.sessions() as session:
        if negotiate(format, request.headers.get("accept")) == "json":
            written = await reports.contact_cadence_json(
                session, caller, now, account_manager_id=account_manager_id, overdue_only=overdue
            )
            if written is not None:  # PostgreSQL wrote the rows: the document around them
                return json_around({"as_of": now}, {"items": written})
        rows = await reports.contact_cadence_report(
            session, caller, now, account_manager_id=account_manager_id, overdue_only=overdue
        )
    columns: list[Column] = [
        (name, _get(name))
        for name in (
            "client_id",
            "client_name",
            "status",
            "account_manager_id",
            "account_manager_name",
            "last_contact_at",
            "contact_cadence_days",
            "next_contact_due_at",
            "overdue",
            "days_overdue",
        )
    ]
    # JSON straight from the rows (a head's are thousands; CadenceReportOut documents them):
    # they hold the model's types already, so validating them first only costs time
    body = to_json({"as_of": now, "items": rows})
    return await render(
        request, format, name="contact-cadence", body=body, columns=columns, rows=rows
    )


@router.get(
    "/feedback",
    response_model=FeedbackReportOut,
    operation_id="feedbackReport",
    responses=EXPORT_RESPONSES,
)
async def feedback_report(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    since: FromParam = None,
    until: ToParam = None,
    format: Format | None = None,
) -> Response:
    """Feedback received in the period: responses, promoters, passives, detractors, NPS and
    the CSAT average, overall and per account manager."""
    async with runtime.sessions() as session:
        data = await reports.feedback_report(
            session,
            caller,
            account_manager_id=account_manager_id,
            since=lower_bound(since),
            until=upper_bound(until),
        )
    rows = [*data["managers"], {**data, "account_manager_id": None, "name": "(all)"}]
    columns: list[Column] = [
        (name, _get(name))
        for name in (
            "account_manager_id",
            "name",
            "responses",
            "nps_responses",
            "promoters",
            "passives",
            "detractors",
            "nps",
            "csat_responses",
            "csat_avg",
            "low",
        )
    ]
    return await render(
        request,
        format,
        name="feedback",
        body=FeedbackReportOut.model_validate(data),
        columns=columns,
        rows=rows,
    )


@router.get(
    "/activity",
    response_model=ActivityReportOut,
    operation_id="activityReport",
    responses=EXPORT_RESPONSES,
)
async def activity_report(
    request: Request,
    caller: CallerDep,
    runtime: RuntimeDep,
    account_manager_id: uuid.UUID | None = None,
    since: FromParam = None,
    until: ToParam = None,
    format: Format | None = None,
) -> Response:
    """Per member of staff, interactions they logged in the period (with the caller's
    clients) by type, meetings, and meeting reports on time, late, missing or pending."""
    lower, upper = lower_bound(since), upper_bound(until)
    async with runtime.sessions() as session:
        rows = await reports.activity_report(
            session,
            caller,
            runtime.clock.now(),
            account_manager_id=account_manager_id,
            since=lower,
            until=upper,
        )
    columns: list[Column] = [
        ("staff_id", _get("staff_id")),
        ("name", _get("name")),
        ("interactions", _get("interactions")),
        *[(kind, _get("by_type", kind)) for kind in TYPES],
        *[
            (name, _get(name))
            for name in (
                "meetings",
                "reports_on_time",
                "reports_late",
                "reports_missing",
                "reports_pending",
                "reports_on_time_pct",
            )
        ],
    ]
    body = ActivityReportOut.model_validate({"from": lower, "to": upper, "items": rows})
    return await render(request, format, name="activity", body=body, columns=columns, rows=rows)
