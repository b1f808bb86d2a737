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
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any, Literal, get_args

from shared.clock import local_date

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


def _uuid(value: Any) -> uuid.UUID:
    return uuid.UUID(str(value))


def _time(value: Any) -> datetime:
    return datetime.fromisoformat(str(value))


def _pick(data: Mapping[str, Any], *names: str) -> dict[str, Any]:
    return {n: data.get(n) for n in names}


def _name(event_type: str) -> str:
    """``orbit.interactions.sla.breached.v1`` -> ``sla.breached``."""
    return ".".join(event_type.split(".")[2:-1])


def sla_state(event_type: str, data: Mapping[str, Any]) -> SlaState:
    """A request's SLA state after an event about it: breached sticks (the snapshot carries
    it), an answer meets it, a hold stops it, the at-risk alert marks it until then."""
    status = data.get("status")
    if status == "closed":  # not a real request (spam, a duplicate, retracted): no SLA
        return "closed"
    if data.get("breached"):
        return "breached"
    if status in ("answered", "acknowledged"):
        return "met"
    if status == "on_hold":
        return "on_hold"
    if _name(event_type) == "sla.at_risk":
        return "at_risk"
    return "on_track"


def _interaction(data: Mapping[str, Any], at: datetime) -> Entry:
    kind = str(data["type"])
    subject = data.get("subject")
    title = f"{kind.capitalize()} ({data['direction']})" + (f": {subject}" if subject else "")
    details = _pick(
        data, "direction", "requires_response", "missed", "author_id", "request_id", "is_contact"
    )
    return Entry(
        "interaction",
        _uuid(data["interaction_id"]),
        _time(data["occurred_at"]),
        _short(title) or kind,
        {
            **details,
            "interaction_type": kind,
            "subject": subject,
            "summary": _short(data.get("summary")),
        },
    )


