"""The scans of the interactions service, as scheduled jobs (``shared.scheduler``).

Each scan claims its due rows in batches of ``interactions_scan_batch_size`` (one transaction
each) with one ``UPDATE … RETURNING``: its subquery selects the due keys through a partial
index on the open rows and locks them ``FOR UPDATE SKIP LOCKED`` (a replica scanning at the
same time takes other rows; a row a use case holds — a request being answered — is passed by,
and one changed and committed meanwhile is re-checked and left), the UPDATE sets the flag that
takes the rows out of the index and returns the narrow columns their alerts need (a request
carries its interaction's type, subject and contacts: no join). The alerts are emitted with
``uow.emit_once_many``: a deterministic key per rule, subject and due instant, so an alert is
emitted once however often the scan runs and however many replicas run it. Four statements a
batch, whatever its size. The clock is the scheduler's (``now`` is passed in). A scan that
changes a request's state (breached, at risk, promise broken) writes the change to each
claimed request's audit trail with ``actor_id`` null (the system): one more INSERT a batch
(``Scan.audited``, ``shared.audit.record_many``).

The conditions repeat the indexes' predicates with literals (``status = 'open'``, ``NOT
flag``), so PostgreSQL can prove a partial index applies whatever plan it caches.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache, partial
from operator import attrgetter
from typing import Any, cast

from sqlalchemy import ColumnElement, Select, Text, exists, literal_column, or_, select, update
from sqlalchemy import cast as cast_
from sqlalchemy.exc import IntegrityError

from services.interactions.domain import cadence, planned, promises, sla
from services.interactions.domain import mail as mail_rules
from services.interactions.domain import tasks as task_rules
from services.interactions.domain.meetings import meeting_report_hours
from services.interactions.events import (
    ContactDueSoonV1,
    ContactOverdueV1,
    MeetingNoOutcomeV1,
    MeetingReminderV1,
    MeetingReportOverdueV1,
    RequestPromiseBrokenV1,
    SlaAtRiskV1,
    SlaBreachedV1,
    TaskDueSoonV1,
    TaskOverdueV1,
)
from services.interactions.handlers.mail import attachment_retry, keep_attachments, take_in
from services.interactions.mailbox import Fetched, Mailbox, fetch_new
from services.interactions.settings import InteractionsSettings
from services.interactions.snapshots import (
    meeting_fields,
    planned_meeting_fields,
    request_fields,
    task_fields,
)
from services.interactions.store import mail as mail_store
from services.interactions.store.models import (
    ContactCadence,
    Interaction,
    PlannedMeeting,
    Request,
    Task,
)
from shared import audit
from shared.calendar import BusinessCalendar, business_minutes_between, parse_calendar
from shared.messaging.envelope import Event
from shared.replicas import ClientView, client_replica, client_views
from shared.scheduler import ScheduledJob
from shared.uow import UnitOfWorkFactory

log = logging.getLogger("orbit.interactions.email_in")

OPEN: ColumnElement[str] = literal_column("'open'")
PLANNED: ColumnElement[str] = literal_column("'planned'")
ACKNOWLEDGED: ColumnElement[str] = literal_column("'acknowledged'")
ACTIVE: ColumnElement[str] = literal_column("'active'")

Alert = tuple[str, Event]
Build = Callable[[Any, ClientView, datetime], Alert | None]
# a scan as a job's body: (unit of work factory, now, batch size) -> alerts emitted
ScanRun = Callable[[UnitOfWorkFactory, datetime, int], Awaitable[int]]
# the mailbox read (blocking, run in a thread): (mailbox, (uidvalidity, last uid), limit)
Fetch = Callable[[Mailbox, tuple[int, int] | None, int], Fetched]


@dataclass(frozen=True)
class Scan:
    """A scan: the query of its due rows' keys (through the partial index, in the order they
    fell due), the entity whose rows it claims, the flags a claim sets, the columns the alerts
    need (``client_id`` among them), the column the batch is ordered by, the alert of a
    claimed row, and what the claim changes in each row's audit trail (its entity and the
    fields' old and new values; None: nothing audited, a notice flag only)."""

    query: Callable[[datetime], Select[Any]]
    entity: type[Any]
    key: Any
    flags: Callable[[datetime], dict[str, Any]]
    columns: tuple[Any, ...]
    order: str
    build: Build
    audited: tuple[str, Mapping[str, audit.Change]] | None = None

    def due(self, now: datetime) -> Select[Any]:
        """The due rows' keys, locked ``FOR UPDATE SKIP LOCKED``: rows another scanner or a
        use case holds are passed by; a row changed and committed meanwhile is checked again
        against the conditions (PostgreSQL's re-check of a locked row) and left if it no longer
        matches."""
        return self.query(now).with_for_update(of=self.entity, skip_locked=True)

    def claim(self, now: datetime, batch_size: int) -> Any:
        """One statement: flag a batch of due rows and return what their alerts need."""
        return (
            update(self.entity)
            .where(self.key.in_(self.due(now).limit(batch_size).scalar_subquery()))
            .values(**self.flags(now))
            .returning(*self.columns)
            .execution_options(synchronize_session=False)
        )


