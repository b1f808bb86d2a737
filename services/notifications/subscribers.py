"""Subscribers of the notifications service: its reactions to other services' events.

A subscriber runs in the consumer's unit of work, which commits with the inbox row
(``shared.messaging.consumer``); :data:`SUBSCRIBERS` maps each event type to one. They keep
the replicas of the clients service's data (``shared.replicas``) and add entries to the feeds.
"""

from __future__ import annotations

import uuid

from services.notifications.store.models import Notification
from shared.db import insert_ignore
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.replicas import REPLICA_HANDLERS
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


async def on_client_created(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    if data.get("account_manager_id"):
        await notify(
            uow,
            event,
            uuid.UUID(data["account_manager_id"]),
            title=f"New client assigned: {data['name']}",
            body=f"{data['name']} ({data['tier']} tier, {data['status']}) "
            "is now in your portfolio.",
            client_id=uuid.UUID(data["client_id"]),
        )


async def on_client_assigned(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    client_id = uuid.UUID(data["client_id"])
    reason = f" Reason: {data['reason']}" if data.get("reason") else ""
    await notify(
        uow,
        event,
        uuid.UUID(data["to_manager_id"]),
        title=f"New client assigned: {data['name']}",
        body=f"{data['name']} ({data['tier']} tier) is now in your portfolio.{reason}",
        client_id=client_id,
    )
    if data.get("from_manager_id"):
        await notify(
            uow,
            event,
            uuid.UUID(data["from_manager_id"]),
            title=f"Client reassigned: {data['name']}",
            body=f"{data['name']} moved to another account manager.{reason}",
            client_id=client_id,
        )


def then(*steps: EventHandler) -> EventHandler:
    """One subscriber running ``steps`` in order, in the same unit of work."""

    async def subscriber(uow: UnitOfWork, event: CloudEvent) -> None:
        for step in steps:
            await step(uow, event)

    return subscriber


SUBSCRIBERS: dict[str, EventHandler] = {
    **REPLICA_HANDLERS,
    "orbit.clients.client.created.v1": then(
        REPLICA_HANDLERS["orbit.clients.client.created.v1"], on_client_created
    ),
    "orbit.clients.client.assigned.v1": then(
        REPLICA_HANDLERS["orbit.clients.client.assigned.v1"], on_client_assigned
    ),
}
