"""The scans of the interactions service, as scheduled jobs (``shared.scheduler``).

Each scan selects its due rows through a partial index on the open rows, in batches of
``scan_batch_size`` (one transaction each), locks them ``FOR UPDATE SKIP LOCKED`` (a replica
scanning at the same time takes other rows, and a use case changing a row — answering a
request — makes the scan pass it by), flags them and emits each alert with
``uow.emit_once(key, event)``: a deterministic key per rule and subject, so an alert is
emitted once however often the scan runs and however many replicas run it. The clock is the
scheduler's (``now`` is passed in).

The conditions repeat the indexes' predicates with literals (``status = 'open'``, ``NOT
flag``), so PostgreSQL can prove a partial index applies whatever plan it caches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, literal_column, or_, select

from services.interactions.domain import cadence, sla
from services.interactions.domain.meetings import meeting_report_hours
from services.interactions.domain.tasks import overdue_key
from services.interactions.events import (
    ContactOverdueV1,
    MeetingReportOverdueV1,
    RequestPromiseBrokenV1,
    SlaAtRiskV1,
    SlaBreachedV1,
    TaskOverdueV1,
)
from services.interactions.handlers.snapshots import meeting_fields, request_fields, task_fields
from services.interactions.settings import InteractionsSettings
from services.interactions.store import repository as repo
from services.interactions.store.models import ContactCadence, Interaction, Request, Task
from shared.calendar import business_minutes_between, parse_calendar
from shared.replicas import client_replica
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWork, UnitOfWorkFactory

OPEN: ColumnElement[str] = literal_column("'open'")
ACKNOWLEDGED: ColumnElement[str] = literal_column("'acknowledged'")
ACTIVE: ColumnElement[str] = literal_column("'active'")

Handle = Callable[[UnitOfWork, list[Any], dict[Any, repo.ClientInfo], datetime],
                  Awaitable[int]]


async def scan(
    uow_factory: UnitOfWorkFactory, query: Select[Any], handle: Handle, now: datetime,
    batch_size: int, client_of: Callable[[Any], Any],
) -> int:
    """Run ``query`` (due rows, locked, skipping locked ones) batch by batch; ``handle``
    flags each batch's rows and emits their alerts in the batch's transaction."""
    emitted = 0
    while True:
        async with uow_factory() as uow:
            rows = list((await uow.session.execute(query.limit(batch_size))).all())
            if not rows:
                return emitted
            clients = await repo.clients_info(uow.session, {client_of(r) for r in rows})
            emitted += await handle(uow, rows, clients, now)
            await uow.session.flush()
            await uow.commit()
        if len(rows) < batch_size:
            return emitted


def _locked(query: Any, entity: type[Any]) -> Select[Any]:
    return query.with_for_update(of=entity, skip_locked=True).execution_options(
        populate_existing=True)


# ---------------------------------------------------------------- requests


def breach_query(now: datetime) -> Select[Any]:
    return _locked(
        select(Request, Interaction).join(Interaction, Interaction.id == Request.interaction_id)
        .where(Request.status == OPEN, Request.due_at <= now).order_by(Request.due_at),
        Request)


async def _breached(uow: UnitOfWork, rows: list[Any], clients: dict[Any, repo.ClientInfo],
                    now: datetime) -> int:
    emitted = 0
    for request, interaction in rows:
        request.status = "breached"
        request.breached = True
        request.updated_at = now
        client = clients.get(request.client_id)
        if client is None:
            continue
        event = SlaBreachedV1(**request_fields(request, interaction, client, now))
        if await uow.emit_once(f"sla.breached:{request.id}", event):
            emitted += 1
    return emitted


async def scan_breaches(uow_factory: UnitOfWorkFactory, now: datetime,
                        batch_size: int = 500) -> int:
    """``sla.breached`` once per request whose due date passed with no first response."""
    return await scan(uow_factory, breach_query(now), _breached, now, batch_size,
                      lambda row: row[0].client_id)


def at_risk_query(now: datetime) -> Select[Any]:
    return _locked(
        select(Request, Interaction).join(Interaction, Interaction.id == Request.interaction_id)
        .where(Request.status == OPEN, ~Request.at_risk_notified, Request.at_risk_at <= now)
        .order_by(Request.at_risk_at),
        Request)


async def _at_risk(uow: UnitOfWork, rows: list[Any], clients: dict[Any, repo.ClientInfo],
                   now: datetime) -> int:
    emitted = 0
    for request, interaction in rows:
        request.at_risk_notified = True
        client = clients.get(request.client_id)
        if client is None or request.due_at <= now:
            continue  # past due already: the breach says it
        calendar = parse_calendar(request.calendar)
        event = SlaAtRiskV1(
            **request_fields(request, interaction, client, now), at_risk_at=request.at_risk_at,
            elapsed_fraction=round(sla.elapsed_fraction(
                request.opened_at, request.due_at, now, calendar), 4),
            minutes_left=business_minutes_between(now, request.due_at, calendar),
        )
        if await uow.emit_once(f"sla.at_risk:{request.id}", event):
            emitted += 1
    return emitted


async def scan_at_risk(uow_factory: UnitOfWorkFactory, now: datetime,
                       batch_size: int = 500) -> int:
    """``sla.at_risk`` once per open request past its at-risk instant (a share of the
    business-time window, ``ORBIT_SLA_AT_RISK_FRACTION``) and not yet due."""
    return await scan(uow_factory, at_risk_query(now), _at_risk, now, batch_size,
                      lambda row: row[0].client_id)


def promise_query(now: datetime) -> Select[Any]:
    return _locked(
        select(Request, Interaction).join(Interaction, Interaction.id == Request.interaction_id)
        .where(Request.status == ACKNOWLEDGED, ~Request.promise_broken,
               Request.promised_by <= now)
        .order_by(Request.promised_by),
        Request)


async def _promise_broken(uow: UnitOfWork, rows: list[Any],
                          clients: dict[Any, repo.ClientInfo], now: datetime) -> int:
    emitted = 0
    for request, interaction in rows:
        request.promise_broken = True
        request.updated_at = now
        client = clients.get(request.client_id)
        if client is None:
            continue
        event = RequestPromiseBrokenV1(**request_fields(request, interaction, client, now))
        if await uow.emit_once(f"request.promise_broken:{request.id}", event):
            emitted += 1
    return emitted


async def scan_promises(uow_factory: UnitOfWorkFactory, now: datetime,
                        batch_size: int = 500) -> int:
    """``request.promise_broken`` once per acknowledged request whose promise passed."""
    return await scan(uow_factory, promise_query(now), _promise_broken, now, batch_size,
                      lambda row: row[0].client_id)


# ---------------------------------------------------------------- meetings, tasks, cadence


def report_query(now: datetime) -> Select[Any]:
    return _locked(
        select(Interaction).where(
            Interaction.report_due_at.is_not(None), Interaction.report_submitted_at.is_(None),
            ~Interaction.report_overdue_notified, Interaction.report_due_at < now)
        .order_by(Interaction.report_due_at),
        Interaction)


async def _report_overdue(uow: UnitOfWork, rows: list[Any],
                          clients: dict[Any, repo.ClientInfo], now: datetime) -> int:
    emitted = 0
    for (meeting,) in rows:
        meeting.report_overdue_notified = True
        client = clients.get(meeting.client_id)
        if client is None:
            continue
        event = MeetingReportOverdueV1(**meeting_fields(meeting, client),
                                       meeting_report_hours=meeting_report_hours(client.sla))
        if await uow.emit_once(f"meeting.report_overdue:{meeting.id}", event):
            emitted += 1
    return emitted


async def scan_reports(uow_factory: UnitOfWorkFactory, now: datetime,
                       batch_size: int = 500) -> int:
    """``meeting.report_overdue`` once per past meeting without a report by its deadline."""
    return await scan(uow_factory, report_query(now), _report_overdue, now, batch_size,
                      lambda row: row[0].client_id)


def task_query(now: datetime) -> Select[Any]:
    return _locked(
        select(Task).where(Task.status == OPEN, ~Task.overdue_notified, Task.due_at < now)
        .order_by(Task.due_at),
        Task)


async def _task_overdue(uow: UnitOfWork, rows: list[Any], clients: dict[Any, repo.ClientInfo],
                        now: datetime) -> int:
    emitted = 0
    for (task,) in rows:
        task.overdue_notified = True
        client = clients.get(task.client_id)
        if client is None:
            continue
        if await uow.emit_once(overdue_key(task.id, task.due_at),
                               TaskOverdueV1(**task_fields(task, client))):
            emitted += 1
    return emitted


async def scan_tasks(uow_factory: UnitOfWorkFactory, now: datetime,
                     batch_size: int = 500) -> int:
    """``task.overdue`` once per open task and deadline (a moved deadline can lapse again)."""
    return await scan(uow_factory, task_query(now), _task_overdue, now, batch_size,
                      lambda row: row[0].client_id)


def cadence_query(now: datetime) -> Select[Any]:
    return _locked(
        select(ContactCadence)
        .join(client_replica, client_replica.c.id == ContactCadence.client_id)
        .where(or_(ContactCadence.notified_due_at.is_(None),
                   ContactCadence.notified_due_at != ContactCadence.due_at),
               ContactCadence.due_at <= now, client_replica.c.status == ACTIVE)
        .order_by(ContactCadence.due_at),
        ContactCadence)


async def _contact_overdue(uow: UnitOfWork, rows: list[Any],
                           clients: dict[Any, repo.ClientInfo], now: datetime) -> int:
    emitted = 0
    for (row,) in rows:
        row.notified_due_at = row.due_at
        client = clients.get(row.client_id)
        if client is None:
            continue
        event = ContactOverdueV1(
            **client.team(), last_contact_at=row.last_contact_at,
            contact_cadence_days=row.cadence_days, due_at=row.due_at,
            days_overdue=cadence.days_overdue(row.due_at, now),
        )
        if await uow.emit_once(cadence.lapse_key(row.client_id, row.due_at), event):
            emitted += 1
    return emitted


async def scan_contact_cadence(uow_factory: UnitOfWorkFactory, now: datetime,
                               batch_size: int = 500) -> int:
    """``client.contact_overdue`` once per lapse of an active client's contact cadence."""
    return await scan(uow_factory, cadence_query(now), _contact_overdue, now, batch_size,
                      lambda row: row[0].client_id)


# ---------------------------------------------------------------- the jobs


class ScanJob:
    """One scan as a scheduled job, with the batch size from the service's settings."""

    def __init__(self, scan: Callable[[UnitOfWorkFactory, datetime, int], Awaitable[int]],
                 batch_size: int) -> None:
        self.scan = scan
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await self.scan(uow_factory, now, self.batch_size)


SCANS = {
    "sla_breached": scan_breaches,
    "sla_at_risk": scan_at_risk,
    "promise_broken": scan_promises,
    "meeting_report_overdue": scan_reports,
    "task_overdue": scan_tasks,
    "contact_overdue": scan_contact_cadence,
}


def scheduled_jobs(settings: InteractionsSettings) -> Mapping[str, ScheduledJob]:
    """The service's scans, bound to its settings. Breaches run before at-risk, so a request
    found past due by the same round is announced as breached only."""
    return {name: ScanJob(job, settings.scan_batch_size) for name, job in SCANS.items()}
