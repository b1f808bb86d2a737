"""Search: the read model kept from the events (:data:`SEARCH_SUBSCRIBERS`, composed into
``subscribers.py``) and the query (:func:`search`).

Every event carries the whole state of what it is about, so each reaction replaces the
document of its entity (an upsert: a replayed or redelivered event changes nothing). A client
event carries the client's contacts: the contacts it no longer lists are removed.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain import search as rules
from services.notifications.domain.search import Hit, SearchType
from services.notifications.store import search as store
from shared.auth import Caller
from shared.event_views import ClientData, ContactRef, InteractionData, InvoiceData
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.uow import UnitOfWork


async def on_client(uow: UnitOfWork, event: CloudEvent) -> None:
    client = ClientData.of(event.data)
    await store.put(uow.session, rules.client_document(client, event.time), event.time)
    if client.contacts is None:
        return
    listed = {c.contact_id for c in client.contacts}
    known = await store.contact_ids(uow.session, client.client_id)
    await store.remove(uow.session, "contact", [c for c in known if c not in listed])
    for contact in client.contacts:
        doc = rules.contact_document(client.client_id, contact, event.time)
        await store.put(uow.session, doc, event.time)


async def on_contact(uow: UnitOfWork, event: CloudEvent) -> None:
    if event.type == "orbit.clients.contact.deleted.v1":
        deleted = ContactRef.of(event.data)
        await store.remove(uow.session, "contact", [deleted.contact_id])
        return
    contact = rules.ContactEventData.of(event.data)
    doc = rules.contact_document(contact.client_id, contact, event.time)
    await store.put(uow.session, doc, event.time)


async def on_invoice(uow: UnitOfWork, event: CloudEvent) -> None:
    doc = rules.invoice_document(InvoiceData.of(event.data), event.time)
    if doc is not None:
        await store.put(uow.session, doc, event.time)


async def on_interaction(uow: UnitOfWork, event: CloudEvent) -> None:
    interaction = InteractionData.of(event.data)
    await store.put(uow.session, rules.interaction_document(interaction), event.time)


async def on_meeting_report(uow: UnitOfWork, event: CloudEvent) -> None:
    report = InteractionData.of(event.data)
    await store.put(uow.session, rules.meeting_report_document(report), event.time)


_CLIENT_EVENTS = ("created", "updated", "assigned", "status_changed")
_INVOICE_EVENTS = ("issued", "voided", "paid", "overdue")

SEARCH_SUBSCRIBERS: dict[str, EventHandler] = {
    **{f"orbit.clients.client.{e}.v1": on_client for e in _CLIENT_EVENTS},
    **{f"orbit.clients.contact.{e}.v1": on_contact for e in ("created", "updated", "deleted")},
    **{f"orbit.billing.invoice.{e}.v1": on_invoice for e in _INVOICE_EVENTS},
    "orbit.interactions.interaction.logged.v1": on_interaction,
    "orbit.interactions.meeting.report_submitted.v1": on_meeting_report,
}


async def search(
    session: AsyncSession,
    caller: Caller,
    query: str,
    types: Sequence[SearchType],
    limit: int,
) -> list[Hit]:
    """The documents of the caller's clients matching ``query``, best first: full text,
    similar names, phone numbers, emails and invoice numbers (``domain.search``)."""
    await store.plan_each_query(session)
    number = rules.number_prefix(query)
    email = query.lower() if "@" in query and " " not in query else None
    matches = [
        await store.text_matches(session, caller, query, types, limit),
        await store.name_matches(session, caller, query, types, limit),
        await store.key_matches(
            session,
            caller,
            types,
            limit,
            phones=rules.phone_candidates(query),
            email=email,
            number=number,
        ),
    ]
    return rules.merge(matches, limit)
