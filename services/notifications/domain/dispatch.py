"""What one event turns into, planned from what was read for it: the rows to write, in order.

Pure: the use case (``handlers/dispatch.py``) reads the context once (:class:`Context`: the
subscriptions naming the event's type, the rule in force, the recipients, the locales), plans
with :func:`plan_dispatch` and writes the rows. Webhook deliveries come first (for every
subscription naming the type, rule or not); then, when the rule applies, for each staff
recipient in the rule's order a feed entry and an email (the rule's channels and the person's
choices for the severity), its instants in their zone; then one email per client contact
the rule reaches (or a skipped row, when the contact has no address), and when a client email
reaches nobody or a contact has no address, a notice to the account manager saying what to
fix, once per cause and entity (the invoice, the meeting), however many events repeat it."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from services.notifications.domain.catalog import PERSON_FIELDS, Channel, Severity
from services.notifications.domain.escalation import escalate_at
from services.notifications.domain.messages import (
    Language,
    describe,
    describe_unsent,
    language_of,
)
from services.notifications.domain.rules import ACTORS, CLIENT_TEMPLATES, Rule, reaches
from services.notifications.domain.schedule import (
    DEFAULT_CHANNELS,
    Digest,
    QuietHours,
    plan_email,
)
from shared.event_views import EventView

Contact = Mapping[str, Any]  # id, name, email (and roles, in the replica)


def as_uuid(value: Any) -> uuid.UUID | None:
    """An id of the event's data, None when missing or not a UUID."""
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


@dataclass(frozen=True)
class Choices:
    """A staff member's own choices (the defaults when they made none): channels per
    severity, quiet hours, the daily digest."""

    channels: Mapping[str, Sequence[str]] = field(default_factory=dict)
    quiet: QuietHours | None = None
    digest: Digest | None = None

    def wanted(self, severity: Severity) -> tuple[str, ...]:
        """The personal channels they want for ``severity`` (defaults: all)."""
        return tuple(self.channels.get(severity, DEFAULT_CHANNELS[severity]))


@dataclass(frozen=True)
class StaffMember:
    """A staff recipient as the replica knows them, with their choices and locale."""

    id: uuid.UUID
    name: str
    email: str
    timezone: str
    active: bool
    locale: str | None = None
    choices: Choices = Choices()


@dataclass(frozen=True)
class Subscription:
    """A webhook subscription naming the event's type."""

    id: uuid.UUID
    url: str


@dataclass(frozen=True)
class Context:
    """Everything read for one event. ``staff``: the rule's staff recipients found in the
    replica, in the rule's order; ``contacts``: the client contacts it reaches;
    ``locales``: of the contacts and the client; ``manager``: the account manager, told
    when a client email cannot be sent."""

    subscriptions: Sequence[Subscription] = ()
    rule: Rule | None = None
    staff: Sequence[StaffMember] = ()
    contacts: Sequence[Contact] = ()
    locales: Mapping[uuid.UUID, str | None] = field(default_factory=dict)
    manager: StaffMember | None = None


@dataclass(frozen=True)
class WebhookRow:
    subscription: Subscription


@dataclass(frozen=True)
class FeedRow:
    recipient_id: uuid.UUID
    title: str
    body: str
    escalate_after: str | None
    escalates_at: datetime | None


@dataclass(frozen=True)
class StaffEmailRow:
    """An alert email to a staff member, ``send_at`` by their quiet hours or digest."""

    staff: StaffMember
    language: Language
    title: str
    body: str
    send_at: datetime
    digest: bool


@dataclass(frozen=True)
class ContactEmailRow:
    """A client-facing email (``template`` with ``context``); ``address`` None: nothing to
    send to, recorded as skipped."""

    contact_id: uuid.UUID
    template: str
    language: Language
    address: str | None
    context: Mapping[str, Any]


@dataclass(frozen=True)
class UnsentRow:
    """The account manager's notice that a client email was not sent (a feed entry and an
    email, by their choices), once per ``key``: the cause and the entity."""

    key: str
    alerts: tuple[FeedRow | StaffEmailRow, ...]


Row = WebhookRow | FeedRow | StaffEmailRow | ContactEmailRow | UnsentRow
# The notices' severity and channels.
UNSENT_SEVERITY: Severity = "warning"
UNSENT_CHANNELS: tuple[Channel, ...] = ("in_app", "email")


