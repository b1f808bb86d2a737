"""What an event turns into, by the rules: feed entries (in-app), email deliveries for staff
and for the client's contacts, and webhook deliveries for the subscriptions naming its type.

Runs in the consumer's unit of work (inbox row and all of this commit together). Nothing is
sent here: emails and webhooks are ``deliveries`` rows the workers send (``workers.py``), so a
slow mail server or receiver never holds an event up. Every row has a unique key per (event,
recipient, channel) and is inserted with ON CONFLICT DO NOTHING, so a redelivered event adds
nothing."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, time
from time import monotonic
from typing import Any, cast

from services.notifications.domain.catalog import Severity
from services.notifications.domain.escalation import escalate_at
from services.notifications.domain.messages import Language, describe, language_of
from services.notifications.domain.rules import CLIENT_TEMPLATES, Rule, applies, rule_for
from services.notifications.domain.schedule import (
    DEFAULT_CHANNELS,
    Digest,
    QuietHours,
    plan_email,
)
from services.notifications.emails import render
from services.notifications.store import repository as repo
from services.notifications.store.models import Notification, Preference
from shared.db import insert_ignore
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


def _time(value: str) -> time:
    return time.fromisoformat(value)


def channels_for(preference: Preference | None, severity: Severity) -> tuple[str, ...]:
    """The personal channels a person wants for ``severity`` (defaults: all)."""
    if preference is None:
        return DEFAULT_CHANNELS[severity]
    return tuple(preference.channels.get(severity, DEFAULT_CHANNELS[severity]))


def quiet_hours_of(preference: Preference | None) -> QuietHours | None:
    if preference is None or not preference.quiet_hours:
        return None
    return QuietHours(_time(preference.quiet_hours["start"]), _time(preference.quiet_hours["end"]))


def digest_of(preference: Preference | None) -> Digest | None:
    if preference is None or not preference.digest:
        return None
    return Digest(bool(preference.digest.get("enabled")), _time(preference.digest["at"]))


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
    *,
    staff: repo.StaffInfo,
    preference: Preference | None,
    event_id: uuid.UUID,
    event_type: str,
    severity: Severity,
    client_id: uuid.UUID | None,
    client_name: str | None,
    language: Language,
    title: str,
    body: str,
    level: int = 0,
) -> bool:
    """An alert email to a staff member, planned by their preferences (quiet hours, digest)."""
    now = uow.clock.now()
    plan = plan_email(
        now, severity, staff.timezone, quiet_hours_of(preference), digest_of(preference)
    )
    email = render(
        "staff_alert",
        language,
        {
            "recipient_name": staff.name,
            "title": title,
            "body": body,
            "client_name": client_name,
            "severity": severity,
            "level": level,
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
            locale=language,
            subject=email.subject,
            text_body=email.text,
            html_body=email.html,
            digest=plan.digest,
            next_attempt_at=plan.send_at,
            now=now,
        ),
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


async def rules_in_force(uow: UnitOfWork) -> tuple[Rule, ...]:
    return cast(tuple[Rule, ...], await _cached(uow, "rules", repo.load_rules))


async def subscriptions(uow: UnitOfWork, event_type: str) -> list[repo.Subscription]:
    every = cast(list[repo.Subscription], await _cached(uow, "webhooks", repo.active_webhooks))
    return [w for w in every if event_type in w.event_types]


async def dispatch(uow: UnitOfWork, event: CloudEvent) -> None:
    """Everything ``event`` turns into: webhooks for its subscribers, and what its rule says."""
    await add_webhook_deliveries(uow, event)
    rule = rule_for(await rules_in_force(uow), event.type)
    if rule is None or not applies(rule, event.data):
        return
    await apply_rule(uow, event, rule)


async def add_webhook_deliveries(uow: UnitOfWork, event: CloudEvent) -> int:
    now = uow.clock.now()
    added = 0
    payload = event.to_json().decode()
    for webhook in await subscriptions(uow, event.type):
        added += await repo.add_delivery(
            uow.session,
            _delivery(
                key=f"webhook:{webhook.id}:{event.id}",
                channel="webhook",
                event_id=event.id,
                event_type=event.type,
                client_id=_uuid(event.data.get("client_id")),
                severity="info",
                recipient_kind="webhook",
                webhook_id=webhook.id,
                address=webhook.url,
                payload=payload,
                next_attempt_at=now,
                now=now,
            ),
        )
    return added


async def apply_rule(uow: UnitOfWork, event: CloudEvent, rule: Rule) -> None:
    data = event.data
    session = uow.session
    client_id = _uuid(data.get("client_id"))
    staff_ids: list[uuid.UUID] = []
    contacts: list[dict[str, Any]] = []
    for recipient in rule.recipients:
        if recipient == "account_manager":
            staff_ids.append(_uuid(data.get("account_manager_id")))  # type: ignore[arg-type]
        elif recipient == "head":
            staff_ids.append(_uuid(data.get("head_id")))  # type: ignore[arg-type]
        elif recipient == "admins":
            staff_ids += await repo.admin_ids(session)
        elif recipient == "billing_contacts":
            contacts += await _billing_contacts(uow, data, client_id)
        elif recipient == "client_contacts":
            contacts += await _meeting_contacts(uow, data, client_id)
    staff_ids = [s for s in dict.fromkeys(staff_ids) if s is not None]
    people = await repo.recipients(session, staff_ids)
    now = uow.clock.now()
    delay = rule.escalation_delay
    for staff_id in staff_ids:
        found = people.get(staff_id)
        if found is None or not found.staff.active:
            continue
        person, preference = found.staff, found.preference
        wanted = channels_for(preference, rule.severity)
        language = language_of(found.locale)
        title, body = describe(event.type, data, language)
        if "in_app" in rule.channels and "in_app" in wanted:
            await add_notification(
                uow,
                recipient_id=staff_id,
                event_id=event.id,
                event_type=event.type,
                severity=rule.severity,
                title=title,
                body=body,
                client_id=client_id,
                root_event_id=event.id,
                escalate_after=rule.escalate_after,
                escalates_at=escalate_at(now, delay),
            )
        if "email" in rule.channels and "email" in wanted:
            await add_staff_email(
                uow,
                staff=person,
                preference=preference,
                event_id=event.id,
                event_type=event.type,
                severity=rule.severity,
                client_id=client_id,
                client_name=data.get("client_name"),
                language=language,
                title=title,
                body=body,
            )
    template = CLIENT_TEMPLATES.get(event.type)
    if "email" not in rule.channels or template is None:
        return
    contact_ids = [i for i in (_uuid(c.get("id")) for c in contacts) if i is not None]
    locales = await repo.locales_of(session, [*contact_ids, *([client_id] if client_id else [])])
    client_locale = locales.get(client_id) if client_id else None
    for contact in {str(c["id"]): c for c in contacts if _uuid(c.get("id"))}.values():
        contact_id = uuid.UUID(str(contact["id"]))
        language = language_of(locales.get(contact_id), client_locale)
        key = f"email:{event.id}:contact:{contact_id}"
        common: dict[str, Any] = {
            "key": key,
            "channel": "email",
            "event_id": event.id,
            "event_type": event.type,
            "client_id": client_id,
            "severity": rule.severity,
            "recipient_kind": "contact",
            "recipient_id": contact_id,
            "template": template,
            "locale": language,
            "now": now,
        }
        if not contact.get("email"):
            # Nothing to send to: recorded, not an error.
            await repo.add_delivery(
                session,
                _delivery(
                    status="skipped", last_error="the contact has no email address", **common
                ),
            )
            continue
        email = render(template, language, client_context(template, data, contact))
        await repo.add_delivery(
            session,
            _delivery(
                address=contact["email"],
                subject=email.subject,
                text_body=email.text,
                html_body=email.html,
                next_attempt_at=now,
                **common,
            ),
        )


def client_context(
    template: str, data: Mapping[str, Any], contact: Mapping[str, Any]
) -> dict[str, Any]:
    """What a client-facing template shows, from the event's data."""
    context: dict[str, Any] = {
        "recipient_name": contact.get("name") or "",
        "client_name": data.get("client_name") or "",
    }
    if template == "payment_reminder":
        context |= {
            "number": data.get("number") or "",
            "balance": data.get("balance"),
            "total": data.get("total"),
            "currency": data.get("currency"),
            "due_date": data.get("due_date") or "",
            "days_overdue": int(data.get("days_overdue") or 0),
        }
    else:
        context |= {
            "subject": data.get("subject") or "",
            "meeting_date": str(data.get("occurred_at") or "")[:10],
            "summary": data.get("summary") or "",
            "decisions": list(data.get("decisions") or []),
            "next_steps": list(data.get("next_steps") or []),
        }
    return context


