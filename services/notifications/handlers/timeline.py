"""The client-at-a-glance projection: reactions to the interactions, billing and clients
events (:data:`TIMELINE_SUBSCRIBERS`, composed into ``subscribers.py`` after the alerts, so the
notifications an event raised are there to be put on the timeline).

Each event puts its entry on the client's timeline (``domain.timeline.entry_of``: a state
entry updated in place, or a history entry), keeps the current state of the thing it is about
(``item_of``: what the summary counts and the calendar shows; feedback scores too), and the
client's last contact. Every write is idempotent (keyed by the entry's key or the thing's id,
an older event than the stored one changing nothing), so an event applied twice, by the consumer
or by ``orbit timeline rebuild`` (``handlers.scorecard.rebuild`` with these subscribers and
tables), leaves the same rows. They read ``event.data`` through the views of
``domain.timeline`` (``shared.event_views``): no other service is imported.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.domain.catalog import ESCALATED, EVENT_TYPES
from services.notifications.domain.timeline import (
    CONTACT_EVENTS,
    ENTRY_EVENTS,
    INTERACTION_LOGGED,
    INTERACTION_RETRACTED,
    Amounts,
    ClientRef,
    InteractionLogged,
    InteractionRetracted,
    alert_entry,
    days_since,
    entry_of,
    escalation_entry,
    invoice_balances,
    item_of,
    next_contact_due,
    request_deadline,
)
from services.notifications.store import timeline as store
from shared.auth import Caller
from shared.clock import local_date, zone_of
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.replicas import ClientView, read_client
from shared.subscribers import compose
from shared.uow import UnitOfWork


async def on_event(uow: UnitOfWork, event: CloudEvent) -> None:
    """The event's entry, the state of its thing, the client's facts."""
    data = event.data
    client_id = ClientRef.of(data).client_id
    entry = entry_of(event.type, data, event.time)
    if entry is not None:
        await store.put_entry(uow.session, client_id, entry, event.id, event.time)
    item = item_of(event.type, data)
    if item is not None:
        await store.put_item(uow.session, client_id, item, event.time)
    for key, status, balance in invoice_balances(event.type, data):
        await store.set_invoice_balance(uow.session, key, status, balance, event.time)
    if event.type == INTERACTION_RETRACTED and InteractionRetracted.of(data).was_contact:
        await store.recount_last_contact(uow.session, client_id)
    if event.type == INTERACTION_LOGGED:
        logged = InteractionLogged.of(data)
        if logged.is_contact:
            await store.note_contact(uow.session, client_id, logged.occurred_at)


async def on_alerts(uow: UnitOfWork, event: CloudEvent) -> None:
    """The alerts this event raised about a client: the feed entries the rules wrote a moment
    ago in the same unit of work (level 0 of the alert, found by its root event), one history
    entry per client; an escalation, from its event."""
    if event.type == ESCALATED:
        escalated = escalation_entry(event.id, event.data, event.time)
        client_id = ClientRef.of(event.data).client_id
        await store.put_entry(uow.session, client_id, escalated, event.id, event.time)
        return
    rows = await store.alerts_of(uow.session, event.id)
    for client_id in dict.fromkeys(r.client_id for r in rows):
        mine = [r for r in rows if r.client_id == client_id]
        entry = alert_entry(
            event.id,
            event.type,
            event.time,
            [r.title for r in mine],
            [r.severity for r in mine],
        )
        if entry is not None:
            await store.put_entry(uow.session, client_id, entry, event.id, event.time)


TIMELINE_SUBSCRIBERS: dict[str, EventHandler] = {
    **dict.fromkeys((*ENTRY_EVENTS, *CONTACT_EVENTS), on_event),
}
# Every event of the catalogue may raise alerts about a client.
ALERT_SUBSCRIBERS: dict[str, EventHandler] = dict.fromkeys(EVENT_TYPES, on_alerts)
# What ``orbit timeline rebuild`` applies to each event read again (the alerts from the
# notifications rows, which a rebuild does not touch).
REBUILD_SUBSCRIBERS: dict[str, EventHandler] = compose(TIMELINE_SUBSCRIBERS, ALERT_SUBSCRIBERS)


# ---------------------------------------------------------------- the reads


async def visible_client(session: AsyncSession, caller: Caller, client_id: uuid.UUID) -> ClientView:
    """The client, if the caller may see it (else 404, as the clients service answers for a
    client out of scope); a miss reads through to the clients service first, so a client
    created a moment ago is found (with nothing on its timeline yet)."""
    return await read_client(session, caller, client_id)


async def timeline_page(
    session: AsyncSession,
    caller: Caller,
    client_id: uuid.UUID,
    *,
    types: Sequence[str],
    before: datetime | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Any], str | None]:
    await visible_client(session, caller, client_id)
    return await store.entries_page(
        session, client_id, types=types, before=before, limit=limit, cursor=cursor
    )


@dataclass
class Summary:
    """The figures at the top of a client's page."""

    client_id: uuid.UUID
    today: date
    open_requests: int = 0
    nearest_deadline: datetime | None = None
    last_contact_at: datetime | None = None
    days_since_last_contact: int | None = None
    next_contact_due: datetime | None = None
    open_tasks: int = 0
    next_task_due: datetime | None = None
    amounts: Amounts = field(default_factory=Amounts)
    contract_end: date | None = None
    last_nps: tuple[int, datetime] | None = None
    last_csat: tuple[int, datetime] | None = None


def _earliest(current: Any, new: Any) -> Any:
    if new is None:
        return current
    return new if current is None or new < current else current


async def client_summary(
    session: AsyncSession, caller: Caller, client_id: uuid.UUID, now: datetime
) -> Summary:
    """One client's figures from the projection: its open things (requests, tasks, unpaid
    invoices, active contracts: bounded by what is open) and its facts row. "Today" and the
    overdue invoices are the client's, in its timezone."""
    client = await visible_client(session, caller, client_id)
    zone = zone_of(client.timezone)
    summary = Summary(client_id, local_date(now, zone))
    for item in await store.open_items(session, client_id):
        if item.kind == "request":
            summary.open_requests += 1
            deadline = request_deadline(item.status, item.at, item.promised_by)
            summary.nearest_deadline = _earliest(summary.nearest_deadline, deadline)
        elif item.kind == "task":
            summary.open_tasks += 1
            summary.next_task_due = _earliest(summary.next_task_due, item.at)
        elif item.kind == "invoice" and item.currency:
            summary.amounts.add(
                item.currency, Decimal(item.balance or 0), item.on_date, summary.today
            )
        elif item.kind == "contract":
            summary.contract_end = _earliest(summary.contract_end, item.on_date)
    facts = await store.client_facts(session, client_id)
    if facts is not None:
        summary.last_contact_at = facts.last_contact_at
        summary.days_since_last_contact = days_since(facts.last_contact_at, summary.today, zone)
        cadence = client.sla.get("contact_cadence_days")
        summary.next_contact_due = next_contact_due(facts.last_contact_at, cadence)
    scores = await store.last_scores(session, client_id)
    summary.last_nps, summary.last_csat = scores.get("nps"), scores.get("csat")
    return summary
