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

# Whom a rule notifies: staff from the event (the account manager, the head), the client's
# contacts (billing contacts, the meeting's participants), or staff by role (every admin).
Recipient = Literal["account_manager", "head", "billing_contacts", "client_contacts", "admins"]
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
    "orbit.interactions.request.promise_broken.v1",
    "orbit.interactions.feedback.received.v1",
    "orbit.interactions.request.held.v1",
    "orbit.interactions.request.resumed.v1",
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
    "orbit.notifications.alert.escalated.v1",
]
EVENT_TYPES: tuple[EventType, ...] = get_args(EventType)

ESCALATED: EventType = "orbit.notifications.alert.escalated.v1"

# A notification's (and an email delivery's) type: the event that caused it, or the
# notifications service's own notice to admins that a webhook was disabled (no event).
WEBHOOK_DISABLED = "orbit.notifications.webhook.disabled.v1"
NotificationType = Literal[EventType, "orbit.notifications.webhook.disabled.v1"]
NOTIFICATION_TYPES: tuple[NotificationType, ...] = get_args(NotificationType)

# Short names (``sla.breached``) for messages and templates: the type without the service
# prefix and the version.


def short_name(event_type: str) -> str:
    """``orbit.interactions.sla.breached.v1`` -> ``sla.breached``."""
    parts = event_type.split(".")
    return ".".join(parts[2:-1]) if len(parts) >= 4 else event_type
