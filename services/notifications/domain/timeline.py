"""One client at a glance: what an event adds to the client's timeline, and the figures of
the client's summary. Pure: the event's type, its data and its time in, values out.

An entry is either the **state** of one thing (a request with its SLA state, a task, a
planned meeting, a contract, an invoice; also an interaction, a feedback, a payment, which
one event describes whole): one entry per thing, updated in place by each later event about
it, its key ``type:entity``; or **history** (an opportunity's stage change, an alert): one
entry per event, its key ``type:event id``. A state entry keeps the time it was first seen
(``at``) but for a meeting, which sits at its start and moves when it is rescheduled.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, get_args

from shared.clock import local_date
from shared.event_views import (
    ContactRef,
    EventView,
    FeedbackData,
    InteractionRef,
    InvoiceBalance,
    LoggedInteraction,
    MeetingData,
    PaidInvoice,
    PaymentData,
    RequestData,
    StageChangeData,
    needed,
)

TimelineType = Literal[
    "interaction",
    "request",
    "meeting",
    "meeting_report",
    "task",
    "feedback",
    "contract",
    "invoice",
    "payment",
    "opportunity",
    "alert",
]
TIMELINE_TYPES: tuple[TimelineType, ...] = get_args(TimelineType)

# A request's SLA state as the timeline shows it.
SlaState = Literal["on_track", "at_risk", "on_hold", "met", "breached", "closed"]
SLA_STATES: tuple[SlaState, ...] = get_args(SlaState)

# The namespace of the entries' keys (uuid5): the same event gives the same key, in the live
# consumer and in a rebuild.
KEY_NAMESPACE = uuid.UUID("6f1d3c2a-52a1-4c55-9d0e-0b7f1e0c9a11")
MAX_TEXT = 300

# The statuses in which a thing is still open (the summary counts them, the calendar shows
# their dates).
OPEN_REQUEST_STATUSES = frozenset({"open", "on_hold", "acknowledged", "breached"})
OPEN_INVOICE_STATUSES = frozenset({"issued", "partially_paid", "overdue"})


@dataclass(frozen=True)
class Entry:
    """What an event puts on the timeline."""

    type: TimelineType
    entity_id: uuid.UUID
    at: datetime
    title: str
    details: dict[str, Any] = field(default_factory=dict)
    history: bool = False  # one entry per event (else one per entity, updated in place)
    moves: bool = False  # a state entry whose ``at`` follows the events (a meeting's start)

    def key(self, event_id: uuid.UUID) -> uuid.UUID:
        return entry_key(self.type, event_id if self.history else self.entity_id)


def entry_key(kind: str, ref: uuid.UUID) -> uuid.UUID:
    return uuid.uuid5(KEY_NAMESPACE, f"{kind}:{ref}")


def _short(text: Any) -> str | None:
    if text is None:
        return None
    value = str(text)
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"


def _shown(view: EventView, *names: str) -> dict[str, Any]:
    """Fields of the event as it carried them (JSON; None when absent), for an entry's
    details: the producer's JSON read back through the view's types is the same JSON."""
    sent = view.model_dump(mode="json", include=set(names), exclude_unset=True)
    return {n: sent.get(n) for n in names}


def _name(event_type: str) -> str:
    """``orbit.interactions.sla.breached.v1`` -> ``sla.breached``."""
    return ".".join(event_type.split(".")[2:-1])


# ---------------------------------------------------------------- the events read
# One view per event shape the timeline reads (shared.event_views): only the fields its
# entry and its item read, each optional when neither needs it; what the details show is
# what the event carried (``_shown``). An event the scorecard's projection reads too (a
# request, an invoice, a payment, a feedback, a stage change, a retraction) is read through
# the shared view, subclassed here for what only the timeline reads or requires.


class ClientRef(EventView):
    """The client an event is about (every event the timeline reads names it)."""

    client_id: uuid.UUID


class _InteractionData(InteractionRef):
    occurred_at: datetime
    type: str
    direction: str
    author_id: uuid.UUID | None = None


class InteractionLogged(_InteractionData, LoggedInteraction):
    """``interaction.logged`` (its ``type`` required here)."""

    requires_response: bool | None = None
    is_contact: bool | None = None


class InteractionRetracted(_InteractionData):
    """``interaction.retracted``: ``was_contact`` when it counted as the last contact."""

    retracted_by: uuid.UUID | None = None
    reason: str | None = None
    was_contact: bool | None = None


class RequestState(RequestData):
    """A request's snapshot (``request.*``, ``sla.*``)."""

    status: str
    subject: str | None = None
    acknowledged_at: datetime | None = None
    promised_by: datetime | None = None
    resolved_at: datetime | None = None
    on_hold_minutes: int | None = None
    interaction_id: uuid.UUID | None = None


