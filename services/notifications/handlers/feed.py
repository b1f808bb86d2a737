"""Use cases of the notifications service: the feed's commands (mark read, acknowledge).

A command runs in one unit of work and returns the notification it changed; the caller
(``shared.commands.run_command``) commits once and the router presents it. The reactions to
other services' events are in ``subscribers.py``.
"""

from __future__ import annotations

import uuid

from sqlalchemy import update

from services.notifications.store import repository as repo
from services.notifications.store.models import Notification
from shared.auth import Caller
from shared.uow import UnitOfWork

# ---------------------------------------------------------------- the caller's feed


async def mark_notification_read(
    uow: UnitOfWork, caller: Caller, notification_id: uuid.UUID
) -> Notification:
    """Mark one of the caller's notifications read; marking it again keeps the first time."""
    notification = await repo.get_own_notification(
        uow.session, caller.id, notification_id, for_update=True
    )
    if notification.read_at is None:
        notification.read_at = uow.clock.now()
    await uow.session.flush()
    return notification


async def mark_all_read(uow: UnitOfWork, caller: Caller, where: repo.FeedFilter) -> int:
    """Mark the caller's unread notifications that ``where`` keeps read (never anyone
    else's); how many were."""
    return await repo.mark_feed_read(uow.session, caller.id, where, uow.clock.now())


async def acknowledge_notification(
    uow: UnitOfWork, caller: Caller, notification_id: uuid.UUID
) -> Notification:
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
    # Acknowledged at any level, the alert climbs no further: no entry of it escalates.
    root = notification.root_event_id or notification.event_id
    await uow.session.execute(
        update(Notification)
        .where(Notification.root_event_id == root, Notification.escalate_at.is_not(None))
        .values(escalate_at=None)
    )
    notification.escalate_at = None
    await uow.session.flush()
    return notification
