"""Subscribers of the notifications service: its reactions to other services' events.

A subscriber runs in the consumer's unit of work, which commits with the inbox row
(``shared.messaging.consumer``); :data:`SUBSCRIBERS` maps each event type to one. They keep
the replicas of the clients service's data (``shared.replicas``), add entries to the feeds,
and then keep the scorecard's KPI projection (``handlers.scorecard.projection``).
"""

from __future__ import annotations

import uuid

from services.notifications.domain.catalog import EVENT_TYPES
from services.notifications.handlers.dispatch import dispatch
from services.notifications.handlers.greetings import keep_choice
from services.notifications.handlers.invitations import INVITATIONS
from services.notifications.handlers.scorecard.projection import SCORECARD_SUBSCRIBERS
from services.notifications.handlers.search import SEARCH_SUBSCRIBERS
from services.notifications.handlers.timeline import ALERT_SUBSCRIBERS, TIMELINE_SUBSCRIBERS
from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.db import insert_ignore
from shared.event_views import EventView, needed
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.policy_replica import POLICY_HANDLERS
from shared.replicas import REPLICA_HANDLERS
from shared.subscribers import compose, tolerant
from shared.uow import UnitOfWork


async def notify(
    uow: UnitOfWork,
    event: CloudEvent,
    recipient_id: uuid.UUID,
    *,
    title: str,
    body: str,
    severity: str = "info",
    client_id: uuid.UUID | None = None,
) -> bool:
    """Add an entry to a recipient's feed, once per (recipient, event)."""
    return await insert_ignore(
        uow.session,
        Notification.__table__,  # type: ignore[arg-type]
        {
            "id": uuid.uuid4(),
            "recipient_id": recipient_id,
            "type": event.type,
            "severity": severity,
            "title": title,
            "body": body,
            "client_id": client_id,
            "event_id": event.id,
            "created_at": uow.clock.now(),
        },
    )


class ClientManaged(EventView):
    """``client.created`` (its ``account_manager_id``, ``status``) or ``client.assigned``
    (``to_manager_id``, ``from_manager_id``, ``reason``): what the managers' feeds say."""

    client_id: uuid.UUID
    name: str
    tier: str
    status: str | None = None
    account_manager_id: uuid.UUID | None = None
    to_manager_id: uuid.UUID | None = None
    from_manager_id: uuid.UUID | None = None
    reason: str | None = None


class ContactLocale(EventView):
    """A contact's locale, in a contact event or among a client event's ``contacts``; the
    locale is set only when the event carries the field (``sets``)."""

    contact_id: uuid.UUID | None = None
    locale: str | None = None

    @property
    def sets(self) -> bool:
        return "locale" in self.model_fields_set


class Locales(ContactLocale):
    """The locales a clients event carries (a staff member's, a client's and its contacts')."""

    staff_id: uuid.UUID | None = None
    client_id: uuid.UUID | None = None
    contacts: list[ContactLocale] | None = None


async def on_client_created(uow: UnitOfWork, event: CloudEvent) -> None:
    client = ClientManaged.of(event.data)
    if client.account_manager_id:
        await notify(
            uow,
            event,
            client.account_manager_id,
            title=f"New client assigned: {client.name}",
            body=f"{client.name} ({client.tier} tier, {needed(client.status, 'status')}) "
            "is now in your portfolio.",
            client_id=client.client_id,
        )


async def on_client_assigned(uow: UnitOfWork, event: CloudEvent) -> None:
    client = ClientManaged.of(event.data)
    reason = f" Reason: {client.reason}" if client.reason else ""
    await notify(
        uow,
        event,
        needed(client.to_manager_id, "to_manager_id"),
        title=f"New client assigned: {client.name}",
        body=f"{client.name} ({client.tier} tier) is now in your portfolio.{reason}",
        client_id=client.client_id,
    )
    if client.from_manager_id:
        await notify(
            uow,
            event,
            client.from_manager_id,
            title=f"Client reassigned: {client.name}",
            body=f"{client.name} moved to another account manager.{reason}",
            client_id=client.client_id,
        )


async def keep_locales(uow: UnitOfWork, event: CloudEvent) -> None:
    """The locales of staff, clients and contacts (the replicas do not keep them): the
    language of their emails. An event without the field (older ones) changes nothing."""
    session, kind = uow.session, event.type
    if kind.startswith("orbit.clients.staff."):
        staff = Locales.of(event.data)
        if staff.sets:
            await repo.set_locale(
                session, needed(staff.staff_id, "staff_id"), "staff", staff.locale
            )
    elif kind.startswith("orbit.clients.client."):
        client = Locales.of(event.data)
        if client.sets:
            client_id = needed(client.client_id, "client_id")
            await repo.set_locale(session, client_id, "client", client.locale)
        for contact in client.contacts or []:
            if contact.sets:
                contact_id = needed(contact.contact_id, "contact_id")
                await repo.set_locale(session, contact_id, "contact", contact.locale)
    elif kind.startswith("orbit.clients.contact.") and not kind.startswith(
        "orbit.clients.contact.birthday_upcoming"
    ):
        contact = ContactLocale.of(event.data)
        if contact.sets:
            contact_id = needed(contact.contact_id, "contact_id")
            await repo.set_locale(session, contact_id, "contact", contact.locale)


FEED_ENTRIES: dict[str, EventHandler] = {
    "orbit.clients.client.created.v1": on_client_created,
    "orbit.clients.client.assigned.v1": on_client_assigned,
}


_EVENT_TYPES = (*REPLICA_HANDLERS, *EVENT_TYPES)

# Replicas first (the clients' and the policies': the scorecard's deviation threshold and
# report schedules, ``shared.policy_replica``), then the search documents (``handlers.
# search``, ``tolerant``: an event it cannot read is left out with a warning; a database
# error still fails the event), then locales, the fixed feed entries, and what the rules and
# the webhook subscriptions make of the event; the invitations of planned meetings to the
# client's participants; then the scorecard's projection (tolerant: an event it cannot read
# is left out of the KPIs instead of holding the alert up) and the client-at-a-glance
# projection (the timeline with the alerts just raised, the summary's and the calendar's
# state; as tolerant).
#
# The search documents come right after the replicas because a document holds its client's
# replica row (FOR SHARE, ``shared.replica_store.manager_of``) until the commit: taken
# before any other row, it is taken in the order a client event takes it (its replica write
# first, then the rest), so the two never wait for each other's rows (a deadlock).
SUBSCRIBERS: dict[str, EventHandler] = compose(
    REPLICA_HANDLERS,
    POLICY_HANDLERS,
    {t: tolerant(r, "search") for t, r in SEARCH_SUBSCRIBERS.items()},
    {t: keep_locales for t in _EVENT_TYPES if t.startswith("orbit.clients.")},
    {t: keep_choice for t in _EVENT_TYPES if t.startswith("orbit.clients.client.")},
    FEED_ENTRIES,
    dict.fromkeys(_EVENT_TYPES, dispatch),
    INVITATIONS,
    {t: tolerant(r, "scorecard KPIs") for t, r in SCORECARD_SUBSCRIBERS.items()},
    {t: tolerant(r, "client timeline") for t, r in TIMELINE_SUBSCRIBERS.items()},
    {t: tolerant(r, "client timeline") for t, r in ALERT_SUBSCRIBERS.items()},
)
