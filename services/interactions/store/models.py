"""Tables of the interactions service (its own database), besides the platform tables and the
replicas of the clients service's staff and clients (``shared.replicas``).

The scans find their due rows through partial indexes on the open rows only (PostgreSQL and
SQLite both have them): a request that is answered, a report that is in, a task that is done
leaves its index, so a scan's cost follows the rows that are due, not the history.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    Uuid,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from shared.db import JSONType, UTCDateTime
from shared.pagination import SortKey, Sorts, sort_indexes


class Base(DeclarativeBase):
    metadata = MetaData()


class Interaction(Base):
    __tablename__ = "interactions"
    __table_args__ = (
        Index("ix_interactions_occurred", "occurred_at", "id"),
        Index("ix_interactions_client_occurred", "client_id", "occurred_at", "id"),
        Index("ix_interactions_author", "author_id", "occurred_at"),
        # meetings whose report is not in: the meeting.report_overdue scan
        Index(
            "ix_interactions_report_due",
            "report_due_at",
            postgresql_where=text(
                "report_due_at IS NOT NULL AND report_submitted_at IS NULL "
                "AND NOT report_overdue_notified"
            ),
            sqlite_where=text(
                "report_due_at IS NOT NULL AND report_submitted_at IS NULL "
                "AND NOT report_overdue_notified"
            ),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The client's account manager, a copy of the replica's kept current by every change of
    # it (``shared.replica_store.keep_manager_copies``): a manager's list reads their rows in
    # its sort's order from one index (``ix_<table>_manager_<field>``), not the whole sort.
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    type: Mapped[str] = mapped_column(String(20))
    direction: Mapped[str] = mapped_column(String(20))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    subject: Mapped[str | None] = mapped_column(String(500))
    summary: Mapped[str | None] = mapped_column(Text)
    contact_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    requires_response: Mapped[bool] = mapped_column(Boolean, default=False)
    missed: Mapped[bool] = mapped_column(Boolean, default=False)
    responds_to: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    promise_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)  # the request it opened
    # meetings only: when the report is due, when it came in, whether the overdue alert went
    report_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    report_overdue_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    # a meeting logged by marking a planned meeting held: that planned meeting
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # retracted (logged by mistake): counts for nothing (cadence, SLA, reports)
    retracted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    retracted_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    retract_reason: Mapped[str | None] = mapped_column(Text)


# The columns of an interaction the activity report reads (``store/reports.py``) besides its
# manager and time, carried by a manager's index of the interactions (PostgreSQL).
ACTIVITY_REPORT_COLUMNS = (
    "author_id",
    "type",
    "retracted_at",
    "report_submitted_at",
    "report_due_at",
)


# The columns of a feedback the feedback report reads besides its manager and receipt, carried
# by the index of a manager's feedback in the list's default order (PostgreSQL).
FEEDBACK_REPORT_COLUMNS = ("kind", "score", "low", "withdrawn_at")


# The columns of a request the SLA report reads (``store/reports.py``) besides its account
# manager and opening, carried by the index on those (``ix_requests_manager_opened_at``,
# PostgreSQL).
SLA_REPORT_COLUMNS = (
    "status",
    "answered_at",
    "due_at",
    "breached",
    "response_minutes",
    "close_code",
)


class Request(Base):
    """An inbound request and its first-response SLA. ``status``: open | on_hold |
    acknowledged | answered | breached (stored ``breached`` once the scan saw the due date
    pass with no first response; ``breached`` stays true after a late answer)."""

    __tablename__ = "requests"
    __table_args__ = (
        # a client's requests by opening (its list)
        Index("ix_requests_client_opened", "client_id", "opened_at", "id"),
        Index("ix_requests_opened", "opened_at", "id"),
        # the sla.breached scan: open requests by due date
        Index(
            "ix_requests_open_due",
            "due_at",
            postgresql_where=text("status = 'open'"),
            sqlite_where=text("status = 'open'"),
        ),
        # the sla.at_risk scan: open requests not yet flagged, by at-risk instant
        Index(
            "ix_requests_open_at_risk",
            "at_risk_at",
            postgresql_where=text("status = 'open' AND NOT at_risk_notified"),
            sqlite_where=text("status = 'open' AND NOT at_risk_notified"),
        ),
        # the request.promise_broken scan: unresolved promises by promised instant
        Index(
            "ix_requests_promised",
            "promised_by",
            postgresql_where=text("status = 'acknowledged' AND NOT promise_broken"),
            sqlite_where=text("status = 'acknowledged' AND NOT promise_broken"),
        ),
        # the SLA report's missed calls: a manager's call requests (few among the requests)
        Index(
            "ix_requests_manager_calls",
            "account_manager_id",
            postgresql_where=text("interaction_type = 'call'"),
            sqlite_where=text("interaction_type = 'call'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # The client's account manager, a copy of the replica's kept current by every change of
    # it (``shared.replica_store.keep_manager_copies``): a manager's list reads their rows in
    # its sort's order from one index (``ix_<table>_manager_<field>``), not the whole sort.
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    interaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("interactions.id"), unique=True
    )
    # what the request's events carry of its interaction (an interaction is never edited):
    # the scans build their alerts from the request's row alone
    interaction_type: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str | None] = mapped_column(String(500))
    contact_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    status: Mapped[str] = mapped_column(String(20))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    at_risk_at: Mapped[datetime] = mapped_column(UTCDateTime)
    first_response_minutes: Mapped[int] = mapped_column(Integer)
    # the calendar the request opened with (the client's SLA may change later)
    calendar: Mapped[dict[str, Any]] = mapped_column(JSONType)
    breached: Mapped[bool] = mapped_column(Boolean, default=False)
    at_risk_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first response
    response_interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    response_minutes: Mapped[int | None] = mapped_column(Integer)  # business minutes
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promised_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    promise_broken: Mapped[bool] = mapped_column(Boolean, default=False)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_hold_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    on_hold_minutes: Mapped[int] = mapped_column(Integer, default=0)
    hold_reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # closed as not a real request (spam, a duplicate): out of the SLA figures
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    close_code: Mapped[str | None] = mapped_column(String(20))
    close_reason: Mapped[str | None] = mapped_column(Text)


class MeetingReport(Base):
    __tablename__ = "meeting_reports"

    interaction_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("interactions.id"), primary_key=True
    )
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    summary: Mapped[str] = mapped_column(Text)
    decisions: Mapped[list[str]] = mapped_column(JSONType, default=list)
    next_steps: Mapped[list[str]] = mapped_column(JSONType, default=list)
    author_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    on_time: Mapped[bool] = mapped_column(Boolean)
    # the planned meeting whose interaction this report is of, if any
    meeting_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    # amendments: how many, the last one's time, author and reason
    revision: Mapped[int] = mapped_column(Integer, default=0)
    amended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    amended_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    amendment_reason: Mapped[str | None] = mapped_column(Text)


class Task(Base):
    __tablename__ = "tasks"
    __table_args__ = (
        Index("ix_tasks_client", "client_id", "created_at", "id"),
        Index("ix_tasks_assignee", "assignee_id", "status"),
        Index("ix_tasks_created", "created_at", "id"),
        # the task.overdue scan: open tasks not yet alerted for their current deadline
        Index(
            "ix_tasks_open_due",
            "due_at",
            postgresql_where=text("status = 'open' AND NOT overdue_notified"),
            sqlite_where=text("status = 'open' AND NOT overdue_notified"),
        ),
        # the task.due_soon scan: open tasks not yet warned of for their current deadline
        Index(
            "ix_tasks_open_due_soon",
            "due_at",
            postgresql_where=text("status = 'open' AND NOT due_soon_notified"),
            sqlite_where=text("status = 'open' AND NOT due_soon_notified"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    title: Mapped[str] = mapped_column(String(500))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    assignee_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    status: Mapped[str] = mapped_column(String(10))
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("interactions.id"))
    created_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    overdue_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    due_soon_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class TaskDeadlineMove(Base):
    __tablename__ = "task_deadline_moves"
    __table_args__ = (Index("ix_task_deadline_moves_task", "task_id", "moved_at", "id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    task_id: Mapped[uuid.UUID] = mapped_column(Uuid, ForeignKey("tasks.id", ondelete="CASCADE"))
    old_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    new_due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str | None] = mapped_column(Text)
    moved_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    moved_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (
        Index("ix_feedback_client", "client_id", "received_at", "id"),
        Index("ix_feedback_received", "received_at", "id"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    # the client's account manager, a copy of the replica's (as ``Interaction``'s)
    account_manager_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(10))
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    low: Mapped[bool] = mapped_column(Boolean)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_by: Mapped[uuid.UUID] = mapped_column(Uuid)
    # withdrawn (entered by mistake, e.g. for the wrong client): out of the reports
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    withdrawn_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)


class ContactCadence(Base):
    """Per client: the last contact (outbound interaction or meeting) and when the next one
    is due; ``since`` is the last contact or, before any, when the client became known here.
    ``notified_due_at`` is the due date of the lapse already alerted, ``warned_due_at`` that
    of the lapse already warned of (``client.contact_due_soon``)."""

    __tablename__ = "contact_cadence"
    __table_args__ = (
        Index(
            "ix_contact_cadence_due",
            "due_at",
            postgresql_where=text("notified_due_at IS NULL OR notified_due_at <> due_at"),
            sqlite_where=text("notified_due_at IS NULL OR notified_due_at <> due_at"),
        ),
        Index(
            "ix_contact_cadence_warn",
            "due_at",
            postgresql_where=text("warned_due_at IS NULL OR warned_due_at <> due_at"),
            sqlite_where=text("warned_due_at IS NULL OR warned_due_at <> due_at"),
        ),
    )

    client_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    last_contact_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    since: Mapped[datetime] = mapped_column(UTCDateTime)
    cadence_days: Mapped[int] = mapped_column(Integer)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    notified_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    warned_due_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # when the client became known here (the cadence's start when no contact counts)
    known_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class PlannedMeeting(Base):
    """A meeting or call planned with a client (``domain/planned.py``): ``planned`` until
    held (``interaction_id``: the ``meeting`` interaction it logged) or cancelled. What its
    events carry is on the row (``contact_ids``, ``staff_ids``: the scans build the reminder
    and no-outcome alerts from the claimed row alone); the participants are also in
    ``planned_meeting_participants``, by person. ``reminder_notified`` and
    ``no_outcome_notified`` are the scans' flags (reset by a reschedule)."""

    __tablename__ = "planned_meetings"
    __table_args__ = (
        Index("ix_planned_meetings_starts", "starts_at", "id"),
        Index("ix_planned_meetings_client_starts", "client_id", "starts_at", "id"),
        # the meeting.reminder scan: planned meetings not yet reminded of, by start
        Index(
            "ix_planned_meetings_remind",
            "starts_at",
            postgresql_where=text("status = 'planned' AND NOT reminder_notified"),
            sqlite_where=text("status = 'planned' AND NOT reminder_notified"),
        ),
        # the meeting.no_outcome scan and the cadence's cover: planned meetings, by end
        Index(
            "ix_planned_meetings_open_end",
            "ends_at",
            postgresql_where=text("status = 'planned' AND NOT no_outcome_notified"),
            sqlite_where=text("status = 'planned' AND NOT no_outcome_notified"),
        ),
        Index(
            "ix_planned_meetings_planned_client",
            "client_id",
            "starts_at",
            postgresql_where=text("status = 'planned'"),
            sqlite_where=text("status = 'planned'"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    client_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    kind: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(500))
    agenda: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(2000))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(10))
    contact_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    staff_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    organizer_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("interactions.id"))
    reason: Mapped[str | None] = mapped_column(Text)  # of the last reschedule or the cancel
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reminder_notified: Mapped[bool] = mapped_column(Boolean, default=False)
    no_outcome_notified: Mapped[bool] = mapped_column(Boolean, default=False)


