"""What an event turns into, by the rules: feed entries (in-app), email deliveries for staff
and for the client's contacts, and webhook deliveries for the subscriptions naming its type.

Runs in the consumer's unit of work (inbox row and all of this commit together): the context
is read once (:func:`load_context`), the rows are planned by a pure function
(``domain/dispatch.py``) and written. Nothing is sent here: emails and webhooks are
``deliveries`` rows the senders send (``delivery/``), so a slow mail server or receiver never
holds an event up. Every row has a unique key per (event, recipient, channel) and is inserted
with ON CONFLICT DO NOTHING, so a redelivered event adds nothing."""

from __future__ import annotations

import uuid
from datetime import datetime, time
from time import monotonic
from typing import Any, cast

from services.notifications.domain.attachments import document_of
from services.notifications.domain.catalog import CLIENT_EMAIL_UNSENT
from services.notifications.domain.dispatch import (
    UNSENT_SEVERITY,
    Choices,
    ContactEmailRow,
    Context,
    FeedRow,
    Row,
    StaffEmailRow,
    StaffMember,
    Subscription,
    UnsentRow,
    WebhookRow,
    as_uuid,
    client_template,
    contacts_for,
    needs_replica_contacts,
    plan_dispatch,
    staff_recipients,
)
from services.notifications.domain.rules import Rule, RuleBook, applies, rule_for, rules_for
from services.notifications.domain.schedule import Digest, QuietHours
from services.notifications.domain.senders import headers_of, signed
from services.notifications.emails import render
from services.notifications.store import repository as repo
from services.notifications.store.client_mail import manager_of
from services.notifications.store.models import Notification, Preference
from shared.db import insert_ignore
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork


def _time(value: str) -> time:
    return time.fromisoformat(value)


def choices_of(preference: Preference | None) -> Choices:
    """A staff member's stored preferences as the plan reads them (None: the defaults)."""
    if preference is None:
        return Choices()
    quiet = preference.quiet_hours
    digest = preference.digest
    return Choices(
        preference.channels,
        QuietHours(_time(quiet["start"]), _time(quiet["end"])) if quiet else None,
        Digest(bool(digest.get("enabled")), _time(digest["at"])) if digest else None,
    )


def staff_member(
    staff: repo.StaffInfo, preference: Preference | None, locale: str | None
) -> StaffMember:
    return StaffMember(
        staff.id,
        staff.name,
        staff.email,
        staff.timezone,
        staff.active,
        locale,
        choices_of(preference),
    )


# ---------------------------------------------------------------- short-lived caches

# The rules and the webhook subscriptions are read for every event and change rarely: each
# process keeps them CACHE_SECONDS (per database), and forgets them at once when it changes
# them itself; another process sees a change within CACHE_SECONDS.
CACHE_SECONDS = 5.0
_cache: dict[tuple[str, str], tuple[float, Any]] = {}


def _cache_key(uow: UnitOfWork, what: str) -> tuple[str, str]:
    bind = uow.session.get_bind()
    return (str(getattr(bind, "url", id(bind))), what)


def forget_cached(uow: UnitOfWork) -> None:
    """Forget this database's cached rules and subscriptions (after changing them)."""
    for what in ("rules", "webhooks"):
        _cache.pop(_cache_key(uow, what), None)


async def _cached(uow: UnitOfWork, what: str, load: Any) -> Any:
    key = _cache_key(uow, what)
    hit = _cache.get(key)
    if hit is not None and monotonic() - hit[0] < CACHE_SECONDS:
        return hit[1]
    value = await load(uow.session)
    _cache[key] = (monotonic(), value)
    return value


async def rules_in_force(uow: UnitOfWork, data: dict[str, Any] | None = None) -> tuple[Rule, ...]:
    """The rules for an event with ``data``: those of its client's department (the account
    manager's, as the event names it or the client replica holds it), else the global ones."""
    book = cast(RuleBook, await _cached(uow, "rules", repo.load_rule_book))
    if len(book) == 1 or data is None:  # no department sets rules of its own
        return book[None]
    department = data.get("account_manager_department")
    client_id = as_uuid(data.get("client_id"))
    if "account_manager_department" not in data and client_id is not None:
        department = await repo.client_department(uow.session, client_id)
    return rules_for(book, department)


async def subscriptions(uow: UnitOfWork, event_type: str) -> list[repo.Subscription]:
    every = cast(list[repo.Subscription], await _cached(uow, "webhooks", repo.active_webhooks))
    return [w for w in every if event_type in w.event_types]