def _request(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    subject = data.get("subject")
    details = _pick(
        data,
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
        _uuid(data["request_id"]),
        _time(data["opened_at"]),
        _short(f"Request: {subject}" if subject else "Request") or "Request",
        {**details, "sla": sla_state(event_type, data)},
    )


def _meeting(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    verb = _name(event_type).split(".")[-1]
    details = _pick(
        data,
        "kind",
        "status",
        "starts_at",
        "ends_at",
        "location",
        "sequence",
        "organizer_id",
        "interaction_id",
    )
    details["contacts"] = [c.get("name") for c in data.get("contacts") or []]
    if verb in ("rescheduled", "cancelled"):
        details["reason"] = data.get("reason")
    kind = str(data.get("kind") or "meeting")
    return Entry(
        "meeting",
        _uuid(data["meeting_id"]),
        _time(data["starts_at"]),
        _short(f"{kind.capitalize()}: {data['subject']}") or kind,
        details,
        moves=True,
    )


def _report(data: Mapping[str, Any], at: datetime) -> Entry:
    subject = data.get("subject")
    return Entry(
        "meeting_report",
        _uuid(data["interaction_id"]),
        _time(data.get("submitted_at") or at),
        _short(f"Meeting report: {subject}" if subject else "Meeting report") or "Meeting report",
        {
            "summary": _short(data.get("summary")),
            "decisions": list(data.get("decisions") or []),
            "next_steps": list(data.get("next_steps") or []),
            "on_time": data.get("on_time"),
            "submitted_by": data.get("submitted_by"),
            "revision": data.get("revision", 0),
            "amended_reason": data.get("reason"),
        },
    )


def _task(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    details = _pick(data, "status", "due_at", "assignee_id", "interaction_id", "completed_at")
    details["last_change"] = _name(event_type).split(".")[-1]
    return Entry(
        "task", _uuid(data["task_id"]), at, _short(f"Task: {data['title']}") or "Task", details
    )


def _feedback(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    kind = str(data["kind"])
    withdrawn = event_type == FEEDBACK_WITHDRAWN
    return Entry(
        "feedback",
        _uuid(data["feedback_id"]),
        _time(data.get("received_at") or at),
        f"{kind.upper()} {data['score']}" + (" (withdrawn)" if withdrawn else ""),
        {
            **_pick(data, "kind", "score", "low", "contact_id"),
            "comment": _short(data.get("comment")),
            "withdrawn": withdrawn,
            "withdrawn_reason": data.get("reason") if withdrawn else None,
        },
    )


def _retracted(data: Mapping[str, Any], at: datetime) -> Entry:
    """A retracted interaction stays on the timeline, marked so (it counts no more)."""
    kind = str(data["type"])
    return Entry(
        "interaction",
        _uuid(data["interaction_id"]),
        _time(data["occurred_at"]),
        f"{kind.capitalize()} ({data['direction']}) (retracted)",
        {
            **_pick(data, "direction", "author_id", "request_id", "retracted_by"),
            "interaction_type": kind,
            "retracted": True,
            "retract_reason": _short(data.get("reason")),
        },
    )


def _contract(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    details = _pick(data, "number", "status", "starts_on", "ends_on", "auto_renew", "value")
    details["last_change"] = _name(event_type).split(".")[-1]
    return Entry(
        "contract",
        _uuid(data["contract_id"]),
        at,
        _short(f"Contract {data['number']}: {data['title']}") or "Contract",
        details,
    )


def _invoice(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    details = _pick(
        data, "number", "status", "currency", "total", "balance", "issue_date", "due_date"
    )
    if "days_overdue" in data:
        details["days_overdue"] = data["days_overdue"]
    if "credit_note_number" in data:  # invoice.credited: the last credit note against it
        details["credit_note"] = _pick(
            data, "credit_note_number", "credit_total", "applied", "to_credit", "reason"
        )
    number = data.get("number")
    return Entry(
        "invoice",
        _uuid(data["invoice_id"]),
        at,
        f"Invoice {number}" if number else "Invoice",
        details,
    )


def _payment(event_type: str, data: Mapping[str, Any], at: datetime) -> Entry:
    """A payment; reversed (bounced, mis-booked): marked so, with the invoices it reopened."""
    reversed_ = event_type == PAYMENT_REVERSED
    paid = data.get("reopened" if reversed_ else "allocations") or []
    return Entry(
        "payment",
        _uuid(data["payment_id"]),
        _time(data.get("received_at") or at),
        f"Payment {data['amount']} {data['currency']}" + (" (reversed)" if reversed_ else ""),
        {
            **_pick(data, "amount", "currency", "method", "reference", "credit"),
            "invoices": [a.get("invoice_number") for a in paid],
            "reversed": reversed_,
            "reversal_reason": data.get("reason") if reversed_ else None,
        },
    )


def _opportunity(data: Mapping[str, Any], at: datetime) -> Entry:
    old, new = data.get("old_stage"), data["new_stage"]
    move = f"{old} → {new}" if old else f"opened ({new})"
    return Entry(
        "opportunity",
        _uuid(data["opportunity_id"]),
        at,
        _short(f"Opportunity {data['title']}: {move}") or "Opportunity",
        _pick(data, "old_stage", "new_stage", "value", "expected_close", "lost_reason"),
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
    timeline does not show. A missing field raises KeyError (the subscriber's ``tolerant``
    leaves the event out with a warning)."""
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
    return Entry(
        "alert",
        event_id,
        at,
        _short(f"Escalated (level {data['level']}): {data['title']}") or "Escalated",
        {
            "event_type": data["alert_type"],
            "severity": data["severity"],
            "level": int(data["level"]),
            "alert_event_id": data["alert_event_id"],
            "to_staff_id": data["to_staff_id"],
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


def _maybe_time(value: Any) -> datetime | None:
    return _time(value) if value else None


def _maybe_date(value: Any) -> date | None:
    return date.fromisoformat(str(value)) if value else None


Balance = tuple[uuid.UUID, str, Decimal]  # an invoice item's key, its status, its balance


def invoice_balances(event_type: str, data: Mapping[str, Any]) -> list[Balance]:
    """The invoices a payment changed: each item's key, its status and its balance now (the
    rest of each invoice's state stays as it was). A payment received: the invoices it paid
    (partly too: no ``invoice.*`` event tells that), from each allocation's ``balance`` and
    ``status`` (an event published before they were added: none); a reversed payment: the
    invoices it opened again."""
    if event_type == PAYMENT_RECEIVED:
        changed = [a for a in data.get("allocations") or [] if a.get("balance") is not None]
    elif event_type == PAYMENT_REVERSED:
        changed = list(data.get("reopened") or [])
    else:
        return []
    return [
        (
            entry_key("invoice", _uuid(r["invoice_id"])),
            str(r["status"]),
            Decimal(str(r["balance"])),
        )
        for r in changed
        if r.get("status") is not None
    ]


def item_of(event_type: str, data: Mapping[str, Any]) -> Item | None:
    """The state an event leaves a dated thing in, None for an event about no such thing."""
    if event_type in REQUEST_EVENTS:
        return Item(
            "request",
            _uuid(data["request_id"]),
            str(data["status"]),
            _short(data.get("subject")) or "Request",
            at=_time(data["due_at"]),
            promised_by=_maybe_time(data.get("promised_by")),
        )
    if event_type in TASK_EVENTS:
        status = "done" if _name(event_type) == "task.completed" else str(data["status"])
        return Item(
            "task",
            _uuid(data["task_id"]),
            status,
            _short(data["title"]) or "Task",
            at=_time(data["due_at"]),
            staff_id=_uuid(data["assignee_id"]),
        )
    if event_type in MEETING_EVENTS:
        organizer = _uuid(data["organizer_id"])
        staff = {_uuid(s) for s in data.get("staff_ids") or []} | {organizer}
        return Item(
            "meeting",
            _uuid(data["meeting_id"]),
            str(data["status"]),
            _short(data["subject"]) or "Meeting",
            at=_time(data["starts_at"]),
            ends_at=_time(data["ends_at"]),
            staff_id=organizer,
            location=_short(data.get("location")),
            description=data.get("agenda"),
            sequence=int(data.get("sequence") or 0),
            attendees=tuple(sorted(staff)),
        )
    if event_type in CONTRACT_EVENTS:
        return Item(
            "contract",
            _uuid(data["contract_id"]),
            str(data["status"]),
            _short(f"{data['number']}: {data['title']}") or "Contract",
            on_date=_maybe_date(data["ends_on"]),
        )
    if event_type in INVOICE_EVENTS:
        return Item(
            "invoice",
            _uuid(data["invoice_id"]),
            str(data["status"]),
            str(data.get("number") or "draft"),
            on_date=_maybe_date(data.get("due_date")),
            currency=str(data["currency"]),
            balance=Decimal(str(data["balance"])),
        )
    if event_type in (FEEDBACK_RECEIVED, FEEDBACK_WITHDRAWN):
        return Item(
            "feedback",
            _uuid(data["feedback_id"]),
            "withdrawn" if event_type == FEEDBACK_WITHDRAWN else "received",
            str(data["kind"]),
            at=_time(data["received_at"]),
            score=int(data["score"]),
        )
    if event_type in CONTACT_EVENTS:
        deleted = _name(event_type) == "contact.deleted"
        birthday = None if deleted else data.get("birthday")
        return Item(
            "birthday",
            _uuid(data["contact_id"]),
            "active",
            _short(data.get("name")) or "Contact",
            birthday=str(birthday) if birthday else None,
            gone=not birthday,
        )
    return None
