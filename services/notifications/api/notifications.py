"""/api/v1/notifications: the caller's own feed (never anyone else's)."""

from __future__ import annotations

import uuid

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from services.notifications import handlers
from services.notifications.api.deps import CallerDep, RuntimeDep
from services.notifications.api.presenters import notification_out
from services.notifications.api.schemas import NotificationOut
from services.notifications.store import repository as repo
from shared.commands import run_command
from shared.pagination import DEFAULT_LIMIT, Cursor, Limit, Page, page_of

router = APIRouter(prefix="/api/v1/notifications", tags=["notifications"])


@router.get("", response_model=Page[NotificationOut], operation_id="listNotifications")
async def list_notifications(
    caller: CallerDep,
    runtime: RuntimeDep,
    unread: bool | None = None,
    limit: Limit = DEFAULT_LIMIT,
    cursor: Cursor = None,
) -> Page[NotificationOut]:
    """The caller's feed, newest first; ``unread=true`` only the unread entries."""
    async with runtime.reads() as session:
        items, next_cursor = await repo.feed_page(
            session, caller.id, unread=unread, limit=limit, cursor=cursor
        )
    return page_of(items, next_cursor, notification_out)


@router.post(
    "/{notification_id}/read", response_model=NotificationOut, operation_id="markNotificationRead"
)
async def mark_read(
    notification_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep
) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.mark_notification_read(uow, caller, notification_id),
        notification_out,
        caller_id=caller.id,
    )


@router.post(
    "/{notification_id}/ack", response_model=NotificationOut, operation_id="ackNotification"
)
async def ack(notification_id: uuid.UUID, caller: CallerDep, runtime: RuntimeDep) -> JSONResponse:
    return await run_command(
        runtime.uow,
        lambda uow: handlers.acknowledge_notification(uow, caller, notification_id),
        notification_out,
        caller_id=caller.id,
    )