async def load_context(uow: UnitOfWork, event: CloudEvent) -> Context:
    """Everything the plan of ``event`` needs, read before anything is written: the
    subscriptions naming its type, the rule in force (when it applies), its staff recipients
    with their preferences and locales, the client contacts it reaches and their locales."""
    session = uow.session
    hooks = [Subscription(w.id, w.url) for w in await subscriptions(uow, event.type)]
    data = event.data
    rule = rule_for(await rules_in_force(uow, data), event.type)
    if rule is None or not applies(rule, data):
        return Context(hooks)
    admins = await repo.admin_ids(session) if "admins" in rule.recipients else []
    staff_ids = staff_recipients(rule, data, admins)
    template = client_template(rule, event.type)
    # The account manager is told when a client email cannot be sent.
    manager_id = as_uuid(data.get("account_manager_id")) if template else None
    found = await repo.recipients(session, [*staff_ids, *([manager_id] if manager_id else [])])
    people = {i: staff_member(r.staff, r.preference, r.locale) for i, r in found.items()}
    staff = [people[i] for i in staff_ids if i in people]
    if template is None:
        return Context(hooks, rule, staff)
    client_id = as_uuid(data.get("client_id"))
    replica: list[dict[str, Any]] = []
    if client_id is not None and needs_replica_contacts(rule, data):
        replica = await repo.client_contacts(session, client_id)
    contacts = contacts_for(rule, data, replica)
    contact_ids = [i for i in (as_uuid(c.get("id")) for c in contacts) if i is not None]
    locales = await repo.locales_of(session, [*contact_ids, *([client_id] if client_id else [])])
    manager = people.get(manager_id) if manager_id else None
    return Context(hooks, rule, staff, contacts, locales, manager)


async def dispatch(uow: UnitOfWork, event: CloudEvent) -> None:
    """Everything ``event`` turns into: webhooks for its subscribers, and what its rule says."""
    context = await load_context(uow, event)
    now = uow.clock.now()
    rows = plan_dispatch(event.type, event.data, context, now)
    await write_rows(uow, event, context.rule, rows, now)


async def write_rows(
    uow: UnitOfWork, event: CloudEvent, rule: Rule | None, rows: list[Row], now: datetime
) -> None:
    client_id = as_uuid(event.data.get("client_id"))
    payload = event.to_json().decode() if any(isinstance(r, WebhookRow) for r in rows) else ""
    for row in rows:
        if isinstance(row, WebhookRow):
            await repo.add_delivery(
                uow.session,
                _delivery(
                    key=f"webhook:{row.subscription.id}:{event.id}",
                    channel="webhook",
                    event_id=event.id,
                    event_type=event.type,
                    client_id=client_id,
                    severity="info",
                    recipient_kind="webhook",
                    webhook_id=row.subscription.id,
                    address=row.subscription.url,
                    payload=payload,
                    next_attempt_at=now,
                    now=now,
                ),
            )
            continue
        assert rule is not None  # the other rows come from the rule
        if isinstance(row, UnsentRow):
            await _add_unsent(uow, row, client_id, event.data.get("client_name"))
        elif isinstance(row, FeedRow):
            await add_notification(
                uow,
                recipient_id=row.recipient_id,
                event_id=event.id,
                event_type=event.type,
                severity=rule.severity,
                title=row.title,
                body=row.body,
                client_id=client_id,
                root_event_id=event.id,
                escalate_after=row.escalate_after,
                escalates_at=row.escalates_at,
            )
        elif isinstance(row, StaffEmailRow):
            await add_staff_email(
                uow,
                row,
                event_id=event.id,
                event_type=event.type,
                severity=rule.severity,
                client_id=client_id,
                client_name=event.data.get("client_name"),
                escalates=rule.escalate_after is not None,
            )
        else:
            await _add_contact_email(uow, row, event, rule, client_id, now)


