"""Use cases of the notifications service: the feed's commands (mark read, acknowledge) and
the reactions to other services' events.

A command runs in one unit of work; the caller (``shared.idempotency.run_command``) commits
once. An event handler runs in the consumer's unit of work, which commits with the inbox row.
"""

from __future__ import annotations

import uuid

from services.notifications.api.schemas import NotificationOut
from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.auth import Caller
from shared.db import insert_ignore
from shared.messaging.consumer import EventHandler
from shared.messaging.envelope import CloudEvent
from shared.replicas import REPLICA_HANDLERS
from shared.uow import UnitOfWork

# ---------------------------------------------------------------- the caller's feed


def notification_out(notification: Notification) -> NotificationOut:
    return NotificationOut.model_validate(notification)


async def mark_notification_read(
    uow: UnitOfWork, caller: Caller, notification_id: uuid.UUID
) -> NotificationOut:
    """Mark one of the caller's notifications read; marking it again keeps the first time."""
    notification = await repo.get_own_notification(
        uow.session, caller.id, notification_id, for_update=True
    )
    if notification.read_at is None:
        notification.read_at = uow.clock.now()
    await uow.session.flush()
    return notification_out(notification)


async def acknowledge_notification(
    uow: UnitOfWork, caller: Caller, notification_id: uuid.UUID
) -> NotificationOut:
    """Acknowledge one of the caller's notifications (an acknowledged alert is not escalated);
    it is read from then on too. Acknowledging again keeps the first times."""
    notification = await repo.get_own_notification(
        uow.session, caller.id, notification_id, for_update=True
    )
    now = uow.clock.now()
    if notification.acked_at is None:
        notification.acked_at = now
    if notification.read_at is None:
        notification.read_at = now
    await uow.session.flush()
    return notification_out(notification)


# ---------------------------------------------------------------- reactions to events


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
            "id": uuid.uuid4(), "recipient_id": recipient_id, "type": event.type,
            "severity": severity, "title": title, "body": body, "client_id": client_id,
            "event_id": event.id, "created_at": uow.clock.now(),
        },
    )


async def on_client_created(uow: UnitOfWork, event: CloudEvent) -> None:
    data = event.data
    if data.get("account_manager_id"):
        await notify(
            uow, event, uuid.UUID(data["account_manager_id"]),
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
        uow, event, uuid.UUID(data["to_manager_id"]),
        title=f"New client assigned: {data['name']}",
        body=f"{data['name']} ({data['tier']} tier) is now in your portfolio.{reason}",
        client_id=client_id,
    )
    if data.get("from_manager_id"):
        await notify(
            uow, event, uuid.UUID(data["from_manager_id"]),
            title=f"Client reassigned: {data['name']}",
            body=f"{data['name']} moved to another account manager.{reason}",
            client_id=client_id,
        )


def then(*steps: EventHandler) -> EventHandler:
    """One handler running ``steps`` in order, in the same unit of work."""

    async def handler(uow: UnitOfWork, event: CloudEvent) -> None:
        for step in steps:
            await step(uow, event)

    return handler


HANDLERS: dict[str, EventHandler] = {
    **REPLICA_HANDLERS,
    "orbit.clients.client.created.v1": then(
        REPLICA_HANDLERS["orbit.clients.client.created.v1"], on_client_created
    ),
    "orbit.clients.client.assigned.v1": then(
        REPLICA_HANDLERS["orbit.clients.client.assigned.v1"], on_client_assigned
    ),
}

