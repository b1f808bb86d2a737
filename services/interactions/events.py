"""Events the interactions service publishes (topic ``orbit.interactions``, key = client id).

Each carries what a subscriber needs to act without calling back: the client and its account
manager, the manager's department and the head responsible for escalations (``head_id``: the
manager's head; a head with no head above answers themself; else null), and the state of the
request, meeting, task or feedback concerned. Frozen; a breaking change is a new ``...V2``.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict

from services.interactions.domain.feedback import FeedbackKind
from services.interactions.domain.interactions import Direction, InteractionType
from services.interactions.domain.planned import MeetingKind, MeetingStatus
from services.interactions.domain.sla import CloseCode, RequestStatus
from services.interactions.domain.tasks import TaskStatus
from shared.messaging.envelope import Event


class ContactRefV1(BaseModel):
    """One of the client's contacts, as the interactions service knows it (its replica)."""

    model_config = ConfigDict(frozen=True)

    contact_id: uuid.UUID
    name: str | None
    email: str | None


class ClientEvent(Event):
    """The client an event is about, with its account manager's team."""

    client_id: uuid.UUID
    client_name: str | None
    account_manager_id: uuid.UUID | None
    account_manager_department: str | None
    head_id: uuid.UUID | None


class InteractionLoggedV1(ClientEvent):
    TYPE: ClassVar[str] = "orbit.interactions.interaction.logged.v1"

    interaction_id: uuid.UUID
    type: InteractionType
    direction: Direction
    occurred_at: datetime
    subject: str | None
    summary: str | None
    contact_ids: list[uuid.UUID]
    requires_response: bool
    missed: bool
    responds_to: uuid.UUID | None
    promise_by: datetime | None
    author_id: uuid.UUID
    # the request it opened, if any
    request_id: uuid.UUID | None
    # whether it counts as contacting the client (contact cadence)
    is_contact: bool


class InteractionRetractedV1(ClientEvent):
    """An interaction logged by mistake, retracted: it counts no more: not as a contact
    (``was_contact``: the cadence counts from the last contact that still does), nor its
    request (``request_id``: closed, code ``retracted``), nor in the reports."""

    TYPE: ClassVar[str] = "orbit.interactions.interaction.retracted.v1"

    interaction_id: uuid.UUID
    type: InteractionType
    direction: Direction
    occurred_at: datetime
    author_id: uuid.UUID
    request_id: uuid.UUID | None
    was_contact: bool
    retracted_at: datetime
    retracted_by: uuid.UUID
    reason: str


class RequestSnapshot(ClientEvent):
    """A request's state: when it opened and is due (in the client's business calendar,
    ``first_response_minutes`` of it), its status and first response."""

    request_id: uuid.UUID
    interaction_id: uuid.UUID
    interaction_type: InteractionType
    subject: str | None
    contact_ids: list[uuid.UUID]
    status: RequestStatus
    opened_at: datetime
    due_at: datetime
    first_response_minutes: int
    breached: bool
    answered_at: datetime | None
    acknowledged_at: datetime | None
    promised_by: datetime | None
    resolved_at: datetime | None
    on_hold_minutes: int