async def add_notification(
    uow: UnitOfWork,
    *,
    recipient_id: uuid.UUID,
    event_id: uuid.UUID,
    event_type: str,
    severity: str,
    title: str,
    body: str,
    client_id: uuid.UUID | None,
    root_event_id: uuid.UUID,
    level: int = 0,
    escalate_after: str | None = None,
    escalates_at: datetime | None = None,
) -> bool:
    """A feed entry, once per (recipient, event)."""
    return await insert_ignore(
        uow.session,
        Notification.__table__,  # type: ignore[arg-type]
        {
            "id": uuid.uuid4(),
            "recipient_id": recipient_id,
            "type": event_type,
            "severity": severity,
            "title": title,
            "body": body,
            "client_id": client_id,
            "event_id": event_id,
            "created_at": uow.clock.now(),
            "level": level,
            "root_event_id": root_event_id,
            "escalate_at": escalates_at,
            "escalate_after": escalate_after,
        },
    )


async def add_staff_email(
    uow: UnitOfWork,
    row: StaffEmailRow,
    *,
    event_id: uuid.UUID,
    event_type: str,
    severity: str,
    client_id: uuid.UUID | None,
    client_name: str | None,
    level: int = 0,
    escalates: bool = False,
) -> bool:
    """An alert email to a staff member, as planned (``domain.dispatch.staff_email``);
    ``escalates``: the alert climbs when not acknowledged (the email says so)."""
    staff = row.staff
    email = render(
        "staff_alert",
        row.language,
        {
            "recipient_name": staff.name,
            "title": row.title,
            "body": row.body,
            "client_name": client_name,
            "severity": severity,
            "level": level,
            "escalates": escalates,
        },
    )
    return await repo.add_delivery(
        uow.session,
        _delivery(
            key=f"email:{event_id}:staff:{staff.id}",
            channel="email",
            event_id=event_id,
            event_type=event_type,
            client_id=client_id,
            severity=severity,
            recipient_kind="staff",
            recipient_id=staff.id,
            address=staff.email,
            template="staff_alert",
            locale=row.language,
            subject=email.subject,
            text_body=email.text,
            html_body=email.html,
            digest=row.digest,
            next_attempt_at=row.send_at,
            now=uow.clock.now(),
        ),
    )


async def _add_contact_email(
    uow: UnitOfWork,
    row: ContactEmailRow,
    event: CloudEvent,
    rule: Rule,
    client_id: uuid.UUID | None,
    now: datetime,
) -> None:
    common: dict[str, Any] = {
        "key": f"email:{event.id}:contact:{row.contact_id}",
        "channel": "email",
        "event_id": event.id,
        "event_type": event.type,
        "client_id": client_id,
        "severity": rule.severity,
        "recipient_kind": "contact",
        "recipient_id": row.contact_id,
        "template": row.template,
        "locale": row.language,
        "now": now,
    }
    if row.address is None:
        # Nothing to send to: recorded, not an error.
        values = _delivery(
            status="skipped", last_error="the contact has no email address", **common
        )
    else:
        # From the client's account manager (domain/senders.py), signed by them.
        sender = await manager_of(uow.session, event.data.get("account_manager_id"))
        email = render(row.template, row.language, signed(row.context, sender))
        values = _delivery(
            **headers_of(sender),
            document=document_of(row.template, event.data),
            address=row.address,
            subject=email.subject,
            text_body=email.text,
            html_body=email.html,
            next_attempt_at=now,
            **common,
        )
    await repo.add_delivery(uow.session, values)


async def _add_unsent(
    uow: UnitOfWork, row: UnsentRow, client_id: uuid.UUID | None, client_name: str | None
) -> None:
    """The account manager's notice that a client email was not sent: a feed entry and an
    email of the service's own type, once per cause and entity (a deterministic event id)."""
    notice_id = uuid.uuid5(uuid.NAMESPACE_URL, f"orbit:notifications:unsent:{row.key}")
    for alert in row.alerts:
        if isinstance(alert, FeedRow):
            await add_notification(
                uow,
                recipient_id=alert.recipient_id,
                event_id=notice_id,
                event_type=CLIENT_EMAIL_UNSENT,
                severity=UNSENT_SEVERITY,
                title=alert.title,
                body=alert.body,
                client_id=client_id,
                root_event_id=notice_id,
            )
        else:
            await add_staff_email(
                uow,
                alert,
                event_id=notice_id,
                event_type=CLIENT_EMAIL_UNSENT,
                severity=UNSENT_SEVERITY,
                client_id=client_id,
                client_name=client_name,
            )


def _delivery(*, now: datetime, status: str = "pending", **values: Any) -> dict[str, Any]:
    return {
        "id": uuid.uuid4(),
        "status": status,
        "attempts": 0,
        "created_at": now,
        "digest": False,
        **values,
    }
