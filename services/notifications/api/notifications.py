"""/api/v1/notifications: the caller's own feed (never anyone else's)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from services.notifications.api.schemas import NotificationOut
from services.notifications.store.models import Notification
from shared.app import caller_dependency, runtime_dependency
from shared.auth import Caller
from shared.errors import NotFound
from shared.pagination import Cursor, Limit, Page, paginate
from shared.runtime import ServiceRuntime

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])
RuntimeDep = Annotated[ServiceRuntime, Depends(runtime_dependency("notifications"))]
CallerDep = Annotated[Caller, Depends(caller_dependency("notifications"))]


@router.get("", response_model=Page[NotificationOut], operation_id="listNotifications")
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    unread: bool | None = None,
    limit: Limit = 50,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    stmt = select(Notification).where(Notification.recipient_id == caller.id)
    if unread is True:
        stmt = stmt.where(Notification.read_at.is_(None))
    elif unread is False:
        stmt = stmt.where(Notification.read_at.is_not(None))
    async with runtime.sessions() as session:
        items, next_cursor = await paginate(
            session, stmt, [Notification.created_at, Notification.id],
            limit=limit, cursor=cursor, desc=True,
        )
    return Page(items=[NotificationOut.model_validate(n) for n in items], next_cursor=next_cursor)


async def _mark(runtime: ServiceRuntime, caller: Caller, notification_id: uuid.UUID,
                field: str) -> NotificationOut:
    async with runtime.uow() as uow:
        notification = await uow.session.scalar(
            select(Notification).where(
                Notification.id == notification_id, Notification.recipient_id == caller.id
            )
        )
        if notification is None:
            raise NotFound(f"notification {notification_id} not found")
        now = uow.clock.now()
        if getattr(notification, field) is None:
            setattr(notification, field, now)
        if field == "acked_at" and notification.read_at is None:
            notification.read_at = now
        await uow.commit()
        return NotificationOut.model_validate(notification)


@router.post("/{notification_id}/read", response_model=NotificationOut,
             operation_id="markNotificationRead")
async def mark_read(notification_id: uuid.UUID, caller: CallerDep,
                    runtime: RuntimeDep) -> NotificationOut:
    return await _mark(runtime, caller, notification_id, "read_at")


@router.post("/{notification_id}/ack", response_model=NotificationOut,
             operation_id="ackNotification")
async def ack(notification_id: uuid.UUID, caller: CallerDep,
              runtime: RuntimeDep) -> NotificationOut:
    return await _mark(runtime, caller, notification_id, "acked_at")