class RequestOpenedV1(RequestSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.request.opened.v1"

    at_risk_at: datetime


class RequestAnsweredV1(RequestSnapshot):
    """A reply to the request: its first response (``status`` acknowledged when it promises
    the full answer by ``promised_by``, else answered) or, after a promise, the resolution."""

    TYPE: ClassVar[str] = "orbit.interactions.request.answered.v1"

    response_interaction_id: uuid.UUID
    responded_by: uuid.UUID
    # business minutes from opening to the first response (on-hold time excluded)
    response_minutes: int | None
    first_response: bool


class RequestHeldV1(RequestSnapshot):
    """Waiting on the client: the request's SLA clock stopped (``status`` on_hold) at
    ``held_at``; no at-risk or breach alert while held."""

    TYPE: ClassVar[str] = "orbit.interactions.request.held.v1"

    held_at: datetime
    held_by: uuid.UUID
    reason: str


class RequestResumedV1(RequestSnapshot):
    """The clock restarted: ``due_at`` and ``at_risk_at`` moved by the business minutes the
    hold lasted (``held_minutes``; ``on_hold_minutes`` is the total so far)."""

    TYPE: ClassVar[str] = "orbit.interactions.request.resumed.v1"

    at_risk_at: datetime
    held_minutes: int
    resumed_by: uuid.UUID


class RequestClosedV1(RequestSnapshot):
    """Not a real request (spam, a duplicate, misdirected): closed with a reason and its
    ``code``; it leaves the SLA figures (a projection that counted it takes it out)."""

    TYPE: ClassVar[str] = "orbit.interactions.request.closed.v1"

    closed_at: datetime
    closed_by: uuid.UUID
    code: CloseCode
    reason: str


class SlaAtRiskV1(RequestSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.sla.at_risk.v1"

    at_risk_at: datetime
    elapsed_fraction: float
    minutes_left: int


class SlaBreachedV1(RequestSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.sla.breached.v1"


class RequestPromiseBrokenV1(RequestSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.request.promise_broken.v1"


class ContactOverdueV1(ClientEvent):
    """An active client nobody reached out to for ``contact_cadence_days``: once per lapse."""

    TYPE: ClassVar[str] = "orbit.interactions.client.contact_overdue.v1"

    last_contact_at: datetime | None
    contact_cadence_days: int
    due_at: datetime
    days_overdue: int


class ContactDueSoonV1(ClientEvent):
    """An active client's contact cadence lapses in ``days_left`` days (a configurable lead,
    ``ORBIT_INTERACTIONS_CONTACT_DUE_SOON_DAYS``): once per lapse, while there is time to act."""

    TYPE: ClassVar[str] = "orbit.interactions.client.contact_due_soon.v1"

    last_contact_at: datetime | None
    contact_cadence_days: int
    due_at: datetime
    days_left: int


class MeetingSnapshot(ClientEvent):
    interaction_id: uuid.UUID
    subject: str | None
    occurred_at: datetime
    author_id: uuid.UUID
    contact_ids: list[uuid.UUID]
    report_due_at: datetime


class MeetingReportSubmittedV1(MeetingSnapshot):
    """The minutes of a meeting, with the client's participants to send them to."""

    TYPE: ClassVar[str] = "orbit.interactions.meeting.report_submitted.v1"

    contacts: list[ContactRefV1]
    summary: str
    decisions: list[str]
    next_steps: list[str]
    submitted_by: uuid.UUID
    submitted_at: datetime
    on_time: bool


class MeetingReportAmendedV1(MeetingSnapshot):
    """The minutes of a meeting corrected (``revision`` 1 for the first amendment), with
    the client's participants to send them to again."""

    TYPE: ClassVar[str] = "orbit.interactions.meeting.report_amended.v1"

    contacts: list[ContactRefV1]
    summary: str
    decisions: list[str]
    next_steps: list[str]
    amended_by: uuid.UUID
    amended_at: datetime
    reason: str
    revision: int


class MeetingReportOverdueV1(MeetingSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.meeting.report_overdue.v1"

    meeting_report_hours: int


class TaskSnapshot(ClientEvent):
    task_id: uuid.UUID
    title: str
    due_at: datetime
    assignee_id: uuid.UUID
    status: TaskStatus
    interaction_id: uuid.UUID | None
    created_by: uuid.UUID


class TaskAssignedV1(TaskSnapshot):
    """A task given to ``assignee_id``: on creation (``previous_assignee_id`` null) and on
    each reassignment."""

    TYPE: ClassVar[str] = "orbit.interactions.task.assigned.v1"

    previous_assignee_id: uuid.UUID | None
    assigned_by: uuid.UUID


class TaskCompletedV1(TaskSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.task.completed.v1"

    completed_at: datetime
    completed_by: uuid.UUID


class TaskDueSoonV1(TaskSnapshot):
    """An open task's deadline is ``hours_left`` hours away (a configurable lead,
    ``ORBIT_INTERACTIONS_TASK_DUE_SOON_HOURS``): once per task and deadline."""

    TYPE: ClassVar[str] = "orbit.interactions.task.due_soon.v1"

    hours_left: int


class TaskOverdueV1(TaskSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.task.overdue.v1"


class TaskDeadlineMovedV1(TaskSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.task.deadline_moved.v1"

    old_due_at: datetime
    new_due_at: datetime
    reason: str | None
    moved_by: uuid.UUID


class FeedbackWithdrawnV1(ClientEvent):
    """Feedback entered by mistake, withdrawn: it no longer counts (NPS, CSAT, low scores);
    a projection that counted its ``feedback.received`` takes it out."""

    TYPE: ClassVar[str] = "orbit.interactions.feedback.withdrawn.v1"

    feedback_id: uuid.UUID
    kind: FeedbackKind
    score: int
    low: bool
    received_at: datetime
    withdrawn_at: datetime
    withdrawn_by: uuid.UUID
    reason: str


class PlannedMeetingSnapshot(ClientEvent):
    """A planned meeting or call with the client (``POST /api/v1/meetings``): when, where
    (``location``: a place or a link), who (the client's ``contacts``, the ``staff_ids``
    with the organiser among them), its state, and its iCalendar ``sequence`` (0 when
    scheduled, +1 on each reschedule or cancel). ``interaction_id``: the ``meeting``
    interaction logged when it was marked held."""

    meeting_id: uuid.UUID
    kind: MeetingKind
    subject: str
    agenda: str | None
    location: str | None
    starts_at: datetime
    ends_at: datetime
    status: MeetingStatus
    contacts: list[ContactRefV1]
    staff_ids: list[uuid.UUID]
    organizer_id: uuid.UUID
    sequence: int
    interaction_id: uuid.UUID | None


class MeetingScheduledV1(PlannedMeetingSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.meeting.scheduled.v1"


class MeetingRescheduledV1(PlannedMeetingSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.meeting.rescheduled.v1"

    previous_starts_at: datetime
    previous_ends_at: datetime
    reason: str


class MeetingCancelledV1(PlannedMeetingSnapshot):
    TYPE: ClassVar[str] = "orbit.interactions.meeting.cancelled.v1"

    reason: str


class MeetingReminderV1(PlannedMeetingSnapshot):
    """The meeting starts in ``lead_minutes`` (``ORBIT_INTERACTIONS_MEETING_REMINDER_MINUTES``):
    once per meeting and start, for its staff participants."""

    TYPE: ClassVar[str] = "orbit.interactions.meeting.reminder.v1"

    lead_minutes: int


class MeetingNoOutcomeV1(PlannedMeetingSnapshot):
    """Still ``planned`` ``hours_since_end`` hours after its end
    (``ORBIT_INTERACTIONS_MEETING_NO_OUTCOME_HOURS``): mark it held or cancelled. Once per
    meeting."""

    TYPE: ClassVar[str] = "orbit.interactions.meeting.no_outcome.v1"

    hours_since_end: int


class FeedbackReceivedV1(ClientEvent):
    TYPE: ClassVar[str] = "orbit.interactions.feedback.received.v1"

    feedback_id: uuid.UUID
    kind: FeedbackKind
    score: int
    comment: str | None
    contact_id: uuid.UUID | None
    # NPS <= 6 or CSAT <= 2
    low: bool
    received_at: datetime
    recorded_by: uuid.UUID