async def run_scan(
    spec: Scan, uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int
) -> int:
    """Batch by batch, one transaction each: claim a batch of due rows (one ``UPDATE …
    RETURNING`` that selects them through the partial index, locks them skipping rows locked
    elsewhere, and flags them out of the index), read their clients, emit their alerts with
    ``emit_once_many`` (two statements). Returns the alerts emitted."""
    emitted = 0
    while True:
        async with uow_factory() as uow:
            rows = list((await uow.session.execute(spec.claim(now, batch_size))).all())
            if not rows:
                return emitted
            rows.sort(key=attrgetter(spec.order))  # RETURNING keeps no order
            if spec.audited is not None:
                entity, changes = spec.audited
                await audit.record_many(uow, None, [(entity, row.id, changes) for row in rows])
            clients = await client_views(uow.session, {row.client_id for row in rows})
            alerts = [
                alert
                for row in rows
                if (client := clients.get(row.client_id)) is not None
                and (alert := spec.build(row, client, now)) is not None
            ]
            emitted += await uow.emit_once_many(alerts)
            await uow.commit()
        if len(rows) < batch_size:
            return emitted


# ---------------------------------------------------------------- requests

# what a request's alerts carry (``request_fields``), returned by the claim
REQUEST_COLUMNS = (
    Request.id,
    Request.client_id,
    Request.interaction_id,
    Request.interaction_type,
    Request.subject,
    Request.contact_ids,
    Request.status,
    Request.opened_at,
    Request.due_at,
    Request.first_response_minutes,
    Request.breached,
    Request.answered_at,
    Request.acknowledged_at,
    Request.promised_by,
    Request.resolved_at,
    Request.on_hold_minutes,
)


def _requests(*conditions: Any) -> Select[Any]:
    return select(Request.id).where(*conditions)


def breach_query(now: datetime) -> Select[Any]:
    return _requests(Request.status == OPEN, Request.due_at <= now).order_by(Request.due_at)


def _breached(row: Any, client: ClientView, now: datetime) -> Alert:
    fields = {**request_fields(row, client, now), "status": "breached", "breached": True}
    return f"sla.breached:{row.id}", SlaBreachedV1(**fields)


def at_risk_query(now: datetime) -> Select[Any]:
    return _requests(
        Request.status == OPEN, ~Request.at_risk_notified, Request.at_risk_at <= now
    ).order_by(Request.at_risk_at)


@lru_cache(maxsize=256)
def _calendar(data: str) -> BusinessCalendar:
    """A request's calendar from its JSON text (few distinct calendars: parsed once each)."""
    return parse_calendar(json.loads(data))


def _at_risk(row: Any, client: ClientView, now: datetime) -> Alert | None:
    if row.due_at <= now:
        return None  # past due already: the breach says it
    calendar = _calendar(row.calendar_json)
    return f"sla.at_risk:{row.id}", SlaAtRiskV1(
        **request_fields(row, client, now),
        at_risk_at=row.at_risk_at,
        elapsed_fraction=round(sla.elapsed_fraction(row.opened_at, row.due_at, now, calendar), 4),
        minutes_left=business_minutes_between(now, row.due_at, calendar),
    )


def promise_query(now: datetime) -> Select[Any]:
    return _requests(
        Request.status == ACKNOWLEDGED, ~Request.promise_broken, Request.promised_by <= now
    ).order_by(Request.promised_by)