def staff_recipients(
    rule: Rule, data: Mapping[str, Any], admins: Sequence[uuid.UUID]
) -> list[uuid.UUID]:
    """The staff the rule names for this event, each once, in the rule's order: the event's
    account manager and head, a task's assignee and creator, a planned meeting's staff
    participants and organizer, the active admins (``admins``); a recipient reached only
    when a field is true (``rules.ONLY_WHEN``) only then; never the one whose action the
    event tells (``rules.ACTORS``)."""
    ids: list[uuid.UUID | None] = []
    for recipient in rule.recipients:
        if not reaches(rule, recipient, data):
            continue
        if recipient == "account_manager":
            ids.append(as_uuid(data.get("account_manager_id")))
        elif recipient == "head":
            ids.append(as_uuid(data.get("head_id")))
        elif recipient == "admins":
            ids += admins
        elif recipient in PERSON_FIELDS:
            value = data.get(PERSON_FIELDS[recipient][0])
            ids += [as_uuid(v) for v in value] if isinstance(value, list) else [as_uuid(value)]
    actors = {as_uuid(data.get(actor)) for actor in ACTORS}
    return [i for i in dict.fromkeys(ids) if i is not None and i not in actors]


def client_template(rule: Rule, event_type: str) -> str | None:
    """The client-facing template when the rule emails the client's contacts, else None."""
    return CLIENT_TEMPLATES.get(event_type) if "email" in rule.channels else None


def _carried(contacts: Any) -> list[dict[str, Any]]:
    return [
        {"id": str(c.get("contact_id")), "name": c.get("name"), "email": c.get("email")}
        for c in contacts
        if c.get("contact_id")
    ]


def _carried_billing(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("billing_contacts"), list)


def _carried_participants(data: Mapping[str, Any]) -> bool:
    return isinstance(data.get("contacts"), list) and bool(data["contacts"])


def needs_replica_contacts(rule: Rule, data: Mapping[str, Any]) -> bool:
    """Whether the contacts the rule reaches must be read from the client replica: the event
    does not carry them."""
    return ("billing_contacts" in rule.recipients and not _carried_billing(data)) or (
        "client_contacts" in rule.recipients and not _carried_participants(data)
    )


def contacts_for(rule: Rule, data: Mapping[str, Any], replica: Sequence[Contact]) -> list[Contact]:
    """The client contacts the rule reaches, in its order. Billing contacts: the event's
    ``billing_contacts`` (billing carries them), else the replica's contacts (``replica``)
    with the billing role. Client contacts (a meeting's participants): the event's
    ``contacts`` (with their emails), else its ``contact_ids`` looked up in the replica."""
    contacts: list[Contact] = []
    for recipient in rule.recipients:
        if recipient == "billing_contacts":
            if _carried_billing(data):
                contacts += _carried(data["billing_contacts"])
            else:
                contacts += [c for c in replica if "billing" in (c.get("roles") or [])]
        elif recipient == "client_contacts":
            if _carried_participants(data):
                contacts += _carried(data["contacts"])
            else:
                wanted = {str(c) for c in data.get("contact_ids") or []}
                contacts += [c for c in replica if c.get("id") in wanted]
    return contacts


class InvoiceMail(EventView):
    """What a client's invoice email (``invoice_issued``, ``payment_reminder``) shows of an
    ``invoice.*`` event: text as the event wrote it (nothing is computed from it but the
    days overdue), so an odd value is shown, never fails the alerts beside it."""

    client_name: str | None = None
    issue_date: str | None = None
    number: str | None = None
    balance: str | None = None
    total: str | None = None
    currency: str | None = None
    due_date: str | None = None
    days_overdue: int | None = None


class MinutesMail(EventView):
    """What the client's minutes (``meeting_minutes``) show of ``meeting.report_submitted``
    or ``.report_amended`` (an amendment carries its ``revision`` and ``reason``)."""

    client_name: str | None = None
    subject: str | None = None
    occurred_at: str | None = None
    summary: str | None = None
    decisions: list[str] | None = None
    next_steps: list[str] | None = None
    revision: int | None = None
    reason: str | None = None