class MeetingState(MeetingData):
    """A meeting's snapshot (``meeting.*``): what an invitation reads and the state the
    timeline keeps (its ``status``, its ``subject`` and ``organizer_id`` required)."""

    subject: str  # required here, optional to an invitation
    organizer_id: uuid.UUID
    status: str
    interaction_id: uuid.UUID | None = None


class MeetingReport(EventView):
    """``meeting.report_submitted`` or ``.report_amended`` (``revision``, ``reason``)."""

    interaction_id: uuid.UUID
    submitted_at: datetime | None = None
    subject: str | None = None
    summary: str | None = None
    decisions: list[str] | None = None
    next_steps: list[str] | None = None
    on_time: bool | None = None
    submitted_by: uuid.UUID | None = None
    revision: int = 0
    reason: str | None = None


class TaskState(EventView):
    """A task's snapshot (``task.*``; ``status`` needed but when completed)."""

    task_id: uuid.UUID
    title: str
    due_at: datetime
    assignee_id: uuid.UUID
    status: str | None = None
    interaction_id: uuid.UUID | None = None
    completed_at: datetime | None = None


class Feedback(FeedbackData):
    """``feedback.received`` or ``.withdrawn`` (``reason``)."""

    low: bool | None = None
    contact_id: uuid.UUID | None = None
    comment: str | None = None
    reason: str | None = None


class ContractState(EventView):
    """A contract's snapshot (``contract.*``): ``ends_on`` carried, None when open-ended."""

    contract_id: uuid.UUID
    number: str
    title: str
    status: str
    ends_on: date | None
    starts_on: date | None = None
    auto_renew: bool | None = None
    value: dict[str, Any] | None = None  # {amount, currency}, shown as it came


class InvoiceState(InvoiceBalance):
    """An invoice's snapshot (``invoice.*``); ``invoice.credited`` names its last credit
    note (``credit_note_number``...); ``days_overdue`` on the overdue ones."""

    days_overdue: int | None = None
    credit_note_number: str | None = None
    applied: Decimal | None = None
    to_credit: Decimal | None = None
    reason: str | None = None


class ShownInvoice(PaidInvoice):
    """An invoice a payment paid or a reversal reopened, with the number the entry lists
    (one without a status is not read further)."""

    invoice_number: str | None = None


class Payment(PaymentData):
    """``payment.received`` (``allocations``) or ``payment.reversed`` (``reopened``,
    ``reason``): its amount required here."""

    amount: Decimal
    currency: str
    method: str | None = None
    reference: str | None = None
    credit: Decimal | None = None
    allocations: Sequence[ShownInvoice] | None = None
    reopened: Sequence[ShownInvoice] | None = None
    reason: str | None = None


class StageChange(StageChangeData):
    """``opportunity.stage_changed`` (``old_stage`` None when it opens)."""

    title: str
    old_stage: str | None = None
    value: dict[str, Any] | None = None  # {amount, currency}, shown as it came
    expected_close: date | None = None
    lost_reason: str | None = None


