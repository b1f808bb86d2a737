"""Queries of the notifications service. A feed is its recipient's own: every query takes the
recipient, so another user's notification is simply not found."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.notifications.store.models import Notification
from shared.pagination import paginate
from shared.store import one_or_404


async def feed_page(
    session: AsyncSession,
    recipient_id: uuid.UUID,
    *,
    unread: bool | None,
    limit: int,
    cursor: str | None,
) -> tuple[list[Notification], str | None]:
    """One page of a recipient's feed, newest first (created_at, id: the feed index);
    ``unread`` True: only unread entries, False: only read ones, None: all."""
    stmt = select(Notification).where(Notification.recipient_id == recipient_id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    return await paginate(
        session,
        stmt,
        [Notification.created_at, Notification.id],
        limit=limit,
        cursor=cursor,
        desc=True,
    )


async def get_own_notification(
    session: AsyncSession,
    recipient_id: uuid.UUID,
    notification_id: uuid.UUID,
    *,
    for_update: bool = False,
) -> Notification:
    """The recipient's notification (locked when ``for_update``), else 404 (whether it exists
    for someone else is not revealed)."""
    stmt = select(Notification).where(
        Notification.id == notification_id, Notification.recipient_id == recipient_id
    )
    return await one_or_404(
        session, stmt, Notification, "notification", notification_id, for_update=for_update
    )