async def _billing_contacts(
    uow: UnitOfWork, data: Mapping[str, Any], client_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """The event's ``billing_contacts`` (billing carries them), else the replica's contacts
    with the billing role."""
    if isinstance(data.get("billing_contacts"), list):
        return [
            {"id": str(c.get("contact_id")), "name": c.get("name"), "email": c.get("email")}
            for c in data["billing_contacts"]
            if c.get("contact_id")
        ]
    if client_id is None:
        return []
    return [
        c
        for c in await repo.client_contacts(uow.session, client_id)
        if "billing" in (c.get("roles") or [])
    ]


async def _meeting_contacts(
    uow: UnitOfWork, data: Mapping[str, Any], client_id: uuid.UUID | None
) -> list[dict[str, Any]]:
    """The meeting's client participants: the event's ``contacts`` (with their emails), else
    its ``contact_ids`` looked up in the replica."""
    if isinstance(data.get("contacts"), list) and data["contacts"]:
        return [
            {"id": str(c.get("contact_id")), "name": c.get("name"), "email": c.get("email")}
            for c in data["contacts"]
            if c.get("contact_id")
        ]
    wanted = {str(c) for c in data.get("contact_ids") or []}
    if not wanted or client_id is None:
        return []
    return [c for c in await repo.client_contacts(uow.session, client_id) if c.get("id") in wanted]