def _promise_broken(row: Any, client: ClientView, now: datetime) -> Alert:
    return (
        promises.broken_key(row.id, row.promised_by),
        RequestPromiseBrokenV1(**request_fields(row, client, now)),
    )


# ---------------------------------------------------------------- meetings, tasks, cadence


def report_query(now: datetime) -> Select[Any]:
    return (
        select(Interaction.id)
        .where(
            Interaction.report_due_at.is_not(None),
            Interaction.report_submitted_at.is_(None),
            ~Interaction.report_overdue_notified,
            Interaction.report_due_at < now,
            Interaction.retracted_at.is_(None),  # a retracted meeting's report is due no more
        )
        .order_by(Interaction.report_due_at)
    )


def _report_overdue(row: Any, client: ClientView, now: datetime) -> Alert:
    return f"meeting.report_overdue:{row.id}", MeetingReportOverdueV1(
        **meeting_fields(cast(Any, row), client),
        meeting_report_hours=meeting_report_hours(client.sla),
    )


def task_query(now: datetime) -> Select[Any]:
    return (
        select(Task.id)
        .where(
            Task.status == OPEN,
            ~Task.overdue_notified,
            Task.due_at < now,
        )
        .order_by(Task.due_at)
    )


def _task_overdue(row: Any, client: ClientView, now: datetime) -> Alert:
    return task_rules.overdue_key(row.id, row.due_at), TaskOverdueV1(
        **task_fields(cast(Any, row), client)
    )


def _task_due_soon(lead: timedelta, row: Any, client: ClientView, now: datetime) -> Alert | None:
    if not task_rules.is_due_soon(row.status, row.due_at, now, lead):
        return None  # past its deadline already: task.overdue says it
    return task_rules.due_soon_key(row.id, row.due_at), TaskDueSoonV1(
        **task_fields(cast(Any, row), client),
        hours_left=task_rules.hours_left(row.due_at, now),
    )


def _uncovered(now: datetime, grace: timedelta) -> ColumnElement[bool]:
    """No planned meeting covers the client's lapse (``cadence.covers``): none still planned
    that starts by the lapse and ended less than ``grace`` ago (or has not ended)."""
    return ~exists().where(
        PlannedMeeting.client_id == ContactCadence.client_id,
        PlannedMeeting.status == PLANNED,
        PlannedMeeting.starts_at <= ContactCadence.due_at,
        PlannedMeeting.ends_at > now - grace,
    )


def _lapses(flag: Any, until: datetime, now: datetime, grace: timedelta) -> Select[Any]:
    """Active clients whose cadence lapses at or before ``until``, whose lapse the rule
    recording its due instant in ``flag`` has not handled yet and no planned meeting covers
    (a covered lapse stays in the index: its alert comes once the cover ends, if it does
    before a contact moves the lapse)."""
    return (
        select(ContactCadence.client_id)
        .join(client_replica, client_replica.c.id == ContactCadence.client_id)
        .where(
            or_(flag.is_(None), flag != ContactCadence.due_at),
            ContactCadence.due_at <= until,
            client_replica.c.status == ACTIVE,
            _uncovered(now, grace),
        )
        .order_by(ContactCadence.due_at)
    )


def cadence_query(grace: timedelta, now: datetime) -> Select[Any]:
    return _lapses(ContactCadence.notified_due_at, now, now, grace)


def contact_due_soon_query(lead_days: int, grace: timedelta, now: datetime) -> Select[Any]:
    return _lapses(ContactCadence.warned_due_at, now + timedelta(days=lead_days), now, grace)


def _contact_due_soon(lead_days: int, row: Any, client: ClientView, now: datetime) -> Alert | None:
    if not cadence.is_due_soon(row.due_at, now, row.cadence_days, lead_days):
        return None  # lapsed already (contact_overdue), or a cadence too short to warn of
    return cadence.due_soon_key(row.client_id, row.due_at), ContactDueSoonV1(
        **client.team(),
        last_contact_at=row.last_contact_at,
        contact_cadence_days=row.cadence_days,
        due_at=row.due_at,
        days_left=cadence.days_left(row.due_at, now),
    )


def _contact_overdue(row: Any, client: ClientView, now: datetime) -> Alert:
    return cadence.lapse_key(row.client_id, row.due_at), ContactOverdueV1(
        **client.team(),
        last_contact_at=row.last_contact_at,
        contact_cadence_days=row.cadence_days,
        due_at=row.due_at,
        days_overdue=cadence.days_overdue(row.due_at, now),
    )