def client_context(template: str, data: Mapping[str, Any], contact: Contact) -> dict[str, Any]:
    """What a client-facing template shows, from the event's data."""
    context: dict[str, Any] = {"recipient_name": contact.get("name") or ""}
    if template in ("payment_reminder", "invoice_issued"):
        invoice = InvoiceMail.of(data)
        context |= {
            "client_name": invoice.client_name or "",
            "issue_date": invoice.issue_date or "",
            "number": invoice.number or "",
            "balance": invoice.balance,
            "total": invoice.total,
            "currency": invoice.currency,
            "due_date": invoice.due_date or "",
            "days_overdue": invoice.days_overdue or 0,
        }
    else:
        report = MinutesMail.of(data)
        context |= {
            "client_name": report.client_name or "",
            "subject": report.subject or "",
            "meeting_date": (report.occurred_at or "")[:10],
            "summary": report.summary or "",
            "decisions": list(report.decisions or []),
            "next_steps": list(report.next_steps or []),
            # an amendment (meeting.report_amended): corrected minutes, saying why
            "amended": report.revision is not None,
            "reason": report.reason or "",
        }
    return context


def staff_email(
    staff: StaffMember,
    severity: Severity,
    language: Language,
    title: str,
    body: str,
    now: datetime,
) -> StaffEmailRow:
    """An alert email to ``staff``, planned by their quiet hours and digest."""
    choices = staff.choices
    plan = plan_email(now, severity, staff.timezone, choices.quiet, choices.digest)
    return StaffEmailRow(staff, language, title, body, plan.send_at, plan.digest)


def alerts_for(
    person: StaffMember,
    severity: Severity,
    channels: Sequence[Channel],
    title: str,
    body: str,
    now: datetime,
    language: Language,
    rule: Rule | None = None,
) -> list[FeedRow | StaffEmailRow]:
    """A staff member's feed entry and email: the channels ∩ their choices for the severity
    (the feed entry escalating as ``rule`` says)."""
    wanted = person.choices.wanted(severity)
    rows: list[FeedRow | StaffEmailRow] = []
    if "in_app" in channels and "in_app" in wanted:
        delay = rule.escalation_delay if rule else None
        after = rule.escalate_after if rule else None
        rows.append(FeedRow(person.id, title, body, after, escalate_at(now, delay)))
    if "email" in channels and "email" in wanted:
        rows.append(staff_email(person, severity, language, title, body, now))
    return rows


# The entity a client email is about (the field naming it), per template.
UNSENT_ENTITY: dict[str, str] = {
    "payment_reminder": "invoice_id",
    "invoice_issued": "invoice_id",
    "meeting_minutes": "interaction_id",
}


def unsent_notices(
    template: str,
    data: Mapping[str, Any],
    contacts: Sequence[Contact],
    manager: StaffMember | None,
    now: datetime,
) -> list[UnsentRow]:
    """What the account manager must fix when a client email is not sent: nobody to send it
    to (``no_contacts``), or contacts without an email address (``no_email``, naming them).
    Keyed by cause and entity (the invoice of a reminder, the meeting of minutes)."""
    if manager is None or not manager.active:
        return []
    missing = [str(c.get("name") or c.get("id")) for c in contacts if not c.get("email")]
    causes = [("no_contacts", [])] if not contacts else [("no_email", missing)] if missing else []
    language = language_of(manager.locale)
    entity = data.get(UNSENT_ENTITY[template]) or data.get("client_id")
    notices = []
    for cause, names in causes:
        title, body = describe_unsent(template, cause, data, names, language)
        alerts = alerts_for(manager, UNSENT_SEVERITY, UNSENT_CHANNELS, title, body, now, language)
        if alerts:
            notices.append(UnsentRow(f"{template}:{cause}:{entity}", tuple(alerts)))
    return notices


def plan_dispatch(
    event_type: str, data: Mapping[str, Any], context: Context, now: datetime
) -> list[Row]:
    """The rows the event turns into, in the order they are written (see the module)."""
    rows: list[Row] = [WebhookRow(s) for s in context.subscriptions]
    rule = context.rule
    if rule is None:
        return rows
    for person in context.staff:
        if not person.active:
            continue
        language = language_of(person.locale)
        title, body = describe(event_type, data, language, person.timezone)
        rows += alerts_for(person, rule.severity, rule.channels, title, body, now, language, rule)
    template = client_template(rule, event_type)
    if template is None:
        return rows
    client_id = as_uuid(data.get("client_id"))
    client_locale = context.locales.get(client_id) if client_id else None
    # Each contact once (the last of its entries, where the first stood).
    contacts = {str(c["id"]): c for c in context.contacts if as_uuid(c.get("id"))}.values()
    for contact in contacts:
        contact_id = uuid.UUID(str(contact["id"]))
        rows.append(
            ContactEmailRow(
                contact_id,
                template,
                language_of(context.locales.get(contact_id), client_locale),
                contact.get("email") or None,
                client_context(template, data, contact),
            )
        )
    return rows + unsent_notices(template, data, list(contacts), context.manager, now)