class ContactBirthday(ContactRef):
    """A contact event (``contact.*``): the birthday the calendar shows."""

    name: str | None = None
    birthday: str | None = None


class Escalation(EventView):
    """``alert.escalated``: an alert gone up the reporting line."""

    level: int
    title: str
    alert_type: str
    severity: str
    alert_event_id: uuid.UUID
    to_staff_id: uuid.UUID


# ---------------------------------------------------------------- the entries


def sla_state(event_type: str, request: RequestState) -> SlaState:
    """A request's SLA state after an event about it: breached sticks (the snapshot carries
    it), an answer meets it, a hold stops it, the at-risk alert marks it until then."""
    status = request.status
    if status == "closed":  # not a real request (spam, a duplicate, retracted): no SLA
        return "closed"
    if request.breached:
        return "breached"
    if status in ("answered", "acknowledged"):
        return "met"
    if status == "on_hold":
        return "on_hold"
    if _name(event_type) == "sla.at_risk":
        return "at_risk"
    return "on_track"


def _interaction(data: Mapping[str, Any], at: datetime) -> Entry:
    interaction = InteractionLogged.of(data)
    kind, subject = interaction.type, interaction.subject
    title = f"{kind.capitalize()} ({interaction.direction})" + (f": {subject}" if subject else "")
    details = _shown(
        interaction,
        "direction",
        "requires_response",
        "missed",
        "author_id",
        "request_id",
        "is_contact",
    )
    return Entry(
        "interaction",
        interaction.interaction_id,
        interaction.occurred_at,
        _short(title) or kind,
        {
            **details,
            "interaction_type": kind,
            "subject": subject,
            "summary": _short(interaction.summary),
        },
    )