BREACHES = Scan(
    breach_query,
    Request,
    Request.id,
    lambda now: {"status": "breached", "breached": True, "updated_at": now},
    REQUEST_COLUMNS,
    "due_at",
    _breached,
    ("request", {"status": ("open", "breached"), "breached": (False, True)}),
)
AT_RISK = Scan(
    at_risk_query,
    Request,
    Request.id,
    lambda now: {"at_risk_notified": True},
    (*REQUEST_COLUMNS, Request.at_risk_at, cast_(Request.calendar, Text).label("calendar_json")),
    "at_risk_at",
    _at_risk,
    ("request", {"at_risk_notified": (False, True)}),
)
PROMISES = Scan(
    promise_query,
    Request,
    Request.id,
    lambda now: {"promise_broken": True, "updated_at": now},
    REQUEST_COLUMNS,
    "promised_by",
    _promise_broken,
    ("request", {"promise_broken": (False, True)}),
)
REPORTS = Scan(
    report_query,
    Interaction,
    Interaction.id,
    lambda now: {"report_overdue_notified": True},
    tuple(Interaction.__table__.columns),
    "report_due_at",
    _report_overdue,
)
TASKS = Scan(
    task_query,
    Task,
    Task.id,
    lambda now: {"overdue_notified": True},
    tuple(Task.__table__.columns),
    "due_at",
    _task_overdue,
)
# ---------------------------------------------------------------- planned meetings


def _reminder(lead: timedelta, row: Any, client: ClientView, now: datetime) -> Alert | None:
    if not planned.is_reminder_due(row.status, row.starts_at, now, lead):
        return None  # begun already: too late to remind
    return planned.reminder_key(row.id, row.starts_at), MeetingReminderV1(
        **planned_meeting_fields(cast(Any, row), client),
        lead_minutes=int(lead / timedelta(minutes=1)),
    )


def _no_outcome(row: Any, client: ClientView, now: datetime) -> Alert:
    return planned.no_outcome_key(row.id, row.ends_at), MeetingNoOutcomeV1(
        **planned_meeting_fields(cast(Any, row), client),
        hours_since_end=planned.hours_since(row.ends_at, now),
    )


def _flag_scan(
    column: Any,
    flag: str,
    status: ColumnElement[str],
    until: Callable[[datetime], datetime],
    build: Build,
) -> Scan:
    """A scan of the rows in ``status`` whose ``column`` is at or before ``until(now)`` and
    whose boolean ``flag`` is not set (the partial index on ``column`` holds those), setting
    it."""
    entity = column.class_

    def query(now: datetime) -> Select[Any]:
        return (
            select(entity.id)
            .where(entity.status == status, ~getattr(entity, flag), column <= until(now))
            .order_by(column)
        )

    return Scan(
        query,
        entity,
        entity.id,
        lambda now: {flag: True},
        tuple(entity.__table__.columns),
        column.key,
        build,
    )


def meeting_reminders(lead: timedelta) -> Scan:
    """``meeting.reminder``: planned meetings starting within ``lead``."""
    return _flag_scan(
        PlannedMeeting.starts_at,
        "reminder_notified",
        PLANNED,
        lambda now: now + lead,
        partial(_reminder, lead),
    )


def meetings_without_outcome(after: timedelta) -> Scan:
    """``meeting.no_outcome``: meetings still planned ``after`` their end."""
    return _flag_scan(
        PlannedMeeting.ends_at, "no_outcome_notified", PLANNED, lambda now: now - after, _no_outcome
    )


def task_due_soon(lead: timedelta) -> Scan:
    """``task.due_soon``: open tasks whose deadline is at most ``lead`` away."""
    return _flag_scan(
        Task.due_at,
        "due_soon_notified",
        OPEN,
        lambda now: now + lead,
        partial(_task_due_soon, lead),
    )


def _cadence_scan(query: Callable[[datetime], Select[Any]], flag: str, build: Build) -> Scan:
    """A scan of the contact cadence, recording the lapse handled (its due instant) in
    ``flag``."""
    return Scan(
        query,
        ContactCadence,
        ContactCadence.client_id,
        lambda now: {flag: ContactCadence.due_at},
        tuple(ContactCadence.__table__.columns),
        "due_at",
        build,
    )


