"""One client at a glance: ``GET /api/v1/clients/{id}/timeline`` (what happened, newest first,
from every service's events) and ``GET /api/v1/clients/{id}/summary`` (the figures at the top
of a client's page), both read from the notifications service's projection (no call to
another service); scoped like the client (out of scope: 404)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict

from services.notifications.api.deps import OTHERS_READS, CallerDep, RuntimeDep
from services.notifications.domain.timeline import TIMELINE_TYPES, TimelineType, parse_types
from services.notifications.handlers import timeline as use_cases
from shared.errors import Invalid
from shared.money import format_amount
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page

router = APIRouter(prefix="/api/v1/clients", tags=["timeline"], dependencies=[OTHERS_READS])


class TimelineItemOut(BaseModel):
    """One entry: ``id`` is the thing's own id (the interaction, request, meeting, task,
    invoice...; an alert: the event that raised it), ``details`` its fields by ``type``."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    at: datetime
    type: TimelineType
    id: uuid.UUID
    title: str
    details: dict[str, Any]


class AmountOut(BaseModel):
    currency: str
    amount: str


class ScoreOut(BaseModel):
    score: int
    at: datetime


class SummaryOut(BaseModel):
    """The figures of a client's page. ``nearest_deadline``: of its open requests (the SLA
    due time, or the promised answer once acknowledged); ``days_since_last_contact`` in the
    client's timezone, ``next_contact_due`` the last contact plus its cadence; amounts per
    currency (``overdue``: unpaid past their due date, in the client's timezone);
    ``contract_end``: the nearest end of its active contracts."""

    model_config = ConfigDict(json_schema_serialization_defaults_required=True)

    client_id: uuid.UUID
    today: date
    open_requests: int
    nearest_deadline: datetime | None
    last_contact_at: datetime | None
    days_since_last_contact: int | None
    next_contact_due: datetime | None
    open_tasks: int
    next_task_due: datetime | None
    outstanding: list[AmountOut]
    overdue: list[AmountOut]
    last_nps: ScoreOut | None
    last_csat: ScoreOut | None
    contract_end: date | None


def _amounts(values: dict[str, Any]) -> list[AmountOut]:
    return [AmountOut(currency=c, amount=format_amount(values[c], c)) for c in sorted(values)]


def _score(value: tuple[int, datetime] | None) -> ScoreOut | None:
    return ScoreOut(score=value[0], at=value[1]) if value else None


def summary_out(s: use_cases.Summary) -> SummaryOut:
    return SummaryOut(
        client_id=s.client_id,
        today=s.today,
        open_requests=s.open_requests,
        nearest_deadline=s.nearest_deadline,
        last_contact_at=s.last_contact_at,
        days_since_last_contact=s.days_since_last_contact,
        next_contact_due=s.next_contact_due,
        open_tasks=s.open_tasks,
        next_task_due=s.next_task_due,
        outstanding=_amounts(s.amounts.outstanding),
        overdue=_amounts(s.amounts.overdue),
        last_nps=_score(s.last_nps),
        last_csat=_score(s.last_csat),
        contract_end=s.contract_end,
    )


def item_out(row: Any) -> TimelineItemOut:
    return TimelineItemOut(
        at=row.at, type=row.type, id=row.entity_id, title=row.title, details=row.details
    )


TYPES_HELP = f"entry types, comma-separated or repeated: {', '.join(TIMELINE_TYPES)}"


@router.get(
    "/{client_id}/timeline",
    response_model=Page[TimelineItemOut],
    operation_id="clientTimeline",
)
async def client_timeline(
    client_id: uuid.UUID,
    caller: CallerDep,
    runtime: RuntimeDep,
    types: Annotated[list[str] | None, Query(description=TYPES_HELP)] = None,
    before: Annotated[AwareDatetime | None, Query(description="entries before this")] = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[TimelineItemOut]:
    """What happened with the client, newest first: interactions, requests with their SLA
    state, planned meetings and meeting reports, tasks, feedback, contracts, invoices,
    payments, opportunities' stage changes and the alerts raised about the client."""
    chosen, unknown = parse_types(types or [])
    if unknown:
        raise Invalid(
            f"unknown timeline types: {', '.join(unknown)}",
            [{"loc": ["query", "types"], "msg": f"expected some of {', '.join(TIMELINE_TYPES)}"}],
        )
    async with runtime.reads() as session:
        rows, next_cursor = await use_cases.timeline_page(
            session, caller, client_id, types=chosen, before=before, limit=limit, cursor=cursor
        )
    return Page(items=[item_out(r) for r in rows], next_cursor=next_cursor)


@router.get("/{client_id}/summary", response_model=SummaryOut, operation_id="clientSummary")
async def client_summary(
    client_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> SummaryOut:
    """The client's open requests and nearest deadline, last and next contact, open tasks,
    outstanding and overdue amounts per currency, last NPS and CSAT, and contract end."""
    async with runtime.reads() as session:
        summary = await use_cases.client_summary(session, caller, client_id, runtime.clock.now())
    return summary_out(summary)
