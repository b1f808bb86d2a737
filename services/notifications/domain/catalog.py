"""The value sets of the notifications service, each spelled once: the event types it knows
(the contract's catalogue), severities, channels and recipients of a rule."""

from __future__ import annotations

from typing import Literal, get_args

Severity = Literal["info", "warning", "critical"]
SEVERITIES: tuple[Severity, ...] = get_args(Severity)

Channel = Literal["in_app", "email", "webhook"]
CHANNELS: tuple[Channel, ...] = get_args(Channel)

# The channels a person chooses per severity (webhooks are the admins' subscriptions).
PersonalChannel = Literal["in_app", "email"]
PERSONAL_CHANNELS: tuple[PersonalChannel, ...] = get_args(PersonalChannel)

# Whom a rule notifies: staff from the event (the account manager, the head; a task's
# assignee and creator; a planned meeting's staff participants and organizer), the client's
# contacts (billing contacts, the meeting's participants), or staff by role (every admin).
Recipient = Literal[
    "account_manager",
    "head",
    "assignee",
    "creator",
    "participants",
    "organizer",
    "billing_contacts",
    "client_contacts",
    "admins",
]
RECIPIENTS: tuple[Recipient, ...] = get_args(Recipient)

# A delivery (an email or a webhook POST; in-app notifications are rows of their own): its
# channel, whom it goes to, its state, and the outcome of each attempt (``retry``: failed,
# tried again; ``waiting``: the receiver unreachable, waits without spending a try).
DeliveryChannel = Literal["email", "webhook"]
RecipientKind = Literal["staff", "contact", "webhook"]
DeliveryStatus = Literal["pending", "sent", "failed", "skipped", "cancelled"]
AttemptOutcome = Literal["sent", "retry", "waiting", "failed"]

# The event catalogue (the contract's and the services' additions, docs/events/): rules may
# name these, webhooks subscribe to them, notifications and deliveries carry one. A unit test
# keeps it equal to docs/events/.
EventType = Literal[
    "orbit.clients.staff.created.v1",
    "orbit.clients.staff.updated.v1",
    "orbit.clients.client.created.v1",
    "orbit.clients.client.updated.v1",
    "orbit.clients.client.assigned.v1",
    "orbit.clients.client.status_changed.v1",
    "orbit.clients.contact.created.v1",
    "orbit.clients.contact.updated.v1",
    "orbit.clients.contact.deleted.v1",
    "orbit.clients.contact.birthday_upcoming.v1",
    "orbit.clients.settings.changed.v1",
    "orbit.interactions.interaction.logged.v1",
    "orbit.interactions.request.opened.v1",
    "orbit.interactions.request.answered.v1",
    "orbit.interactions.sla.at_risk.v1",
    "orbit.interactions.sla.breached.v1",
    "orbit.interactions.client.contact_overdue.v1",
    "orbit.interactions.meeting.report_submitted.v1",
    "orbit.interactions.meeting.report_overdue.v1",
    "orbit.interactions.task.overdue.v1",
    "orbit.interactions.task.deadline_moved.v1",
    "orbit.interactions.task.assigned.v1",
    "orbit.interactions.task.completed.v1",
    "orbit.interactions.task.due_soon.v1",
    "orbit.interactions.client.contact_due_soon.v1",
    "orbit.interactions.meeting.scheduled.v1",
    "orbit.interactions.meeting.rescheduled.v1",
    "orbit.interactions.meeting.cancelled.v1",
    "orbit.interactions.meeting.reminder.v1",
    "orbit.interactions.meeting.no_outcome.v1",
    "orbit.interactions.request.promise_broken.v1",
    "orbit.interactions.feedback.received.v1",
    "orbit.interactions.request.held.v1",
    "orbit.interactions.request.resumed.v1",
    "orbit.interactions.request.closed.v1",
    "orbit.interactions.meeting.report_amended.v1",
    "orbit.interactions.feedback.withdrawn.v1",
    "orbit.interactions.interaction.retracted.v1",
    "orbit.billing.contract.created.v1",
    "orbit.billing.contract.updated.v1",
    "orbit.billing.contract.expiring.v1",
    "orbit.billing.contract.renewed.v1",
    "orbit.billing.contract.expired.v1",
    "orbit.billing.invoice.issued.v1",
    "orbit.billing.invoice.voided.v1",
    "orbit.billing.invoice.payment_reminder_due.v1",
    "orbit.billing.invoice.overdue.v1",
    "orbit.billing.invoice.paid.v1",
    "orbit.billing.payment.received.v1",
    "orbit.billing.budget.threshold_reached.v1",
    "orbit.billing.invoice.promise_broken.v1",
    "orbit.billing.opportunity.stage_changed.v1",
    "orbit.billing.invoice.credited.v1",
    "orbit.billing.payment.reversed.v1",
    "orbit.billing.estimate.created.v1",
    "orbit.billing.estimate.updated.v1",
    "orbit.billing.estimate.approved.v1",
    "orbit.billing.estimate.rejected.v1",
    "orbit.billing.estimate.invoiced.v1",
    "orbit.billing.estimate.expired.v1",
    "orbit.notifications.alert.escalated.v1",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

ESCALATED: EventType = "orbit.notifications.alert.escalated.v1"

# The staff recipients an event names by a field of its data, and the event types that
# carry it (a rule naming them for another type would reach nobody): a task's assignee and
# creator, a planned meeting's staff participants and organizer.
TASK_EVENTS: frozenset[EventType] = frozenset(
    t for t in EVENT_TYPES if t.startswith("orbit.interactions.task.")
)
PLANNED_MEETING_EVENTS: frozenset[EventType] = frozenset(
    f"orbit.interactions.meeting.{name}.v1"  # type: ignore[misc]
    for name in ("scheduled", "rescheduled", "cancelled", "reminder", "no_outcome")
)
PERSON_FIELDS: dict[Recipient, tuple[str, frozenset[EventType]]] = {
    "assignee": ("assignee_id", TASK_EVENTS),
    "creator": ("created_by", TASK_EVENTS),
    "participants": ("staff_ids", PLANNED_MEETING_EVENTS),
    "organizer": ("organizer_id", PLANNED_MEETING_EVENTS),
}

# A notification's (and an email delivery's) type: the event that caused it, or one of the
# notifications service's own notices (no event): to admins, that a webhook was disabled;
# to the account manager, that an email for the client could not be sent (what to fix); or a
# greeting to a client's contact.
WEBHOOK_DISABLED = "orbit.notifications.webhook.disabled.v1"
CLIENT_EMAIL_UNSENT = "orbit.notifications.client_email.unsent.v1"
GREETING = "orbit.notifications.greeting.v1"
NotificationType = Literal[
    EventType,
    "orbit.notifications.webhook.disabled.v1",
    "orbit.notifications.client_email.unsent.v1",
    "orbit.notifications.greeting.v1",
]
NOTIFICATION_TYPES: tuple[NotificationType, ...] = get_args(NotificationType)

# Short names (``sla.breached``) for messages and templates: the type without the service
# prefix and the version.


def short_name(event_type: str) -> str:
    """``orbit.interactions.sla.breached.v1`` -> ``sla.breached``."""
    parts = event_type.split(".")
    return ".".join(parts[2:-1]) if len(parts) >= 4 else event_type