class PlannedMeetingParticipant(Base):
    """Who takes part in a planned meeting: ``kind`` contact (the client's) or staff."""

    __tablename__ = "planned_meeting_participants"
    __table_args__ = (Index("ix_planned_meeting_participants_person", "participant_id", "kind"),)

    meeting_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("planned_meetings.id", ondelete="CASCADE"), primary_key=True
    )
    kind: Mapped[str] = mapped_column(String(10), primary_key=True)
    participant_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)


class Call(Base):
    """A call record a telephony integration sent (``POST /api/v1/integrations/calls``, the
    Twilio adapter), once per (``integration``, ``external_id``: the ``webhook-id``, Twilio's
    ``CallSid``). ``number`` is the client's side in E.164 (null: not a phone number); a
    call matched to a contact has its client and contact and what it became (``outcome``:
    the interaction logged, the request it opened or answered); an unmatched one has none
    until a manager assigns it."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("integration", "external_id", name="uq_calls_external"),
        Index("ix_calls_client_number", "client_id", "number", "started_at"),
        Index("ix_calls_received", "received_at", "id"),
        # the unmatched list
        Index(
            "ix_calls_unmatched",
            "received_at",
            "id",
            postgresql_where=text("client_id IS NULL"),
            sqlite_where=text("client_id IS NULL"),
        ),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    integration: Mapped[str] = mapped_column(String(100))
    external_id: Mapped[str] = mapped_column(String(200))
    direction: Mapped[str] = mapped_column(String(20))
    from_number: Mapped[str] = mapped_column(String(64))
    to_number: Mapped[str] = mapped_column(String(64))
    number: Mapped[str | None] = mapped_column(String(32))
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    duration_seconds: Mapped[int] = mapped_column(Integer)
    answered: Mapped[bool] = mapped_column(Boolean)
    recording_url: Mapped[str | None] = mapped_column(String(2000))
    outcome: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    contact_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid, ForeignKey("interactions.id"))
    # the request it opened (a missed inbound call) or answered (a callback)
    request_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # an unmatched call assigned to a client by hand: when and by whom
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class InboundEmail(Base):
    """A message read from Orbit's mailbox (email in), once per ``(mailbox, message_id)``
    whatever the retries: what became of it (``outcome``: logged on ``client_id`` as
    ``interaction_id``, unmatched, ignored), its thread (``in_reply_to``, ``reference_ids``:
    its References) and its attachments' names, types, sizes and what became of them
    (``domain.mail.attachment_entry``: kept as ``file_id``, pending, skipped)."""

    __tablename__ = "inbound_emails"
    __table_args__ = (
        UniqueConstraint("mailbox", "message_id", name="uq_inbound_emails_message"),
        Index("ix_inbound_emails_outcome", "outcome", "received_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    mailbox: Mapped[str] = mapped_column(String(300))
    message_id: Mapped[str] = mapped_column(String(998))
    uid: Mapped[int | None] = mapped_column(BigInteger)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sender: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(String(500))
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    reference_ids: Mapped[list[str]] = mapped_column(JSONType, default=list)
    outcome: Mapped[str] = mapped_column(String(20))
    client_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    attachments: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    # What logging it takes besides the above: its Date, whether it is automatic, and (an
    # unmatched message only, until it is assigned) its text, the interaction's summary.
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    automatic: Mapped[bool] = mapped_column(Boolean, default=False)
    held_text: Mapped[str | None] = mapped_column(Text)
    # an unmatched message assigned to a client by hand: when and by whom
    assigned_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    assigned_by: Mapped[uuid.UUID | None] = mapped_column(Uuid)


class PendingAttachment(Base):
    """An attachment of a logged message waiting to be kept as a document of its interaction
    (handed to the clients service's files: ``handlers/mail.py``, ``keep_attachments``): its
    bytes until then, written with the message; removed once the files answered or it
    expired. One of an unmatched message is held (no ``interaction_id``) until the message is
    assigned. ``created_at``: since when it waits (its message taken in, or assigned)."""

    __tablename__ = "inbound_attachments_pending"
    __table_args__ = (Index("ix_inbound_attachments_pending_created", "created_at", "file_id"),)

    # The document's id (domain.mail.attachment_file_id: the message and the position).
    file_id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True)
    email_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("inbound_emails.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    interaction_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    filename: Mapped[str] = mapped_column(String(500))
    content_type: Mapped[str] = mapped_column(String(255))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500))
    # not handed over again before (a failed attempt's back-off)
    retry_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MailboxState(Base):
    """How far a mailbox has been read: the highest IMAP UID taken in, valid while the
    folder's ``UIDVALIDITY`` stays the same."""

    __tablename__ = "mailbox_state"

    mailbox: Mapped[str] = mapped_column(String(300), primary_key=True)
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    last_uid: Mapped[int] = mapped_column(BigInteger)
    polled_at: Mapped[datetime] = mapped_column(UTCDateTime)


# ---------------------------------------------------------------- the lists' sorts
# The fields each list sorts by (``?sort=``, ``shared.pagination.Sorts``), each with an
# index on (its key, id) so a sorted page reads the index: the list's default sort has had
# one all along (``indexed``), the others are ``ix_<table>_sort_<field>`` (the migration
# ``2026_12_06_e9c3a5b7d1f2_list_sorts`` creates the same). A status sorts by the stored
# one (a request past its due date the scan has not marked yet is still ``open`` there).

INTERACTION_SORTS = Sorts(
    Interaction.id,
    "-occurred_at",
    indexed=("occurred_at",),
    manager=Interaction.account_manager_id,
    # the activity report over a scope reads its managers' interactions from this index alone
    manager_include=ACTIVITY_REPORT_COLUMNS,
    occurred_at=SortKey(Interaction.occurred_at),
    created_at=SortKey(Interaction.created_at),
)
REQUEST_SORTS = Sorts(
    Request.id,
    "-opened_at",
    indexed=("opened_at",),
    manager=Request.account_manager_id,
    # the SLA report over a scope reads its managers' requests from this index alone
    manager_include=SLA_REPORT_COLUMNS,
    opened_at=SortKey(Request.opened_at),
    due_at=SortKey(Request.due_at),
    status=SortKey(Request.status),
)
TASK_SORTS = Sorts(
    Task.id,
    "created_at",
    indexed=("created_at",),
    created_at=SortKey(Task.created_at),
    due_at=SortKey(Task.due_at),
    status=SortKey(Task.status),
)
FEEDBACK_SORTS = Sorts(
    Feedback.id,
    "-received_at",
    indexed=("received_at",),
    manager=Feedback.account_manager_id,
    # the feedback report over a scope reads its managers' feedback from this index alone
    manager_include=FEEDBACK_REPORT_COLUMNS,
    received_at=SortKey(Feedback.received_at),
    score=SortKey(Feedback.score),
)
MEETING_SORTS = Sorts(
    PlannedMeeting.id,
    "starts_at",
    indexed=("starts_at",),
    starts_at=SortKey(PlannedMeeting.starts_at),
    created_at=SortKey(PlannedMeeting.created_at),
)
sort_indexes(INTERACTION_SORTS, REQUEST_SORTS, TASK_SORTS, FEEDBACK_SORTS, MEETING_SORTS)
