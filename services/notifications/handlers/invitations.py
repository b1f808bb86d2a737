"""Meeting invitations: on ``meeting.scheduled``, ``meeting.rescheduled`` and
``meeting.cancelled`` each client participant of the meeting gets an email in their language
(the contact's locale, else the client's, else English) from the client's account manager,
with the meeting's iCalendar object (``domain/invitations.py``) as its calendar part and as
an ``.ics`` attachment: one delivery per (event, contact), written in the consumer's
transaction like every email, so a redelivered event adds nothing. A participant without an
email address is a ``skipped`` delivery. They need no rule: an invitation is part of
planning the meeting, not an alert."""

from __future__ import annotations

import uuid
from typing import Any

from services.notifications.domain.invitations import (
    CHANGES,
    TEMPLATE,
    Invitation,
    Person,
    invitation_context,
    invitation_ics,
    parse_instant,
)
from services.notifications.domain.messages import language_of
from services.notifications.domain.senders import headers_of, signed
from services.notifications.emails import render
from services.notifications.store import repository as repo
from services.notifications.store.client_mail import client_timezone, manager_of, people
from shared.event_views import MeetingData
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork


async def invite(uow: UnitOfWork, event: CloudEvent) -> None:
    """The invitations (or their update, or cancellation) of a meeting's event."""
    meeting = MeetingData.of(event.data)
    change = CHANGES[event.type]
    contacts = meeting.invited
    if not contacts:
        return
    session = uow.session
    now = uow.clock.now()
    client_id = meeting.client_id
    timezone = await client_timezone(session, client_id)
    organizer_id = meeting.organizer_id
    staff = await people(session, [*meeting.staff_ids, organizer_id])
    sender = await manager_of(session, meeting.account_manager_id)
    invitation = Invitation(
        meeting_id=meeting.meeting_id,
        sequence=meeting.sequence,
        change=change,
        subject=meeting.subject or "",
        agenda=meeting.agenda,
        location=meeting.location,
        starts_at=parse_instant(meeting.starts_at),
        ends_at=parse_instant(meeting.ends_at),
        timezone=timezone,
        organizer=staff.get(organizer_id) if organizer_id else None,
        contacts=[Person(c.name, c.email) for c in contacts if c.email],
        staff=[staff[i] for i in meeting.staff_ids if i in staff and i != organizer_id],
        stamp=event.time or now,
    )
    ics = invitation_ics(invitation)
    contact_ids = [c.contact_id for c in contacts if c.contact_id is not None]
    locales = await repo.locales_of(session, [*contact_ids, *([client_id] if client_id else [])])
    client_locale = locales.get(client_id) if client_id else None
    for contact, contact_id in zip(contacts, contact_ids, strict=True):
        language = language_of(locales.get(contact_id), client_locale)
        values: dict[str, Any] = {
            "id": uuid.uuid4(),
            "key": f"invitation:{event.id}:{contact_id}",
            "channel": "email",
            "event_id": event.id,
            "event_type": event.type,
            "client_id": client_id,
            "severity": "info",
            "recipient_kind": "contact",
            "recipient_id": contact_id,
            "template": TEMPLATE,
            "locale": language,
            "attempts": 0,
            "digest": False,
            "created_at": now,
        }
        if not contact.email:
            values |= {"status": "skipped", "last_error": "the contact has no email address"}
        else:
            context = invitation_context(change, meeting, timezone, contact.name or "")
            email = render(TEMPLATE, language, signed(context, sender))
            values |= {
                **headers_of(sender),
                "status": "pending",
                "address": contact.email,
                "subject": email.subject,
                "text_body": email.text,
                "html_body": email.html,
                "attachment_name": invitation.filename,
                "attachment": ics,
                "next_attempt_at": now,
            }
        await repo.add_delivery(session, values)


INVITATIONS: dict[str, EventHandler] = dict.fromkeys(CHANGES, invite)