def _request(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    request = RequestState.of(data)
    subject = request.subject
    details = _shown(
        request,
        "status",
        "due_at",
        "breached",
        "answered_at",
        "acknowledged_at",
        "promised_by",
        "resolved_at",
        "on_hold_minutes",
        "interaction_id",
        "code",
    )
    return Entry(
        "request",
        request.request_id,
        request.opened_at,
        _short(f"Request: {subject}" if subject else "Request") or "Request",
        {**details, "sla": sla_state(event_type, request)},
    )


def _meeting(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    meeting = MeetingState.of(data)
    verb = _name(event_type).split(".")[-1]
    details = _shown(
        meeting,
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "location",
        "sequence",
        "organizer_id",
        "interaction_id",
    )
    details["contacts"] = [c.name for c in meeting.contacts]
    if verb in ("rescheduled", "cancelled"):
        details["reason"] = meeting.reason
    kind = meeting.kind or "meeting"
    return Entry(
        "meeting",
        meeting.meeting_id,
        meeting.starts_at,
        _short(f"{kind.capitalize()}: {meeting.subject}") or kind,
        details,
        moves=True,
    )


def _report(data: Mapping[str, Any], at: datetime) -> Entry:
    report = MeetingReport.of(data)
    subject = report.subject
    return Entry(
        "meeting_report",
        report.interaction_id,
        report.submitted_at or at,
        _short(f"Meeting report: {subject}" if subject else "Meeting report") or "Meeting report",
        {
            "summary": _short(report.summary),
            "decisions": list(report.decisions or []),
            "next_steps": list(report.next_steps or []),
            **_shown(report, "on_time", "submitted_by"),
            "revision": report.revision,
            "amended_reason": report.reason,
        },
    )


def _task(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    task = TaskState.of(data)
    details = _shown(task, "status", "due_at", "assignee_id", "interaction_id", "completed_at")
    details["last_change"] = _name(event_type).split(".")[-1]
    return Entry("task", task.task_id, at, _short(f"Task: {task.title}") or "Task", details)


def _feedback(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    feedback = Feedback.of(data)
    withdrawn = event_type == FEEDBACK_WITHDRAWN
    return Entry(
        "feedback",
        feedback.feedback_id,
        feedback.received_at,
        f"{feedback.kind.upper()} {feedback.score}" + (" (withdrawn)" if withdrawn else ""),
        {
            **_shown(feedback, "kind", "score", "low", "contact_id"),
            "comment": _short(feedback.comment),
            "withdrawn": withdrawn,
            "withdrawn_reason": feedback.reason if withdrawn else None,
        },
    )


def _retracted(data: Mapping[str, Any], at: datetime) -> Entry:
    """A retracted interaction stays on the timeline, marked so (it counts no more)."""
    interaction = InteractionRetracted.of(data)
    kind = interaction.type
    return Entry(
        "interaction",
        interaction.interaction_id,
        interaction.occurred_at,
        f"{kind.capitalize()} ({interaction.direction}) (retracted)",
        {
            **_shown(interaction, "direction", "author_id", "request_id", "retracted_by"),
            "interaction_type": kind,
            "retracted": True,
            "retract_reason": _short(interaction.reason),
        },
    )


def _contract(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    contract = ContractState.of(data)
    details = _shown(contract, "number", "status", "starts_on", "ends_on", "auto_renew", "value")
    details["last_change"] = _name(event_type).split(".")[-1]
    return Entry(
        "contract",
        contract.contract_id,
        at,
        _short(f"Contract {contract.number}: {contract.title}") or "Contract",
        details,
    )


def _invoice(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    invoice = InvoiceState.of(data)
    details = _shown(
        invoice, "number", "status", "currency", "total", "balance", "issue_date", "due_date"
    )
    sent = invoice.model_fields_set
    if "days_overdue" in sent:
        details["days_overdue"] = invoice.days_overdue
    if "credit_note_number" in sent:  # invoice.credited: the last credit note against it
        details["credit_note"] = _shown(
            invoice, "credit_note_number", "credit_total", "applied", "to_credit", "reason"
        )
    number = invoice.number
    return Entry(
        "invoice",
        invoice.invoice_id,
        at,
        f"Invoice {number}" if number else "Invoice",
        details,
    )


def _payment(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    """A payment; reversed (bounced, mis-booked): marked so, with the invoices it reopened."""
    payment = Payment.of(data)
    reversed_ = event_type == PAYMENT_REVERSED
    paid = (payment.reopened if reversed_ else payment.allocations) or []
    return Entry(
        "payment",
        payment.payment_id,
        payment.received_at or at,
        f"Payment {payment.amount} {payment.currency}" + (" (reversed)" if reversed_ else ""),
        {
            **_shown(payment, "amount", "currency", "method", "reference", "credit"),
            "invoices": [a.invoice_number for a in paid],
            "reversed": reversed_,
            "reversal_reason": payment.reason if reversed_ else None,
        },
    )


def _opportunity(data: Mapping[str, Any], at: datetime) -> Entry:
    change = StageChange.of(data)
    old, new = change.old_stage, change.new_stage
    move = f"{old} → {new}" if old else f"opened ({new})"
    return Entry(
        "opportunity",
        change.opportunity_id,
        at,
        _short(f"Opportunity {change.title}: {move}") or "Opportunity",
        _shown(change, "old_stage", "new_stage", "value", "expected_close", "lost_reason"),
        history=True,
    )


REQUEST_EVENTS = tuple(
    f"orbit.interactions.{n}.v1"
    for n in (
        "request.opened",
        "request.answered",
        "request.held",
        "request.resumed",
        "request.promise_broken",
        "request.closed",
        "sla.at_risk",
        "sla.breached",
    )
)
MEETING_EVENTS = tuple(
    f"orbit.interactions.meeting.{v}.v1"
    for v in ("scheduled", "rescheduled", "cancelled", "reminder", "no_outcome")
)
TASK_EVENTS = tuple(
    f"orbit.interactions.task.{v}.v1"
    for v in ("assigned", "completed", "due_soon", "overdue", "deadline_moved")
)
CONTRACT_EVENTS = tuple(
    f"orbit.billing.contract.{v}.v1"
    for v in ("created", "updated", "expiring", "renewed", "expired")
)
INVOICE_SNAPSHOTS = tuple(
    f"orbit.billing.invoice.{v}.v1"
    for v in ("issued", "voided", "paid", "overdue", "payment_reminder_due", "promise_broken")
)
# a credit note too: the invoice's state after it
INVOICE_EVENTS = (*INVOICE_SNAPSHOTS, "orbit.billing.invoice.credited.v1")
INTERACTION_LOGGED = "orbit.interactions.interaction.logged.v1"
INTERACTION_RETRACTED = "orbit.interactions.interaction.retracted.v1"
REPORT_SUBMITTED = "orbit.interactions.meeting.report_submitted.v1"
REPORT_AMENDED = "orbit.interactions.meeting.report_amended.v1"
FEEDBACK_RECEIVED = "orbit.interactions.feedback.received.v1"
FEEDBACK_WITHDRAWN = "orbit.interactions.feedback.withdrawn.v1"
PAYMENT_RECEIVED = "orbit.billing.payment.received.v1"
PAYMENT_REVERSED = "orbit.billing.payment.reversed.v1"
STAGE_CHANGED = "orbit.billing.opportunity.stage_changed.v1"

# The event types the timeline takes an entry from (alerts come from the notifications rows).
ENTRY_EVENTS: tuple[str, ...] = (
    INTERACTION_LOGGED,
    INTERACTION_RETRACTED,
    *REQUEST_EVENTS,
    *MEETING_EVENTS,
    REPORT_SUBMITTED,
    REPORT_AMENDED,
    *TASK_EVENTS,
    FEEDBACK_RECEIVED,
    FEEDBACK_WITHDRAWN,
    *CONTRACT_EVENTS,
    *INVOICE_EVENTS,
    PAYMENT_RECEIVED,
    PAYMENT_REVERSED,
    STAGE_CHANGED,
)


def entry_of(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry | None:
    """The timeline entry of an event (``at``: the event's time), None for an event the
    timeline does not show. A field missing or malformed raises pydantic's ValidationError
    (a ValueError: the subscriber's ``tolerant`` leaves the event out with a warning)."""
    if event_type == INTERACTION_LOGGED:
        return _interaction(data, at)
    if event_type == INTERACTION_RETRACTED:
        return _retracted(data, at)
    if event_type in REQUEST_EVENTS:
        return _request(event_type, data, at)
    if event_type in MEETING_EVENTS:
        return _meeting(event_type, data, at)
    if event_type in (REPORT_SUBMITTED, REPORT_AMENDED):
        return _report(data, at)
    if event_type in TASK_EVENTS:
        return _task(event_type, data, at)
    if event_type in (FEEDBACK_RECEIVED, FEEDBACK_WITHDRAWN):
        return _feedback(event_type, data, at)
    if event_type in CONTRACT_EVENTS:
        return _contract(event_type, data, at)
    if event_type in INVOICE_EVENTS:
        return _invoice(event_type, data, at)
    if event_type in (PAYMENT_RECEIVED, PAYMENT_REVERSED):
        return _payment(event_type, data, at)
    if event_type == STAGE_CHANGED:
        return _opportunity(data, at)
    return None


def alert_entry(
    event_id: uuid.UUID,
    event_type: str,
    at: datetime,
    titles: Iterable[str],
    severities: Iterable[str],
) -> Entry | None:
    """The one entry of the alerts an event raised about a client (one notification per
    recipient: the first title, the highest severity, how many were notified)."""
    names = list(titles)
    if not names:
        return None
    order = ("info", "warning", "critical")
    levels = [s for s in severities if s in order]
    severity = max(levels, key=order.index) if levels else "info"
    return Entry(
        "alert",
        event_id,
        at,
        _short(names[0]) or "Alert",
        {"event_type": event_type, "severity": severity, "recipients": len(names)},
        history=True,
    )


def escalation_entry(event_id: uuid.UUID, data: Mapping[str, Any], at: datetime) -> Entry:
    """An alert nobody acknowledged in time, gone up the reporting line (``alert.escalated``)."""
    escalation = Escalation.of(data)
    return Entry(
        "alert",
        event_id,
        at,
        _short(f"Escalated (level {escalation.level}): {escalation.title}") or "Escalated",
        {
            "event_type": escalation.alert_type,
            "severity": escalation.severity,
            "level": escalation.level,
            **_shown(escalation, "alert_event_id", "to_staff_id"),
        },
        history=True,
    )


# ---------------------------------------------------------------- the summary


def parse_types(values: Iterable[str]) -> tuple[list[TimelineType], list[str]]:
    """``?types=`` (repeated, or comma-separated): the types asked for and the unknown ones."""
    chosen: list[TimelineType] = []
    unknown: list[str] = []
    for value in values:
        for name in (v.strip() for v in value.split(",")):
            if not name:
                continue
            if name in TIMELINE_TYPES:
                chosen.append(name)
            else:
                unknown.append(name)
    return chosen, unknown


def days_since(moment: datetime | None, today: date, zone: Any) -> int | None:
    """Whole days from ``moment`` (as a date in ``zone``) to ``today``; None without one."""
    if moment is None:
        return None
    return (today - local_date(moment, zone)).days


def last_contact(interactions: Iterable[tuple[datetime, Mapping[str, Any]]]) -> datetime | None:
    """The last contact that still counts, from the client's interaction entries (their time
    and details): the latest one that is a contact and not retracted; None if none is."""
    return max(
        (at for at, d in interactions if d.get("is_contact") and not d.get("retracted")),
        default=None,
    )


def next_contact_due(last_contact_at: datetime | None, cadence_days: Any) -> datetime | None:
    """When the client is next due a contact: the last one plus the cadence (None without
    a contact or a cadence)."""
    if last_contact_at is None or not cadence_days:
        return None
    return last_contact_at + timedelta(days=int(cadence_days))


def request_deadline(
    status: str, due_at: datetime | None, promised_by: datetime | None
) -> datetime | None:
    """The deadline an open request runs to: the promised answer once acknowledged, else
    its SLA due time."""
    if status == "acknowledged" and promised_by is not None:
        return promised_by
    return due_at


@dataclass
class Amounts:
    """Outstanding and overdue balances, per currency (never added across currencies)."""

    outstanding: dict[str, Decimal] = field(default_factory=dict)
    overdue: dict[str, Decimal] = field(default_factory=dict)

    def add(self, currency: str, balance: Decimal, due_on: date | None, today: date) -> None:
        self.outstanding[currency] = self.outstanding.get(currency, Decimal(0)) + balance
        if due_on is not None and due_on < today:
            self.overdue[currency] = self.overdue.get(currency, Decimal(0)) + balance


# ---------------------------------------------------------------- the current state

ItemKind = Literal["request", "task", "meeting", "contract", "invoice", "birthday", "feedback"]
ITEM_KINDS: tuple[ItemKind, ...] = get_args(ItemKind)
CONTACT_EVENTS = tuple(f"orbit.clients.contact.{v}.v1" for v in ("created", "updated", "deleted"))


@dataclass(frozen=True)
class Item:
    """The current state of one dated thing of a client, what the summary counts and the
    calendar shows: a request (due, promised by), a task (due), a meeting (start, end), a
    contract (end), an invoice (due date, balance), a contact's birthday, a feedback score
    (``title`` its kind, nps or csat; withdrawn: ``status``). ``gone``: the
    thing no longer exists (a deleted contact, or one without a birthday now)."""

    kind: ItemKind
    entity_id: uuid.UUID
    status: str
    title: str
    at: datetime | None = None
    score: int | None = None
    ends_at: datetime | None = None
    promised_by: datetime | None = None
    on_date: date | None = None
    currency: str | None = None
    balance: Decimal | None = None
    staff_id: uuid.UUID | None = None
    location: str | None = None
    description: str | None = None
    sequence: int = 0
    birthday: str | None = None
    attendees: tuple[uuid.UUID, ...] = ()
    gone: bool = False

    def key(self) -> uuid.UUID:
        return entry_key(self.kind, self.entity_id)


Balance = tuple[uuid.UUID, str, Decimal]  # an invoice item's key, its status, its balance


def invoice_balances(event_type: str, data: Mapping[str, Any]) -> list[Balance]:
    """The invoices a payment changed: each item's key, its status and its balance now (the
    rest of each invoice's state stays as it was). A payment received: the invoices it paid
    (partly too: no ``invoice.*`` event tells that), from each allocation's ``balance`` and
    ``status`` (an event published before they were added: none); a reversed payment: the
    invoices it opened again."""
    if event_type == PAYMENT_RECEIVED:
        changed = [a for a in Payment.of(data).allocations or [] if a.balance is not None]
    elif event_type == PAYMENT_REVERSED:
        changed = list(Payment.of(data).reopened or [])
    else:
        return []
    return [
        (
            entry_key("invoice", needed(r.invoice_id, "invoice_id")),
            r.status,
            needed(r.balance, "balance"),
        )
        for r in changed
        if r.status is not None
    ]


def item_of(event_type: str, data: Mapping[str, Any]) -> Item | None:
    """The state an event leaves a dated thing in, None for an event about no such thing."""
    if event_type in REQUEST_EVENTS:
        request = RequestState.of(data)
        return Item(
            "request",
            request.request_id,
            request.status,
            _short(request.subject) or "Request",
            at=request.due_at,
            promised_by=request.promised_by,
        )
    if event_type in TASK_EVENTS:
        task = TaskState.of(data)
        done = _name(event_type) == "task.completed"
        return Item(
            "task",
            task.task_id,
            "done" if done else needed(task.status, "status"),
            _short(task.title) or "Task",
            at=task.due_at,
            staff_id=task.assignee_id,
        )
    if event_type in MEETING_EVENTS:
        meeting = MeetingState.of(data)
        organizer = meeting.organizer_id
        return Item(
            "meeting",
            meeting.meeting_id,
            meeting.status,
            _short(meeting.subject) or "Meeting",
            at=meeting.starts_at,
            ends_at=meeting.ends_at,
            staff_id=organizer,
            location=_short(meeting.location),
            description=meeting.agenda,
            sequence=meeting.sequence,
            attendees=tuple(sorted({*meeting.staff_ids, organizer})),
        )
    if event_type in CONTRACT_EVENTS:
        contract = ContractState.of(data)
        return Item(
            "contract",
            contract.contract_id,
            contract.status,
            _short(f"{contract.number}: {contract.title}") or "Contract",
            on_date=contract.ends_on,
        )
    if event_type in INVOICE_EVENTS:
        invoice = InvoiceState.of(data)
        return Item(
            "invoice",
            invoice.invoice_id,
            invoice.status,
            invoice.number or "draft",
            on_date=invoice.due_date,
            currency=invoice.currency,
            balance=invoice.balance,
        )
    if event_type in (FEEDBACK_RECEIVED, FEEDBACK_WITHDRAWN):
        feedback = Feedback.of(data)
        return Item(
            "feedback",
            feedback.feedback_id,
            "withdrawn" if event_type == FEEDBACK_WITHDRAWN else "received",
            feedback.kind,
            at=feedback.received_at,
            score=feedback.score,
        )
    if event_type in CONTACT_EVENTS:
        contact = ContactBirthday.of(data)
        birthday = None if _name(event_type) == "contact.deleted" else contact.birthday
        return Item(
            "birthday",
            contact.contact_id,
            "active",
            _short(contact.name) or "Contact",
            birthday=birthday or None,
            gone=not birthday,
        )
    return None
