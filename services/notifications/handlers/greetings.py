"""Greetings to the contacts of the clients whose manager turned them on: the client's
choice kept from the client events (:func:`keep_choice`), and the scheduled job writing the
greetings due (``domain/greetings.py``) as email deliveries from the manager, in each
contact's language (the contact's locale, else the client's, else English).

Sent once across replicas: each greeting's delivery has the unique key (contact, occasion,
year) and is inserted with ON CONFLICT DO NOTHING in the job's transaction, so two processes
running the job at the same moment, or the job every few minutes all day, write it once."""

from __future__ import annotations

import uuid
from datetime import datetime

from services.notifications.domain.catalog import GREETING
from services.notifications.domain.greetings import (
    TEMPLATE,
    GreetingsChoice,
    due_greetings,
    greeting_context,
    greeting_key,
)
from services.notifications.domain.messages import language_of
from services.notifications.domain.senders import Sender, headers_of, signed
from services.notifications.emails import render
from services.notifications.settings import NotificationsSettings
from services.notifications.store import repository as repo
from services.notifications.store.client_mail import greeted_clients, manager_of, set_greetings
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork, UnitOfWorkFactory


async def keep_choice(uow: UnitOfWork, event: CloudEvent) -> None:
    """The client's ``greetings`` from its events (an event without it changes nothing)."""
    choice = GreetingsChoice.of(event.data)
    if choice.chosen and choice.client_id:
        await set_greetings(uow.session, choice.client_id, bool(choice.greetings))


async def send_greetings(
    uow_factory: UnitOfWorkFactory, now: datetime, settings: NotificationsSettings
) -> int:
    """Write the greetings due at ``now``; returns how many were new."""
    async with uow_factory() as uow:
        session = uow.session
        greeted = {g.client.client_id: g for g in await greeted_clients(session)}
        due = due_greetings(
            now,
            [g.client for g in greeted.values()],
            settings.notifications_greeting_holidays,
            settings.notifications_greeting_local_time,
        )
        if not due:
            return 0
        subjects = [*{d.client.client_id for d in due}, *{d.contact.contact_id for d in due}]
        locales = await repo.locales_of(session, subjects)
        senders: dict[uuid.UUID | None, Sender | None] = {}
        written = 0
        for item in due:
            client = greeted[item.client.client_id]
            if client.manager_id not in senders:
                senders[client.manager_id] = await manager_of(session, client.manager_id)
            sender = senders[client.manager_id]
            language = language_of(
                locales.get(item.contact.contact_id), locales.get(item.client.client_id)
            )
            email = render(
                TEMPLATE, language, signed(greeting_context(item, language, client.name), sender)
            )
            written += await repo.add_delivery(
                session,
                {
                    **headers_of(sender),
                    "id": uuid.uuid4(),
                    "key": greeting_key(item),
                    "channel": "email",
                    "status": "pending",
                    # No event behind it: the greeting's own id.
                    "event_id": uuid.uuid5(uuid.NAMESPACE_URL, greeting_key(item)),
                    "event_type": GREETING,
                    "client_id": item.client.client_id,
                    "severity": "info",
                    "recipient_kind": "contact",
                    "recipient_id": item.contact.contact_id,
                    "address": item.contact.email,
                    "template": TEMPLATE,
                    "locale": language,
                    "subject": email.subject,
                    "text_body": email.text,
                    "html_body": email.html,
                    "attempts": 0,
                    "digest": False,
                    "next_attempt_at": now,
                    "created_at": now,
                },
            )
        await uow.commit()
    return written