def contact_overdue(grace: timedelta) -> Scan:
    """``client.contact_overdue``: active clients whose cadence lapsed, unless a planned
    meeting covers the lapse (``cadence.covers``, ``grace``: its time to be marked held)."""
    return _cadence_scan(partial(cadence_query, grace), "notified_due_at", _contact_overdue)


def contact_due_soon(lead_days: int, grace: timedelta) -> Scan:
    """``client.contact_due_soon``: active clients whose cadence lapses within ``lead_days``,
    unless a planned meeting covers the lapse."""
    return _cadence_scan(
        partial(contact_due_soon_query, lead_days, grace),
        "warned_due_at",
        partial(_contact_due_soon, lead_days),
    )


async def scan_breaches(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    """``sla.breached`` once per request whose due date passed with no first response."""
    return await run_scan(BREACHES, uow_factory, now, batch_size)


async def scan_at_risk(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    """``sla.at_risk`` once per open request past its at-risk instant (a share of the
    business-time window, ``ORBIT_INTERACTIONS_SLA_AT_RISK_FRACTION``) and not yet due."""
    return await run_scan(AT_RISK, uow_factory, now, batch_size)


async def scan_promises(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    """``request.promise_broken`` once per acknowledged request whose promise passed."""
    return await run_scan(PROMISES, uow_factory, now, batch_size)


async def scan_reports(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    """``meeting.report_overdue`` once per past meeting without a report by its deadline."""
    return await run_scan(REPORTS, uow_factory, now, batch_size)


async def scan_tasks(uow_factory: UnitOfWorkFactory, now: datetime, batch_size: int) -> int:
    """``task.overdue`` once per open task and deadline (a moved deadline can lapse again)."""
    return await run_scan(TASKS, uow_factory, now, batch_size)


# ---------------------------------------------------------------- the jobs


class ScanJob:
    """One scan as a scheduled job, with the batch size from the service's settings."""

    def __init__(self, scan: ScanRun, batch_size: int) -> None:
        self.scan = scan
        self.batch_size = batch_size

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        return await self.scan(uow_factory, now, self.batch_size)


def scans(settings: InteractionsSettings) -> dict[str, ScanRun]:
    """The service's scans, those warning ahead with the leads of ``settings``. Breaches run
    before at-risk, so a request found past due by the same round is announced as breached
    only. A planned meeting keeps a client's cadence alerts quiet while it covers the lapse
    (``cadence.covers``), until ``ORBIT_INTERACTIONS_MEETING_NO_OUTCOME_HOURS`` after its
    end: the time it has to be marked held."""
    grace = timedelta(hours=settings.interactions_meeting_no_outcome_hours)
    return {
        "sla_breached": scan_breaches,
        "sla_at_risk": scan_at_risk,
        "promise_broken": scan_promises,
        "meeting_report_overdue": scan_reports,
        "task_overdue": scan_tasks,
        "task_due_soon": partial(
            run_scan, task_due_soon(timedelta(hours=settings.interactions_task_due_soon_hours))
        ),
        "contact_overdue": partial(run_scan, contact_overdue(grace)),
        "contact_due_soon": partial(
            run_scan, contact_due_soon(settings.interactions_contact_due_soon_days, grace)
        ),
        "meeting_reminder": partial(
            run_scan,
            meeting_reminders(timedelta(minutes=settings.interactions_meeting_reminder_minutes)),
        ),
        "meeting_no_outcome": partial(
            run_scan,
            meetings_without_outcome(
                timedelta(hours=settings.interactions_meeting_no_outcome_hours)
            ),
        ),
    }


# the scans with the default settings (not read from the environment)
SCANS = scans(InteractionsSettings.model_construct())


# ---------------------------------------------------------------- email in


class MailboxPoll:
    """Email in (``handlers/mail.py``): at most every ``ORBIT_INTERACTIONS_IMAP_POLL_SECONDS``,
    the mailbox's new messages, each taken in in a transaction of its own that also records
    its UID read, so a message is taken in once whatever fails between two of them; two
    replicas polling at once collide on the Message-ID's unique key, and the loser passes the
    message by. Returns the messages logged on a client."""

    def __init__(self, settings: InteractionsSettings, fetch: Fetch = fetch_new) -> None:
        self.settings = settings
        self.mailbox = Mailbox.of(settings)
        self.fetch = fetch
        self.polled_at: datetime | None = None
        # Called when messages with attachments to keep were taken in (attachment_workers).
        self.kept_attachments: Callable[[], None] | None = None

    async def __call__(self, uow_factory: UnitOfWorkFactory, now: datetime) -> int:
        interval = timedelta(seconds=self.settings.interactions_imap_poll_seconds)
        if self.polled_at is not None and now - self.polled_at < interval:
            return 0
        name = self.mailbox.name
        async with uow_factory() as uow:
            state = await mail_store.mailbox_state(uow.session, name)
            known = (state.uidvalidity, state.last_uid) if state else None
        fetched = await asyncio.to_thread(
            self.fetch, self.mailbox, known, self.settings.interactions_imap_batch_size
        )
        self.polled_at = now
        logged = 0
        for uid, raw in fetched.messages:
            fallback = f"<uid.{fetched.uidvalidity}.{uid}@mailbox.orbit>"
            try:
                mail = mail_rules.parse_mail(raw, fallback)
            except Exception:  # a poison message must not stop the mailbox
                log.exception("email in: message %s of %s could not be parsed", uid, name)
                mail = mail_rules.unreadable(fallback)
            try:
                async with uow_factory() as uow:
                    record = await take_in(uow, name, uid, mail, self.settings)
                    await mail_store.advance(uow.session, name, fetched.uidvalidity, uid, now)
                    await uow.commit()
            except IntegrityError:
                log.info("email in: %s taken in by another poll", mail.message_id)
                continue
            logged += record is not None and record.outcome == "logged"
            waiting = record is not None and any(
                a["status"] == "pending" for a in record.attachments
            )
            if waiting and self.kept_attachments is not None:
                self.kept_attachments()
        return logged


class AttachmentKeeper:
    """Hands the attachments of logged mail to the files (``handlers/mail.py``:
    ``keep_attachments``): at once when this process took a message in with some
    (:meth:`wake`: the webhook, the mailbox's poll), and every
    ``ORBIT_INTERACTIONS_EMAIL_ATTACHMENTS_SECONDS`` (the files unreachable before, a message
    another replica took in). One the files do not take within
    ``ORBIT_INTERACTIONS_EMAIL_ATTACHMENT_MAX_ATTEMPTS`` or ``..._MAX_AGE_HOURS`` expires."""

    BATCH = 50

    def __init__(self, runtime: Any) -> None:
        self.runtime = runtime
        self.seconds = runtime.settings.interactions_email_attachments_seconds
        self.retry = attachment_retry(runtime.settings)
        self.woken = asyncio.Event()

    def wake(self) -> None:
        self.woken.set()

    async def run(self) -> None:
        if self.runtime.files is None:
            log.warning(
                "email in: no way to the files (ORBIT_CLIENTS_URL): the attachments of "
                "inbound mail wait, kept in this service's database, until they expire"
            )
        while True:
            self.woken.clear()
            keep = self.runtime.files
            try:
                while (
                    await keep_attachments(self.runtime.uow, keep, self.BATCH, self.retry)
                    == self.BATCH
                ):
                    pass  # a full batch: more may wait (no way to the files: expiry only)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("email in: keeping attachments failed (again in %.0fs)", self.seconds)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.woken.wait(), self.seconds)


def attachment_workers(runtime: Any) -> dict[str, Callable[[], Awaitable[None]]]:
    """``ServiceSpec.workers``: the attachment keeper (``runtime.attachment_keeper``), woken
    by the webhook and the mailbox's poll."""
    keeper = AttachmentKeeper(runtime)
    runtime.attachment_keeper = keeper
    poll = runtime.scheduler.jobs.get("email_in")
    if isinstance(poll, MailboxPoll):
        poll.kept_attachments = keeper.wake
    return {"email_attachments": keeper.run}


def scheduled_jobs(settings: InteractionsSettings) -> Mapping[str, ScheduledJob]:
    """The service's scans, bound to its settings; the mailbox's poll when one is set."""
    jobs: dict[str, ScheduledJob] = {
        name: ScanJob(job, settings.interactions_scan_batch_size)
        for name, job in scans(settings).items()
    }
    if settings.interactions_imap_url:
        jobs["email_in"] = MailboxPoll(settings)
    return jobs
